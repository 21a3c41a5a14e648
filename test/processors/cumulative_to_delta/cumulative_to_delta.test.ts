// cumulative_to_delta: monotonic cumulative sums and histograms become deltas per series; the
// first point is the baseline (dropped and counted under initial_value auto for a series that
// began before Ferry); resets; non-monotonic sums and gauges untouched; include by name.
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../../src/pdata/batch.js';
import type { Metric, ResourceMetrics } from '../../../src/pdata/types.js';
import { kvs, makeProcessor } from '../helpers.js';

const sum = (name: string, v: number, t: number, monotonic = true): Metric => ({
  name,
  sum: { aggregationTemporality: 2, isMonotonic: monotonic, dataPoints: [{ attributes: kvs({ route: '/a' }), asInt: v, startTimeUnixNano: 1000, timeUnixNano: t, exemplars: [] }] },
});
const hist = (count: number, s: number, buckets: number[], t: number): Metric => ({
  name: 'latency',
  histogram: { aggregationTemporality: 2, dataPoints: [{ attributes: [], count, sum: s, bucketCounts: buckets, explicitBounds: [10], startTimeUnixNano: 1000, timeUnixNano: t, exemplars: [] }] },
});
const batch = (metrics: Metric[]) => makeBatch('metrics', [{ resource: { attributes: kvs({ 'service.name': 'api' }) }, scopeMetrics: [{ scope: { name: 's', attributes: [] }, metrics }] }] as ResourceMetrics[]);

describe('cumulative_to_delta processor', () => {
  it('turns cumulative counts into deltas, with the baseline first point dropped and resets handled', async () => {
    const { processor, next, telemetry } = await makeProcessor('cumulativetodelta', '{}', 'metrics');
    for (const [v, t] of [[10, 2000], [15, 3000], [22, 4000], [3, 5000]] as const) await processor.consume(batch([sum('requests', v, t), sum('queue.depth', v, t, false), hist(v, v * 2, [v, 0], t)]));
    const out = next.batches.flatMap((b) => (b.signal === 'metrics' ? b.resources.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)) : []));
    const deltas = out.filter((m) => m.name === 'requests').map((m) => [m.sum!.aggregationTemporality, Number(m.sum!.dataPoints[0]!.asInt), Number(m.sum!.dataPoints[0]!.startTimeUnixNano)]);
    expect(deltas).toEqual([[1, 5, 2000], [1, 7, 3000], [1, 3, 4000]]);
    expect(out.filter((m) => m.name === 'queue.depth').map((m) => [m.sum!.aggregationTemporality, Number(m.sum!.dataPoints[0]!.asInt)])).toEqual([[2, 10], [2, 15], [2, 22], [2, 3]]);
    expect(out.filter((m) => m.name === 'latency').map((m) => [Number(m.histogram!.dataPoints[0]!.count), m.histogram!.dataPoints[0]!.sum, m.histogram!.dataPoints[0]!.bucketCounts.map(Number)])).toEqual([[5, 10, [5, 0]], [7, 14, [7, 0]], [3, 6, [3, 0]]]);
    const values = (await telemetry.registry.getSingleMetric('ferry_cumulative_to_delta_baseline_points_total')?.get())?.values ?? [];
    expect(values.reduce((n, v) => n + v.value, 0)).toBe(2);
  });

  it('converts only the included metrics', async () => {
    const { processor, next } = await makeProcessor('cumulative_to_delta', 'include:\n  metrics: ["^http\\\\."]\n  match_type: regexp\ninitial_value: keep', 'metrics');
    await processor.consume(batch([sum('http.requests', 4, 2000), sum('db.calls', 4, 2000)]));
    const out = next.batches.flatMap((b) => (b.signal === 'metrics' ? b.resources.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)) : []));
    expect(out.map((m) => [m.name, m.sum!.aggregationTemporality])).toEqual([['http.requests', 1], ['db.calls', 2]]);
  });
});
