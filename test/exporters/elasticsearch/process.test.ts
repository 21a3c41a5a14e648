// The elasticsearch exporter in the real `ferry` process: the OpenTelemetry JS SDK sends logs
// and spans over OTLP/HTTP into Ferry, which indexes them through a fake node that checks each
// request as the Bulk API reference specifies
// (https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html), one document
// refused with 429 once; and `ferry validate` names a missing endpoint with its fix.
import { afterEach, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { freePort, waitFor } from '../../helpers/index.js';
import { metricValue, runFerryToEnd, startFerry, writeConfig } from '../../helpers/ferry.js';
import { FakeElasticsearch } from './server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('elasticsearch exporter in the ferry process', () => {
  it('an SDK\'s logs and spans are indexed; a document refused with 429 is retried alone; the self-metrics count them', async () => {
    const es = await FakeElasticsearch.start();
    cleanups.push(() => es.close());
    es.expectAuthorization = `Basic ${Buffer.from('elastic:changeme').toString('base64')}`;
    let refused = false;
    es.itemStatus = (doc) => {
      if (!refused && (doc.body as { text?: string } | undefined)?.text === 'log 2') {
        refused = true;
        return 429;
      }
      return undefined;
    };
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
processors:
  batch:
    timeout: 50ms
exporters:
  elasticsearch:
    endpoints: [${es.url}]
    user: elastic
    password: \${env:ES_PASSWORD}
    logs_index: app-logs-%{+yyyy.MM.dd}
    retry:
      initial_interval: 10ms
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [elasticsearch]
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [elasticsearch]
`),
      ],
      { env: { ES_PASSWORD: 'changeme' } },
    );
    cleanups.push(() => ferry.stop());

    const resource = resourceFromAttributes({ 'service.name': 'checkout' });
    const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }) })] });
    const logger = loggerProvider.getLogger('sdk-test');
    for (let i = 0; i < 4; i++) logger.emit({ body: `log ${i}`, severityNumber: SeverityNumber.WARN, severityText: 'WARN', timestamp: [1_700_000_000 + i * 86_400, 0], attributes: { i } });
    await loggerProvider.forceFlush();
    await loggerProvider.shutdown();
    const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces` }))] });
    const span = tracerProvider.getTracer('sdk-test').startSpan('GET /health', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 200 } });
    span.end();
    await tracerProvider.forceFlush();
    await tracerProvider.shutdown();

    await waitFor(() => es.indexed().length === 5, '5 documents indexed');
    for (const r of es.requests) expect(r.invalid).toBeUndefined();
    const logs = es.indexed().filter((d) => d.index.startsWith('app-logs-'));
    expect(logs.map((d) => [d.index, (d.doc.body as { text: string }).text]).sort()).toEqual([
      ['app-logs-2023.11.14', 'log 0'],
      ['app-logs-2023.11.15', 'log 1'],
      ['app-logs-2023.11.16', 'log 2'],
      ['app-logs-2023.11.17', 'log 3'],
    ]);
    expect(logs[0]?.doc).toMatchObject({ severity_text: 'WARN', resource: { attributes: { 'service.name': 'checkout' } } });
    const spans = es.indexed().filter((d) => d.index === 'traces-generic-default');
    expect(spans.map((d) => d.doc)).toEqual([expect.objectContaining({ name: 'GET /health', kind: 'Server', attributes: { 'http.response.status_code': 200 } })]);
    // The 429 item was sent again on its own.
    const retried = es.requests.find((r) => r.docs.length === 1 && (r.docs[0]?.body as { text?: string } | undefined)?.text === 'log 2');
    expect(retried).toBeDefined();

    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_log_records_total', { exporter: 'elasticsearch' })) === 4, 'sent log records = 4');
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_spans_total', { exporter: 'elasticsearch' })) === 1, 'sent spans = 1');
    expect(await metricValue(metricsUrl, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'elasticsearch' })).toBe(0);
    expect(ferry.stderr()).not.toContain('changeme');
  });

  it('ferry validate names a missing endpoint and how to set it', async () => {
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  elasticsearch:
    logs_index: my-logs
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [elasticsearch]
`);
    const { code, stderr } = await runFerryToEnd(['validate', '--config', config], { env: { ELASTICSEARCH_URL: '' } });
    expect(code).toBe(1);
    const lines = stderr.split('\n').map((l) => l.replace(/^.*config\.yaml: /, ''));
    expect(lines).toContain(
      'exporters.elasticsearch.endpoints: no Elasticsearch endpoint is set (fix: set endpoints: [https://elasticsearch:9200] (or endpoint, or cloudid, or the ELASTICSEARCH_URL environment variable))',
    );
  });
});
