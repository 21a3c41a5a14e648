// The http exporter in the real `ferry` process: the OpenTelemetry JS SDK sends logs over
// OTLP/HTTP into Ferry, which posts them as NDJSON with a bearer token to a local endpoint.
import { afterEach, describe, expect, it } from 'vitest';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { freePort, waitFor } from '../../helpers/index.js';
import { metricValue, startFerry, writeConfig } from '../../helpers/ferry.js';
import { HttpSink } from './server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('http exporter in the ferry process', () => {
  it('an SDK\'s logs arrive as NDJSON records, gzipped, with the bearer token', async () => {
    const sink = await HttpSink.start();
    cleanups.push(() => sink.close());
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const ferry = await startFerry(
      [
        '--config',
        writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  http:
    endpoint: ${sink.url}/logs
    format: ndjson
    compression: gzip
    auth:
      strategy: bearer
      token: \${env:SINK_TOKEN}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [http]
`),
      ],
      { env: { SINK_TOKEN: 'sink-token-42' } },
    );
    cleanups.push(() => ferry.stop());

    const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'web' }), processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }) })] });
    const logger = provider.getLogger('sdk-test');
    for (let i = 0; i < 3; i++) logger.emit({ body: `line ${i}`, severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', attributes: { i } });
    await provider.shutdown();

    const records = (): Array<Record<string, unknown>> =>
      sink.accepted().flatMap((r) => r.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
    await waitFor(() => records().length === 3, '3 records arrived');
    for (const r of sink.requests) {
      expect(r.path).toBe('/logs');
      expect(r.headers.authorization).toBe('Bearer sink-token-42');
      expect(r.headers['content-encoding']).toBe('gzip');
    }
    expect(records().map((r) => [r.body, r.severity_text, r.attributes, r.resource && (r.resource as Record<string, unknown>)['service.name']])).toEqual([
      ['line 0', 'ERROR', { i: 0 }, 'web'],
      ['line 1', 'ERROR', { i: 1 }, 'web'],
      ['line 2', 'ERROR', { i: 2 }, 'web'],
    ]);
    await waitFor(async () => (await metricValue(`http://127.0.0.1:${metricsPort}/metrics`, 'otelcol_exporter_sent_log_records_total', { exporter: 'http' })) === 3, 'sent = 3');
    expect(ferry.stderr()).not.toContain('sink-token-42');
  });
});
