// OTLP metric points read into the few value shapes Prometheus has (a number, a classic
// histogram, a summary), with exponential histograms kept exact until they are written.
import { int64ToNumber } from '../pdata/proto.js';
import type {
  Exemplar,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Int64,
  KeyValue,
  Metric,
  NumberDataPoint,
  SummaryDataPoint,
} from '../pdata/types.js';
import { int64BigInt as nanos, isSet, valueAsString } from '../pdata/value.js';
import type { NamingType } from './naming.js';

/** The TYPE of a Prometheus metric family. */
export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';

export const AGGREGATION_DELTA = 1;
export const AGGREGATION_CUMULATIVE = 2;
/** DataPointFlags.FLAG_NO_RECORDED_VALUE: the series has gone away (a staleness marker). */
const FLAG_NO_RECORDED_VALUE = 1;

export interface NumberValue {
  readonly kind: 'number';
  readonly value: number;
}
export interface HistogramValue {
  readonly kind: 'histogram';
  readonly count: number;
  readonly sum: number | undefined;
  /** Upper bounds, ascending. */
  readonly bounds: readonly number[];
  /** Per-bucket counts (not cumulative): bounds.length + 1 of them, the last one above every bound. */
  readonly counts: readonly number[];
}
export interface ExponentialBuckets {
  readonly offset: number;
  readonly counts: readonly number[];
}
export interface ExponentialValue {
  readonly kind: 'exponential';
  readonly count: number;
  readonly sum: number | undefined;
  readonly scale: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: ExponentialBuckets;
  readonly negative: ExponentialBuckets;
}
export interface SummaryValue {
  readonly kind: 'summary';
  readonly count: number;
  readonly sum: number;
  readonly quantiles: ReadonlyArray<{ readonly quantile: number; readonly value: number }>;
}
export type PointValue = NumberValue | HistogramValue | ExponentialValue | SummaryValue;

export interface PointExemplar {
  readonly value: number;
  /** Milliseconds, when the exemplar has a time. */
  readonly timeMs: number | undefined;
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: ReadonlyArray<readonly [string, string]>;
}

/** One data point, read. */
export interface ReadPoint {
  readonly attributes: KeyValue[];
  readonly startNs: bigint;
  readonly timeNs: bigint;
  readonly value: PointValue;
  readonly noRecordedValue: boolean;
  readonly exemplars: readonly PointExemplar[];
}

/** How a metric maps to Prometheus: its family type, its temporality, and its points. */
export interface MetricShape {
  readonly naming: NamingType;
  readonly family: FamilyType;
  /** 0 unspecified, 1 delta, 2 cumulative; gauges and summaries count as cumulative. */
  readonly temporality: number;
  readonly points: ReadonlyArray<NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint>;
}


