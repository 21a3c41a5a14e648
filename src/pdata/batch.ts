// A Batch is what flows between components: one signal's OTLP resources plus the
// context of the request that brought them. Item counts feed self-metrics and sizers.
import { lazyItemCount } from './lazy.js';
import type { ResourceLogs, ResourceMetrics, ResourceSpans, Metric, Signal } from './types.js';

/** Who sent a request: used by processors (`from_context`, `metadata_keys`). */
export interface RequestContext {
  /** The peer's address, e.g. "127.0.0.1". */
  readonly clientAddress?: string;
  /** Request headers / gRPC metadata, lower-cased keys; only when the receiver has `include_metadata: true`. */
  readonly metadata?: Readonly<Record<string, readonly string[]>>;
}

export type LogsBatch = { readonly signal: 'logs'; resources: ResourceLogs[]; context?: RequestContext };
export type TracesBatch = { readonly signal: 'traces'; resources: ResourceSpans[]; context?: RequestContext };
export type MetricsBatch = { readonly signal: 'metrics'; resources: ResourceMetrics[]; context?: RequestContext };
export type Batch = LogsBatch | TracesBatch | MetricsBatch;

export type BatchOf<S extends Signal> = Extract<Batch, { signal: S }>;

/** The self-metric noun for each signal's items, as the OpenTelemetry Collector names them. */
export const ITEM_NOUN: Readonly<Record<Signal, string>> = {
  logs: 'log_records',
  traces: 'spans',
  metrics: 'metric_points',
};

/** Number of data points in one metric, whatever its type. */
export function metricPointCount(m: Metric): number {
  if (m.gauge) return m.gauge.dataPoints.length;
  if (m.sum) return m.sum.dataPoints.length;
  if (m.histogram) return m.histogram.dataPoints.length;
  if (m.exponentialHistogram) return m.exponentialHistogram.dataPoints.length;
  if (m.summary) return m.summary.dataPoints.length;
  return 0;
}

/** Log records, spans, or metric data points in the batch (items still undecoded are not decoded to count them). */
export function countItems(batch: Batch): number {
  let n = 0;
  switch (batch.signal) {
    case 'logs':
      for (const r of batch.resources) for (const s of r.scopeLogs) n += lazyItemCount(s) ?? s.logRecords.length;
      return n;
    case 'traces':
      for (const r of batch.resources) for (const s of r.scopeSpans) n += lazyItemCount(s) ?? s.spans.length;
      return n;
    case 'metrics':
      for (const r of batch.resources) {
        for (const s of r.scopeMetrics) {
          const lazy = lazyItemCount(s);
          if (lazy !== undefined) n += lazy;
          else for (const m of s.metrics) n += metricPointCount(m);
        }
      }
      return n;
  }
}

/** Build a batch of the given signal from its resources. */
export function makeBatch<S extends Signal>(signal: S, resources: BatchOf<S>['resources'], context?: RequestContext): BatchOf<S> {
  return { signal, resources, context } as BatchOf<S>;
}
