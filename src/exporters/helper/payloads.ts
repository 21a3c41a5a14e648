// Sending one batch as several requests: items encoded one by one are packed into requests
// within the backend's size and count limits, a 413 splits a request in half, and whatever
// was not delivered goes back to the exporter helper as a partial failure (only it is retried).
// Used by the datadog and splunk_hec exporters.
import { PermanentError, RetryableError, toConsumerError, type ConsumerError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import type { Logger } from '../../telemetry/logger.js';

/** One item (log record, metric data point) as it goes into a request body. */
export interface Entry {
  /** Running index of the item in its batch (resource → scope → item order). */
  readonly item: number;
  /** The encoded item: one JSON value, or several concatenated events of one data point. */
  readonly text: string;
  /** UTF-8 length of text. */
  readonly bytes: number;
}

export function entry(item: number, text: string, bytes = Buffer.byteLength(text)): Entry {
  return { item, text, bytes };
}

/** The body limits of one request. */
export interface RequestLimits {
  /** Maximum body size in bytes, framing included; 0 = no limit. */
  readonly maxBytes: number;
  /** Maximum entries per request; 0 = no limit. */
  readonly maxEntries: number;
  /** Bytes the body adds around its entries (`[` and `]` for a JSON array). */
  readonly overhead: number;
  /** Bytes between two entries (`,` in a JSON array). */
  readonly separator: number;
}

/**
 * Pack entries, in order, into as few requests as the limits allow. An entry too large for
 * any request travels alone (callers drop or truncate those before; the backend decides).
 */
export function packEntries(entries: readonly Entry[], limits: RequestLimits): Entry[][] {
  const requests: Entry[][] = [];
  let current: Entry[] = [];
  let size = limits.overhead;
  for (const e of entries) {
    const added = (current.length > 0 ? limits.separator : 0) + e.bytes;
    const full = (limits.maxEntries > 0 && current.length >= limits.maxEntries) || (limits.maxBytes > 0 && current.length > 0 && size + added > limits.maxBytes);
    if (full) {
      requests.push(current);
      current = [];
      size = limits.overhead;
    }
    size += (current.length > 0 ? limits.separator : 0) + e.bytes;
    current.push(e);
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** What the backend said to one request. */
export type PostOutcome =
  | { readonly kind: 'accepted' }
  /** 413: the request is too large; it is split in half and both halves are sent. */
  | { readonly kind: 'too-large'; readonly message: string }
  /**
   * Refused. `scope: 'request'` refuses this request's items only (a malformed payload) and
   * the next requests are still sent; `scope: 'all'` (a bad credential) ends the batch.
   */
  | { readonly kind: 'refused'; readonly error: ConsumerError; readonly scope: 'request' | 'all' };

export interface SendRequestsOptions {
  readonly batch: Batch;
  /** Items in the batch. */
  readonly total: number;
  /** The requests to send, in order (from packEntries). */
  readonly requests: readonly Entry[][];
  /** Items refused before sending (they cannot be encoded within the backend's rules). */
  readonly refusedBeforeSending: number;
  /** Why they were refused, for the error message. */
  readonly refusedReason?: string;
  /** Post one request; reject only with a ConsumerError (networkError() for no response). */
  post(entries: readonly Entry[]): Promise<PostOutcome>;
  /** The sub-batch of the items whose running index passes `keep` (selectItems for logs). */
  select(keep: (item: number) => boolean): Batch;
  readonly logger: Logger;
  /** Names the backend in messages, e.g. "Datadog". */
  readonly backend: string;
}

/**
 * Send the requests one after another. Resolves when every item was delivered. Otherwise
 * throws, for the exporter helper: a RetryableError carrying only the undelivered items as
 * `failed` (and the refused ones as `droppedItems`) when some request may succeed later; a
 * PermanentError with `failedItems` when items were refused for good and nothing is left to retry.
 */
export async function sendRequests(options: SendRequestsOptions): Promise<void> {
  const { total, logger, backend } = options;
  const queue: Entry[][] = [...options.requests];
  const delivered = new Set<number>();
  let refused = options.refusedBeforeSending;
  let firstRefusal: string | undefined = options.refusedReason;

  const refuse = (entries: readonly Entry[], why: string): void => {
    const items = new Set(entries.map((e) => e.item));
    refused += items.size;
    firstRefusal ??= why;
    logger.warn(`${backend} refused items for good; dropping them.`, { items: items.size, error: why });
  };

  while (queue.length > 0) {
    const request = queue.shift() as Entry[];
    let outcome: PostOutcome;
    try {
      outcome = await options.post(request);
    } catch (err) {
      outcome = { kind: 'refused', error: toConsumerError(err), scope: 'request' };
    }
    if (outcome.kind === 'accepted') {
      for (const e of request) delivered.add(e.item);
      continue;
    }
    if (outcome.kind === 'too-large') {
      if (request.length > 1) {
        const half = Math.ceil(request.length / 2);
        logger.info(`${backend} found the request too large; sending it again as two halves.`, { entries: request.length, halves: [half, request.length - half] });
        queue.unshift(request.slice(0, half), request.slice(half));
      } else {
        refuse(request, `a single item is too large: ${outcome.message}`);
      }
      continue;
    }
    const { error } = outcome;
    if (error.retryable) {
      const pending = new Set<number>();
      for (const r of [request, ...queue]) for (const e of r) pending.add(e.item);
      // Nothing happened yet: the whole batch is retried as it is.
      if (delivered.size === 0 && refused === 0) throw error;
      const retryable = error as RetryableError;
      throw new RetryableError(`${pending.size} of ${total} items not delivered yet: ${error.message}`, {
        cause: error,
        failed: options.select((i) => pending.has(i)),
        droppedItems: refused,
        retryAfterMs: retryable.retryAfterMs,
        reason: retryable.reason,
      });
    }
    if (outcome.scope === 'all') {
      const failedItems = total - delivered.size;
      throw new PermanentError(error.message, { cause: error, failedItems });
    }
    refuse(request, error.message);
  }
  if (refused === 0) return;
  const what = `${backend} refused ${refused} of ${total} items: ${firstRefusal ?? 'no reason given'}`;
  throw new PermanentError(what, refused >= total ? undefined : { failedItems: refused });
}

/** `s` cut to at most `maxBytes` of UTF-8 on a character boundary (unchanged when it fits). */
export function cutUtf8(s: string, maxBytes: number): string {
  const buf = Buffer.from(s);
  if (buf.byteLength <= maxBytes) return s;
  let end = Math.max(0, maxBytes);
  // Back up to the start of a character (continuation bytes are 10xxxxxx).
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
