// The `elasticsearch` exporter: each batch becomes one _bulk request of create actions
// (split when the server answers 413), sent round-robin over the endpoints with fail-over;
// only the documents Elasticsearch refused with a retryable status are retried, the others
// are dropped and counted, with their error type and reason logged (never the document).
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError, type ConsumerError } from '../../consumer.js';
import { countItems, type Batch, type LogsBatch, type TracesBatch } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { USER_AGENT, addConfiguredHeaders, redactUrl } from '../helper/client-config.js';
import { httpStatusError, isRetryableHttp, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { DEFAULT_GZIP_LEVEL, ExporterHttpClient, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { FILTER_PATH, bulkBody, errorResponseMessage, parseBulkResponse, safeReason } from './bulk.js';
import { configSchema, endpointList, esRetrySettings, validate, type ElasticsearchConfig } from './config.js';
import { logDocuments, spanDocuments, type BulkDocument } from './document.js';

export type { ElasticsearchConfig } from './config.js';

/** Bulk responses list every item; the filter_path keeps them small, this bounds them. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Whole-request statuses worth another node or another try whatever retry_on_status says: nothing was indexed. */
const UNAVAILABLE = new Set([502, 503, 504]);

/**
 * What became of one document. `refused`: Elasticsearch itself refused it with a status of
 * retry_on_status (item or whole request), which retry.max_retries bounds; a node that could
 * not be reached indexed nothing, and is retried for as long as the helper's time limit allows.
 */
type DocOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry' | 'drop'; readonly why: string; readonly error?: ConsumerError; readonly refused?: boolean };

/** The _bulk URL of a node: its base URL (a path prefix is kept) + /_bulk, with the pipeline and the response filter. */
export function bulkUrl(endpoint: string, pipeline: string | undefined): URL {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/_bulk`;
  if (pipeline) url.searchParams.set('pipeline', pipeline);
  url.searchParams.set('filter_path', FILTER_PATH);
  return url;
}

function createElasticsearchExporter(config: ElasticsearchConfig, ctx: ComponentContext): Exporter {
  const urls = endpointList(config).map((e) => bulkUrl(e, config.pipeline));
  const retry = esRetrySettings(config.retry);
  const gzip = config.compression === 'gzip';
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', accept: 'application/json', 'user-agent': USER_AGENT };
  addConfiguredHeaders(headers, config.headers, ['content-encoding', 'content-type']);
  if (gzip) headers['content-encoding'] = 'gzip';
  if (config.api_key) headers.authorization = `ApiKey ${config.api_key}`;
  else if (config.user) headers.authorization = `Basic ${Buffer.from(`${config.user}:${config.password ?? ''}`).toString('base64')}`;
  const client = new ExporterHttpClient(ctx.id, config, MAX_RESPONSE_BYTES);
  let nextNode = 0;
  /** Attempts of a batch (or of the part of it still failing) that Elasticsearch refused: retry.max_retries bounds them. */
  const refusals = new WeakMap<Batch, number>();

  /** POST to the next node; a node that cannot answer (network error, 502/503/504) yields to the following one. */
  async function post(body: Buffer, signal: AbortSignal): Promise<{ res: HttpResponse; url: URL }> {
    let lastError: ConsumerError | undefined;
    for (let k = 0; k < urls.length; k++) {
      const i = (nextNode + k) % urls.length;
      const url = urls[i] as URL;
      try {
        const res = await client.post(url, body, headers, signal);
        if (UNAVAILABLE.has(res.status) && k < urls.length - 1) {
          lastError = httpStatusError(res.status, res.headers, errorResponseMessage(res.body), `bulk request to ${redactUrl(url)}`);
          continue;
        }
        nextNode = (i + 1) % urls.length;
        return { res, url };
      } catch (err) {
        lastError = networkError(err);
        if (signal.aborted) throw lastError;
      }
    }
    nextNode = (nextNode + 1) % urls.length;
    throw lastError ?? new RetryableError('no Elasticsearch endpoint');
  }

  /** One _bulk request for `docs`: an outcome per document. A 413 splits the request in two. */
  async function bulk(docs: readonly BulkDocument[], signal: AbortSignal): Promise<DocOutcome[]> {
    let body = bulkBody(docs);
    if (gzip) body = await gzipBody(body, DEFAULT_GZIP_LEVEL);
    let sent: { res: HttpResponse; url: URL };
    try {
      sent = await post(body, signal);
    } catch (err) {
      const error = networkError(err);
      return docs.map(() => ({ kind: error.retryable ? 'retry' : 'drop', why: error.message, error }));
    }
    const { res, url } = sent;
    if (res.status === 413) {
      if (docs.length > 1) {
        const half = Math.ceil(docs.length / 2);
        return [...(await bulk(docs.slice(0, half), signal)), ...(await bulk(docs.slice(half), signal))];
      }
      return [{ kind: 'drop', why: 'HTTP 413: the document alone is larger than http.max_content_length' }];
    }
    if (res.status < 200 || res.status > 299) {
      const what = `bulk request to ${redactUrl(url)}`;
      const message = errorResponseMessage(res.body);
      const refused = retry.retryOnStatus.has(res.status);
      const error = httpStatusError(res.status, res.headers, message, what, (s) => retry.retryOnStatus.has(s) || isRetryableHttp(s));
      return docs.map(() => ({ kind: error.retryable ? 'retry' : 'drop', why: error.message, error, refused }));
    }
    const parsed = parseBulkResponse(res.body);
    if (!parsed) {
      // The request was accepted; resending would index everything twice.
      ctx.logger.warn('Could not read the bulk response; treating it as success.', { url: redactUrl(url), status: res.status });
      return docs.map(() => ({ kind: 'ok' }));
    }
    if (!parsed.errors) return docs.map(() => ({ kind: 'ok' }));
    return docs.map((_, i) => {
      const item = parsed.items[i];
      if (!item || (item.status >= 200 && item.status <= 299)) return { kind: 'ok' };
      const why = `${item.status}${item.type ? ` ${item.type}` : ''}${item.reason ? ` (${safeReason(item.reason)})` : ''}`;
      return { kind: retry.retryOnStatus.has(item.status) ? 'retry' : 'drop', why, refused: true };
    });
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (batch.signal === 'metrics') throw new PermanentError(`exporter ${ctx.id} exports logs and traces only`);
    const total = countItems(batch);
    if (total === 0) return;
    const docs = batch.signal === 'logs' ? logDocuments(config, batch) : spanDocuments(config, batch);
    const outcomes = await bulk(docs, signal);

    // An item (a log record, or a span with its event documents) fares as its worst document.
    const worst = new Map<number, Exclude<DocOutcome, { kind: 'ok' }>>();
    outcomes.forEach((o, i) => {
      if (o.kind === 'ok') return;
      const item = (docs[i] as BulkDocument).item;
      const prev = worst.get(item);
      if (!prev || (prev.kind === 'drop' && o.kind === 'retry')) worst.set(item, o);
    });
    if (worst.size === 0) return;
    const retryItems = new Set<number>();
    let dropped = 0;
    const reasons = new Map<string, number>();
    const errors = new Set<ConsumerError>();
    let throttled = false;
    let refused = false;
    for (const [item, o] of worst) {
      if (o.kind === 'retry') {
        retryItems.add(item);
        if (o.why.startsWith('429')) throttled = true;
        if (o.refused) refused = true;
      } else dropped++;
      const key = `${o.kind === 'retry' ? 'to retry' : 'dropped'}: ${o.why}`;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
      if (o.error) errors.add(o.error);
    }
    const single = errors.size === 1 && worst.size === total ? [...errors][0] : undefined;
    const summary = single
      ? single.message
      : `Elasticsearch refused ${worst.size} of ${total} ${batch.signal === 'logs' ? 'log records' : 'spans'}: ${[...reasons].map(([r, n]) => `${n} ${r}`).join('; ')}`;

    const refusedSoFar = (refusals.get(batch) ?? 0) + (refused ? 1 : 0);
    if (retryItems.size > 0 && refused && refusedSoFar > retry.maxRetries) {
      throw new PermanentError(`no more retries left after ${refusedSoFar} refusals (retry.max_retries: ${retry.maxRetries}): ${summary}`, { failedItems: retryItems.size + dropped });
    }
    refusals.set(batch, refusedSoFar);
    if (retryItems.size > 0) {
      if (single instanceof RetryableError) throw single;
      const retryable = [...errors].filter((e): e is RetryableError => e instanceof RetryableError);
      const retryAfterMs = retryable.reduce<number | undefined>((max, e) => (e.retryAfterMs === undefined ? max : Math.max(max ?? 0, e.retryAfterMs)), undefined);
      if (retryable.some((e) => e.reason === 'throttled')) throttled = true;
      const failed = retryItems.size === total ? undefined : selectItems(batch as LogsBatch | TracesBatch, (i) => retryItems.has(i));
      if (failed) refusals.set(failed, refusedSoFar);
      throw new RetryableError(summary, { retryAfterMs, reason: throttled ? 'throttled' : 'unavailable', failed, droppedItems: failed ? dropped : 0 });
    }
    if (single) throw single;
    throw new PermanentError(summary, { failedItems: dropped });
  }

  return createExporter(ctx, {
    signals: ['logs', 'traces'],
    send,
    ...helperSettings(config),
    retry,
    async start() {
      await client.open();
    },
    async shutdown() {
      client.close();
    },
  });
}

export const elasticsearchExporter: ExporterFactory<ElasticsearchConfig> = {
  kind: 'exporter',
  type: 'elasticsearch',
  description: 'Sends logs and traces to Elasticsearch with the _bulk API (data-stream friendly create actions), retrying only the refused documents.',
  signals: ['logs', 'traces'],
  configSchema,
  validate,
  create: createElasticsearchExporter,
};
