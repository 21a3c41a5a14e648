// The batch processor: merges incoming batches and sends them on by size or time, one
// batcher per metadata combination. It answers the sender at once (its buffer is bounded,
// and what downstream refuses for now is retried); wait_for_result answers after the send.
import type { Processor, ProcessorContext, ProcessorFactory } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { PermanentError, RetryableError, errorMessage, isPermanent } from '../../consumer.js';
import type { Batch, RequestContext } from '../../pdata/batch.js';
import { ITEM_NOUN, countItems } from '../../pdata/batch.js';
import { parseDuration } from '../../config/units.js';
import { Backoff } from '../../exporters/helper/retry.js';
import { sleep } from '../../exporters/helper/send.js';
import type { Trigger } from './batcher.js';
import { Batcher } from './batcher.js';
import type { BatchConfig } from './config.js';
import { DEFAULT_BATCH_CONFIG, FLUSH_RETRY, configSchema, validate } from './config.js';

export type { BatchConfig } from './config.js';

/** Buckets of `otelcol_processor_batch_batch_send_size`, as the Collector declares them. */
const SEND_SIZE_BUCKETS = [10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000, 30000, 50000, 100000];

/** The Collector's error when metadata_cardinality_limit is reached. */
export const TOO_MANY_BATCHERS = 'too many batcher metadata-value combinations';

/** The Retry-After given to a sender refused because the buffer is full. */
export const FULL_RETRY_AFTER_MS = 1000;

/** How long shutdown() flushes and retries when the service gives no deadline. */
const DEFAULT_SHUTDOWN_MS = 5000;

export interface BatchProcessor extends Processor {
  /** Flush, retrying what downstream refuses for now until `deadlineMs`; what is left then is counted as dropped. */
  shutdown(deadlineMs?: number): Promise<void>;
}

