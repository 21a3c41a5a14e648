// Keeping some items of a batch: exporters whose backend refuses single items (an
// Elasticsearch bulk item, a CloudWatch event, one request of a split batch) build the part
// to retry with this.
import { makeBatch, type Batch, type BatchOf, type LogsBatch, type MetricsBatch, type TracesBatch } from './batch.js';
import type { Metric, ResourceMetrics } from './types.js';

/**
 * A batch of the items (log records or spans) whose running index over the whole batch,
 * in order, passes `keep`. Resources and scopes are shared by reference with new item
 * arrays; those left empty are dropped. The input is not modified.
 */
export function selectItems<B extends LogsBatch | TracesBatch>(batch: B, keep: (index: number) => boolean): B {
  let index = 0;
  if (batch.signal === 'logs') {
    const resources: LogsBatch['resources'] = [];
    for (const r of batch.resources) {
      const scopeLogs = [];
      for (const s of r.scopeLogs) {
        const logRecords = s.logRecords.filter(() => keep(index++));
        if (logRecords.length > 0) scopeLogs.push({ ...s, logRecords });
      }
      if (scopeLogs.length > 0) resources.push({ ...r, scopeLogs });
    }
    return makeBatch('logs', resources, batch.context) as Batch as B;
  }
  const resources: TracesBatch['resources'] = [];
  for (const r of (batch as BatchOf<'traces'>).resources) {
    const scopeSpans = [];
    for (const s of r.scopeSpans) {
      const spans = s.spans.filter(() => keep(index++));
      if (spans.length > 0) scopeSpans.push({ ...s, spans });
    }
    if (scopeSpans.length > 0) resources.push({ ...r, scopeSpans });
  }
  return makeBatch('traces', resources, batch.context) as Batch as B;
}

function withPoints(metric: Metric, keep: (index: number) => boolean, next: () => number): Metric | undefined {
  const pick = <P>(points: readonly P[]): P[] => points.filter(() => keep(next()));
  if (metric.gauge) {
    const dataPoints = pick(metric.gauge.dataPoints);
    return dataPoints.length > 0 ? { ...metric, gauge: { ...metric.gauge, dataPoints } } : undefined;
  }
  if (metric.sum) {
    const dataPoints = pick(metric.sum.dataPoints);
    return dataPoints.length > 0 ? { ...metric, sum: { ...metric.sum, dataPoints } } : undefined;
  }
  if (metric.histogram) {
    const dataPoints = pick(metric.histogram.dataPoints);
    return dataPoints.length > 0 ? { ...metric, histogram: { ...metric.histogram, dataPoints } } : undefined;
  }
  if (metric.exponentialHistogram) {
    const dataPoints = pick(metric.exponentialHistogram.dataPoints);
    return dataPoints.length > 0 ? { ...metric, exponentialHistogram: { ...metric.exponentialHistogram, dataPoints } } : undefined;
  }
  if (metric.summary) {
    const dataPoints = pick(metric.summary.dataPoints);
    return dataPoints.length > 0 ? { ...metric, summary: { ...metric.summary, dataPoints } } : undefined;
  }
  return undefined;
}

/**
 * A batch of the data points whose running index over the whole batch, in order (the order
 * countItems counts them in), passes `keep`. Metrics, scopes and resources
 * left empty are dropped; the input is not modified.
 */
export function selectDataPoints(batch: MetricsBatch, keep: (index: number) => boolean): MetricsBatch {
  let index = 0;
  const next = (): number => index++;
  const resources: ResourceMetrics[] = [];
  for (const r of batch.resources) {
    const scopeMetrics = [];
    for (const s of r.scopeMetrics) {
      const metrics: Metric[] = [];
      for (const m of s.metrics) {
        const kept = withPoints(m, keep, next);
        if (kept) metrics.push(kept);
      }
      if (metrics.length > 0) scopeMetrics.push({ ...s, metrics });
    }
    if (scopeMetrics.length > 0) resources.push({ ...r, scopeMetrics });
  }
  return makeBatch('metrics', resources, batch.context);
}
