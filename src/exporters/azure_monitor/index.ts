// The `azure_monitor` exporter: logs and spans as Application Insights telemetry, posted to the
// ingestion API's track endpoint as a gzipped JSON array of envelopes, at most maxbatchsize per
// request. The response says per item what was accepted (200/206 with errors[]): items refused
// with 408/429/439/500/503 are retried alone, the others dropped and counted; a whole request
// refused with 429/5xx is retried (Retry-After honoured); 400/401/403 are permanent.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError } from '../../consumer.js';
import { countItems, type Batch, type LogsBatch, type TracesBatch } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { USER_AGENT, addConfiguredHeaders, redactUrl } from '../helper/client-config.js';
import { httpStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { DEFAULT_GZIP_LEVEL, ExporterHttpClient, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { configSchema, target, validate, type AzureMonitorConfig } from './config.js';
import { logEnvelopes, spanEnvelopes, type Envelope } from './envelopes.js';

export type { AzureMonitorConfig } from './config.js';

const MAX_RESPONSE_BYTES = 256 * 1024;
/** Item and request statuses the track API documents as worth retrying. */
const RETRY_STATUSES = new Set([408, 429, 439, 500, 502, 503, 504]);

interface TrackResponse {
  readonly itemsReceived?: number;
  readonly itemsAccepted?: number;
  readonly errors?: ReadonlyArray<{ readonly index?: number; readonly statusCode?: number; readonly message?: string }>;
}

function parseTrack(body: Buffer): TrackResponse | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as TrackResponse) : undefined;
  } catch {
    return undefined;
  }
}

function createAzureMonitorExporter(config: AzureMonitorConfig, ctx: ComponentContext): Exporter {
  const t = target(config);
  if (!t) throw new Error(`exporter ${ctx.id}: no instrumentation key`);
  const { url, iKey } = t;
  const where = redactUrl(url);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-encoding': 'gzip', 'user-agent': USER_AGENT };
  addConfiguredHeaders(headers, config.headers, ['content-type', 'content-encoding']);
  const client = new ExporterHttpClient(ctx.id, config, MAX_RESPONSE_BYTES);
  const scrub = (s: string): string => s.split(iKey).join('***');

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (batch.signal === 'metrics') throw new PermanentError(`exporter ${ctx.id} exports logs and traces only`);
    const now = BigInt(Date.now()) * 1_000_000n;
    const envelopes = batch.signal === 'logs' ? logEnvelopes(batch, iKey, now) : spanEnvelopes(batch, iKey, config.spaneventsenabled);
    const total = countItems(batch);
    const retry = new Set<number>();
    const dropped = new Map<number, string>();
    let lastRetryable: RetryableError | undefined;
    for (let i = 0; i < envelopes.length; i += config.maxbatchsize) {
      const chunk = envelopes.slice(i, i + config.maxbatchsize);
      const outcome = await post(chunk, signal);
      for (const [item, o] of outcome) {
        if (o === 'retry') retry.add(item);
        else if (o !== 'ok') dropped.set(item, o);
      }
      if (outcome.error instanceof RetryableError) lastRetryable = outcome.error;
      else if (outcome.error && outcome.fatal) {
        // What earlier requests delivered counts as sent; the rest fails with this request.
        const delivered = new Set(envelopes.slice(0, i).map((e) => e.item).filter((x) => !retry.has(x) && !dropped.has(x)));
        throw new PermanentError(outcome.error.message, delivered.size > 0 ? { failedItems: total - delivered.size } : undefined);
      }
    }
    for (const item of dropped.keys()) retry.delete(item);
    if (retry.size === 0 && dropped.size === 0) return;
    const why = [...new Set(dropped.values())].slice(0, 3).join('; ');
    if (retry.size > 0) {
      const message = `Application Insights did not accept ${retry.size + dropped.size} of ${total} items${lastRetryable ? `: ${lastRetryable.message}` : ''}${why ? `; dropped: ${why}` : ''}`;
      const failed = retry.size === total ? undefined : selectItems(batch as LogsBatch | TracesBatch, (x) => retry.has(x));
      throw new RetryableError(message, { retryAfterMs: lastRetryable?.retryAfterMs, reason: lastRetryable?.reason ?? 'unavailable', failed, droppedItems: failed ? dropped.size : 0 });
    }
    throw new PermanentError(`Application Insights refused ${dropped.size} of ${total} items: ${why}`, dropped.size >= total ? undefined : { failedItems: dropped.size });
  }

  type Outcome = Map<number, 'ok' | 'retry' | string> & { error?: PermanentError | RetryableError; fatal?: boolean };

  async function post(chunk: readonly Envelope[], signal: AbortSignal): Promise<Outcome> {
    const outcome: Outcome = new Map();
    const body = await gzipBody(Buffer.from(`[${chunk.map((e) => e.json).join(',')}]`), DEFAULT_GZIP_LEVEL);
    let res: HttpResponse;
    try {
      res = await client.post(url, body, headers, signal);
    } catch (err) {
      outcome.error = networkError(err) as RetryableError;
      for (const e of chunk) outcome.set(e.item, 'retry');
      return outcome;
    }
    const parsed = parseTrack(res.body);
    if (res.status === 200 || res.status === 206) {
      for (const e of chunk) if (!outcome.has(e.item)) outcome.set(e.item, 'ok');
      for (const err of parsed?.errors ?? []) {
        const e = chunk[err.index ?? -1];
        if (!e) continue;
        const status = err.statusCode ?? 0;
        outcome.set(e.item, RETRY_STATUSES.has(status) ? 'retry' : `${status} ${scrub(err.message ?? '')}`.trim());
      }
      return outcome;
    }
    const detail = scrub(parsed?.errors?.[0]?.message ?? res.body.toString('utf8', 0, Math.min(256, res.body.byteLength)).replace(/\s+/g, ' ').trim());
    const error = httpStatusError(res.status, res.headers, detail, `request to ${where}`, (s) => RETRY_STATUSES.has(s));
    outcome.error = error as PermanentError | RetryableError;
    if (error instanceof RetryableError) {
      for (const e of chunk) outcome.set(e.item, 'retry');
    } else {
      // 401/403: the key or the resource's authentication; every request would fail alike.
      outcome.fatal = res.status === 401 || res.status === 403;
      if (outcome.fatal) outcome.error = new PermanentError(`${error.message} (check connection_string of exporter ${ctx.id}; resources with local authentication disabled need Entra ID tokens, which Ferry does not send)`);
      for (const e of chunk) outcome.set(e.item, `HTTP ${res.status}${detail ? ` ${detail}` : ''}`);
    }
    return outcome;
  }

  return createExporter(ctx, {
    signals: ['logs', 'traces'],
    send,
    ...helperSettings(config),
    async start() {
      await client.open();
    },
    async shutdown() {
      client.close();
    },
  });
}

export const azureMonitorExporter: ExporterFactory<AzureMonitorConfig> = {
  kind: 'exporter',
  type: 'azure_monitor',
  deprecatedTypes: ['azuremonitor'],
  description: 'Sends logs and traces to Azure Monitor Application Insights (track API: Message, Request, RemoteDependency and Exception telemetry).',
  signals: ['logs', 'traces'],
  configSchema,
  validate,
  create: createAzureMonitorExporter,
};
