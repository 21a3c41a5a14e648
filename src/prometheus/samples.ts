// A point's value as Prometheus samples: one for a number; `_bucket{le}` (cumulative),
// `_sum` and `_count` for a histogram; `{quantile}`, `_sum` and `_count` for a summary.
import type { Labels } from './labels.js';
import { exponentialToClassic, type FamilyType, type HistogramValue, type PointExemplar, type PointValue } from './points.js';

export interface PromSample {
  /** The sample's metric name: the family name, or it plus `_bucket` / `_sum` / `_count`. */
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
  /** Exemplars that belong to this sample (a counter, or the bucket whose range holds them). */
  readonly exemplars: readonly PointExemplar[];
}

/** How `le` and `quantile` values are written: Go's 'g' (client_golang) or 'f' (the remote-write translator). */
export type BoundFormat = (bound: number) => string;

function histogramSamples(name: string, h: HistogramValue, labels: Labels, exemplars: readonly PointExemplar[], format: BoundFormat): PromSample[] {
  const out: PromSample[] = [];
  let cumulative = 0;
  let last = -Infinity;
  const remaining = [...exemplars].sort((a, b) => a.value - b.value);
  const take = (bound: number): PointExemplar[] => {
    let n = 0;
    while (n < remaining.length && (remaining[n] as PointExemplar).value <= bound) n++;
    return remaining.splice(0, n);
  };
  for (let i = 0; i < h.bounds.length && i < h.counts.length; i++) {
    const bound = h.bounds[i] as number;
    cumulative += h.counts[i] as number;
    // Bounds must rise; a repeated or smaller one only adds its count to the next bucket.
    if (!(bound > last) || bound === Infinity) continue;
    last = bound;
    out.push({ name: `${name}_bucket`, labels: new Map(labels).set('le', format(bound)), value: cumulative, exemplars: take(bound) });
  }
  out.push({ name: `${name}_bucket`, labels: new Map(labels).set('le', '+Inf'), value: h.count, exemplars: remaining });
  if (h.sum !== undefined) out.push({ name: `${name}_sum`, labels, value: h.sum, exemplars: [] });
  out.push({ name: `${name}_count`, labels, value: h.count, exemplars: [] });
  return out;
}

/** The samples of one point of a family named `name` (for a counter, `name` already ends in `_total` when suffixes are on). */
export function pointSamples(name: string, family: FamilyType, value: PointValue, labels: Labels, exemplars: readonly PointExemplar[], format: BoundFormat): PromSample[] {
  switch (value.kind) {
    case 'number':
      return [{ name, labels, value: value.value, exemplars: family === 'counter' ? exemplars : [] }];
    case 'histogram':
      return histogramSamples(name, value, labels, exemplars, format);
    case 'exponential':
      return histogramSamples(name, exponentialToClassic(value), labels, exemplars, format);
    case 'summary': {
      const out: PromSample[] = value.quantiles.map((q) => ({ name, labels: new Map(labels).set('quantile', format(q.quantile)), value: q.value, exemplars: [] }));
      out.push({ name: `${name}_sum`, labels, value: value.sum, exemplars: [] });
      out.push({ name: `${name}_count`, labels, value: value.count, exemplars: [] });
      return out;
    }
  }
}
