// Sending documents through the _bulk API, shared by the elasticsearch and opensearch exporters:
// one request per batch (split when the server answers 413), round-robin over the nodes with
// fail-over, and the per-item outcome turned into the helper's errors. Only the items refused
// with a retryable status are retried; the others are dropped and counted, with their error
// type and reason logged (never the document).
import type { ComponentContext } from '../../component.js';
import { PermanentError, RetryableError, type ConsumerError } from '../../consumer.js';
import { countItems, type LogsBatch, type TracesBatch } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { redactUrl } from '../helper/client-config.js';
import { httpStatusError, isRetryableHttp, networkError } from '../helper/errors.js';
import type { ExporterHttpClient} from '../helper/http-client.js';
import { DEFAULT_GZIP_LEVEL, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { FILTER_PATH, bulkBody, errorResponseMessage, parseBulkResponse, safeReason, type BulkAction } from './bulk.js';
import type { BulkDocument } from './document.js';

/** Bulk responses list every item; the filter_path keeps them small, this bounds them. */
export const MAX_BULK_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Whole-request statuses worth another node or another try whatever retry_on_status says: nothing was indexed. */
const UNAVAILABLE = new Set([502, 503, 504]);

export interface BulkSenderOptions {
  readonly ctx: ComponentContext;
  /** The server's name in messages: Elasticsearch, OpenSearch. */
  readonly product: string;
  /** The nodes' _bulk URLs (see bulkUrl). */
  readonly urls: readonly URL[];
  /** Every request's headers (content-type, auth …); never logged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly gzip: boolean;
  readonly client: ExporterHttpClient;
  readonly action: BulkAction;
  /** Statuses (of items and of whole requests) that are retried; other refusals drop the item. */
  readonly retryOnStatus: ReadonlySet<number>;
  /** How many times the server may refuse the same items before they are dropped. */
  readonly maxRetries: number;
  /** The setting that holds maxRetries, named when it runs out. */
  readonly maxRetriesKey: string;
}

/**
 * What became of one document. `refused`: the server itself refused it with a status of
 * retryOnStatus (item or whole request), which maxRetries bounds; a node that could not be
 * reached indexed nothing, and is retried for as long as the helper's time limit allows.
 */
type DocOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry' | 'drop'; readonly why: string; readonly error?: ConsumerError; readonly refused?: boolean };

/** The _bulk URL of a node: its base URL (a path prefix is kept) + /_bulk, with the pipeline and the response filter. */
export function bulkUrl(endpoint: string, pipeline?: string): URL {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/_bulk`;
  if (pipeline) url.searchParams.set('pipeline', pipeline);
  url.searchParams.set('filter_path', FILTER_PATH);
  return url;
}

/**
 * Index `docs` (built from `batch`). `unencodable`: items that have no document (the mapping
 * cannot write them), by item number, with the reason; they are dropped and counted.
 */
export type BulkSend = (batch: LogsBatch | TracesBatch, docs: readonly BulkDocument[], signal: AbortSignal, unencodable?: ReadonlyMap<number, string>) => Promise<void>;

/** A send function for the exporter helper: index `docs` (built from `batch`), throw what the helper must retry or drop. */
export function bulkSender(o: BulkSenderOptions): BulkSend {
  const { ctx, urls, headers, client } = o;
  let nextNode = 0;
  /** Attempts of a batch (or of the part of it still failing) that the server refused: maxRetries bounds them. */
  const refusals = new WeakMap<object, number>();

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
    throw lastError ?? new RetryableError(`no ${o.product} endpoint`);
  }

  /** One _bulk request for `docs`: an outcome per document. A 413 splits the request in two. */
  async function bulk(docs: readonly BulkDocument[], signal: AbortSignal): Promise<DocOutcome[]> {
    let body = bulkBody(docs, o.action);
    if (o.gzip) body = await gzipBody(body, DEFAULT_GZIP_LEVEL);
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
      const refused = o.retryOnStatus.has(res.status);
      const error = httpStatusError(res.status, res.headers, message, what, (s) => o.retryOnStatus.has(s) || isRetryableHttp(s));
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
      return { kind: o.retryOnStatus.has(item.status) ? 'retry' : 'drop', why, refused: true };
    });
  }

  return async function send(batch, docs, signal, unencodable): Promise<void> {
    const total = countItems(batch);
    if (total === 0) return;
    const outcomes = docs.length > 0 ? await bulk(docs, signal) : [];

    // An item (a log record, or a span with its event documents) fares as its worst document.
    const worst = new Map<number, Exclude<DocOutcome, { kind: 'ok' }>>();
    for (const [item, why] of unencodable ?? []) worst.set(item, { kind: 'drop', why });
    outcomes.forEach((out, i) => {
      if (out.kind === 'ok') return;
      const item = (docs[i] as BulkDocument).item;
      const prev = worst.get(item);
      if (!prev || (prev.kind === 'drop' && out.kind === 'retry')) worst.set(item, out);
    });
    if (worst.size === 0) return;
    const retryItems = new Set<number>();
    let dropped = 0;
    const reasons = new Map<string, number>();
    const errors = new Set<ConsumerError>();
    let throttled = false;
    let refused = false;
    for (const [item, out] of worst) {
      if (out.kind === 'retry') {
        retryItems.add(item);
        if (out.why.startsWith('429')) throttled = true;
        if (out.refused) refused = true;
      } else dropped++;
      const key = `${out.kind === 'retry' ? 'to retry' : 'dropped'}: ${out.why}`;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
      if (out.error) errors.add(out.error);
    }
    const single = errors.size === 1 && worst.size === total ? [...errors][0] : undefined;
    const summary = single
      ? single.message
      : `${o.product} refused ${worst.size} of ${total} ${batch.signal === 'logs' ? 'log records' : 'spans'}: ${[...reasons].map(([r, n]) => `${n} ${r}`).join('; ')}`;

    const refusedSoFar = (refusals.get(batch) ?? 0) + (refused ? 1 : 0);
    if (retryItems.size > 0 && refused && refusedSoFar > o.maxRetries) {
      throw new PermanentError(`no more retries left after ${refusedSoFar} refusals (${o.maxRetriesKey}: ${o.maxRetries}): ${summary}`, { failedItems: retryItems.size + dropped });
    }
    refusals.set(batch, refusedSoFar);
    if (retryItems.size > 0) {
      if (single instanceof RetryableError) throw single;
      const retryable = [...errors].filter((e): e is RetryableError => e instanceof RetryableError);
      const retryAfterMs = retryable.reduce<number | undefined>((max, e) => (e.retryAfterMs === undefined ? max : Math.max(max ?? 0, e.retryAfterMs)), undefined);
      if (retryable.some((e) => e.reason === 'throttled')) throttled = true;
      const failed = retryItems.size === total ? undefined : selectItems(batch, (i) => retryItems.has(i));
      if (failed) refusals.set(failed, refusedSoFar);
      throw new RetryableError(summary, { retryAfterMs, reason: throttled ? 'throttled' : 'unavailable', failed, droppedItems: failed ? dropped : 0 });
    }
    if (single) throw single;
    throw new PermanentError(summary, { failedItems: dropped });
  };
}
