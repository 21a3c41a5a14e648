// The exporter helper: wraps an exporter's "send this batch" with the per-attempt
// timeout, retry with backoff, self-metrics and failure logs every exporter shares.
import type { ComponentContext, Exporter, Host } from '../../component.js';
import { PermanentError, RetryableError, toConsumerError, type ConsumerError } from '../../consumer.js';
import { countItems, type Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/types.js';
import { Backoff, type RetrySettings } from './retry.js';

export interface ExporterOptions {
  /** The signals this exporter accepts; any other batch is refused as permanent. */
  readonly signals: readonly Signal[];
  /**
   * Send one batch once. Resolve when the backend accepted it; reject with a
   * PermanentError or RetryableError (see httpStatusError, grpcStatusError, networkError).
   * `signal` aborts when the attempt times out: stop work and release the connection.
   */
  send(batch: Batch, signal: AbortSignal): Promise<void>;
  /** Time limit of one attempt in ms; 0 = none. */
  readonly timeoutMs: number;
  readonly retry: RetrySettings;
  /** Open clients and connections; called once before the first batch. */
  start?(host: Host): Promise<void>;
  /** Close clients; called once after every in-flight attempt has settled. */
  shutdown?(): Promise<void>;
  /** Jitter source, for tests. */
  readonly random?: () => number;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
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

function describeMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Build an Exporter from a send function. consume() settles once the batch is sent,
 * or rejects: PermanentError as soon as the backend refuses the data for good;
 * RetryableError once retries are exhausted (max_elapsed_time), disabled, or cut short
 * by shutdown, so that the sender may retry in its turn (at-least-once).
 */
export function createExporter(ctx: ComponentContext, options: ExporterOptions): Exporter {
  const { retry, timeoutMs } = options;
  const metrics = ctx.telemetry.forExporter(ctx.id);
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let shutdownPromise: Promise<void> | undefined;

  async function attempt(batch: Batch): Promise<void> {
    if (timeoutMs <= 0) return options.send(batch, new AbortController().signal);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // Racing the send against the timer keeps the limit even for a send that ignores its signal.
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new RetryableError(`request timed out after ${describeMs(timeoutMs)}`);
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    });
    try {
      await Promise.race([options.send(batch, controller.signal), timedOut]);
    } catch (err) {
      // The send's own rejection after an abort (AbortError, CANCELLED) is the timeout's echo.
      if (controller.signal.aborted) throw controller.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  function fail(batch: Batch, items: number, err: ConsumerError, attempts: number): never {
    metrics.sendFailed(batch.signal, items);
    ctx.logger.warn('Exporting failed; the error goes back to the sender.', {
      signal: batch.signal,
      items,
      attempts,
      retryable: err.retryable,
      error: err.message,
    });
    throw err;
  }

  async function run(batch: Batch, items: number): Promise<void> {
    const deadline = retry.maxElapsedTimeMs > 0 ? Date.now() + retry.maxElapsedTimeMs : Infinity;
    const backoff = new Backoff(retry, options.random);
    for (let attempts = 1; ; attempts++) {
      let err: ConsumerError;
      try {
        await attempt(batch);
        metrics.sent(batch.signal, items);
        return;
      } catch (e) {
        err = toConsumerError(e);
      }
      if (!err.retryable) fail(batch, items, new PermanentError(`not retryable: ${err.message}`, { cause: err }), attempts);
      if (!retry.enabled) fail(batch, items, err, attempts);
      const hint = err instanceof RetryableError ? err.retryAfterMs : undefined;
      const reason = err instanceof RetryableError ? err.reason : 'unavailable';
      // As the Collector does: the server's Retry-After lengthens the wait, never shortens it.
      const delay = Math.max(backoff.next(), hint ?? 0);
      if (Date.now() + delay > deadline) {
        const exhausted = new RetryableError(`no more retries left after ${attempts} attempts: ${err.message}`, { cause: err, retryAfterMs: hint, reason });
        fail(batch, items, exhausted, attempts);
      }
      ctx.logger.info('Exporting failed. Will retry the request after interval.', {
        signal: batch.signal,
        items,
        attempts,
        interval: describeMs(delay),
        error: err.message,
      });
      if (!(await sleep(delay, stopping.signal))) {
        fail(batch, items, new RetryableError(`exporter is shutting down: ${err.message}`, { cause: err, retryAfterMs: hint, reason }), attempts);
      }
    }
  }

  return {
    mutatesData: false,

    consume(batch: Batch): Promise<void> {
      const items = countItems(batch);
      if (!options.signals.includes(batch.signal)) {
        return Promise.reject(new PermanentError(`exporter ${ctx.id} does not export ${batch.signal}`));
      }
      if (stopping.signal.aborted) {
        metrics.sendFailed(batch.signal, items);
        return Promise.reject(new RetryableError(`exporter ${ctx.id} is shut down`));
      }
      const running = run(batch, items);
      const tracked = running.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(tracked);
      void tracked.then(() => inFlight.delete(tracked));
      return running;
    },

    async start(host: Host): Promise<void> {
      await options.start?.(host);
    },

    shutdown(): Promise<void> {
      shutdownPromise ??= (async () => {
        // Waits for retries end now; attempts already on the wire finish (within `timeout`).
        stopping.abort();
        await Promise.all([...inFlight]);
        await options.shutdown?.();
      })();
      return shutdownPromise;
    },
  };
}
