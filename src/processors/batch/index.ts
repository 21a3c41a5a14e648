// The batch processor: merges incoming batches and sends them on by size or time,
// one batcher per metadata combination; each caller settles with its items' outcome.
import type { Processor, ProcessorContext, ProcessorFactory } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { PermanentError, errorMessage } from '../../consumer.js';
import type { Batch, RequestContext } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import { parseDuration } from '../../config/units.js';
import type { Trigger } from './batcher.js';
import { Batcher } from './batcher.js';
import type { BatchConfig } from './config.js';
import { DEFAULT_BATCH_CONFIG, configSchema, validate } from './config.js';

export type { BatchConfig } from './config.js';

/** Buckets of `otelcol_processor_batch_batch_send_size`, as the Collector declares them. */
const SEND_SIZE_BUCKETS = [10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000, 30000, 50000, 100000];

/** The Collector's error when metadata_cardinality_limit is reached. */
export const TOO_MANY_BATCHERS = 'too many batcher metadata-value combinations';

export function createBatchProcessor(partial: Partial<BatchConfig>, ctx: ProcessorContext, next: Consumer): Processor {
  const config: BatchConfig = { ...DEFAULT_BATCH_CONFIG, ...partial };
  const timeoutMs = parseDuration(config.timeout);
  // Lower-cased (metadata keys arrive lower-cased) and sorted, so the batcher key is stable.
  const metadataKeys = [...new Set(config.metadata_keys.map((k) => k.toLowerCase()))].sort();
  const labels = { processor: ctx.id };
  const t = ctx.telemetry;
  const sendSize = t.histogram('otelcol_processor_batch_batch_send_size', 'Number of units in the batch', ['processor'], SEND_SIZE_BUCKETS);
  const sizeTriggers = t.counter('otelcol_processor_batch_batch_size_trigger_send_total', 'Number of times the batch was sent due to a size trigger', ['processor']);
  const timeoutTriggers = t.counter('otelcol_processor_batch_timeout_trigger_send_total', 'Number of times the batch was sent due to a timeout trigger', ['processor']);
  // Present from the start at 0, so dashboards see the series before the first send.
  sizeTriggers.inc(labels, 0);
  timeoutTriggers.inc(labels, 0);
  // A gauge shared by every pipeline's instance of this processor id: each adds its own batchers.
  const cardinality = t.gauge('otelcol_processor_batch_metadata_cardinality', 'Number of distinct metadata value combinations being processed', ['processor']);

  const send = async (batch: Batch, items: number, trigger: Trigger): Promise<void> => {
    try {
      await next.consume(batch);
    } catch (err) {
      ctx.logger.debug('Sender failed', { error: errorMessage(err), items });
      throw err; // unchanged: the callers see exactly the downstream error
    }
    // Recorded on success only, as the Collector does.
    (trigger === 'size' ? sizeTriggers : timeoutTriggers).inc(labels);
    sendSize.observe(labels, items);
  };

  const newBatcher = (context: RequestContext | undefined): Batcher => {
    cardinality.inc(labels);
    return new Batcher({
      signal: ctx.signal,
      sendBatchSize: config.send_batch_size,
      timeoutMs,
      sendBatchMaxSize: config.send_batch_max_size,
      context,
      send,
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
      return batcherFor(batch.context).add(batch, items);
    },
    async shutdown() {
      if (stopped) return;
      stopped = true;
      const all = single ? [single, ...batchers.values()] : [...batchers.values()];
      await Promise.all(all.map((b) => b.shutdown()));
      if (all.length > 0) cardinality.dec(labels, all.length);
    },
  };
}

export const batchProcessor: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  description: 'Batches data by size and time (send_batch_size, timeout), splitting at send_batch_max_size.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  create: (config, ctx, next) => createBatchProcessor(config, ctx, next),
};
