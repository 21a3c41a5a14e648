// The one contract between components: consume(batch) settles when the data is
// accepted downstream, or rejects with a classified error (the backpressure path).
import type { Batch } from './pdata/batch.js';

export interface Consumer {
  /** Resolves once the batch is exported or held by a queue that will export it. */
  consume(batch: Batch): Promise<void>;
  /** True when this consumer changes the batch it is given; fan-out copies only for these. */
  readonly mutatesData: boolean;
}

/**
 * Classified once, read everywhere: receivers map it to a protocol status, the
 * exporter helper decides whether to retry. Anything that is not a ConsumerError
 * counts as retryable, as in the OpenTelemetry Collector (only `Permanent` is final).
 */
export abstract class ConsumerError extends Error {
  abstract readonly retryable: boolean;
}

/** Bad data or a rejection that will never succeed: not retried, HTTP 400 / gRPC INVALID_ARGUMENT. */
export class PermanentError extends ConsumerError {
  readonly retryable = false;
  /**
   * For an exporter's partial failure: how many items of the batch were refused for good
   * (the rest were delivered). Undefined means the whole batch failed.
   */
  readonly failedItems: number | undefined;
  constructor(message: string, options?: { cause?: unknown; failedItems?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PermanentError';
    this.failedItems = options?.failedItems;
  }
}

export type RetryReason = 'unavailable' | 'throttled';

/** Try again later: HTTP 503/429 + Retry-After, gRPC UNAVAILABLE / RESOURCE_EXHAUSTED. */
export class RetryableError extends ConsumerError {
  readonly retryable = true;
  /** Milliseconds the sender should wait, when known (Retry-After, RetryInfo). */
  readonly retryAfterMs: number | undefined;
  /** `throttled` is a rate/capacity refusal (429 / RESOURCE_EXHAUSTED); `unavailable` everything else. */
  readonly reason: RetryReason;
  /**
   * A partial failure (the Collector's consumererror.NewLogs/NewTraces/NewMetrics): only
   * these items failed and are worth retrying; the rest of the batch was delivered.
   */
  readonly failed: Batch | undefined;
  /** Items of the batch the backend refused for good during this partial failure (counted and dropped). */
  readonly droppedItems: number;
  constructor(
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number; reason?: RetryReason; failed?: Batch; droppedItems?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RetryableError';
    this.retryAfterMs = options?.retryAfterMs;
    this.reason = options?.reason ?? 'unavailable';
    this.failed = options?.failed;
    this.droppedItems = options?.droppedItems ?? 0;
  }
}

export function isPermanent(err: unknown): boolean {
  return err instanceof ConsumerError && !err.retryable;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Any rejection as a ConsumerError: unclassified errors become retryable. */
export function toConsumerError(err: unknown): ConsumerError {
  if (err instanceof ConsumerError) return err;
  return new RetryableError(errorMessage(err), { cause: err });
}

/**
 * Combine the outcomes of several consumers of the same data (fan-out):
 * any retryable failure makes the whole retryable (the sender retries, and the
 * consumers that succeeded see a duplicate: at-least-once); only all-permanent
 * failures are permanent. The longest Retry-After wins.
 */
export function combineErrors(errors: readonly unknown[]): ConsumerError | undefined {
  if (errors.length === 0) return undefined;
  const classified = errors.map(toConsumerError);
  if (classified.length === 1) return classified[0];
  const message = classified.map((e) => e.message).join('; ');
  const retryable = classified.filter((e): e is RetryableError => e instanceof RetryableError);
  if (retryable.length === 0) return new PermanentError(message);
  const retryAfterMs = retryable.reduce<number | undefined>(
    (max, e) => (e.retryAfterMs === undefined ? max : Math.max(max ?? 0, e.retryAfterMs)),
    undefined,
  );
  const reason = retryable.some((e) => e.reason === 'throttled') ? 'throttled' : 'unavailable';
  return new RetryableError(message, { retryAfterMs, reason });
}
