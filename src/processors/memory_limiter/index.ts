// The memory_limiter processor: measures memory every check_interval and, above the soft limit,
// refuses data with a retryable error (503 / UNAVAILABLE) until memory falls; forces GC above the hard limit.
import type { Processor, ProcessorContext, ProcessorFactory } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { RetryableError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { ITEM_NOUN, countItems } from '../../pdata/batch.js';
import { mib, parseDuration } from '../../config/units.js';
import type { MemoryLimiterConfig } from './config.js';
import { DEFAULT_MEMORY_LIMITER_CONFIG, configSchema, validate } from './config.js';
import { availableMemory, fullGc, readMemory } from './memory.js';

export type { MemoryLimiterConfig } from './config.js';

/** The Collector's refusal message. */
export const DATA_REFUSED = 'data refused due to high memory usage';

/** What the limiter measures with; tests inject their own for deterministic memory. */
export interface MemoryLimiterOptions {
  /** Bytes in use now, per the configured measure. */
  readMemory?: (measure: MemoryLimiterConfig['measure']) => number;
  /** Bytes available, for limit_percentage. */
  availableMemory?: () => number;
  /** Run a full garbage collection; null when none can be forced. */
  gc?: (() => void) | null;
  now?: () => number;
}

export interface Limits {
  /** Hard limit, bytes: above it a GC is forced. */
  readonly hard: number;
  /** Soft limit, bytes: at or above it data is refused. */
  readonly soft: number;
}

/** The Collector's arithmetic: limit_mib first, else percentages of the available memory; spike 20% by default. */
export function computeLimits(config: MemoryLimiterConfig, available: () => number): Limits {
  let hard: number;
  let spike: number;
  if (config.limit_mib > 0) {
    hard = mib(config.limit_mib);
    spike = mib(config.spike_limit_mib);
  } else {
    const total = available();
    hard = Math.floor((total * config.limit_percentage) / 100);
    spike = Math.floor((total * config.spike_limit_percentage) / 100);
  }
  if (spike === 0) spike = Math.floor(hard / 5);
  return { hard, soft: hard - spike };
}

const toMib = (bytes: number): number => Math.round(bytes / 1024 / 1024);

export function createMemoryLimiterProcessor(
  partial: Partial<MemoryLimiterConfig>,
  ctx: ProcessorContext,
  next: Consumer,
  options: MemoryLimiterOptions = {},
): Processor {
  const config: MemoryLimiterConfig = { ...DEFAULT_MEMORY_LIMITER_CONFIG, ...partial };
  const read = (): number => (options.readMemory ?? readMemory)(config.measure);
  const now = options.now ?? Date.now;
  // Resolved on start: obtaining a GC function may set a V8 flag, which only a running limiter needs.
  let gc: (() => void) | null = null;
  const limits = computeLimits(config, options.availableMemory ?? availableMemory);
  const intervalMs = parseDuration(config.check_interval);
  const softGcMs = parseDuration(config.min_gc_interval_when_soft_limited);
  const hardGcMs = parseDuration(config.min_gc_interval_when_hard_limited);

  const noun = ITEM_NOUN[ctx.signal];
  const refused = ctx.telemetry.counter(`otelcol_processor_memory_limiter_refused_${noun}_total`, `Number of ${noun} refused by the memory limiter because memory use was above the soft limit.`, ['processor']);
  const labels = { processor: ctx.id };
  refused.inc(labels, 0);

  let refusing = false;
  let lastGc = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const log = ctx.logger;

  const collect = (why: string, used: number): number => {
    if (!gc) return used;
    log.info(`Memory usage is above the ${why} limit. Forcing a GC.`, { cur_mem_mib: toMib(used) });
    gc();
    lastGc = now();
    const after = read();
    log.info('Memory usage after GC.', { cur_mem_mib: toMib(after) });
    return after;
  };

  /** One measurement: the Collector's CheckMemLimits, plus a GC while refusing (see below). */
  const check = (): void => {
    let used = read();
    if (used >= limits.hard && now() - lastGc >= hardGcMs) used = collect('hard', used);
    let mustRefuse = used >= limits.soft;
    // The Collector collects once on entering the soft-limited state. Go's runtime then keeps
    // collecting by itself; V8 in a process that refuses everything allocates too little to
    // start a collection, so Ferry also collects while refusing, at most every soft interval.
    if (mustRefuse && now() - lastGc >= softGcMs) {
      used = collect('soft', used);
      mustRefuse = used >= limits.soft;
    }
    if (refusing && !mustRefuse) log.info('Memory usage back within limits. Resuming normal operation.', { cur_mem_mib: toMib(used) });
    if (!refusing && mustRefuse) log.warn('Memory usage is above soft limit. Refusing data.', { cur_mem_mib: toMib(used), soft_limit_mib: toMib(limits.soft) });
    refusing = mustRefuse;
  };

  return {
    mutatesData: false,
    async start() {
      gc = options.gc !== undefined ? options.gc : fullGc();
      log.info('Memory limiter configured', {
        limit_mib: toMib(limits.hard),
        spike_limit_mib: toMib(limits.hard - limits.soft),
        check_interval: config.check_interval,
        measure: config.measure,
        forced_gc: gc !== null,
      });
      check();
      timer = setInterval(check, intervalMs);
      timer.unref();
    },
    async shutdown() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    async consume(batch: Batch): Promise<void> {
      if (refusing) {
        refused.inc(labels, countItems(batch));
        throw new RetryableError(DATA_REFUSED);
      }
      return next.consume(batch);
    },
  };
}

/** A memory_limiter factory measuring with `options` (tests); the registry uses the real one. */
export function makeMemoryLimiterProcessor(options: MemoryLimiterOptions = {}): ProcessorFactory<MemoryLimiterConfig> {
  return {
    kind: 'processor',
    type: 'memory_limiter',
    description: 'Refuses data with a retryable error (503 / UNAVAILABLE) while memory use is above the soft limit; forces GC above the hard limit.',
    signals: ['logs', 'traces', 'metrics'],
    configSchema,
    validate,
    create: (config, ctx, next) => createMemoryLimiterProcessor(config, ctx, next, options),
  };
}

export const memoryLimiterProcessor: ProcessorFactory<MemoryLimiterConfig> = makeMemoryLimiterProcessor();
