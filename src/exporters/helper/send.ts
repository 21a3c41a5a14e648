// One batch sent with the exporter helper's per-attempt timeout and retry with backoff:
// the loop both the direct path and the sending queue's consumers run.
import { PermanentError, RetryableError, toConsumerError, type ConsumerError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
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

export class SendFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    /** What goes back to a sender: PermanentError for `permanent`, RetryableError otherwise. */
    readonly error: ConsumerError,
    readonly attempts: number,
    /** For `exhausted`: the backoff (or Retry-After) the next attempt would have waited. */
    readonly nextDelayMs = 0,
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

/**
 * Send `batch` until it is delivered (resolves with the number of attempts), or throw a
 * SendFailure saying why not. Retryable failures wait with exponential backoff; a
 * Retry-After or RetryInfo from the server lengthens the wait, never shortens it (as
 * the Collector does).
 */
export async function sendWithRetry(options: SendLoopOptions, batch: Batch, items: number, control: SendControl): Promise<number> {
  const { retry, logger } = options;
  const deadline = retry.maxElapsedTimeMs > 0 ? Date.now() + retry.maxElapsedTimeMs : Infinity;
  const backoff = new Backoff(retry, options.random);
  for (let attempts = 1; ; attempts++) {
    let err: ConsumerError;
    try {
      await attempt(options, batch, control.abortAttempt);
      return attempts;
    } catch (e) {
      err = toConsumerError(e);
    }
    if (!err.retryable) throw new SendFailure('permanent', new PermanentError(`not retryable: ${err.message}`, { cause: err }), attempts);
    const hint = err instanceof RetryableError ? err.retryAfterMs : undefined;
    const reason = err instanceof RetryableError ? err.reason : 'unavailable';
    if (control.abortAttempt?.aborted) throw new SendFailure('stopped', err, attempts);
    if (!retry.enabled) throw new SendFailure('disabled', err, attempts);
    const delay = Math.max(backoff.next(), hint ?? 0);
    if (Date.now() + delay > deadline) {
      const exhausted = new RetryableError(`no more retries left after ${attempts} attempts: ${err.message}`, { cause: err, retryAfterMs: hint, reason });
      throw new SendFailure('exhausted', exhausted, attempts, delay);
    }
    logger.info('Exporting failed. Will retry the request after interval.', {
      signal: batch.signal,
      items,
      attempts,
      interval: describeMs(delay),
      error: err.message,
    });
    if (!(await sleep(delay, control.stopWaiting))) {
      throw new SendFailure('stopped', new RetryableError(`exporter is shutting down: ${err.message}`, { cause: err, retryAfterMs: hint, reason }), attempts);
    }
  }
}
