// The opensearch exporter in the real `ferry` process: the OpenTelemetry JS SDK sends logs and a
// span over OTLP/HTTP into Ferry, which indexes them through a fake node that checks each request
// as OpenSearch's Bulk API reference specifies
// (https://opensearch.org/docs/latest/api-reference/document-apis/bulk/).
import { afterEach, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { freePort, waitFor } from '../../helpers/index.js';
import { metricValue, startFerry, writeConfig } from '../../helpers/ferry.js';
import { FakeElasticsearch } from '../elasticsearch/server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('opensearch exporter in the ferry process', () => {
  it('an SDK\'s logs and spans are indexed in ss4o with dynamic index names; the self-metrics count them', async () => {
    const os = await FakeElasticsearch.start();
    cleanups.push(() => os.close());
    os.expectAuthorization = `Basic ${Buffer.from('admin:os-pass-123').toString('base64')}`;
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
  opensearch:
    http:
      endpoint: ${os.url}
    user: admin
    password: \${env:OS_PASSWORD}
    logs_index: otel-logs-%{service.name}
    logs_index_time_format: yyyy.MM.dd
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [opensearch]
    traces:
      receivers: [otlp]
      exporters: [opensearch]
`),
      ],
      { env: { OS_PASSWORD: 'os-pass-123' } },
    );
    cleanups.push(() => ferry.stop());

    const resource = resourceFromAttributes({ 'service.name': 'checkout' });
    const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }) })] });
    const logger = loggerProvider.getLogger('sdk-test');
    for (let i = 0; i < 3; i++) logger.emit({ body: `log ${i}`, severityNumber: SeverityNumber.WARN, severityText: 'WARN', timestamp: [1_700_000_000 + i * 86_400, 0], attributes: { i } });
    await loggerProvider.shutdown();
    const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces` }))] });
    tracerProvider.getTracer('sdk-test').startSpan('GET /health', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 200 } }).end();
    await tracerProvider.shutdown();

    await waitFor(() => os.indexed().length === 4, '4 documents indexed');
    for (const r of os.requests) expect(r.invalid).toBeUndefined();
    const logs = os.indexed().filter((d) => d.index.startsWith('otel-logs-'));
    expect(logs.map((d) => [d.index, d.doc.body, (d.doc.attributes as Record<string, unknown>).i]).sort()).toEqual([
      ['otel-logs-checkout-2023.11.14', 'log 0', 0],
      ['otel-logs-checkout-2023.11.15', 'log 1', 1],
      ['otel-logs-checkout-2023.11.16', 'log 2', 2],
    ]);
    expect(logs[0]?.doc).toMatchObject({ severity: { text: 'WARN', number: 13 }, resource: { 'service.name': 'checkout' }, instrumentationScope: { name: 'sdk-test' } });
    const spans = os.indexed().filter((d) => d.index === 'ss4o_traces-default-namespace');
    expect(spans.map((d) => d.doc)).toEqual([expect.objectContaining({ name: 'GET /health', kind: 'Server', status: { code: 'Unset', message: '' } })]);

    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_log_records_total', { exporter: 'opensearch' })) === 3, 'sent log records = 3');
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_spans_total', { exporter: 'opensearch' })) === 1, 'sent spans = 1');
    expect(ferry.stderr()).not.toContain('os-pass-123');
  });
});
