// span_metrics end to end: spans from the OpenTelemetry JS SDK go through a running Ferry's
// span_metrics connector into its prometheus exporter, and a real Prometheus scrapes the calls
// counter and the duration histogram under the Collector's names and labels.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryProcess } from '../helpers/ferry.js';
import { startFerry, writeConfig } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';
import type { PrometheusServer } from '../helpers/prometheus-server.js';
import { prometheusAvailable, startPrometheus } from '../helpers/prometheus-server.js';

const available = prometheusAvailable();

describe.skipIf(!available)('span_metrics: JS SDK spans → Ferry → prometheus exporter → real Prometheus', () => {
  let ferry: FerryProcess;
  let prometheus: PrometheusServer;
  let otlpPort = 0;

  beforeAll(async () => {
    otlpPort = await freePort();
    const promPort = await freePort();
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
connectors:
  spanmetrics:
    metrics_flush_interval: 200ms
    dimensions:
      - name: http.route
      - name: tenant
        default: none
    exemplars:
      enabled: true
exporters:
  prometheus:
    endpoint: 127.0.0.1:${promPort}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${await freePort()}
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [spanmetrics]
    metrics:
      receivers: [spanmetrics]
      exporters: [prometheus]
`);
    [ferry, prometheus] = await Promise.all([startFerry(['--config', config]), startPrometheus({ scrapeTargets: [`127.0.0.1:${promPort}`], scrapeInterval: '1s' })]);
  }, 30_000);
  afterAll(async () => {
    await ferry?.stop(3_000);
    await prometheus?.stop();
  });

  it('serves calls and the duration histogram per service, span name, kind, status and dimensions', async () => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': 'pod-1' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${otlpPort}/v1/traces` }))],
    });
    const tracer = provider.getTracer('e2e');
    const t0 = Date.now() - 1000;
    const span = (name: string, ms: number, route: string, error = false): void => {
      const s = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: { 'http.route': route }, startTime: t0 });
      if (error) s.setStatus({ code: SpanStatusCode.ERROR });
      s.end(t0 + ms);
    };
    span('GET /cart', 3, '/cart');
    span('GET /cart', 30, '/cart');
    span('GET /cart', 300, '/cart');
    span('POST /pay', 1500, '/pay', true);
    await provider.forceFlush();
    await provider.shutdown();

    let calls: Awaited<ReturnType<PrometheusServer['query']>> = [];
    await waitFor(async () => {
      calls = await prometheus.query('traces_span_metrics_calls_total');
      return calls.reduce((n, s) => n + s.value, 0) === 4;
    }, 'calls scraped by Prometheus', 20_000);
    const byName = Object.fromEntries(calls.map((s) => [s.metric.span_name, s]));
    expect(byName['GET /cart']!.value).toBe(3);
    expect(byName['GET /cart']!.metric).toMatchObject({ job: 'checkout', instance: 'pod-1', service_name: 'checkout', span_kind: 'SPAN_KIND_SERVER', status_code: 'STATUS_CODE_UNSET', http_route: '/cart', tenant: 'none' });
    expect(byName['POST /pay']!.metric).toMatchObject({ status_code: 'STATUS_CODE_ERROR', http_route: '/pay' });

    const bucket = async (le: string, name: string): Promise<number> => (await prometheus.query(`traces_span_metrics_duration_milliseconds_bucket{span_name="${name}",le=~"${le}(\\\\.0)?"}`))[0]?.value ?? -1;
    expect(await bucket('4', 'GET /cart')).toBe(1);
    expect(await bucket('50', 'GET /cart')).toBe(2);
    expect(await bucket('400', 'GET /cart')).toBe(3);
    expect(await bucket('1400', 'POST /pay')).toBe(0);
    expect(await bucket('2000', 'POST /pay')).toBe(1);
    const [sum] = await prometheus.query('traces_span_metrics_duration_milliseconds_sum{span_name="GET /cart"}');
    expect(sum?.value).toBe(333);
    const [count] = await prometheus.query('traces_span_metrics_duration_milliseconds_count{span_name="POST /pay"}');
    expect(count?.value).toBe(1);
  });
});
