// The cumulative_to_delta processor (the Collector's cumulativetodeltaprocessor): monotonic
// cumulative sums and histograms become delta, per series (resource, scope, metric, attributes).
// The first point of a series is its baseline: kept only when the series started after Ferry
// (initial_value: auto) or always (keep), else dropped and counted.
import type { SchemaObject } from 'ajv';
import type { Processor, ProcessorFactory } from '../../component.js';
import { durationSchema, parseDuration } from '../../config/units.js';
import type { Batch } from '../../pdata/batch.js';
import type { HistogramDataPoint, Metric, NumberDataPoint } from '../../pdata/types.js';
import { int64BigInt, kvlistJson } from '../../pdata/value.js';
import { bigIntToUint64 } from '../../ottl/values.js';

export interface CumulativeToDeltaConfig {
  include?: { metrics?: string[]; match_type?: 'strict' | 'regexp' };
  exclude?: { metrics?: string[]; match_type?: 'strict' | 'regexp' };
  max_staleness: string;
  initial_value: 'auto' | 'keep' | 'drop';
}

const matchSchema = (what: string): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  description: `${what} metrics by name.`,
  properties: {
    metrics: { type: 'array', items: { type: 'string' }, description: 'Metric names (or regular expressions).' },
    match_type: { type: 'string', enum: ['strict', 'regexp'], default: 'strict', description: 'How names match.' },
  },
});

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'Converts monotonic cumulative sums and histograms to delta.',
  properties: {
    include: matchSchema('Convert only these'),
    exclude: matchSchema('Do not convert these'),
    max_staleness: durationSchema('Forget a series not seen for this long (0: never; bounded memory needs a value for churning series).', '0'),
    initial_value: { type: 'string', enum: ['auto', 'keep', 'drop'], default: 'auto', description: 'The first point of a series: auto keeps it when its start time is after Ferry started, keep always, drop never.' },
  },
};

interface Last {
  time: bigint;
  value: number;
  count?: bigint;
  buckets?: bigint[];
  seen: number;
}

const matcher = (m: CumulativeToDeltaConfig['include']): ((name: string) => boolean) | undefined => {
  if (!m?.metrics || m.metrics.length === 0) return undefined;
  if (m.match_type === 'regexp') {
    const res = m.metrics.map((x) => new RegExp(x));
    return (n) => res.some((r) => r.test(n));
  }
  const set = new Set(m.metrics);
  return (n) => set.has(n);
};

export const cumulativeToDeltaProcessor: ProcessorFactory<CumulativeToDeltaConfig> = {
  kind: 'processor',
  type: 'cumulative_to_delta',
  deprecatedTypes: ['cumulativetodelta'],
  description: 'Converts monotonic cumulative sums and histograms to delta (per series; the first point is the baseline).',
  signals: ['metrics'],
  configSchema,
  create(config, ctx, next): Processor {
    const include = matcher(config.include);
    const exclude = matcher(config.exclude);
    const staleMs = parseDuration(config.max_staleness);
    const started = BigInt(Date.now()) * 1_000_000n;
    const state = new Map<string, Last>();
    const dropped = ctx.telemetry.counter('ferry_cumulative_to_delta_baseline_points_total', 'First points of series kept only as the baseline of the next delta (not sent)', ['processor']);
    dropped.inc({ processor: ctx.id }, 0);
    let lastSweep = Date.now();

    const keepFirst = (start: bigint): boolean => config.initial_value === 'keep' || (config.initial_value === 'auto' && start > started);

    const convert = (prefix: string, m: Metric): void => {
      if (include && !include(m.name)) return;
      if (exclude?.(m.name)) return;
      const now = Date.now();
      if (m.sum && m.sum.isMonotonic && m.sum.aggregationTemporality === 2) {
        const kept: NumberDataPoint[] = [];
        for (const p of m.sum.dataPoints) {
          const key = `${prefix}\u0000${kvlistJson(p.attributes)}`;
          const value = p.asDouble ?? Number(int64BigInt(p.asInt));
          const last = state.get(key);
          const time = int64BigInt(p.timeUnixNano);
          state.set(key, { time, value, seen: now });
          if (!last) {
            if (keepFirst(int64BigInt(p.startTimeUnixNano))) kept.push(p);
            else dropped.inc({ processor: ctx.id });
            continue;
          }
          // A value below the last one is a reset: the new value is all that happened since.
          const delta = value >= last.value ? value - last.value : value;
          const out: NumberDataPoint = { ...p, startTimeUnixNano: bigIntToUint64(last.time) };
          if (p.asDouble !== null && p.asDouble !== undefined) out.asDouble = delta;
          else out.asInt = delta;
          kept.push(out);
        }
        m.sum = { ...m.sum, aggregationTemporality: 1, dataPoints: kept };
      } else if (m.histogram && m.histogram.aggregationTemporality === 2) {
        const kept: HistogramDataPoint[] = [];
        for (const p of m.histogram.dataPoints) {
          const key = `${prefix}\u0000${kvlistJson(p.attributes)}`;
          const count = int64BigInt(p.count);
          const buckets = p.bucketCounts.map((b) => int64BigInt(b));
          const last = state.get(key);
          state.set(key, { time: int64BigInt(p.timeUnixNano), value: p.sum ?? 0, count, buckets, seen: now });
          if (!last) {
            if (keepFirst(int64BigInt(p.startTimeUnixNano))) kept.push(p);
            else dropped.inc({ processor: ctx.id });
            continue;
          }
          const reset = count < (last.count ?? 0n) || buckets.length !== (last.buckets?.length ?? -1);
          kept.push({
            ...p,
            startTimeUnixNano: bigIntToUint64(last.time),
            count: bigIntToUint64(reset ? count : count - (last.count ?? 0n)),
            sum: reset ? p.sum : (p.sum ?? 0) - last.value,
            bucketCounts: buckets.map((b, i) => bigIntToUint64(reset ? b : b - (last.buckets?.[i] ?? 0n))),
          });
        }
        m.histogram = { ...m.histogram, aggregationTemporality: 1, dataPoints: kept };
      }
    };

    return {
      mutatesData: true,
      async start() {},
      async shutdown() {},
      async consume(batch: Batch): Promise<void> {
        if (batch.signal === 'metrics') {
          for (const r of batch.resources) {
            const rkey = kvlistJson(r.resource?.attributes ?? []);
            for (const s of r.scopeMetrics) {
              const skey = `${rkey}\u0000${s.scope?.name ?? ''}\u0000${s.scope?.version ?? ''}`;
              for (const m of s.metrics) convert(`${skey}\u0000${m.name}`, m);
              s.metrics = s.metrics.filter((m) => (m.sum?.dataPoints.length ?? 1) > 0 && (m.histogram?.dataPoints.length ?? 1) > 0);
            }
          }
          if (staleMs > 0 && Date.now() - lastSweep > staleMs) {
            lastSweep = Date.now();
            for (const [k, v] of state) if (lastSweep - v.seen > staleMs) state.delete(k);
          }
        }
        return next.consume(batch);
      },
    };
  },
};
