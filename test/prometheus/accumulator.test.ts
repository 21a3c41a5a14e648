// The prometheus exporter's state: delta-to-cumulative as the OTel spec describes it
// (https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/#sums, and
// the data model's "detecting alignment issues"), the Collector's accumulator rules
// (https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/exporter/prometheusexporter/accumulator.go),
// and metric_expiration with an injected clock.
import { describe, expect, it } from 'vitest';
import { Accumulator, type SeriesState } from '../../src/prometheus/accumulator.js';
import type { PointValue } from '../../src/prometheus/points.js';
import { attrs, histogram, resourceMetrics, sum, t } from './fixtures.js';

function setup(options: { expirationMs?: number; resourceToTelemetry?: boolean; exclude?: boolean; scopeLabels?: boolean } = {}) {
  let now = 1_000_000;
  const acc = new Accumulator({
    expirationMs: options.expirationMs ?? 300_000,
    naming: { namespace: '', addSuffixes: true },
    labels: { resourceToTelemetry: options.resourceToTelemetry ?? false, excludeServiceAttributes: options.exclude ?? false, scopeLabels: options.scopeLabels ?? true },
    now: () => now,
  });
  return {
    acc,
    advance: (ms: number) => (now += ms),
    values: (): Array<[string, PointValue]> => acc.collect().map((s: SeriesState) => [s.name, s.value]),
  };
}

describe('delta sums become cumulative counters', () => {
  it('adds an aligned delta (start = previous time) and keeps the first start', () => {
    const { acc } = setup();
    expect(acc.accumulate(resourceMetrics([sum('orders', 3, t(0), t(10), { temporality: 1 })]))).toMatchObject({ accepted: 1, dropped: 0 });
    expect(acc.accumulate(resourceMetrics([sum('orders', 4, t(10), t(20), { temporality: 1 })]))).toMatchObject({ accepted: 1, dropped: 0 });
    const [s] = acc.collect();
    expect(s).toMatchObject({ name: 'orders_total', family: 'counter', value: { kind: 'number', value: 7 }, startNs: BigInt(t(0)), timeNs: BigInt(t(20)) });
  });

  it('adds a delta that starts after a gap (a restarted writer): still an increment', () => {
    const { acc } = setup();
    acc.accumulate(resourceMetrics([sum('orders', 3, t(0), t(10), { temporality: 1 })]));
    acc.accumulate(resourceMetrics([sum('orders', 5, t(30), t(40), { temporality: 1 })]));
    expect(acc.collect()[0]?.value).toEqual({ kind: 'number', value: 8 });
  });

  it('drops a delta that overlaps the previous one, and an older one, and says why', () => {
    const { acc } = setup();
    acc.accumulate(resourceMetrics([sum('orders', 3, t(0), t(10), { temporality: 1 })]));
    const overlap = acc.accumulate(resourceMetrics([sum('orders', 4, t(5), t(15), { temporality: 1 })]));
    expect(overlap).toMatchObject({ accepted: 0, dropped: 1 });
    expect(overlap.reasons.get('orders')).toBe('overlapping delta');
    const older = acc.accumulate(resourceMetrics([sum('orders', 4, t(-10), t(-5), { temporality: 1 })]));
    expect(older.reasons.get('orders')).toBe('older delta');
    expect(acc.collect()[0]?.value).toEqual({ kind: 'number', value: 3 });
  });

  it('drops delta up-down counters and unspecified temporality, as the spec requires', () => {
    const { acc } = setup();
    const r = acc.accumulate(
      resourceMetrics([sum('queue.size', 2, t(0), t(10), { temporality: 1, monotonic: false }), sum('weird', 1, t(0), t(10), { temporality: 0 })]),
    );
    expect(r).toMatchObject({ accepted: 0, dropped: 2 });
    expect([...r.reasons]).toEqual([
      ['queue.size', 'delta up-down counter'],
      ['weird', 'unspecified temporality'],
    ]);
    expect(acc.size).toBe(0);
  });
});

describe('cumulative points and gauges keep the latest', () => {
  it('replaces with a newer point and ignores an older one (already covered by the newer)', () => {
    const { acc, values } = setup();
    acc.accumulate(resourceMetrics([sum('net.sent', 100, t(0), t(10), { unit: 'By' })]));
    acc.accumulate(resourceMetrics([sum('net.sent', 150, t(0), t(20), { unit: 'By' })]));
    expect(acc.accumulate(resourceMetrics([sum('net.sent', 120, t(0), t(15), { unit: 'By' })]))).toMatchObject({ accepted: 1, dropped: 0 });
    expect(values()).toEqual([['net_sent_bytes_total', { kind: 'number', value: 150 }]]);
  });

  it('keeps a cumulative up-down counter as a gauge', () => {
    const { acc } = setup();
    acc.accumulate(resourceMetrics([sum('queue.size', -2, t(0), t(10), { monotonic: false })]));
    expect(acc.collect()[0]).toMatchObject({ name: 'queue_size', family: 'gauge', value: { kind: 'number', value: -2 } });
  });

  it('forgets a series whose point has no recorded value', () => {
    const { acc } = setup();
    acc.accumulate(resourceMetrics([sum('orders', 3, t(0), t(10))]));
    acc.accumulate(resourceMetrics([sum('orders', 0, t(0), t(20), { flags: 1 })]));
    expect(acc.size).toBe(0);
  });
});