export function createBatchProcessor(partial: Partial<BatchConfig>, ctx: ProcessorContext, next: Consumer): BatchProcessor {
  const config: BatchConfig = { ...DEFAULT_BATCH_CONFIG, ...partial };
  const timeoutMs = parseDuration(config.timeout);
  // Lower-cased (metadata keys arrive lower-cased) and sorted, so the batcher key is stable.
  const metadataKeys = [...new Set(config.metadata_keys.map((k) => k.toLowerCase()))].sort();
  const labels = { processor: ctx.id };
  const noun = ITEM_NOUN[ctx.signal];
  const t = ctx.telemetry;
  const sendSize = t.histogram('otelcol_processor_batch_batch_send_size', 'Number of units in the batch', ['processor'], SEND_SIZE_BUCKETS);
  const sizeTriggers = t.counter('otelcol_processor_batch_batch_size_trigger_send_total', 'Number of times the batch was sent due to a size trigger', ['processor']);
  const timeoutTriggers = t.counter('otelcol_processor_batch_timeout_trigger_send_total', 'Number of times the batch was sent due to a timeout trigger', ['processor']);
  const refused = t.counter(`otelcol_processor_batch_refused_${noun}_total`, `Number of ${noun} refused to the sender (retryable) because the batch processor's buffer was full.`, ['processor']);
  const dropped = t.counter(
    `otelcol_processor_batch_dropped_${noun}_total`,
    `Number of ${noun} the batch processor had answered for and could not pass on: refused for good downstream, or still held at shutdown.`,
    ['processor'],
  );
  const retried = t.counter('otelcol_processor_batch_send_retries_total', 'Number of times a batch refused downstream for now was sent again.', ['processor']);
  const buffered = t.gauge('otelcol_processor_batch_buffer_items', 'Items the batch processor holds: waiting for their batch, or being sent or retried.', ['processor']);
  // Present from the start at 0, so dashboards see the series before the first send.
  for (const c of [sizeTriggers, timeoutTriggers, refused, dropped, retried]) c.inc(labels, 0);
  // Gauges shared by every pipeline's instance of this processor id: each adds its own part.
  buffered.inc(labels, 0);
  const cardinality = t.gauge('otelcol_processor_batch_metadata_cardinality', 'Number of distinct metadata value combinations being processed', ['processor']);

  /** The shutdown deadline: ends retry waits, after which what is left is dropped (and counted). */
  const giveUp = new AbortController();
  let held = 0;

  const recordSent = (items: number, trigger: Trigger): void => {
    // Recorded on success only, as the Collector does.
    (trigger === 'size' ? sizeTriggers : timeoutTriggers).inc(labels);
    sendSize.observe(labels, items);
  };

  /** wait_for_result: the callers see exactly the downstream error. */
  const sendOnce = async (batch: Batch, items: number, trigger: Trigger): Promise<void> => {
    try {
      await next.consume(batch);
    } catch (err) {
      ctx.logger.debug('Sender failed', { error: errorMessage(err), items });
      throw err;
    }
    recordSent(items, trigger);
  };

  /** The processor answered for these items already: retry what is refused for now; never reject. */
  const deliver = async (batch: Batch, items: number, trigger: Trigger): Promise<void> => {
    const backoff = new Backoff(FLUSH_RETRY);
    let pending = batch;
    let count = items;
    for (let attempt = 1; ; attempt++) {
      let err: unknown;
      try {
        await next.consume(pending);
        recordSent(count, trigger);
        return;
      } catch (e) {
        err = e;
      }
      const fields = { items: count, attempts: attempt, error: errorMessage(err) };
      if (isPermanent(err)) {
        dropped.inc(labels, count);
        ctx.logger.warn('The next component refused a batch for good; its items are dropped.', fields);
        return;
      }
      if (err instanceof RetryableError && err.failed) {
        // A partial failure: only these items are worth sending again.
        if (err.droppedItems > 0) dropped.inc(labels, err.droppedItems);
        pending = err.failed;
        count = countItems(pending);
      }
      const wait = Math.max(backoff.next(), err instanceof RetryableError ? (err.retryAfterMs ?? 0) : 0);
      if (attempt === 1) ctx.logger.info('The next component refused a batch for now; retrying it.', { ...fields, retry_in_ms: wait });
      if (!(await sleep(wait, giveUp.signal))) {
        dropped.inc(labels, count);
        ctx.logger.error('Shutting down with a batch still refused downstream; its items are dropped.', fields);
        return;
      }
      retried.inc(labels);
    }
  };

  const newBatcher = (context: RequestContext | undefined): Batcher => {
    cardinality.inc(labels);
    return new Batcher({
      signal: ctx.signal,
      sendBatchSize: config.send_batch_size,
      timeoutMs,
      sendBatchMaxSize: config.send_batch_max_size,
      context,
      send: config.wait_for_result ? sendOnce : deliver,
    });
  };

  const batchers = new Map<string, Batcher>();
  // Without metadata_keys there is exactly one batcher, and the cardinality gauge says 1.
  const single = metadataKeys.length === 0 ? newBatcher(undefined) : undefined;
  let stopped = false;

  /** The batcher for this request's metadata values, created on first use up to the limit. */
  const batcherFor = (context: RequestContext | undefined): Batcher => {
    if (single) return single;
    const values = metadataKeys.map((k) => context?.metadata?.[k] ?? []);
    // An unset key and a key with no values are the same; [""] (an empty value) is distinct.
    const key = JSON.stringify(values);
    let b = batchers.get(key);
    if (!b) {
      const limit = config.metadata_cardinality_limit;
      if (limit > 0 && batchers.size >= limit) throw new PermanentError(TOO_MANY_BATCHERS);
      const metadata: Record<string, readonly string[]> = {};
      metadataKeys.forEach((k, i) => {
        const v = values[i] as readonly string[];
        if (v.length > 0) metadata[k] = [...v];
      });
      b = newBatcher({ metadata });
      batchers.set(key, b);
    }
    return b;
  };

  const hold = (items: number): void => {
    held += items;
    buffered.inc(labels, items);
  };
  const release = (items: number): void => {
    held -= items;
    buffered.dec(labels, items);
  };

  return {
    // The processor builds new containers (batches, merged resources and scopes, and a copy
    // of a resource or scope split at send_batch_max_size) but never changes a batch it is
    // given nor any item in it. Downstream mutators are covered too: the service ORs mutatesData along the
    // pipeline, so a pipeline whose later processor mutates gets its own copy upstream.
    mutatesData: false,
    async start() {},
    async consume(batch: Batch): Promise<void> {
      const items = countItems(batch);
      if (items === 0) return; // nothing to batch or to lose, as the Collector drops empty data
      // After shutdown (a late request racing a reload) pass data straight through.
      if (stopped) return next.consume(batch);
      const batcher = batcherFor(batch.context);
      if (config.wait_for_result) {
        hold(items);
        try {
          return await batcher.add(batch, items);
        } finally {
          release(items);
        }
      }
      // A request larger than the whole buffer is taken when the buffer is empty, so it is never refused forever.
      if (held > 0 && held + items > config.max_buffered_items) {
        refused.inc(labels, items);
        throw new RetryableError(`batch processor ${ctx.id} is full (${held} of ${config.max_buffered_items} ${noun} held); retry later`, {
          reason: 'throttled',
          retryAfterMs: FULL_RETRY_AFTER_MS,
        });
      }
      hold(items);
      // Settles once its items are passed on or counted as dropped: deliver() never rejects.
      void batcher.add(batch, items).finally(() => release(items));
    },
    async shutdown(deadlineMs = Date.now() + DEFAULT_SHUTDOWN_MS) {
      if (stopped) return;
      stopped = true;
      const timer = setTimeout(() => giveUp.abort(), Math.max(0, deadlineMs - Date.now()));
      const all = single ? [single, ...batchers.values()] : [...batchers.values()];
      try {
        await Promise.all(all.map((b) => b.shutdown()));
      } finally {
        clearTimeout(timer);
      }
      if (all.length > 0) cardinality.dec(labels, all.length);
    },
  };
}

export const batchProcessor: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  description: 'Batches data by size and time (send_batch_size, timeout), splitting at send_batch_max_size; answers senders at once (bounded buffer, retried flushes) unless wait_for_result.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  create: (config, ctx, next) => createBatchProcessor(config, ctx, next),
};
