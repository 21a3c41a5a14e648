// Configuration of the `nats` exporter: subject template, OTLP encoding, core or
// JetStream publishing, plus the exporter helper's timeout, retry and sending queue.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { NatsConnectionConfig } from '../../nats/connection.js';
import { natsConnectionProperties, validateNatsConnection } from '../../nats/connection.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export interface JetStreamExporterConfig {
  stream: string;
  create: boolean;
  stream_subjects?: string[];
}

export interface NatsExporterConfig extends NatsConnectionConfig {
  subject: string;
  encoding: 'otlp_proto' | 'otlp_json';
  jetstream?: JetStreamExporterConfig;
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
}

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Publishes logs, traces and metrics as OTLP export requests to NATS subjects, core or JetStream.',
  additionalProperties: false,
  properties: {
    ...natsConnectionProperties,
    subject: {
      type: 'string',
      default: 'otlp.${signal}',
      description:
        'Subject template: ${signal} is logs/traces/metrics, ${<resource attribute>} the attribute of each resource (logs.${service.name}); resources are grouped per subject. Missing values become "unknown"; dots, spaces, * and > in values become _.',
    },
    encoding: { type: 'string', enum: ['otlp_proto', 'otlp_json'], default: 'otlp_proto', description: 'Payload: an OTLP export request as protobuf or OTLP/JSON.' },
    jetstream: {
      type: 'object',
      additionalProperties: false,
      description: 'Publish to JetStream and settle only once the stream acknowledged the message (durable). Absent: core NATS publish.',
      properties: {
        stream: { type: 'string', default: 'OTLP', description: 'Stream expected to capture the subjects.' },
        create: { type: 'boolean', default: true, description: 'Create the stream when missing.' },
        stream_subjects: {
          type: 'array',
          items: { type: 'string' },
          description: 'Subjects of a stream created by the exporter; default: the subject template up to its first ${…} token, followed by >.',
        },
      },
    },
    timeout: timeoutSchema('5s'),
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
  },
};

const VARIABLE = /\$\{([^}]+)\}/g;

export function validate(c: NatsExporterConfig): ConfigProblem[] {
  const problems = [...validateNatsConnection(c), ...validateRetryOnFailure(c.retry_on_failure), ...validateSendingQueue(c.sending_queue)];
  const literal = c.subject.replace(VARIABLE, 'x');
  if (literal === '' || literal.split('.').some((t) => t === '' || t === '*' || t === '>')) {
    problems.push({ path: 'subject', message: `"${c.subject}" is not a publishable subject`, fix: 'write dot-separated tokens without wildcards, e.g. logs.${service.name}' });
  }
  return problems;
}

/** The subjects a stream created by the exporter captures: the template's literal prefix + `>`. */
export function defaultStreamSubjects(template: string): string[] {
  const prefix = template.split('.').filter((_t, i, all) => !all.slice(0, i + 1).some((x) => x.includes('${')));
  return [prefix.length === 0 ? '>' : `${prefix.join('.')}.>`];
}