export function nanosToMillis(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

/** `metadata["prometheus.type"] == "unknown"`: a gauge that came from an untyped Prometheus metric. */
function isUnknownType(metric: Metric): boolean {
  return (metric.metadata ?? []).some((kv) => kv.key === 'prometheus.type' && valueAsString(kv.value) === 'unknown');
}

/** The metric's shape; undefined for a metric with no data (no type set). */
export function metricShape(metric: Metric): MetricShape | undefined {
  if (metric.gauge) return { naming: 'gauge', family: isUnknownType(metric) ? 'unknown' : 'gauge', temporality: AGGREGATION_CUMULATIVE, points: metric.gauge.dataPoints };
  if (metric.sum) {
    const monotonic = metric.sum.isMonotonic === true;
    return {
      naming: monotonic ? 'monotonic_sum' : 'non_monotonic_sum',
      family: monotonic ? 'counter' : 'gauge',
      temporality: metric.sum.aggregationTemporality ?? 0,
      points: metric.sum.dataPoints,
    };
  }
  if (metric.histogram) return { naming: 'histogram', family: 'histogram', temporality: metric.histogram.aggregationTemporality ?? 0, points: metric.histogram.dataPoints };
  if (metric.exponentialHistogram) {
    const h = metric.exponentialHistogram;
    return { naming: 'exponential_histogram', family: 'histogram', temporality: h.aggregationTemporality ?? 0, points: h.dataPoints };
  }
  if (metric.summary) return { naming: 'summary', family: 'summary', temporality: AGGREGATION_CUMULATIVE, points: metric.summary.dataPoints };
  return undefined;
}

function numberOf(p: NumberDataPoint | Exemplar): number {
  if (isSet(p, 'asDouble')) return p.asDouble ?? 0;
  if (isSet(p, 'asInt')) return int64ToNumber(p.asInt);
  return 0;
}

function optionalDouble<T extends object>(p: T, field: keyof T): number | undefined {
  return isSet(p, field) ? (p[field] as number) : undefined;
}

function exemplarsOf(list: readonly Exemplar[] | undefined): PointExemplar[] {
  if (!list || list.length === 0) return [];
  return list.map((e) => {
    const t = nanos(e.timeUnixNano);
    return {
      value: numberOf(e),
      timeMs: t === 0n ? undefined : nanosToMillis(t),
      traceId: e.traceId && e.traceId.byteLength > 0 ? Buffer.from(e.traceId).toString('hex') : '',
      spanId: e.spanId && e.spanId.byteLength > 0 ? Buffer.from(e.spanId).toString('hex') : '',
      attributes: (e.filteredAttributes ?? []).map((kv) => [kv.key, valueAsString(kv.value)] as const),
    };
  });
}

function bucketsOf(b: { offset?: number; bucketCounts: Int64[] } | null | undefined): ExponentialBuckets {
  return { offset: b?.offset ?? 0, counts: (b?.bucketCounts ?? []).map(int64ToNumber) };
}

/** A data point of a metric of the given shape, read. */
export function readPoint(shape: MetricShape, point: MetricShape['points'][number]): ReadPoint {
  const common = {
    attributes: point.attributes ?? [],
    startNs: nanos(point.startTimeUnixNano),
    timeNs: nanos(point.timeUnixNano),
    noRecordedValue: ((point.flags ?? 0) & FLAG_NO_RECORDED_VALUE) !== 0,
  };
  switch (shape.naming) {
    case 'gauge':
    case 'monotonic_sum':
    case 'non_monotonic_sum': {
      const p = point as NumberDataPoint;
      return { ...common, value: { kind: 'number', value: numberOf(p) }, exemplars: exemplarsOf(p.exemplars) };
    }
    case 'histogram': {
      const p = point as HistogramDataPoint;
      const bounds = p.explicitBounds ?? [];
      const counts = (p.bucketCounts ?? []).map(int64ToNumber);
      return {
        ...common,
        value: { kind: 'histogram', count: int64ToNumber(p.count), sum: optionalDouble(p, 'sum'), bounds, counts },
        exemplars: exemplarsOf(p.exemplars),
      };
    }
    case 'exponential_histogram': {
      const p = point as ExponentialHistogramDataPoint;
      return {
        ...common,
        value: {
          kind: 'exponential',
          count: int64ToNumber(p.count),
          sum: optionalDouble(p, 'sum'),
          scale: p.scale ?? 0,
          zeroCount: int64ToNumber(p.zeroCount),
          zeroThreshold: p.zeroThreshold ?? 0,
          positive: bucketsOf(p.positive),
          negative: bucketsOf(p.negative),
        },
        exemplars: exemplarsOf(p.exemplars),
      };
    }
    case 'summary': {
      const p = point as SummaryDataPoint;
      const quantiles = (p.quantileValues ?? []).map((q) => ({ quantile: q.quantile ?? 0, value: q.value ?? 0 })).sort((a, b) => a.quantile - b.quantile);
      return { ...common, value: { kind: 'summary', count: int64ToNumber(p.count), sum: p.sum ?? 0, quantiles }, exemplars: [] };
    }
  }
}

/** Lower boundary of exponential bucket `index` at `scale`: 2^(index × 2^-scale), computed so that it is exact for scale ≤ 0. */
function exponentialBoundary(index: number, scale: number): number {
  return Math.pow(2, index * Math.pow(2, -scale));
}

/**
 * An exponential histogram as a classic one: one `le` bucket per exponential bucket (its
 * upper boundary), negatives first, then the zero bucket (le = zero_threshold), then the
 * positives. Lossless for the bucket counts, so histogram_quantile() works from any scrape
 * or remote write, where a native histogram needs a protobuf scrape or a feature flag.
 */
export function exponentialToClassic(v: ExponentialValue): HistogramValue {
  const bounds: number[] = [];
  const counts: number[] = [];
  let carry = 0;
  const push = (bound: number, count: number): void => {
    // A bucket whose bound does not rise (a positive bucket inside a wide zero bucket) hands its
    // count to the next bucket up, so no count ever sits under a bound smaller than its values.
    if (bounds.length > 0 && bound <= (bounds[bounds.length - 1] as number)) {
      carry += count;
      return;
    }
    bounds.push(bound);
    counts.push(count + carry);
    carry = 0;
  };
  for (let k = v.negative.counts.length - 1; k >= 0; k--) push(-exponentialBoundary(v.negative.offset + k, v.scale), v.negative.counts[k] as number);
  push(v.zeroThreshold, v.zeroCount);
  for (let k = 0; k < v.positive.counts.length; k++) push(exponentialBoundary(v.positive.offset + k + 1, v.scale), v.positive.counts[k] as number);
  counts.push(carry);
  return { kind: 'histogram', count: v.count, sum: v.sum, bounds, counts };
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function downscale(b: ExponentialBuckets, from: number, to: number): ExponentialBuckets {
  if (b.counts.length === 0 || from <= to) return b;
  const factor = 2 ** (from - to);
  const offset = floorDiv(b.offset, factor);
  const last = floorDiv(b.offset + b.counts.length - 1, factor);
  const counts = new Array<number>(last - offset + 1).fill(0);
  b.counts.forEach((c, i) => {
    const j = floorDiv(b.offset + i, factor) - offset;
    counts[j] = (counts[j] as number) + c;
  });
  return { offset, counts };
}

function mergeBuckets(a: ExponentialBuckets, b: ExponentialBuckets): ExponentialBuckets {
  if (a.counts.length === 0) return b;
  if (b.counts.length === 0) return a;
  const offset = Math.min(a.offset, b.offset);
  const end = Math.max(a.offset + a.counts.length, b.offset + b.counts.length);
  const counts = new Array<number>(end - offset).fill(0);
  for (const side of [a, b]) side.counts.forEach((c, i) => (counts[side.offset + i - offset] = (counts[side.offset + i - offset] as number) + c));
  return { offset, counts };
}

function addOptional(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

/**
 * `previous + delta` for the delta-to-cumulative conversion: numbers add; histograms add
 * bucket by bucket when their bounds match (otherwise the new point restarts the series, as
 * the Collector does); exponential histograms add at the coarser of their two scales.
 */
export function addDelta(previous: PointValue, delta: PointValue): PointValue {
  if (previous.kind === 'number' && delta.kind === 'number') return { kind: 'number', value: previous.value + delta.value };
  if (previous.kind === 'histogram' && delta.kind === 'histogram') {
    const same = previous.bounds.length === delta.bounds.length && previous.bounds.every((b, i) => b === delta.bounds[i]);
    if (!same) return delta;
    const n = Math.max(previous.counts.length, delta.counts.length);
    const counts = Array.from({ length: n }, (_, i) => (previous.counts[i] ?? 0) + (delta.counts[i] ?? 0));
    return { kind: 'histogram', count: previous.count + delta.count, sum: addOptional(previous.sum, delta.sum), bounds: delta.bounds, counts };
  }
  if (previous.kind === 'exponential' && delta.kind === 'exponential') {
    const scale = Math.min(previous.scale, delta.scale);
    return {
      kind: 'exponential',
      count: previous.count + delta.count,
      sum: addOptional(previous.sum, delta.sum),
      scale,
      zeroCount: previous.zeroCount + delta.zeroCount,
      zeroThreshold: Math.max(previous.zeroThreshold, delta.zeroThreshold),
      positive: mergeBuckets(downscale(previous.positive, previous.scale, scale), downscale(delta.positive, delta.scale, scale)),
      negative: mergeBuckets(downscale(previous.negative, previous.scale, scale), downscale(delta.negative, delta.scale, scale)),
    };
  }
  return delta;
}
