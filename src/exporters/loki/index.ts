// The `loki` exporter: turns each logs batch into Loki push requests (one per tenant) and
// POSTs them to the push URL; 400 is final (Loki's message kept), 429 and 5xx are retried,
// and entries Loki ignored as too old or out of order are dropped and counted.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError, errorMessage, type ConsumerError } from '../../consumer.js';
import { countItems, type Batch, type LogsBatch } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { USER_AGENT, addConfiguredHeaders, redactUrl } from '../helper/client-config.js';
import { httpStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { DEFAULT_GZIP_LEVEL, ExporterHttpClient, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { configSchema, validate, type LokiConfig } from './config.js';
import { encodeJsonPush, encodeProtoPush, planPush, type TenantPush } from './push.js';
import { loadSnappy } from '../helper/snappy.js';

export type { LokiConfig } from './config.js';

/** As the contrib exporter: keep at most 1 KiB of Loki's error message. */
const MAX_ERROR_MESSAGE = 1024;
const MAX_RESPONSE_BYTES = 64 * 1024;
/** Loki's messages for entries it ignored while accepting the rest of the push (ingester and distributor validation). */
const PARTLY_IGNORED = /entry too far behind|out of order|timestamp too old/i;

function lokiMessage(res: HttpResponse): string {
  return res.body.toString('utf8', 0, Math.min(res.body.byteLength, MAX_ERROR_MESSAGE)).replace(/\s+/g, ' ').trim();
}

/** The entries a partly-ignored push lost: Loki ends each stream's report with "total ignored: N out of M". */
function ignoredEntries(message: string, sent: number): number {
  let n = 0;
  for (const m of message.matchAll(/total ignored: (\d+) out of \d+/g)) n += Number(m[1]);
  return n > 0 ? Math.min(n, sent) : sent;
}

/** What became of one tenant's push. */
type PushOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry'; readonly error: RetryableError }
  | { readonly kind: 'drop'; readonly error: PermanentError; readonly dropped: number };

function classify(res: HttpResponse, what: string, items: number): PushOutcome {
  if (res.status >= 200 && res.status <= 299) return { kind: 'ok' };
  const message = lokiMessage(res);
  // As the contrib exporter: every 4xx but 429 is final; 429 and all 5xx are worth another try.
  const error = httpStatusError(res.status, res.headers, message, what, (s) => s === 429 || s >= 500);
  if (error instanceof RetryableError) return { kind: 'retry', error };
  const dropped = res.status === 400 && PARTLY_IGNORED.test(message) ? ignoredEntries(message, items) : items;
  return { kind: 'drop', error: error as PermanentError, dropped };
}

function createLokiExporter(config: LokiConfig, ctx: ComponentContext): Exporter {
  const url = config.endpoint ? new URL(config.endpoint) : undefined;
  const json = config.encoding === 'json';
  const gzip = json && config.compression === 'gzip';
  const baseHeaders: Record<string, string> = { 'content-type': json ? 'application/json' : 'application/x-protobuf', 'user-agent': USER_AGENT };
  addConfiguredHeaders(baseHeaders, config.headers, ['content-encoding', 'content-type']);
  if (gzip) baseHeaders['content-encoding'] = 'gzip';
  if (config.basic_auth) {
    baseHeaders.authorization = `Basic ${Buffer.from(`${config.basic_auth.username}:${config.basic_auth.password}`).toString('base64')}`;
  }
  const client = new ExporterHttpClient(ctx.id, config, MAX_RESPONSE_BYTES);

  async function push(target: URL, p: TenantPush, signal: AbortSignal): Promise<PushOutcome> {
    let body: Buffer;
    try {
      body = json ? encodeJsonPush(p.streams) : encodeProtoPush(p.streams);
    } catch (err) {
      return { kind: 'drop', error: new PermanentError(`cannot encode the push request: ${errorMessage(err)}`), dropped: p.items.length };
    }
    if (gzip) body = await gzipBody(body, DEFAULT_GZIP_LEVEL);
    const headers = p.tenant ? { ...baseHeaders, 'x-scope-orgid': p.tenant } : baseHeaders;
    let res: HttpResponse;
    try {
      res = await client.post(target, body, headers, signal);
    } catch (err) {
      const e = networkError(err);
      return e instanceof RetryableError ? { kind: 'retry', error: e } : { kind: 'drop', error: e as PermanentError, dropped: p.items.length };
    }
    return classify(res, `push to ${redactUrl(target)}${p.tenant ? ` (tenant ${p.tenant})` : ''}`, p.items.length);
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (!url) throw new PermanentError(`exporter ${ctx.id} has no endpoint: set endpoint to Loki's push URL`);
    if (batch.signal !== 'logs') throw new PermanentError(`exporter ${ctx.id} exports logs only`);
    const total = countItems(batch);
    if (total === 0) return;
    const plan = planPush(config, batch);
    const retry = new Set<number>();
    const errors: ConsumerError[] = [];
    let dropped = plan.refused.length;
    const reasons = new Map<string, number>();
    for (const r of plan.refused) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    // Tenants are separate requests; they go out together and each settles on its own.
    const outcomes = await Promise.all(plan.pushes.map((p) => push(url, p, signal)));
    outcomes.forEach((o, i) => {
      const p = plan.pushes[i] as TenantPush;
      if (o.kind === 'retry') {
        for (const item of p.items) retry.add(item);
        errors.push(o.error);
      } else if (o.kind === 'drop') {
        dropped += o.dropped;
        errors.push(o.error);
      }
    });
    if (retry.size === 0 && dropped === 0) return;
    const summary = [...[...reasons].map(([reason, n]) => `${n} record(s) not sent: ${reason}`), ...errors.map((e) => e.message)].join('; ');
    if (retry.size > 0) {
      const retryable = errors.filter((e): e is RetryableError => e instanceof RetryableError);
      const retryAfterMs = retryable.reduce<number | undefined>((max, e) => (e.retryAfterMs === undefined ? max : Math.max(max ?? 0, e.retryAfterMs)), undefined);
      const reason = retryable.some((e) => e.reason === 'throttled') ? 'throttled' : 'unavailable';
      // The whole batch failed alike: retry it as it is, without building a copy.
      const failed = retry.size === total ? undefined : selectItems(batch as LogsBatch, (i) => retry.has(i));
      throw new RetryableError(summary, { retryAfterMs, reason, failed, droppedItems: failed ? dropped : 0 });
    }
    throw new PermanentError(summary, { failedItems: Math.min(dropped, total) });
  }

  return createExporter(ctx, {
    signals: ['logs'],
    send,
    ...helperSettings(config),
    async start() {
      if (config.encoding === 'proto') await loadSnappy();
      await client.open();
    },
    async shutdown() {
      client.close();
    },
  });
}

export const lokiExporter: ExporterFactory<LokiConfig> = {
  kind: 'exporter',
  type: 'loki',
  description: 'Sends logs to Grafana Loki\'s push API (protobuf+snappy or JSON), with labels from attribute hints, tenants and structured metadata.',
  signals: ['logs'],
  configSchema,
  validate,
  create: createLokiExporter,
};
