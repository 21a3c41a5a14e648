// Small OTLP metrics builders for the Prometheus translation tests: one resource, one scope,
// the metrics given; values as decodeExportRequest produces them (encoded, then decoded).
import { makeBatch, type MetricsBatch } from '../../src/pdata/batch.js';
import { decodeExportRequest, encodeExportRequest } from '../../src/pdata/proto.js';
import type { KeyValue, Metric, ResourceMetrics } from '../../src/pdata/types.js';

/** 2023-11-14T22:13:20Z in ns, and t(s) seconds after it as the decimal string OTLP/JSON would carry. */
export const BASE_NS = 1_700_000_000_000_000_000n;
export const t = (seconds: number): string => (BASE_NS + BigInt(Math.round(seconds * 1e9))).toString();
export const BASE_MS = Number(BASE_NS / 1_000_000n);

export const attrs = (pairs: Record<string, string | number | boolean>): KeyValue[] =>
  Object.entries(pairs).map(([key, v]) => ({
    key,
    value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: v } : { doubleValue: v },
  }));

export const RESOURCE = attrs({ 'service.name': 'checkout', 'service.namespace': 'shop', 'service.instance.id': 'pod-1', 'host.name': 'node-7' });

export function resourceMetrics(metrics: Metric[], resource: KeyValue[] = RESOURCE, scope = { name: 'ferry.test', version: '1.0.0' }): ResourceMetrics[] {
  const raw = [{ resource: { attributes: resource }, scopeMetrics: [{ scope: { ...scope, attributes: [] }, metrics }] }];
  return decodeExportRequest('metrics', encodeExportRequest('metrics', raw as unknown as ResourceMetrics[]));
}

export function batch(metrics: Metric[], resource?: KeyValue[]): MetricsBatch {
  return makeBatch('metrics', resourceMetrics(metrics, resource));
}

export function gauge(name: string, value: number, time: string, extra: Partial<Metric> = {}, pointAttrs: KeyValue[] = []): Metric {
  return { name, gauge: { dataPoints: [{ attributes: pointAttrs, timeUnixNano: time, asDouble: value, exemplars: [] }] }, ...extra };
}

export function sum(
  name: string,
  value: number,
  start: string,
  time: string,
  options: { temporality?: number; monotonic?: boolean; unit?: string; attributes?: KeyValue[]; flags?: number } = {},
): Metric {
  return {
    name,
    unit: options.unit ?? '',
    sum: {
      aggregationTemporality: options.temporality ?? 2,
      isMonotonic: options.monotonic ?? true,
      dataPoints: [{ attributes: options.attributes ?? [], startTimeUnixNano: start, timeUnixNano: time, asInt: value, exemplars: [], flags: options.flags ?? 0 }],
    },
  };
}

export function histogram(
  name: string,
  point: { start: string; time: string; count: number; sum?: number; bounds: number[]; counts: number[] },
  options: { temporality?: number; unit?: string; attributes?: KeyValue[] } = {},
): Metric {
  return {
    name,
    unit: options.unit ?? '',
    histogram: {
      aggregationTemporality: options.temporality ?? 2,
      dataPoints: [
        {
          attributes: options.attributes ?? [],
          startTimeUnixNano: point.start,
          timeUnixNano: point.time,
          count: point.count,
          ...(point.sum === undefined ? {} : { sum: point.sum }),
          bucketCounts: point.counts,
          explicitBounds: point.bounds,
          exemplars: [],
        },
      ],
    },
  };
}