describe('delta histograms', () => {
  it('add up bucket by bucket when the bounds match', () => {
    const { acc } = setup();
    acc.accumulate(resourceMetrics([histogram('latency', { start: t(0), time: t(10), count: 3, sum: 1.5, bounds: [0.1, 1], counts: [1, 1, 1] }, { temporality: 1, unit: 's' })]));
    acc.accumulate(resourceMetrics([histogram('latency', { start: t(10), time: t(20), count: 2, sum: 0.25, bounds: [0.1, 1], counts: [2, 0, 0] }, { temporality: 1, unit: 's' })]));
    expect(acc.collect()[0]).toMatchObject({ name: 'latency_seconds', value: { kind: 'histogram', count: 5, sum: 1.75, bounds: [0.1, 1], counts: [3, 1, 1] } });
  });

  it('restart from the new point when the bounds changed', () => {
    const { acc } = setup();
    acc.accumulate(resourceMetrics([histogram('latency', { start: t(0), time: t(10), count: 3, sum: 1.5, bounds: [0.1, 1], counts: [1, 1, 1] }, { temporality: 1 })]));
    acc.accumulate(resourceMetrics([histogram('latency', { start: t(10), time: t(20), count: 1, sum: 5, bounds: [10], counts: [1, 0] }, { temporality: 1 })]));
    expect(acc.collect()[0]?.value).toEqual({ kind: 'histogram', count: 1, sum: 5, bounds: [10], counts: [1, 0] });
  });

  it('exponential: merged at the coarser scale', () => {
    const { acc } = setup();
    const exp = (start: string, time: string, scale: number, offset: number, counts: number[], zero: number) => ({
      name: 'size',
      exponentialHistogram: {
        aggregationTemporality: 1,
        dataPoints: [
          {
            attributes: [],
            startTimeUnixNano: start,
            timeUnixNano: time,
            count: counts.reduce((a, b) => a + b, zero),
            sum: 10,
            scale,
            zeroCount: zero,
            positive: { offset, bucketCounts: counts },
            negative: { offset: 0, bucketCounts: [] },
            exemplars: [],
          },
        ],
      },
    });
    acc.accumulate(resourceMetrics([exp(t(0), t(10), 1, 2, [1, 2, 3], 1)]));
    // Scale 0, buckets 1..2; at scale 0 the first point's indices 2,3,4 become 1,1,2.
    acc.accumulate(resourceMetrics([exp(t(10), t(20), 0, 1, [5, 7], 0)]));
    expect(acc.collect()[0]?.value).toEqual({
      kind: 'exponential',
      count: 19,
      sum: 20,
      scale: 0,
      zeroCount: 1,
      zeroThreshold: 0,
      positive: { offset: 1, counts: [8, 10] },
      negative: { offset: 0, counts: [] },
    });
  });
});

describe('labels of a series', () => {
  it('are the point attributes, the scope, and job/instance from the resource', () => {
    const { acc } = setup();
    acc.accumulate(resourceMetrics([sum('orders', 1, t(0), t(1), { attributes: attrs({ 'http.route': '/pay', code: 200 }) })]));
    expect(Object.fromEntries(acc.collect()[0]?.labels ?? [])).toEqual({
      http_route: '/pay',
      code: '200',
      otel_scope_name: 'ferry.test',
      otel_scope_version: '1.0.0',
      job: 'shop/checkout',
      instance: 'pod-1',
    });
  });

  it('take every resource attribute with resource_to_telemetry_conversion, the service ones excepted on request', () => {
    const all = setup({ resourceToTelemetry: true, scopeLabels: false });
    all.acc.accumulate(resourceMetrics([sum('orders', 1, t(0), t(1), { attributes: attrs({ 'host.name': 'from-point' }) })]));
    expect(Object.fromEntries(all.acc.collect()[0]?.labels ?? [])).toEqual({
      host_name: 'node-7',
      service_name: 'checkout',
      service_namespace: 'shop',
      service_instance_id: 'pod-1',
      job: 'shop/checkout',
      instance: 'pod-1',
    });
    const some = setup({ resourceToTelemetry: true, exclude: true, scopeLabels: false });
    some.acc.accumulate(resourceMetrics([sum('orders', 1, t(0), t(1))]));
    expect(Object.fromEntries(some.acc.collect()[0]?.labels ?? [])).toEqual({ host_name: 'node-7', job: 'shop/checkout', instance: 'pod-1' });
  });
});

describe('metric_expiration', () => {
  it('forgets a series not updated within it, keeps one that was', () => {
    const { acc, advance } = setup({ expirationMs: 60_000 });
    acc.accumulate(resourceMetrics([sum('a', 1, t(0), t(1)), sum('b', 1, t(0), t(1))]));
    advance(40_000);
    acc.accumulate(resourceMetrics([sum('b', 2, t(0), t(41))]));
    advance(20_000);
    // a: 60 s old, expired; b: 20 s old.
    expect(acc.collect().map((s) => s.name)).toEqual(['b_total']);
    advance(40_000);
    expect(acc.collect()).toEqual([]);
  });

  it('frees memory on consume even when nobody scrapes', () => {
    const { acc, advance } = setup({ expirationMs: 10_000 });
    for (let i = 0; i < 50; i++) acc.accumulate(resourceMetrics([sum('series', 1, t(0), t(1), { attributes: attrs({ i }) })]));
    expect(acc.size).toBe(50);
    advance(10_001);
    acc.accumulate(resourceMetrics([sum('other', 1, t(0), t(1))]));
    expect(acc.size).toBe(1);
  });

  it('restarts a delta series from zero once it expired', () => {
    const { acc, advance } = setup({ expirationMs: 10_000 });
    acc.accumulate(resourceMetrics([sum('orders', 3, t(0), t(10), { temporality: 1 })]));
    advance(10_000);
    acc.accumulate(resourceMetrics([sum('orders', 4, t(10), t(20), { temporality: 1 })]));
    expect(acc.collect()[0]?.value).toEqual({ kind: 'number', value: 4 });
  });
});
