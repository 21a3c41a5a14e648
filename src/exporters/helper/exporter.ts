// The exporter helper: wraps an exporter's "send this batch" with the sending queue,
// the per-attempt timeout, retry with backoff, self-metrics and failure logs every exporter shares.
import type { ComponentContext, Exporter, Host } from '../../component.js';
import { PermanentError, RetryableError } from '../../consumer.js';
import { countItems, type Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/types.js';
import { parseDuration } from '../../config/units.js';
import { SendingQueue, type QueueLeftover } from './queue.js';
import { sendingQueueSettings, type SendingQueueConfig, type SendingQueueSettings } from './queue-config.js';
import { retrySettings, type RetryOnFailureConfig, type RetrySettings } from './retry.js';
import { SendFailure, sendWithRetry, type SendLoopOptions, type SendResult } from './send.js';

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
  /** `sending_queue` resolved by sendingQueueSettings(); undefined sends while the sender waits. */
  readonly queue?: SendingQueueSettings;
  /** Open clients and connections; called once before the first batch. */
  start?(host: Host): Promise<void>;
  /** Close clients; called once after every in-flight attempt has settled. */
  shutdown?(): Promise<void>;
  /** Jitter source, for tests. */
  readonly random?: () => number;
}

/** The Collector's exporterhelper keys in an exporter's config: `timeout`, `retry_on_failure`, `sending_queue`. */
export interface ExporterHelperConfig {
  readonly timeout: string;
  readonly retry_on_failure?: Partial<RetryOnFailureConfig>;
  readonly sending_queue?: Partial<SendingQueueConfig>;
}

/** Those keys as createExporter takes them. */
export function helperSettings(config: ExporterHelperConfig): Pick<ExporterOptions, 'timeoutMs' | 'retry' | 'queue'> {
  return { timeoutMs: parseDuration(config.timeout), retry: retrySettings(config.retry_on_failure), queue: sendingQueueSettings(config.sending_queue) };
}

/** An exporter built by the helper: its shutdown takes the service's deadline, and it reports what its queue holds. */
export interface QueuedExporter extends Exporter {
  /** Drain until `deadlineMs` (a Date.now() time; default: 5 s from now), then close. */
  shutdown(deadlineMs?: number, options?: { readonly handOver?: boolean }): Promise<void>;
  /** What the sending queue holds now; after shutdown, what it left (on disk, or dropped). Zero without a queue. */
  queueLeftover(): QueueLeftover;
  /** After shutdown with handOver: the batches a memory queue had not sent, once. */
  takeLeftover(): Batch[];
}

export type { QueueLeftover } from './queue.js';

/**
 * Build an Exporter from a send function. With a sending queue, consume() settles once
 * the batch is queued (in memory, or durably in the queue's log) and consumers send it
 * with retry. Without one, consume() settles once the batch is sent, or rejects:
 * PermanentError as soon as the backend refuses the data for good; RetryableError once
 * retries are exhausted (max_elapsed_time), disabled, or cut short by shutdown, so that
 * the sender may retry in its turn (at-least-once).
 */
export function createExporter(ctx: ComponentContext, options: ExporterOptions): QueuedExporter {
  const metrics = ctx.telemetry.forExporter(ctx.id);
  const stopping = new AbortController();
  /** The shutdown deadline: aborts attempts still on the wire. */
  const hardStop = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const sendLoop: SendLoopOptions = { send: options.send, timeoutMs: options.timeoutMs, retry: options.retry, random: options.random, logger: ctx.logger };
  const queue = options.queue ? new SendingQueue({ ctx, settings: options.queue, sendLoop, metrics }) : undefined;
  let shutdownPromise: Promise<void> | undefined;

  async function sendNow(batch: Batch, items: number): Promise<void> {
    let result: SendResult;
    try {
      result = await sendWithRetry(sendLoop, batch, items, { stopWaiting: stopping.signal, abortAttempt: hardStop.signal });
    } catch (e) {
      const f = e instanceof SendFailure ? e : new SendFailure('stopped', new RetryableError(String(e)), 0);
      // What a partial failure delivered counts as sent; the rest goes back to the sender as failed.
      if (f.progress.delivered > 0) metrics.sent(batch.signal, f.progress.delivered);
      metrics.sendFailed(batch.signal, items - f.progress.delivered);
      ctx.logger.warn('Exporting failed; the error goes back to the sender.', {
        signal: batch.signal,
        items,
        attempts: f.attempts,
        retryable: f.error.retryable,
        error: f.error.message,
      });
      throw f.error;
    }
    metrics.sent(batch.signal, result.delivered);
    if (result.dropped > 0) metrics.sendFailed(batch.signal, result.dropped);
  }

  return {
    mutatesData: false,

    consume(batch: Batch): Promise<void> {
      const items = countItems(batch);
      if (!options.signals.includes(batch.signal)) {
        return Promise.reject(new PermanentError(`exporter ${ctx.id} does not export ${batch.signal}`));
      }
      if (stopping.signal.aborted) {
        if (queue) metrics.enqueueFailed(batch.signal, items);
        else metrics.sendFailed(batch.signal, items);
        return Promise.reject(new RetryableError(`exporter ${ctx.id} is shut down`));
      }
      // Nothing to deliver: an empty request would only cost the backend a round trip.
      if (items === 0 && queue) return Promise.resolve();
      const running = queue ? queue.enqueue(batch, items) : sendNow(batch, items);
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
      await queue?.start(host);
    },

    shutdown(deadlineMs?: number, shutdownOptions?: { readonly handOver?: boolean }): Promise<void> {
      shutdownPromise ??= (async () => {
        // No new batches; without a queue, waits for retries end now and attempts on the wire finish (within `timeout`).
        stopping.abort();
        await queue?.shutdown(deadlineMs, shutdownOptions?.handOver ?? false);
        const timer = deadlineMs === undefined ? undefined : setTimeout(() => hardStop.abort(), Math.max(0, deadlineMs - Date.now()));
        await Promise.all([...inFlight]);
        clearTimeout(timer);
        await options.shutdown?.();
      })();
      return shutdownPromise;
    },

    queueLeftover(): QueueLeftover {
      return queue?.queueLeftover() ?? { persistent: false, items: 0, requests: 0 };
    },

    takeLeftover(): Batch[] {
      return queue?.takeLeftover() ?? [];
    },
  };
}
