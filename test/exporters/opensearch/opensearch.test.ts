// The opensearch exporter against a fake node that checks each request as OpenSearch's Bulk API
// reference specifies it (https://opensearch.org/docs/latest/api-reference/document-apis/bulk/,
// the same wire format as Elasticsearch's, so the fake is the elasticsearch tests' one) and answers
// with its documented bodies. Keys, defaults and the ss4o layout follow the contrib
// opensearchexporter's README, config.go, sso_model.go and index_resolver.go.
import { afterEach, describe, expect, it } from 'vitest';
import { opensearchExporter, type OpenSearchConfig } from '../../../src/exporters/opensearch/index.js';
import { configSchema } from '../../../src/exporters/opensearch/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { SPAN_ID, PARENT_SPAN_ID, TRACE_ID, logsBatch, metricValue, recordingLogger, tracesBatch, withDefaults } from '../helper/fixtures.js';
import { FakeElasticsearch } from '../elasticsearch/server.js';
import { str } from '../../helpers/values.js';

const nodes: FakeElasticsearch[] = [];
let exporter: QueuedExporter | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  for (const n of nodes.splice(0)) await n.close();
});

async function node(): Promise<FakeElasticsearch> {
  const n = await FakeElasticsearch.start();
  nodes.push(n);
  return n;
}

