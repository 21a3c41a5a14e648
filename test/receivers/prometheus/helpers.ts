// Reading what the prometheus receiver delivered through a file exporter (OTLP/JSON lines):
// every point flattened with its resource, metric name and type.
import { completeJsonLines } from '../../helpers/index.js';
import { attrs } from '../../helpers/values.js';
import type { KeyValue } from '../../../src/pdata/types.js';

export type MetricType = 'gauge' | 'sum' | 'histogram' | 'summary';

export interface JsonPoint {
  readonly attributes?: KeyValue[];
  readonly startTimeUnixNano?: string;
  readonly timeUnixNano?: string;
  readonly asDouble?: number;
  readonly flags?: number;
  readonly count?: string | number;
  readonly sum?: number;
  readonly bucketCounts?: Array<string | number>;
  readonly explicitBounds?: number[];
  readonly quantileValues?: Array<{ quantile?: number; value?: number }>;
}

export interface FlatPoint {
  readonly resource: Record<string, unknown>;
  readonly scope: string;
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly type: MetricType;
  readonly monotonic?: boolean;
  readonly temporality?: number;
  readonly attributes: Record<string, unknown>;
  readonly point: JsonPoint;
}

interface JsonMetric {
  name: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints: JsonPoint[] };
  sum?: { dataPoints: JsonPoint[]; isMonotonic?: boolean; aggregationTemporality?: number };
  histogram?: { dataPoints: JsonPoint[]; aggregationTemporality?: number };
  summary?: { dataPoints: JsonPoint[] };
}

interface JsonRequest {
  resourceMetrics?: Array<{ resource?: { attributes?: KeyValue[] }; scopeMetrics?: Array<{ scope?: { name?: string }; metrics?: JsonMetric[] }> }>;
}

/** Every point written so far, in order. */
export function filePoints(path: string): FlatPoint[] {
  const out: FlatPoint[] = [];
  for (const line of completeJsonLines(path) as JsonRequest[]) {
    for (const rm of line.resourceMetrics ?? []) {
      const resource = attrs(rm.resource?.attributes);
      for (const sm of rm.scopeMetrics ?? []) {
        for (const m of sm.metrics ?? []) {
          const base = { resource, scope: sm.scope?.name ?? '', name: m.name, description: m.description ?? '', unit: m.unit ?? '' };
          const push = (type: MetricType, points: JsonPoint[], extra: { monotonic?: boolean; temporality?: number } = {}): void => {
            for (const point of points) out.push({ ...base, ...extra, type, attributes: attrs(point.attributes), point });
          };
          if (m.gauge) push('gauge', m.gauge.dataPoints);
          if (m.sum) push('sum', m.sum.dataPoints, { monotonic: m.sum.isMonotonic ?? false, temporality: m.sum.aggregationTemporality });
          if (m.histogram) push('histogram', m.histogram.dataPoints, { temporality: m.histogram.aggregationTemporality });
          if (m.summary) push('summary', m.summary.dataPoints);
        }
      }
    }
  }
  return out;
}

/** Points of one metric from one target (service.instance.id). */
export function pointsOf(points: readonly FlatPoint[], instance: string, name: string): FlatPoint[] {
  return points.filter((p) => p.resource['service.instance.id'] === instance && p.name === name);
}

/** `up` values of a target, in order. */
export function upValues(points: readonly FlatPoint[], instance: string): number[] {
  return pointsOf(points, instance, 'up').map((p) => p.point.asDouble ?? NaN);
}
