// The OpenTelemetry Collector Helm chart's default configuration (its values.yaml `config:`),
// unchanged: otlp, jaeger, zipkin and a prometheus receiver scraping the collector's own :8888,
// memory_limiter and batch, debug, health_check. Its fixed ports bind on an address of the
// loopback range of this test's own (MY_POD_IP, as the chart sets it), so nothing clashes.
// Each receiver is fed by a real client and every item is found in the debug exporter's
// detailed output (verbosity set on the command line; the file is unchanged).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, writeConfig, type FerryProcess } from '../helpers/ferry.js';
import { waitFor } from '../helpers/index.js';
import { jaegerClient, recordCheckout as recordJaeger } from '../receivers/jaeger/client.js';
import { flush, recordCheckout as recordZipkin, zipkinClient } from '../receivers/zipkin/client.js';

const HELM_DEFAULT = `
exporters:
  debug: {}
extensions:
  health_check:
    endpoint: \${env:MY_POD_IP}:13133
processors:
  batch: {}
  memory_limiter:
    check_interval: 5s
    limit_percentage: 80
    spike_limit_percentage: 25
receivers:
  jaeger:
    protocols:
      grpc:
        endpoint: \${env:MY_POD_IP}:14250
      thrift_compact:
        endpoint: \${env:MY_POD_IP}:6831
      thrift_http:
        endpoint: \${env:MY_POD_IP}:14268
  otlp:
    protocols:
      grpc:
        endpoint: \${env:MY_POD_IP}:4317
      http:
        endpoint: \${env:MY_POD_IP}:4318
  prometheus:
    config:
      scrape_configs:
        - job_name: opentelemetry-collector
          scrape_interval: 10s
          static_configs:
            - targets:
                - \${env:MY_POD_IP}:8888
  zipkin:
    endpoint: \${env:MY_POD_IP}:9411
service:
  telemetry:
    metrics:
      address: \${env:MY_POD_IP}:8888
  extensions:
    - health_check
  pipelines:
    logs:
      exporters:
        - debug
      processors:
        - memory_limiter
        - batch
      receivers:
        - otlp
    metrics:
      exporters:
        - debug
      processors:
        - memory_limiter
        - batch
      receivers:
        - otlp
        - prometheus
    traces:
      exporters:
        - debug
      processors:
        - memory_limiter
        - batch
      receivers:
        - otlp
        - jaeger
        - zipkin
`;

describe("the Helm chart's default collector configuration", () => {
  // An address of the loopback range for this run alone: the chart's fixed ports cannot clash.
  const ip = `127.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
  let ferry: FerryProcess | undefined;

  beforeAll(async () => {
    const config = writeConfig(HELM_DEFAULT);
    ferry = await startFerry(['--config', config, '--set', 'exporters::debug::verbosity=detailed'], { env: { MY_POD_IP: ip } });
  }, 30_000);

  afterAll(async () => {
    await ferry?.stop(5000);
  });

  it('validates unchanged, runs, and every receiver delivers: otlp logs, jaeger and zipkin spans, its own metrics scraped', async () => {
    const out = (): string => ferry?.stdout() ?? '';
    // otlp: one log record over OTLP/HTTP JSON.
    const res = await fetch(`http://${ip}:4318/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'helm-otlp' } }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'helm default log line' } }] }] }] }),
    });
    expect(res.status).toBe(200);
    // jaeger (thrift_http) and zipkin (JSON v2), from their own clients.
    const jaeger = jaegerClient('helm-jaeger', { http: `http://${ip}:14268/api/traces` });
    recordJaeger(jaeger.tracer);
    await jaeger.close();
    const zipkin = zipkinClient(`http://${ip}:9411/api/v2/spans`, 'helm-zipkin');
    recordZipkin(zipkin.tracer, 'helm-zipkin');
    expect(await flush(zipkin.http)).toBe(202);

    await waitFor(() => out().includes('helm default log line'), 'the otlp log record in the debug output', 15_000);
    await waitFor(() => out().includes('helm-jaeger') && out().includes('helm-zipkin'), 'both span services', 15_000);
    for (const name of ['GET /checkout', 'SELECT carts', 'send-receipt', 'price-cart']) await waitFor(() => out().includes(name), `span ${name}`, 15_000);
    // prometheus: the collector's own self-metrics, scraped from :8888 (the first scrape within the 10 s interval).
    await waitFor(() => out().includes('otelcol_process_uptime') && /scrape_duration_seconds/.test(out()), 'the self-scrape in the debug output', 25_000);
    expect(out()).toContain('opentelemetry-collector');
    const health = await fetch(`http://${ip}:13133/`);
    expect(health.status).toBe(200);
    expect(ferry?.stderr()).not.toMatch(/\berror\b.*receiver/i);
  }, 60_000);
});