async function start(config: Record<string, unknown>) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<OpenSearchConfig>(configSchema, { sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '2s' }, ...config });
  expect(opensearchExporter.validate?.(cfg)).toEqual([]);
  exporter = opensearchExporter.create(cfg, { id: 'opensearch', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  const metric = (what: 'sent' | 'send_failed', noun: 'log_records' | 'spans' = 'log_records') => metricValue(telemetry, `otelcol_exporter_${what}_${noun}_total`, { exporter: 'opensearch' });
  return { exporter, logger, metric };
}

describe('opensearch exporter', () => {
  it('indexes log records in the ss4o schema into ss4o_logs-<dataset>-<namespace>, with Basic auth and configured headers', async () => {
    const os = await node();
    os.expectAuthorization = `Basic ${Buffer.from('admin:s3cret-pass').toString('base64')}`;
    const { exporter, metric } = await start({ http: { endpoint: os.url, headers: { 'X-Tenant': 't1' } }, user: 'admin', password: 's3cret-pass' });
    await exporter.consume(logsBatch());
    const req = os.requests[0];
    expect(req?.invalid).toBeUndefined();
    expect(req?.status).toBe(200);
    expect(req?.path).toBe('/_bulk');
    expect(req?.headers['x-tenant']).toBe('t1');
    expect(req?.actions).toEqual([
      { action: 'create', index: 'ss4o_logs-default-namespace' },
      { action: 'create', index: 'ss4o_logs-default-namespace' },
    ]);
    expect(req?.docs[0]).toEqual({
      attributes: { 'order.id': 42, data_stream: { dataset: 'default', namespace: 'namespace', type: 'record' } },
      body: 'order placed',
      instrumentationScope: { attributes: { 'scope.attr': 's' }, name: 'ferry-test', version: '1.2.3' },
      observedTimestamp: '2023-11-14T22:13:21.987654321Z',
      resource: { blob: 'AP8Q', 'host.cpus': '-9007199254740993', nested: '{"inner":"x"}', ratio: '0.25', ready: 'true', 'service.name': 'checkout', tags: '["a",7]' },
      severity: { text: 'INFO', number: 9 },
      spanId: SPAN_ID,
      '@timestamp': '2023-11-14T22:13:20.123456789Z',
      traceId: TRACE_ID,
    });
    // A map body is written as its JSON text, as the contrib's Body().AsString().
    expect(req?.docs[1]).toMatchObject({ body: '{"msg":"payment failed"}', severity: { text: 'ERROR', number: 17 } });
    expect(await metric('sent')).toBe(2);
  });

  it('indexes spans in ss4o with events and links; traces_index placeholders, fallback and time suffix; the index action', async () => {
    const os = await node();
    const { exporter, metric } = await start({
      http: { endpoint: os.url },
      traces_index: 'otel-traces-%{service.name}-%{team}',
      traces_index_fallback: 'none',
      traces_index_time_format: 'yyyy.MM.dd',
      bulk_action: 'index',
      dataset: 'shop',
      namespace: 'prod',
    });
    await exporter.consume(tracesBatch());
    const req = os.requests[0];
    expect(req?.actions).toEqual([{ action: 'index', index: 'otel-traces-checkout-none-2023.11.14' }]);
    expect(req?.docs[0]).toMatchObject({
      attributes: { 'http.status_code': 201, data_stream: { dataset: 'shop', namespace: 'prod', type: 'span' } },
      droppedAttributesCount: 0,
      endTime: '2023-11-14T22:13:21.987654321Z',
      events: [{ attributes: { ok: true }, droppedAttributesCount: 0, name: 'validated', '@timestamp': '2023-11-14T22:13:20.123456789Z' }],
      instrumentationScope: { name: 'ferry-test', version: '1.2.3', droppedAttributesCount: 0 },
      kind: 'Server',
      links: [{ attributes: { link: 'l' }, spanId: PARENT_SPAN_ID, traceId: TRACE_ID }],
      name: 'POST /orders',
      parentSpanId: PARENT_SPAN_ID,
      spanId: SPAN_ID,
      startTime: '2023-11-14T22:13:20.123456789Z',
      status: { code: 'Error', message: 'boom' },
      traceId: TRACE_ID,
      traceState: 'vendor=1',
    });
    expect(await metric('sent', 'spans')).toBe(1);
  });

  it('routes each log record by its attributes (record > scope > resource) and gzips; flatten_attributes writes the log data model', async () => {
    const os = await node();
    const { exporter } = await start({ http: { endpoint: os.url, compression: 'gzip' }, logs_index: 'otel-logs-%{service.name}', mapping: { mode: 'flatten_attributes' } });
    const batch = makeBatch('logs', [
      { resource: { attributes: [str('service.name', 'api')] }, scopeLogs: [{ scope: { name: 's', attributes: [] }, logRecords: [{ attributes: [], body: { stringValue: 'a' }, timeUnixNano: '1700000000000000000' }] }] },
      { resource: { attributes: [] }, scopeLogs: [{ scope: { name: 's', attributes: [] }, logRecords: [{ attributes: [str('service.name', 'web'), str('user.id', 'u1')], body: { stringValue: 'b' } }, { attributes: [], body: { stringValue: 'c' } }] }] },
    ]);
    await exporter.consume(batch);
    const req = os.requests[0];
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.actions.map((a) => a.index)).toEqual(['otel-logs-api', 'otel-logs-web', 'otel-logs-unknown']);
    expect(req?.docs[0]).toEqual({ '@timestamp': '2023-11-14T22:13:20.000000000Z', Body: 'a', SeverityNumber: 0, TraceFlags: 0, service: { name: 'api' } });
    expect(req?.docs[1]).toMatchObject({ Body: 'b', user: { id: 'u1' } });
  });

  it('bodymap: a map body is the document; a record whose body is not a map is dropped and counted', async () => {
    const os = await node();
    const { exporter, metric } = await start({ http: { endpoint: os.url }, logs_index: 'events', mapping: { mode: 'bodymap' } });
    await expect(exporter.consume(logsBatch())).rejects.toThrow(/OpenSearch refused 1 of 2 log records: 1 dropped: the bodymap mapping needs a map body, not Str/);
    expect(os.indexed()).toEqual([{ index: 'events', doc: { msg: 'payment failed' } }]);
    expect(await metric('sent')).toBe(1);
    expect(await metric('send_failed')).toBe(1);
  });

  it('retries a document refused with 429 alone; drops a 400 one; a 401 is permanent and shows no secret', async () => {
    const os = await node();
    let first = true;
    os.itemStatus = (doc) => {
      if (doc.body === 'order placed' && first) {
        first = false;
        return 429;
      }
      return doc.body === '{"msg":"payment failed"}' ? 400 : undefined;
    };
    const { exporter, metric, logger } = await start({ http: { endpoint: os.url } });
    // The 400 is dropped and counted at once; the 429 goes again alone and is indexed.
    await exporter.consume(logsBatch());
    expect(JSON.stringify(logger.lines)).toMatch(/document_parsing_exception/);
    expect(os.requests.map((r) => r.docs.length)).toEqual([2, 1]);
    expect(os.indexed().map((d) => d.doc.body)).toEqual(['order placed']);
    expect(await metric('sent')).toBe(1);
    expect(await metric('send_failed')).toBe(1);
    expect(JSON.stringify(logger.lines)).not.toContain('SECRET-DOC-VALUE');
    await exporter.shutdown();

    const locked = await node();
    locked.expectAuthorization = 'Basic nobody';
    const second = await start({ http: { endpoint: locked.url }, user: 'admin', password: 'wrong-s3cret' });
    const err = await second.exporter.consume(logsBatch()).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/HTTP 401: security_exception/);
    expect((err as Error).message).not.toContain('wrong-s3cret');
    expect(locked.requests).toHaveLength(1);
  });

  it('validation: a missing endpoint and a bad time format name their fixes', () => {
    const cfg = withDefaults<OpenSearchConfig>(configSchema, { logs_index_time_format: 'yyyy/MM' });
    const saved = process.env.OPENSEARCH_URL;
    delete process.env.OPENSEARCH_URL;
    try {
      const problems = opensearchExporter.validate?.(cfg) ?? [];
      expect(problems.map((p) => p.path)).toEqual(['http.endpoint', 'logs_index_time_format']);
    } finally {
      if (saved !== undefined) process.env.OPENSEARCH_URL = saved;
    }
  });
});
