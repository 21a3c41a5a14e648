// The prometheus exporter's state: the latest point of every series, with delta sums and
// delta histograms added up into cumulative ones, and series forgotten after metric_expiration.
import type { ResourceMetrics } from '../pdata/types.js';
import { pointLabels, resourceInfo, sortedLabels, type LabelOptions, type Labels, type ResourceInfo } from './labels.js';
import { metricName, type NamingOptions } from './naming.js';
import { AGGREGATION_CUMULATIVE, AGGREGATION_DELTA, addDelta, metricShape, readPoint, type FamilyType, type PointExemplar, type PointValue } from './points.js';

export interface AccumulatorOptions {
  /** How long a series is kept without an update (metric_expiration), in ms. */
  readonly expirationMs: number;
  readonly naming: NamingOptions;
  readonly labels: LabelOptions;
  /** Clock in ms; injected by tests. */
  readonly now?: () => number;
}

/** One series: a family name and label set, with the latest (or accumulated) value. */
export interface SeriesState {
  readonly name: string;
  readonly family: FamilyType;
  readonly help: string;
  /** Labels without `__name__` and without the configured const_labels. */
  readonly labels: Labels;
  readonly resource: ResourceInfo;
  readonly value: PointValue;
  readonly startNs: bigint;
  readonly timeNs: bigint;
  readonly exemplars: readonly PointExemplar[];
  /** Clock time of the last update, for expiration. */
  readonly updatedAt: number;
}

/** Why points were not kept, by reason, for the log. */
export type DropReason = 'delta up-down counter' | 'unspecified temporality' | 'overlapping delta' | 'older delta' | 'invalid metric name';

export interface AccumulateResult {
  /** Points now reflected in the state (including updates older than the kept one, which it already covers). */
  accepted: number;
  dropped: number;
  /** Metric name → why its points were dropped. */
  readonly reasons: Map<string, DropReason>;
}

/** Sweep expired series on consume at most this often, so memory stays bounded without scrapes. */
const SWEEP_INTERVAL_MS = 1000;

export class Accumulator {
  private readonly series = new Map<string, SeriesState>();
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(private readonly options: AccumulatorOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.series.size;
  }

  accumulate(resources: readonly ResourceMetrics[]): AccumulateResult {
    const now = this.now();
    if (now - this.lastSweep >= Math.min(SWEEP_INTERVAL_MS, this.options.expirationMs)) this.expire(now);
    const result: AccumulateResult = { accepted: 0, dropped: 0, reasons: new Map() };
    for (const rm of resources) {
      const resource = resourceInfo(rm.resource);
      for (const sm of rm.scopeMetrics) {
        const scope = { scope: sm.scope, schemaUrl: sm.schemaUrl };
        for (const metric of sm.metrics) {
          const shape = metricShape(metric);
          if (!shape) continue;
          const drop = (reason: DropReason): void => {
            result.dropped += shape.points.length;
            result.reasons.set(metric.name, reason);
          };
          const name = metricName(metric.name, metric.unit ?? '', shape.naming, this.options.naming);
          if (name === '') {
            drop('invalid metric name');
            continue;
          }
          const delta = shape.temporality === AGGREGATION_DELTA;
          if (!delta && shape.temporality !== AGGREGATION_CUMULATIVE) {
            drop('unspecified temporality');
            continue;
          }
          // The spec: delta up-down counters MUST be dropped (a sum that goes down has no counter to become).
          if (delta && shape.naming === 'non_monotonic_sum') {
            drop('delta up-down counter');
            continue;
          }
          for (const raw of shape.points) {
            const point = readPoint(shape, raw);
            const labels = pointLabels(point.attributes, resource, scope, this.options.labels);
            const key = `${shape.naming}\u0001${name}\u0001${JSON.stringify(sortedLabels(labels))}`;
            if (point.noRecordedValue) {
              this.series.delete(key);
              result.accepted++;
              continue;
            }
            const previous = this.series.get(key);
            let value = point.value;
            let startNs = point.startNs;
            if (previous && point.timeNs < previous.timeNs) {
              // An older cumulative point is already covered by the newer one; an older delta is not.
              if (delta) {
                result.dropped++;
                result.reasons.set(metric.name, 'older delta');
              } else result.accepted++;
              continue;
            }
            if (previous && delta) {
              // Aligned (start = previous time), or after a gap: still an increment. Starting before
              // the previous point ended means a second writer or a replay: adding would count twice.
              if (point.startNs !== 0n && point.startNs < previous.timeNs) {
                result.dropped++;
                result.reasons.set(metric.name, 'overlapping delta');
                continue;
              }
              value = addDelta(previous.value, point.value);
              startNs = previous.startNs;
            }
            this.series.delete(key); // re-inserted last: the map stays ordered by update, oldest first
            this.series.set(key, {
              name,
              family: shape.family,
              help: metric.description ?? '',
              labels,
              resource,
              value,
              startNs,
              timeNs: point.timeNs,
              exemplars: point.exemplars,
              updatedAt: now,
            });
            result.accepted++;
          }
        }
      }
    }
    return result;
  }

  /** The live series, oldest update first, after forgetting the expired ones. */
  collect(): SeriesState[] {
    this.expire(this.now());
    return [...this.series.values()];
  }

  private expire(now: number): void {
    this.lastSweep = now;
    const cutoff = now - this.options.expirationMs;
    // Ordered by update: stop at the first series still fresh.
    for (const [key, s] of this.series) {
      if (s.updatedAt > cutoff) break;
      this.series.delete(key);
    }
  }
}
