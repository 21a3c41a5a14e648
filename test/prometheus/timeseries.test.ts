// OTLP metrics → remote-write time series, against the remote write 1.0 spec
// (https://prometheus.io/docs/specs/prw/remote_write_spec/: labels sorted by name, __name__
// present, no empty values, samples in timestamp order, stale NaN) and the Collector's
// translator (https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/pkg/translator/prometheusremotewrite).
import { describe, expect, it } from 'vitest';
import { configuredLabels } from '../../src/prometheus/labels.js';
import { isStaleNaN, toTimeSeries, type RemoteWriteOptions } from '../../src/prometheus/timeseries.js';
import { BASE_MS, attrs, gauge, histogram, resourceMetrics, sum, t } from './fixtures.js';

const OPTIONS: RemoteWriteOptions = {
  naming: { namespace: '', addSuffixes: true },
  labels: { resourceToTelemetry: false, excludeServiceAttributes: false, scopeLabels: true },
  externalLabels: configuredLabels({ cluster: 'eu-1', job: 'not-this-one' }),
  targetInfo: true,
  now: () => 42,
};

const byName = (result: ReturnType<typeof toTimeSeries>, name: string) => result.series.filter((s) => s.labels.some(([k, v]) => k === '__name__' && v === name));

describe('remote-write series', () => {
  it('labels sorted by name with __name__, job, instance, scope and external labels; the data wins over external labels', () => {
    const result = toTimeSeries(resourceMetrics([sum('orders', 5, t(0), t(10), { attributes: attrs({ 'http.route': '/pay', empty: '' }) })]), OPTIONS);
    const [orders] = byName(result, 'orders_total');
    expect(orders?.labels).toEqual([
      ['__name__', 'orders_total'],
      ['cluster', 'eu-1'],
      ['http_route', '/pay'],
      ['instance', 'pod-1'],
      ['job', 'shop/checkout'],
      ['otel_scope_name', 'ferry.test'],
      ['otel_scope_version', '1.0.0'],
    ]);
    expect(orders?.samples).toEqual([{ value: 5, timestamp: BASE_MS + 10_000 }]);
    expect([...(orders?.points ?? [])]).toEqual([0]);
  });

  it('a histogram as cumulative _bucket{le} series (Go "f" floats), _sum and _count, all carrying the point', () => {
    const result = toTimeSeries(
      resourceMetrics([histogram('latency', { start: t(0), time: t(5), count: 6, sum: 2.5, bounds: [0.005, 1e-7, 1e6].sort((a, b) => a - b), counts: [1, 2, 3, 0] }, { unit: 's' })]),
      { ...OPTIONS, labels: { ...OPTIONS.labels, scopeLabels: false }, externalLabels: new Map() },
    );
    const rows = result.series
      .filter((s) => s.labels.some(([, v]) => v.startsWith('latency')))
      .map((s) => `${Object.fromEntries(s.labels).__name__}${Object.fromEntries(s.labels).le ? `{le=${Object.fromEntries(s.labels).le}}` : ''} ${s.samples[0]?.value}`);
    expect(rows).toEqual([
      'latency_seconds_bucket{le=0.0000001} 1',
      'latency_seconds_bucket{le=0.005} 3',
      'latency_seconds_bucket{le=1000000} 6',
      'latency_seconds_bucket{le=+Inf} 6',
      'latency_seconds_sum 2.5',
      'latency_seconds_count 6',
    ]);
    expect(result.series.every((s) => s.points.has(0))).toBe(true);
  });

  it('drops delta sums and histograms (remote write has no state to add them up), with the reason', () => {
    const result = toTimeSeries(
      resourceMetrics([sum('orders', 1, t(0), t(1), { temporality: 1 }), gauge('temp', 20, t(1)), histogram('h', { start: t(0), time: t(1), count: 1, bounds: [1], counts: [1, 0] }, { temporality: 1 })]),
      OPTIONS,
    );
    expect([...result.dropped]).toEqual([0, 2]);
    expect([...result.reasons]).toEqual([
      ['orders', 'delta temporality'],
      ['h', 'delta temporality'],
    ]);
    expect(result.series.map((s) => Object.fromEntries(s.labels).__name__)).toEqual(['temp', 'target_info']);
  });

  it('writes the staleness marker for a point without a recorded value', () => {
    const result = toTimeSeries(resourceMetrics([sum('orders', 9, t(0), t(3), { flags: 1 })]), OPTIONS);
    const value = byName(result, 'orders_total')[0]?.samples[0]?.value ?? 0;
    expect(Number.isNaN(value)).toBe(true);
    expect(isStaleNaN(value)).toBe(true);
    expect(isStaleNaN(NaN)).toBe(false);
  });

  it('sorts the samples of one series by time and keeps one per timestamp (the later in the batch)', () => {
    const points = [
      { attributes: [], timeUnixNano: t(20), asDouble: 2, exemplars: [] },
      { attributes: [], timeUnixNano: t(10), asDouble: 1, exemplars: [] },
      { attributes: [], timeUnixNano: t(20), asDouble: 3, exemplars: [] },
    ];
    const result = toTimeSeries(resourceMetrics([{ name: 'temp', gauge: { dataPoints: points } }]), OPTIONS);
    const [temp] = byName(result, 'temp');
    expect(temp?.samples).toEqual([
      { value: 1, timestamp: BASE_MS + 10_000 },
      { value: 3, timestamp: BASE_MS + 20_000 },
    ]);
    expect([...(temp?.points ?? [])].sort()).toEqual([0, 1, 2]);
  });

  it('stamps a point without a time with the export time instead of 1970', () => {
    const result = toTimeSeries(resourceMetrics([{ name: 'temp', gauge: { dataPoints: [{ attributes: [], asDouble: 1, exemplars: [] }] } }]), OPTIONS);
    expect(byName(result, 'temp')[0]?.samples).toEqual([{ value: 1, timestamp: 42 }]);
  });

  it('one target_info per resource at its latest time, with the namespace, tied to all its points', () => {
    const result = toTimeSeries(resourceMetrics([gauge('a', 1, t(1)), gauge('b', 1, t(7))]), { ...OPTIONS, naming: { namespace: 'ferry', addSuffixes: true } });
    const [info] = byName(result, 'ferry_target_info');
    expect(info?.labels).toEqual([
      ['__name__', 'ferry_target_info'],
      ['cluster', 'eu-1'],
      ['host_name', 'node-7'],
      ['instance', 'pod-1'],
      ['job', 'shop/checkout'],
    ]);
    expect(info?.samples).toEqual([{ value: 1, timestamp: BASE_MS + 7_000 }]);
    expect([...(info?.points ?? [])]).toEqual([0, 1]);
    expect(byName(toTimeSeries(resourceMetrics([gauge('a', 1, t(1))]), { ...OPTIONS, targetInfo: false }), 'target_info')).toEqual([]);
  });

  it('puts the exemplars of a counter on its series and those of a histogram on their bucket', () => {
    const exemplar = (value: number) => ({ filteredAttributes: attrs({ user: 'u1' }), timeUnixNano: t(1), asDouble: value, traceId: Buffer.alloc(16, 0xab), spanId: Buffer.alloc(8, 0xcd) });
    const counter = sum('orders', 5, t(0), t(10));
    counter.sum?.dataPoints[0]?.exemplars.push(exemplar(1));
    const h = histogram('latency', { start: t(0), time: t(10), count: 2, sum: 3, bounds: [1, 5], counts: [0, 2, 0] });
    h.histogram?.dataPoints[0]?.exemplars.push(exemplar(2.5));
    const result = toTimeSeries(resourceMetrics([counter, h]), OPTIONS);
    const expected = { labels: [['trace_id', 'ab'.repeat(16)], ['span_id', 'cd'.repeat(8)], ['user', 'u1']], value: 1, timestamp: BASE_MS + 1000 };
    expect(byName(result, 'orders_total')[0]?.exemplars).toEqual([expected]);
    const buckets = byName(result, 'latency_bucket').map((s) => [Object.fromEntries(s.labels).le, s.exemplars.map((e) => e.value)]);
    expect(buckets).toEqual([
      ['1', []],
      ['5', [2.5]],
      ['+Inf', []],
    ]);
  });
});
