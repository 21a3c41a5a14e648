// One batch sent with the exporter helper's per-attempt timeout and retry with backoff:
// the loop both the direct path and the sending queue's consumers run.
import { PermanentError, RetryableError, toConsumerError, type ConsumerError } from '../../consumer.js';
import { countItems, type Batch } from '../../pdata/batch.js';
import type { Logger } from '../../telemetry/logger.js';
import { Backoff, type RetrySettings } from './retry.js';

/** Why a send ended without delivering the batch. */
export type FailureKind =
  /** The backend refused the data for good: never retried. */
  | 'permanent'
  /** max_elapsed_time ran out (or the server asked for a wait beyond it). */
  | 'exhausted'
  /** retry_on_failure is disabled and the one attempt failed. */
  | 'disabled'
  /** Told to stop (shutdown) while waiting to retry, or aborted mid-attempt. */
  | 'stopped';

/** What partial failures (RetryableError.failed, PermanentError.failedItems) left of a batch. */
export interface SendProgress {
  /** Items the backend accepted. */
  delivered: number;
  /** Items the backend refused for good: dropped, to be counted as failed. */
  dropped: number;
  /** What is still to send, when a partial failure narrowed the batch; undefined: the whole batch. */
  remaining: Batch | undefined;
}

export class SendFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    /** What goes back to a sender: PermanentError for `permanent`, RetryableError otherwise. */
    readonly error: ConsumerError,
    readonly attempts: number,
    /** For `exhausted`: the backoff (or Retry-After) the next attempt would have waited. */
    readonly nextDelayMs = 0,
    /** Partial outcomes before this failure (delivered and dropped exclude the failing remainder). */
    readonly progress: SendProgress = { delivered: 0, dropped: 0, remaining: undefined },
  ) {
    super(error.message, { cause: error });
    this.name = 'SendFailure';
  }
}

export interface SendLoopOptions {
  send(batch: Batch, signal: AbortSignal): Promise<void>;
  readonly timeoutMs: number;
  readonly retry: RetrySettings;
  readonly random?: () => number;
  readonly logger: Logger;
}

export interface SendControl {
  /** Ends a wait between attempts at once (the send then fails as `stopped`). */
  readonly stopWaiting: AbortSignal;
  /** Aborts the attempt on the wire too (a shutdown deadline). */
  readonly abortAttempt?: AbortSignal;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function describeMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** One attempt, bounded by `timeoutMs` and by `abort`. */
async function attempt(options: SendLoopOptions, batch: Batch, abort: AbortSignal | undefined): Promise<void> {
  const { timeoutMs } = options;
  if (timeoutMs <= 0 && !abort) return options.send(batch, new AbortController().signal);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // Racing the send against the timer keeps the limit even for a send that ignores its signal.
  const cut = new Promise<never>((_, reject) => {
    const stop = (err: Error): void => {
      controller.abort(err);
      reject(err);
    };
    if (timeoutMs > 0) timer = setTimeout(() => stop(new RetryableError(`request timed out after ${describeMs(timeoutMs)}`)), timeoutMs);
    if (abort) {
      onAbort = () => stop(new RetryableError('request aborted: the exporter is shutting down'));
      if (abort.aborted) onAbort();
      else abort.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    await Promise.race([options.send(batch, controller.signal), cut]);
  } catch (err) {
    // The send's own rejection after an abort (AbortError, CANCELLED) is the timeout's echo.
    if (controller.signal.aborted) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) abort?.removeEventListener('abort', onAbort);
  }
}

export interface SendResult {
  readonly attempts: number;
  /** Items delivered, and items refused for good on the way by partial failures. */
  readonly delivered: number;
  readonly dropped: number;
}

/**
 * Send `batch` until it is delivered, or throw a SendFailure saying why not. Retryable
 * failures wait with exponential backoff; a Retry-After or RetryInfo from the server
 * lengthens the wait, never shortens it (as the Collector does). A partial failure
 * (RetryableError with `failed`) narrows what the next attempt sends to the failed items.
 */
export async function sendWithRetry(options: SendLoopOptions, batch: Batch, items: number, control: SendControl): Promise<SendResult> {
  const { retry, logger } = options;
  const deadline = retry.maxElapsedTimeMs > 0 ? Date.now() + retry.maxElapsedTimeMs : Infinity;
  const backoff = new Backoff(retry, options.random);
  let current = batch;
  let currentItems = items;
  const progress: SendProgress = { delivered: 0, dropped: 0, remaining: undefined };
  for (let attempts = 1; ; attempts++) {
    let err: ConsumerError;
    try {
      await attempt(options, current, control.abortAttempt);
      return { attempts, delivered: progress.delivered + currentItems, dropped: progress.dropped };
    } catch (e) {
      err = toConsumerError(e);
    }
    if (!err.retryable) {
      const failedItems = err instanceof PermanentError && err.failedItems !== undefined ? Math.min(err.failedItems, currentItems) : currentItems;
      progress.delivered += currentItems - failedItems;
      const permanent = new PermanentError(`not retryable: ${err.message}`, { cause: err });
      // Nothing remains to send: the failed items are dropped by the caller, which counts `undelivered`.
      throw new SendFailure('permanent', permanent, attempts, 0, { ...progress, remaining: undefined });
    }
    const hint = err instanceof RetryableError ? err.retryAfterMs : undefined;
    const reason = err instanceof RetryableError ? err.reason : 'unavailable';
    if (err instanceof RetryableError && err.failed) {
      const failedItems = countItems(err.failed);
      const dropped = Math.min(err.droppedItems, currentItems - failedItems);
      progress.delivered += currentItems - failedItems - dropped;
      progress.dropped += dropped;
      if (dropped > 0) {
        logger.warn('Exporting partly failed: the backend refused some items for good. Dropping them.', { signal: batch.signal, items: dropped, error: err.message });
      }
      current = err.failed;
      currentItems = failedItems;
      progress.remaining = current;
    }
    if (control.abortAttempt?.aborted) throw new SendFailure('stopped', err, attempts, 0, progress);
    if (!retry.enabled) throw new SendFailure('disabled', err, attempts, 0, progress);
    const delay = Math.max(backoff.next(), hint ?? 0);
    if (Date.now() + delay > deadline) {
      const exhausted = new RetryableError(`no more retries left after ${attempts} attempts: ${err.message}`, { cause: err, retryAfterMs: hint, reason });
      throw new SendFailure('exhausted', exhausted, attempts, delay, progress);
    }
    logger.info('Exporting failed. Will retry the request after interval.', {
      signal: batch.signal,
      items: currentItems,
      attempts,
      interval: describeMs(delay),
      error: err.message,
    });
    if (!(await sleep(delay, control.stopWaiting))) {
      throw new SendFailure('stopped', new RetryableError(`exporter is shutting down: ${err.message}`, { cause: err, retryAfterMs: hint, reason }), attempts, 0, progress);
    }
  }
}
