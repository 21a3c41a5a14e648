// Keeping some data points of a metrics batch: what the prometheusremotewrite exporter
// retries when only some of a batch's requests failed.
import { makeBatch, type MetricsBatch } from '../pdata/batch.js';
import type { Metric, ResourceMetrics } from '../pdata/types.js';

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
 * countItems and toTimeSeries count them in), passes `keep`. Metrics, scopes and resources
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
