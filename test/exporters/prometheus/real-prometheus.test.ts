// The real thing: `ferry` (dist/cli.js) receives OTLP/HTTP and serves it with the prometheus
// exporter; a real Prometheus (Debian's 2.42) scrapes it every second; the test reads the
// values back through Prometheus's HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/).
// Mapping per https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/.
import { afterEach, describe, expect, it } from 'vitest';
import { metricValue as selfMetric, startFerry, writeConfig, type FerryProcess } from '../../helpers/ferry.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer, type QuerySample } from '../../helpers/prometheus-server.js';

const available = prometheusAvailable();

/** An OTLP/JSON ExportMetricsServiceRequest, as an SDK would send it (int64 as strings). */
function otlpJson(metrics: unknown[]): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'checkout' } },
            { key: 'service.namespace', value: { stringValue: 'shop' } },
            { key: 'service.instance.id', value: { stringValue: 'pod-1' } },
            { key: 'host.name', value: { stringValue: 'node-7' } },
          ],
        },
        scopeMetrics: [{ scope: { name: 'e2e', version: '1.0' }, metrics }],
      },
    ],
  });
}

describe.skipIf(!available)('prometheus exporter scraped by a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined;
  let ferry: FerryProcess | undefined;

  afterEach(async () => {
    await ferry?.stop(3_000);
    await prometheus?.stop();
    ferry = undefined;
    prometheus = undefined;
  });

  it('counters, an accumulated delta sum, a gauge, a histogram and target_info arrive with their labels, in text and OpenMetrics', async () => {
    const [otlpPort, textPort, omPort, selfPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // Two exporters on one pipeline: text format 0.0.4 (namespace ferry), and OpenMetrics with
    // exemplars (namespace ferry_om), which Prometheus 2.42 asks for first when it is offered.
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  prometheus:
    endpoint: 127.0.0.1:${textPort}
    namespace: ferry
    const_labels:
      env: test
  prometheus/openmetrics:
    endpoint: 127.0.0.1:${omPort}
    namespace: ferry_om
    enable_open_metrics: true
    const_labels:
      env: test
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${selfPort}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus, prometheus/openmetrics]
`);
    // Together: Prometheus hands static targets to its scrape loop only after its 5 s discovery tick.
    [ferry, prometheus] = await Promise.all([
      startFerry(['--config', config]),
      startPrometheus({ scrapeTargets: [`127.0.0.1:${textPort}`, `127.0.0.1:${omPort}`], scrapeInterval: '1s' }),
    ]);

    const now = BigInt(Date.now()) * 1_000_000n;
    const ns = (secondsAgo: number): string => (now - BigInt(secondsAgo * 1e9)).toString();
    const post = async (metrics: unknown[]): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(metrics) });
      expect(res.status).toBe(200);
    };
    const exemplars = [{ timeUnixNano: ns(3), asDouble: 42, traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' }];
    const delta = (value: number, from: number, to: number) => ({
      name: 'orders.placed',
      unit: '{order}',
      sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ startTimeUnixNano: ns(from), timeUnixNano: ns(to), asInt: String(value) }] },
    });
    await post([
      {
        name: 'net.io',
        unit: 'By',
        description: 'Bytes moved.',
        sum: {
          aggregationTemporality: 2,
          isMonotonic: true,
          dataPoints: [{ attributes: [{ key: 'direction', value: { stringValue: 'rx' } }], startTimeUnixNano: ns(60), timeUnixNano: ns(2), asInt: '2048', exemplars }],
        },
      },
      delta(3, 20, 10),
      { name: 'queue.depth', unit: '1', gauge: { dataPoints: [{ timeUnixNano: ns(2), asDouble: 0.5 }] } },
      {
        name: 'http.server.duration',
        unit: 'ms',
        histogram: {
          aggregationTemporality: 2,
          dataPoints: [{ startTimeUnixNano: ns(60), timeUnixNano: ns(2), count: '4', sum: 150, bucketCounts: ['1', '2', '1'], explicitBounds: [10, 100], exemplars }],
        },
      },
    ]);
    // The second delta starts where the first ended: the exporter adds it up (3 + 4).
    await post([delta(4, 10, 1)]);

    const labels = { env: 'test', job: 'shop/checkout', instance: 'pod-1', otel_scope_name: 'e2e', otel_scope_version: '1.0' };
    const prom = prometheus;
    const one = async (expr: string): Promise<QuerySample | undefined> => {
      const result = await prom.query(expr);
      return result.length === 1 ? result[0] : undefined;
    };
    for (const ns of ['ferry', 'ferry_om']) {
      await waitFor(async () => (await one(`${ns}_orders_placed_total`))?.value === 7, `${ns}_orders_placed_total = 7 in Prometheus\n${prom.log()}`, 15_000);
      expect(await one(`${ns}_orders_placed_total`)).toEqual({ metric: { __name__: `${ns}_orders_placed_total`, ...labels }, value: 7 });
      expect(await one(`${ns}_net_io_bytes_total`)).toEqual({ metric: { __name__: `${ns}_net_io_bytes_total`, direction: 'rx', ...labels }, value: 2048 });
      expect(await one(`${ns}_queue_depth_ratio`)).toEqual({ metric: { __name__: `${ns}_queue_depth_ratio`, ...labels }, value: 0.5 });
      const buckets = await prom.query(`${ns}_http_server_duration_milliseconds_bucket`);
      expect(Object.fromEntries(buckets.map((b) => [b.metric.le, b.value]))).toEqual({ '10': 1, '100': 3, '+Inf': 4 });
      expect(buckets.every((b) => b.metric.job === 'shop/checkout' && b.metric.instance === 'pod-1' && b.metric.env === 'test')).toBe(true);
      expect((await one(`${ns}_http_server_duration_milliseconds_sum`))?.value).toBe(150);
      expect((await one(`${ns}_http_server_duration_milliseconds_count`))?.value).toBe(4);
      // Quantiles work off the classic buckets.
      expect((await one(`histogram_quantile(0.5, ${ns}_http_server_duration_milliseconds_bucket)`))?.value).toBeCloseTo(55, 5);
      expect(await one(`${ns}_target_info`)).toEqual({ metric: { __name__: `${ns}_target_info`, host_name: 'node-7', job: 'shop/checkout', instance: 'pod-1' }, value: 1 });
      // The join the Collector's docs recommend works on job and instance.
      const joined = await one(`${ns}_queue_depth_ratio * on (job, instance) group_left(host_name) ${ns}_target_info`);
      expect(joined?.metric.host_name).toBe('node-7');
    }
    // Both scrapes were healthy: Prometheus parsed every line of both formats.
    expect((await prom.query('up')).map((s) => s.value)).toEqual([1, 1]);
    expect((await prom.query('scrape_samples_scraped')).map((s) => s.value)).toEqual([9, 9]);

    const self = `http://127.0.0.1:${selfPort}/metrics`;
    expect(await selfMetric(self, 'otelcol_exporter_sent_metric_points_total', { exporter: 'prometheus' })).toBe(5);
    expect(await selfMetric(self, 'otelcol_exporter_sent_metric_points_total', { exporter: 'prometheus/openmetrics' })).toBe(5);
  });
});
