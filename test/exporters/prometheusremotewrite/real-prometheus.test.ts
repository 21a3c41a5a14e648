// The real thing: the OpenTelemetry JS SDK sends OTLP to `ferry` (dist/cli.js), whose
// prometheusremotewrite exporter writes into a real Prometheus 2.42 (--web.enable-remote-write-receiver,
// https://prometheus.io/docs/prometheus/latest/querying/api/#remote-write-receiver); the test
// reads every series back through the query API.
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { afterEach, describe, expect, it } from 'vitest';
import { metricValue as selfMetric, startFerry, writeConfig, type FerryProcess } from '../../helpers/ferry.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../../helpers/prometheus-server.js';

const available = prometheusAvailable();

describe.skipIf(!available)('prometheusremotewrite into a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined;
  let ferry: FerryProcess | undefined;

  afterEach(async () => {
    await ferry?.stop(3_000);
    await prometheus?.stop();
    ferry = undefined;
    prometheus = undefined;
  });

  it('counter, up-down counter, gauge, histogram buckets, external labels and target_info are queryable', async () => {
    const [otlpPort, selfPort] = [await freePort(), await freePort()];
    prometheus = await startPrometheus({ remoteWrite: true });
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  prometheusremotewrite:
    endpoint: ${prometheus.remoteWriteUrl}
    namespace: ferry
    external_labels:
      cluster: e2e
    retry_on_failure:
      initial_interval: 50ms
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${selfPort}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheusremotewrite]
`);
    ferry = await startFerry(['--config', config]);

    const resource = resourceFromAttributes({ 'service.name': 'checkout', 'service.namespace': 'shop', 'service.instance.id': 'pod-1', 'host.name': 'node-7' });
    const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `http://127.0.0.1:${otlpPort}/v1/metrics` }), exportIntervalMillis: 60_000 });
    const meters = new MeterProvider({ resource, readers: [reader] });
    const meter = meters.getMeter('e2e-sdk', '1.0.0');
    meter.createCounter('orders', { unit: '{order}' }).add(5, { 'payment.method': 'card' });
    const inflight = meter.createUpDownCounter('inflight');
    inflight.add(3);
    inflight.add(-1);
    meter.createGauge('memory.used', { unit: 'By' }).record(1024);
    const latency = meter.createHistogram('http.server.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
    for (const ms of [5, 50, 50, 500]) latency.record(ms);
    await meters.shutdown(); // collects and exports once (cumulative, the SDK's default)

    const prom = prometheus;
    await waitFor(async () => (await prom.query('ferry_orders_total')).length === 1, `ferry_orders_total in Prometheus\n${prom.log()}\n${ferry.stderr()}`, 15_000);
    const labels = { cluster: 'e2e', job: 'shop/checkout', instance: 'pod-1', otel_scope_name: 'e2e-sdk', otel_scope_version: '1.0.0' };
    expect(await prom.query('ferry_orders_total')).toEqual([{ metric: { __name__: 'ferry_orders_total', payment_method: 'card', ...labels }, value: 5 }]);
    expect(await prom.query('ferry_inflight')).toEqual([{ metric: { __name__: 'ferry_inflight', ...labels }, value: 2 }]);
    expect(await prom.query('ferry_memory_used_bytes')).toEqual([{ metric: { __name__: 'ferry_memory_used_bytes', ...labels }, value: 1024 }]);
    const buckets = await prom.query('ferry_http_server_duration_milliseconds_bucket');
    expect(buckets.map((b) => b.metric).every((m) => m.cluster === 'e2e' && m.job === 'shop/checkout' && m.otel_scope_name === 'e2e-sdk')).toBe(true);
    expect(Object.fromEntries(buckets.map((b) => [b.metric.le, b.value]))).toEqual({ '10': 1, '100': 3, '+Inf': 4 });
    expect((await prom.query('ferry_http_server_duration_milliseconds_sum'))[0]?.value).toBe(605);
    expect((await prom.query('ferry_http_server_duration_milliseconds_count'))[0]?.value).toBe(4);
    expect(await prom.query('ferry_target_info')).toEqual([
      { metric: { __name__: 'ferry_target_info', cluster: 'e2e', host_name: 'node-7', job: 'shop/checkout', instance: 'pod-1' }, value: 1 },
    ]);

    const self = `http://127.0.0.1:${selfPort}/metrics`;
    expect(await selfMetric(self, 'otelcol_exporter_sent_metric_points_total', { exporter: 'prometheusremotewrite' })).toBe(4);
    expect(await selfMetric(self, 'otelcol_exporter_send_failed_metric_points_total', { exporter: 'prometheusremotewrite' })).toBe(0);
  });

  it('an old sample is refused by Prometheus (HTTP 400) and counted as send_failed, not retried forever', async () => {
    const [otlpPort, selfPort] = [await freePort(), await freePort()];
    prometheus = await startPrometheus({ remoteWrite: true });
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  prometheusremotewrite:
    endpoint: ${prometheus.remoteWriteUrl}
    sending_queue:
      enabled: false
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${selfPort}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheusremotewrite]
`);
    ferry = await startFerry(['--config', config]);
    const post = (ms: number): Promise<Response> => {
      const time = (BigInt(ms) * 1_000_000n).toString();
      const body = JSON.stringify({ resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics: [{ name: 'stale.gauge', gauge: { dataPoints: [{ timeUnixNano: time, asDouble: 1 }] } }] }] }] });
      return fetch(`http://127.0.0.1:${otlpPort}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    };
    expect((await post(Date.now())).status).toBe(200);
    // A day old: before the head block Prometheus now appends to ("out of bounds").
    const res = await post(Date.now() - 86_400_000);
    // No queue: the sender hears the permanent refusal.
    expect(res.status).toBe(400);
    const self = `http://127.0.0.1:${selfPort}/metrics`;
    expect(await selfMetric(self, 'otelcol_exporter_send_failed_metric_points_total', { exporter: 'prometheusremotewrite' })).toBe(1);
    expect(ferry.stderr()).toMatch(/HTTP 400: out of bounds/);
  });
});
