// A metric's data points whatever its type (gauge, sum, histogram, exponential histogram,
// summary), for processors that read or filter them point by point.
import type { KeyValue, Metric } from '../../pdata/types.js';

/** A data point of any metric type, as far as attributes go. */
export interface DataPoint {
  attributes: KeyValue[];
}

type PointsHolder = { dataPoints: DataPoint[] };

function holder(m: Metric): PointsHolder | undefined {
  return (m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram ?? m.summary ?? undefined) as PointsHolder | undefined;
}

/** The metric's data points (the array itself, not a copy); empty for a metric with no data. */
export function dataPoints(m: Metric): DataPoint[] {
  return holder(m)?.dataPoints ?? [];
}

/**
 * The same metric with only `points` as its data points: a new metric and data container
 * (the input is never changed), sharing everything else.
 */
export function withDataPoints(m: Metric, points: DataPoint[]): Metric {
  const out: Metric = { ...m };
  if (m.gauge) out.gauge = { ...m.gauge, dataPoints: points as typeof m.gauge.dataPoints };
  else if (m.sum) out.sum = { ...m.sum, dataPoints: points as typeof m.sum.dataPoints };
  else if (m.histogram) out.histogram = { ...m.histogram, dataPoints: points as typeof m.histogram.dataPoints };
  else if (m.exponentialHistogram) out.exponentialHistogram = { ...m.exponentialHistogram, dataPoints: points as typeof m.exponentialHistogram.dataPoints };
  else if (m.summary) out.summary = { ...m.summary, dataPoints: points as typeof m.summary.dataPoints };
  return out;
}
