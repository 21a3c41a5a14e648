// Configuration of the `nats` receiver: where to subscribe (subject, queue group or a
// JetStream durable consumer), how payloads are decoded, and which subject tokens become resource attributes.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import type { NatsConnectionConfig } from '../../nats/connection.js';
import { natsConnectionProperties, validateNatsConnection } from '../../nats/connection.js';
import type { Signal } from '../../pdata/types.js';

export type NatsEncoding = 'otlp_proto' | 'otlp_json' | 'json' | 'text';

export interface JsonLogMapping {
  body: string;
  severity: string;
  timestamp: string;
}

export interface JetStreamReceiverConfig {
  stream: string;
  durable: string;
  ack_wait: string;
  max_ack_pending: number;
  nak_delay: string;
  create: boolean;
}

export interface SignalSubscription {
  subject?: string;
  queue?: string;
  encoding?: NatsEncoding;
}

export interface NatsReceiverConfig extends NatsConnectionConfig {
  subject: string;
  queue?: string;
  encoding: NatsEncoding;
  logs?: SignalSubscription;
  traces?: SignalSubscription;
  metrics?: SignalSubscription;
  subject_attributes: (string | null)[];
  json: JsonLogMapping;
  jetstream?: JetStreamReceiverConfig;
}

const encodingSchema = (withDefault: boolean): SchemaObject => ({
  type: 'string',
  enum: ['otlp_proto', 'otlp_json', 'json', 'text'],
  description:
    'Payload: otlp_proto / otlp_json (an OTLP export request), json (one log event per message, mapped by `json`) or text (the message is the log body). json and text are logs only.',
  ...(withDefault ? { default: 'otlp_proto' } : {}),
});

const subscriptionSchema = (signal: Signal): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  description: `Subscription for ${signal}, overriding the top-level subject, queue and encoding.`,
  properties: {
    subject: { type: 'string', description: `Subject ${signal} arrive on (wildcards * and > allowed).` },
    queue: { type: 'string', description: 'Queue group for this subscription.' },
    encoding: encodingSchema(false),
  },
});

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Receives logs, traces and metrics from NATS subjects (core, queue groups) or a JetStream durable consumer.',
  additionalProperties: false,
  properties: {
    ...natsConnectionProperties,
    subject: { type: 'string', description: 'Subject to subscribe to; `*` matches one token, `>` the rest (logs.>).', default: 'otlp.>' },
    queue: { type: 'string', description: 'Queue group: the replicas sharing it each get a share of the messages, each message once.' },
    encoding: encodingSchema(true),
    logs: subscriptionSchema('logs'),
    traces: subscriptionSchema('traces'),
    metrics: subscriptionSchema('metrics'),
    subject_attributes: {
      type: 'array',
      items: { type: ['string', 'null'] },
      default: [],
      description: 'Resource attribute name per subject token (null skips one): [null, fly.app.name, fly.region] on logs.app.ord sets fly.app.name=app, fly.region=ord.',
    },
    json: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'For encoding json: the fields (dot paths) that become body, severity and timestamp; every other field becomes an attribute.',
      properties: {
        body: { type: 'string', default: 'message', description: 'Field holding the log message.' },
        severity: { type: 'string', default: 'log.level', description: 'Field holding the level (info, warn, error…).' },
        timestamp: { type: 'string', default: 'timestamp', description: 'Field holding the time (RFC 3339 or epoch seconds/ms/ns).' },
      },
    },
    jetstream: {
      type: 'object',
      additionalProperties: false,
      description: 'Consume from a JetStream stream through a durable pull consumer instead of a core subscription: at-least-once, acked after the pipeline accepted.',
      properties: {
        stream: { type: 'string', description: 'Stream name.', default: 'OTLP' },
        durable: { type: 'string', description: 'Durable consumer name; gateways sharing it share the work.', default: 'ferry' },
        ack_wait: durationSchema('How long the server waits for an ack before redelivering.', '30s'),
        max_ack_pending: { type: 'integer', minimum: 1, default: 1000, description: 'Messages delivered but not yet acked, per consumer (across all gateways).' },
        nak_delay: durationSchema('Redelivery delay after a retryable refusal by the pipeline.', '5s'),
        create: { type: 'boolean', default: true, description: 'Create the stream (on subject) and the consumer when missing.' },
      },
    },
  },
};

/** The subscription of one signal, with the top-level settings filled in. */
export function subscriptionFor(c: NatsReceiverConfig, signal: Signal): Required<Pick<SignalSubscription, 'subject' | 'encoding'>> & { queue?: string } {
  const s = c[signal] ?? {};
  return { subject: s.subject ?? c.subject, queue: s.queue ?? c.queue, encoding: s.encoding ?? c.encoding };
}

export function validate(c: NatsReceiverConfig): ConfigProblem[] {
  const problems = validateNatsConnection(c);
  for (const signal of ['traces', 'metrics'] as const) {
    const enc = c[signal]?.encoding;
    if (enc === 'json' || enc === 'text') {
      problems.push({ path: `${signal}.encoding`, message: `${enc} carries logs only`, fix: 'use otlp_proto or otlp_json' });
    }
  }
  if (c.jetstream && [c.queue, c.logs?.queue, c.traces?.queue, c.metrics?.queue].some((q) => q !== undefined)) {
    problems.push({ path: 'queue', message: 'queue groups are for core NATS; with jetstream the durable consumer shares the work', fix: 'remove queue and give every replica the same jetstream.durable' });
  }
  const subjects = [c.subject, c.logs?.subject, c.traces?.subject, c.metrics?.subject].filter((s): s is string => s !== undefined);
  for (const s of subjects) {
    const tokens = s.split('.');
    if (s === '' || tokens.some((t) => t === '') || tokens.slice(0, -1).includes('>')) {
      problems.push({ path: 'subject', message: `"${s}" is not a valid subject`, fix: 'write tokens separated by dots; > only as the last token (logs.>)' });
    }
  }
  return problems;
}
