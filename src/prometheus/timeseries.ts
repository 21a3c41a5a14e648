// OTLP metrics as remote-write time series, the way the Collector's prometheusremotewrite
// translator builds them: one series per sample name and label set, samples in time order.
import type { ResourceMetrics } from '../pdata/types.js';
import { formatGoF } from './float.js';
import { exemplarLabels } from './exposition.js';
import { pointLabels, resourceInfo, sortedLabels, targetInfoLabels, withConfiguredLabels, type LabelOptions, type Labels } from './labels.js';
import { metricName, targetInfoName, type NamingOptions } from './naming.js';
import { AGGREGATION_CUMULATIVE, metricShape, nanosToMillis, readPoint, type FamilyType } from './points.js';
import { pointSamples } from './samples.js';

export interface RemoteWriteOptions {
  readonly naming: NamingOptions;
  readonly labels: LabelOptions;
  /** external_labels, already sanitized; they never replace a label of the data. */
  readonly externalLabels: Labels;
  /** target_info.enabled. */
  readonly targetInfo: boolean;
  /** Clock in ms, for points without a timestamp. */
  readonly now?: () => number;
}

export interface RemoteSample {
  readonly value: number;
  readonly timestamp: number;
}

export interface RemoteExemplar {
  readonly labels: ReadonlyArray<readonly [string, string]>;
  readonly value: number;
  readonly timestamp: number;
}

export interface RemoteSeries {
  /** Sorted by name, `__name__` included, no empty values (remote write 1.0 requires all three). */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** Sorted by timestamp, one per timestamp. */
  readonly samples: RemoteSample[];
  readonly exemplars: RemoteExemplar[];
  /** Running indices (over the batch's data points, in order) of the points this series carries. */
  readonly points: Set<number>;
  readonly family: FamilyType;
}

export interface TranslateResult {
  readonly series: RemoteSeries[];
  /** Indices of the points that became no series (refused: their reason is in `reasons`). */
  readonly dropped: Set<number>;
  readonly reasons: Map<string, string>;
}

/** Prometheus's staleness marker: the NaN with this exact bit pattern (model/value.StaleNaN). */
export const STALE_NAN = new DataView(new Uint8Array([0x7f, 0xf0, 0, 0, 0, 0, 0, 0x02]).buffer).getFloat64(0);

export function isStaleNaN(value: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getUint32(0) === 0x7ff00000 && view.getUint32(4) === 0x00000002;
}

export function toTimeSeries(resources: readonly ResourceMetrics[], options: RemoteWriteOptions): TranslateResult {
  const now = options.now ?? Date.now;
  const byKey = new Map<string, RemoteSeries>();
  const dropped = new Set<number>();
  const reasons = new Map<string, string>();
  let index = 0;

  const add = (labels: Labels, family: FamilyType, sample: RemoteSample, point: number | Iterable<number>): RemoteSeries => {
    const sorted = sortedLabels(labels);
    const key = JSON.stringify(sorted);
    let series = byKey.get(key);
    if (!series) {
      series = { labels: sorted, samples: [], exemplars: [], points: new Set(), family };
      byKey.set(key, series);
    }
    series.samples.push(sample);
    if (typeof point === 'number') series.points.add(point);
    else for (const p of point) series.points.add(p);
    return series;
  };

  for (const rm of resources) {
    const resource = resourceInfo(rm.resource);
    const first = index;
    let latestMs = -Infinity;
    for (const sm of rm.scopeMetrics) {
      const scope = { scope: sm.scope, schemaUrl: sm.schemaUrl };
      for (const metric of sm.metrics) {
        const shape = metricShape(metric);
        if (!shape) continue;
        const start = index;
        index += shape.points.length;
        const drop = (reason: string): void => {
          for (let i = start; i < index; i++) dropped.add(i);
          reasons.set(metric.name, reason);
        };
        const name = metricName(metric.name, metric.unit ?? '', shape.naming, options.naming);
        if (name === '') {
          drop('invalid metric name');
          continue;
        }
        // As the Collector: remote write carries no state between requests, so only cumulative
        // sums and histograms can be written (deltas need the prometheus exporter, or cumulative SDKs).
        if (shape.temporality !== AGGREGATION_CUMULATIVE) {
          drop(shape.temporality === 0 ? 'unspecified temporality' : 'delta temporality');
          continue;
        }
        shape.points.forEach((raw, i) => {
          const point = readPoint(shape, raw);
          const timestamp = point.timeNs === 0n ? now() : nanosToMillis(point.timeNs);
          latestMs = Math.max(latestMs, timestamp);
          const base = withConfiguredLabels(pointLabels(point.attributes, resource, scope, options.labels), options.externalLabels);
          for (const s of pointSamples(name, shape.family, point.value, base, point.exemplars, formatGoF)) {
            const labels = new Map(s.labels).set('__name__', s.name);
            const series = add(labels, shape.family, { value: point.noRecordedValue ? STALE_NAN : s.value, timestamp }, start + i);
            for (const e of s.exemplars) series.exemplars.push({ labels: exemplarLabels(e), value: e.value, timestamp: e.timeMs ?? timestamp });
          }
        });
      }
    }
    if (options.targetInfo && index > first && latestMs > -Infinity) {
      const info = targetInfoLabels(resource);
      if (info) {
        const labels = withConfiguredLabels(info, options.externalLabels).set('__name__', targetInfoName(options.naming.namespace));
        const points = Array.from({ length: index - first }, (_, k) => first + k).filter((p) => !dropped.has(p));
        // Tied to the resource's points: if its request fails, they are what gets retried with it.
        if (points.length > 0) add(labels, 'gauge', { value: 1, timestamp: latestMs }, points);
      }
    }
  }

  const series = [...byKey.values()];
  for (const s of series) {
    if (s.samples.length < 2) continue;
    // Stable sort: of two samples with one timestamp, the later one in the batch wins.
    s.samples.sort((a, b) => a.timestamp - b.timestamp);
    const unique: RemoteSample[] = [];
    for (const sample of s.samples) {
      if (unique.length > 0 && (unique[unique.length - 1] as RemoteSample).timestamp === sample.timestamp) unique[unique.length - 1] = sample;
      else unique.push(sample);
    }
    s.samples.splice(0, s.samples.length, ...unique);
    s.exemplars.sort((a, b) => a.timestamp - b.timestamp);
  }
  return { series, dropped, reasons };
}
