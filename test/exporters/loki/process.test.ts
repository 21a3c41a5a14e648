// The loki exporter in the real `ferry` process: the OpenTelemetry JS SDK sends logs over
// OTLP/HTTP into Ferry, which pushes them to a fake Loki that checks each push as the Loki
// HTTP API reference specifies (https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs);
// and `ferry validate` names a missing endpoint with its fix.
import { afterEach, describe, expect, it } from 'vitest';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { freePort, waitFor } from '../../helpers/index.js';
import { metricValue, runFerryToEnd, startFerry, writeConfig, type FerryProcess } from '../../helpers/ferry.js';
import { FakeLoki } from './server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('loki exporter in the ferry process', () => {
  it('an SDK\'s logs reach Loki as labelled, time-ordered streams, and the self-metrics count them', async () => {
    const loki = await FakeLoki.start();
    cleanups.push(() => loki.close());
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const ferry: FerryProcess = await startFerry([
      '--config',
      writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
processors:
  batch:
    timeout: 50ms
exporters:
  loki:
    endpoint: ${loki.pushUrl}
    tenant_id: acme
    labels:
      attributes:
        route: ""
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [loki]
`),
    ]);
    cleanups.push(() => ferry.stop());

    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.namespace': 'shop' }),
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }) })],
    });
    const logger = provider.getLogger('sdk-test');
    // Emitted newest first: Loki must still get each stream oldest first.
    for (let i = 4; i >= 0; i--) {
      logger.emit({ body: `order ${i}`, severityNumber: SeverityNumber.INFO, severityText: 'INFO', timestamp: [1_700_000_000 + i, 0], attributes: { route: i % 2 ? '/a' : '/b', n: i } });
    }
    await provider.forceFlush();
    await provider.shutdown();

    await waitFor(() => loki.entries().length === 5, '5 entries at Loki');
    for (const r of loki.requests) {
      expect(r.invalid).toBeUndefined();
      expect(r.headers['content-type']).toBe('application/x-protobuf');
      expect(r.headers['x-scope-orgid']).toBe('acme');
    }
    const entries = loki.entries();
    expect(new Set(entries.map((e) => JSON.stringify(e.labels)))).toEqual(
      new Set([JSON.stringify({ exporter: 'OTLP', job: 'shop/checkout', level: 'INFO', route: '/a' }), JSON.stringify({ exporter: 'OTLP', job: 'shop/checkout', level: 'INFO', route: '/b' })]),
    );
    for (const s of loki.requests.flatMap((r) => r.streams)) {
      const ts = s.entries.map((e) => BigInt(e.ts));
      expect(ts).toEqual([...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    const bodies = entries.map((e) => (JSON.parse(e.line) as { body: string; attributes: Record<string, unknown> })).sort((a, b) => a.body.localeCompare(b.body));
    expect(bodies.map((b) => b.body)).toEqual(['order 0', 'order 1', 'order 2', 'order 3', 'order 4']);
    expect(bodies[3]?.attributes).toEqual({ n: 3 });
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_log_records_total', { exporter: 'loki' })) === 5, 'sent = 5');
    expect(await metricValue(metricsUrl, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'loki' })).toBe(0);
  });

  it('ferry validate names a missing endpoint and how to set it', async () => {
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  loki:
    tenant_id: acme
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [loki]
`);
    const { code, stderr } = await runFerryToEnd(['validate', '--config', config]);
    expect(code).toBe(1);
    const lines = stderr.split('\n').map((l) => l.replace(/^.*config\.yaml: /, ''));
    expect(lines).toContain('exporters.loki.endpoint: no endpoint is set (fix: set endpoint to Loki\'s push URL, e.g. endpoint: http://loki:3100/loki/api/v1/push)');
  });
});
