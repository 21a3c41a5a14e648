// The `nats` exporter: encodes each resource group as an OTLP export request and publishes
// it to a subject built from resource attributes; JetStream mode settles on the stream's ack.
import type * as Nats from 'nats';
import type { JetStreamClient, NatsConnection } from 'nats';
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError, errorMessage } from '../../consumer.js';
import { parseDuration } from '../../config/units.js';
import { SIGNAL_HEADER, connectNats, natsLib } from '../../nats/connection.js';

export { SIGNAL_HEADER } from '../../nats/connection.js';
import type { Batch } from '../../pdata/batch.js';
import { encodeJsonExportRequest } from '../../pdata/json.js';
import { encodeExportRequest } from '../../pdata/proto.js';
import type { AnyValue, Resource, Signal } from '../../pdata/types.js';
import { SIGNALS } from '../../pdata/types.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { configSchema, defaultStreamSubjects, validate, type NatsExporterConfig } from './config.js';

export type { NatsExporterConfig } from './config.js';


function scalar(v: AnyValue | null | undefined): string | undefined {
  if (!v) return undefined;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return String(v.boolValue);
  if (v.intValue != null) return String(v.intValue);
  if (v.doubleValue != null) return String(v.doubleValue);
  return undefined;
}

/** A value made safe as one subject token. */
function token(value: string | undefined): string {
  if (value === undefined || value === '') return 'unknown';
  return value.replace(/[.\s*>]/g, '_');
}

/** The subject of one resource: the template with ${signal} and ${attribute} filled in. */
export function renderSubject(template: string, signal: Signal, resource: Resource | null | undefined): string {
  return template.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    if (name === 'signal') return signal;
    return token(scalar(resource?.attributes?.find((a) => a.key === name)?.value));
  });
}

/** The batch's resources grouped by subject, each group a batch of its own. */
function bySubject(template: string, batch: Batch): Map<string, Batch> {
  const groups = new Map<string, Batch>();
  if (!template.includes('${') || template === '${signal}') {
    groups.set(renderSubject(template, batch.signal, undefined), batch);
    return groups;
  }
  for (const r of batch.resources) {
    const subject = renderSubject(template, batch.signal, r.resource);
    const group = groups.get(subject);
    if (group) (group.resources as unknown[]).push(r);
    else groups.set(subject, { signal: batch.signal, resources: [r] } as Batch);
  }
  return groups;
}

function createNatsExporter(config: NatsExporterConfig, ctx: ComponentContext): Exporter {
  let nc: NatsConnection | undefined;
  let js: JetStreamClient | undefined;
  let natsHeaders: (typeof Nats)['headers'] | undefined;
  const json = config.encoding === 'otlp_json';

  function encode(batch: Batch): Uint8Array {
    try {
      return json ? Buffer.from(encodeJsonExportRequest(batch.signal, batch.resources)) : encodeExportRequest(batch.signal, batch.resources);
    } catch (err) {
      throw new PermanentError(`cannot encode ${batch.signal}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async function send(batch: Batch, abort: AbortSignal): Promise<void> {
    if (!nc || nc.isClosed() || !natsHeaders) throw new RetryableError(`exporter ${ctx.id} is not connected`);
    const h = natsHeaders();
    h.set(SIGNAL_HEADER, batch.signal);
    h.set('Content-Type', json ? 'application/json' : 'application/x-protobuf');
    const publishes: Promise<unknown>[] = [];
    for (const [subject, group] of bySubject(config.subject, batch)) {
      const data = encode(group);
      if (js) publishes.push(js.publish(subject, data, { headers: h, timeout: Math.max(1, parseDuration(config.timeout) || 5_000) }));
      else nc.publish(subject, data, { headers: h });
    }
    try {
      // Core NATS has no per-message ack: a flush round trip proves the server read them.
      if (!js) publishes.push(nc.flush());
      const aborted = new Promise<never>((_r, reject) => abort.addEventListener('abort', () => reject(new Error('publish timed out')), { once: true }));
      await Promise.race([Promise.all(publishes), aborted]);
    } catch (err) {
      throw new RetryableError(`publish to NATS failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  return createExporter(ctx, {
    signals: SIGNALS,
    send,
    ...helperSettings(config),
    async start() {
      natsHeaders = (await natsLib()).headers;
      nc = await connectNats(config, ctx.id, ctx.logger);
      const c = config.jetstream;
      if (c) {
        if (c.create) {
          const jsm = await nc.jetstreamManager();
          try {
            await jsm.streams.info(c.stream);
          } catch {
            const subjects = c.stream_subjects ?? defaultStreamSubjects(config.subject);
            await jsm.streams.add({ name: c.stream, subjects }).catch(async (err: unknown) => {
              // Another instance may have created it meanwhile.
              await jsm.streams.info(c.stream).catch(() => Promise.reject(err));
            });
          }
        }
        js = nc.jetstream();
      }
    },
    async shutdown() {
      const conn = nc;
      nc = undefined;
      js = undefined;
      await conn?.drain().catch(() => conn.close());
    },
  });
}

export const natsExporter: ExporterFactory<NatsExporterConfig> = {
  kind: 'exporter',
  type: 'nats',
  description: 'Publishes logs, traces and metrics as OTLP (proto or JSON) to NATS subjects, core or JetStream (awaiting the ack).',
  signals: SIGNALS,
  configSchema,
  validate,
  create: createNatsExporter,
};
