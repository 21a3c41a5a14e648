// The elasticsearch exporter against a fake node that checks each request as the Bulk API
// reference specifies it (https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html)
// and answers with its documented bodies, per-item errors included. Keys, defaults and document
// layouts follow the contrib elasticsearchexporter README and its model.go.
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { elasticsearchExporter, type ElasticsearchConfig } from '../../../src/exporters/elasticsearch/index.js';
import { bulkBody } from '../../../src/exporters/elasticsearch/bulk.js';
import { cloudIdUrl, configSchema } from '../../../src/exporters/elasticsearch/config.js';
import { logDocuments } from '../../../src/exporters/elasticsearch/document.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { makeBatch, type LogsBatch } from '../../../src/pdata/batch.js';
import type { KeyValue, LogRecord } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { freePort, testHost } from '../../helpers/index.js';
import { PARENT_SPAN_ID, SPAN_ID, TRACE_ID, logsBatch, metricValue, recordingLogger, tracesBatch, withDefaults } from '../helper/fixtures.js';
import { FakeElasticsearch } from './server.js';
import { str } from '../../helpers/values.js';

const FAST_RETRY = { initial_interval: '10ms', max_interval: '50ms' };
const NO_QUEUE = { enabled: false };

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
  const cfg = withDefaults<ElasticsearchConfig>(configSchema, { sending_queue: NO_QUEUE, ...config, retry: { ...FAST_RETRY, ...(config.retry as object | undefined) } });
  expect(elasticsearchExporter.validate?.(cfg)).toEqual([]);
  exporter = elasticsearchExporter.create(cfg, { id: 'elasticsearch/test', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  const metric = (what: 'sent' | 'send_failed', noun: 'log_records' | 'spans' = 'log_records') =>
    metricValue(telemetry, `otelcol_exporter_${what}_${noun}_total`, { exporter: 'elasticsearch/test' });
  return { exporter, logger, metric };
}

/** -9007199254740993 as JSON.parse reads it (2^53 + 1 is not a double); the raw text is checked for the exact digits. */
const PARSED_BIG = Number('-9007199254740993');

function records(bodies: string[], extra: Partial<LogRecord> = {}, resource: KeyValue[] = [str('service.name', 'api')]): LogsBatch {
  return makeBatch('logs', [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: 's', attributes: [] }, logRecords: bodies.map((b) => ({ attributes: [], body: { stringValue: b }, ...extra })) }] }]);
}

const bodyText = (doc: Record<string, unknown>): string => ((doc.body as { text?: string } | undefined)?.text ?? String(doc.Body));

describe('elasticsearch exporter: what arrives', () => {
  it('posts NDJSON create actions to /_bulk with the pipeline and an API key, in the otel mapping mode by default', async () => {
    const es = await node();
    const { exporter, metric } = await start({ endpoints: [es.url], api_key: 'ZXhhbXBsZTprZXk=', pipeline: 'otel-logs', headers: { 'X-Opaque-Id': 'ferry-test' } });
    await exporter.consume(logsBatch());
    expect(es.requests).toHaveLength(1);
    const req = es.requests[0];
    expect(req?.invalid).toBeUndefined();
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/_bulk');
    expect(req?.query.get('pipeline')).toBe('otel-logs');
    expect(req?.headers['content-type']).toBe('application/x-ndjson');
    expect(req?.headers.authorization).toBe('ApiKey ZXhhbXBsZTprZXk=');
    expect(req?.headers['x-opaque-id']).toBe('ferry-test');
    expect(req?.headers['user-agent']).toMatch(/^Ferry\//);
    // Every line is JSON, and the body ends with a newline.
    expect(req?.raw.endsWith('\n')).toBe(true);
    const lines = (req?.raw ?? '').slice(0, -1).split('\n');
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
    expect(req?.actions).toEqual([
      { action: 'create', index: 'logs-generic-default' },
      { action: 'create', index: 'logs-generic-default' },
    ]);
    // int64 beyond 2^53 is written exactly.
    expect(req?.raw).toContain('"host.cpus":-9007199254740993');
    const [first, second] = req?.docs ?? [];
    expect(first).toEqual({
      '@timestamp': '2023-11-14T22:13:20.123456789Z',
      observed_timestamp: '2023-11-14T22:13:21.987654321Z',
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
      severity_text: 'INFO',
      severity_number: 9,
      event_name: 'order.placed',
      dropped_attributes_count: 0,
      attributes: { 'order.id': 42 },
      resource: {
        attributes: { blob: 'AP8Q', 'host.cpus': PARSED_BIG, 'nested.inner': 'x', ratio: 0.25, ready: true, 'service.name': 'checkout', tags: ['a', 7] },
        dropped_attributes_count: 0,
        schema_url: 'https://opentelemetry.io/schemas/1.26.0',
      },
      scope: { name: 'ferry-test', version: '1.2.3', attributes: { 'scope.attr': 's' }, dropped_attributes_count: 0 },
      body: { text: 'order placed' },
    });
    expect(second).toMatchObject({ '@timestamp': '2023-11-14T22:13:21.987654321Z', severity_text: 'ERROR', dropped_attributes_count: 2, attributes: { retry: true }, body: { structured: { msg: 'payment failed' } } });
    expect(second).not.toHaveProperty('observed_timestamp');
    expect(await metric('sent')).toBe(2);
  });

  it('writes the contrib\'s original layout in the none mode (dedotted) and the raw mode (no Attributes. prefix), with Basic auth', async () => {
    const es = await node();
    es.expectAuthorization = `Basic ${Buffer.from('elastic:changeme').toString('base64')}`;
    const none = await start({ endpoint: es.url, user: 'elastic', password: 'changeme', mapping: { mode: 'none' } });
    await none.exporter.consume(logsBatch());
    expect(es.requests[0]?.status).toBe(200);
    expect(es.requests[0]?.raw).toContain('"host":{"cpus":-9007199254740993}');
    expect(es.requests[0]?.docs[0]).toEqual({
      '@timestamp': '2023-11-14T22:13:20.123456789Z',
      TraceId: TRACE_ID,
      SpanId: SPAN_ID,
      TraceFlags: 1,
      SeverityText: 'INFO',
      SeverityNumber: 9,
      Body: 'order placed',
      Attributes: { order: { id: 42 } },
      Resource: { blob: 'AP8Q', host: { cpus: PARSED_BIG }, nested: { inner: 'x' }, ratio: 0.25, ready: true, service: { name: 'checkout' }, tags: ['a', 7] },
      Scope: { name: 'ferry-test', version: '1.2.3', scope: { attr: 's' } },
    });
    expect(es.requests[0]?.docs[1]).toMatchObject({ Body: { msg: 'payment failed' }, Attributes: { retry: true }, SeverityNumber: 17 });
    await none.exporter.shutdown();

    const raw = await start({ endpoint: es.url, user: 'elastic', password: 'changeme', mapping: { mode: 'raw', dedot: false } });
    await raw.exporter.consume(logsBatch());
    expect(es.requests[1]?.docs[0]).toMatchObject({ 'order.id': 42, 'Resource.service.name': 'checkout', 'Scope.name': 'ferry-test' });
    expect(es.requests[1]?.docs[0]).not.toHaveProperty('Attributes');
  });

  it('maps spans in the otel mode, with span events as documents of their own', async () => {
    const es = await node();
    const { exporter, metric } = await start({ endpoints: [es.url] });
    await exporter.consume(tracesBatch());
    const req = es.requests[0];
    expect(req?.actions).toEqual([
      { action: 'create', index: 'traces-generic-default' },
      { action: 'create', index: 'traces-generic-default' },
    ]);
    expect(req?.docs[0]).toMatchObject({
      '@timestamp': '2023-11-14T22:13:20.123456789Z',
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
      parent_span_id: PARENT_SPAN_ID,
      trace_state: 'vendor=1',
      name: 'POST /orders',
      kind: 'Server',
      duration: 1864197532,
      attributes: { 'http.status_code': 201 },
      links: [{ trace_id: TRACE_ID, span_id: PARENT_SPAN_ID, attributes: { link: 'l' }, dropped_attributes_count: 0 }],
      status: { message: 'boom', code: 'Error' },
      resource: { attributes: { 'service.name': 'checkout' } },
      scope: { name: 'ferry-test' },
    });
    expect(req?.docs[1]).toMatchObject({ '@timestamp': '2023-11-14T22:13:20.123456789Z', trace_id: TRACE_ID, span_id: SPAN_ID, attributes: { 'event.name': 'validated', ok: true } });
    expect(await metric('sent', 'spans')).toBe(1);
  });

  it('maps spans in the none mode as the contrib did (Kind, Duration in µs, Events.*, Link)', async () => {
    const es = await node();
    const { exporter } = await start({ endpoints: [es.url], mapping: { mode: 'none' } });
    await exporter.consume(tracesBatch());
    const doc = es.requests[0]?.docs[0];
    expect(es.requests[0]?.docs).toHaveLength(1);
    expect(doc).toMatchObject({
      '@timestamp': '2023-11-14T22:13:20.123456789Z',
      EndTimestamp: '2023-11-14T22:13:21.987654321Z',
      TraceId: TRACE_ID,
      ParentSpanId: PARENT_SPAN_ID,
      Name: 'POST /orders',
      Kind: 'SPAN_KIND_SERVER',
      TraceStatus: 2,
      TraceStatusDescription: 'boom',
      Duration: 1864197,
      Attributes: { http: { status_code: 201 } },
      Events: { validated: { time: '2023-11-14T22:13:20.123456789Z', ok: true } },
    });
    expect(JSON.parse(String(doc?.Link))).toEqual([{ attribute: { link: 'l' }, spanID: PARENT_SPAN_ID, traceID: TRACE_ID }]);
  });

  it('puts each record in the index of its UTC date: %{+yyyy.MM.dd} in the index name, and logstash_format', async () => {
    const es = await node();
    const { exporter } = await start({ endpoints: [es.url], logs_index: 'app-%{+yyyy.MM.dd}' });
    const before = makeBatch('logs', [
      {
        resource: { attributes: [] },
        scopeLogs: [
          {
            logRecords: [
              { attributes: [], body: { stringValue: 'late' }, timeUnixNano: '1700006399900000000' }, // 2023-11-14T23:59:59.9Z
              { attributes: [], body: { stringValue: 'early' }, timeUnixNano: '1700006400100000000' }, // 2023-11-15T00:00:00.1Z
              { attributes: [], body: { stringValue: 'observed only' }, observedTimeUnixNano: '1700006400100000000' },
            ],
          },
        ],
      },
    ]);
    await exporter.consume(before);
    expect(es.requests[0]?.actions.map((a) => a.index)).toEqual(['app-2023.11.14', 'app-2023.11.15', 'app-2023.11.15']);
    await exporter.shutdown();

    const logstash = await start({ endpoints: [es.url], logstash_format: { enabled: true, date_format: '%Y-%m-%d.%H' } });
    await logstash.exporter.consume(before);
    expect(es.requests[1]?.actions.map((a) => a.index)).toEqual(['logs-generic-default-2023-11-14.23', 'logs-generic-default-2023-11-15.00', 'logs-generic-default-2023-11-15.00']);
  });

  it('routes by data_stream.* or elasticsearch.index.prefix/suffix attributes with logs_dynamic_index', async () => {
    const es = await node();
    const { exporter } = await start({ endpoints: [es.url], logs_dynamic_index: { enabled: true } });
    await exporter.consume(
      makeBatch('logs', [
        { resource: { attributes: [str('elasticsearch.index.prefix', 'team-a-')] }, scopeLogs: [{ logRecords: [{ attributes: [], body: { stringValue: 'p' } }] }] },
        { resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ attributes: [str('data_stream.dataset', 'nginx'), str('data_stream.namespace', 'prod')], body: { stringValue: 'd' } }] }] },
        { resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ attributes: [], body: { stringValue: 'g' } }] }] },
      ]),
    );
    expect(es.requests[0]?.actions.map((a) => a.index)).toEqual(['team-a-logs-generic-default', 'logs-nginx.otel-prod', 'logs-generic.otel-default']);
    expect(es.requests[0]?.docs[1]).toMatchObject({ data_stream: { type: 'logs', dataset: 'nginx.otel', namespace: 'prod' }, attributes: {} });
  });
});

describe('elasticsearch exporter: failures', () => {
  it('retries only the item refused with 429, drops and counts the 400 with its reason (never the document)', async () => {
    const es = await node();
    es.itemStatus = (doc, n) => (n > 0 ? undefined : bodyText(doc) === 'r1' ? 429 : bodyText(doc) === 'r3' ? 400 : undefined);
    const { exporter, metric, logger } = await start({ endpoints: [es.url] });
    await exporter.consume(records(['r0', 'r1', 'r2', 'r3', 'r4']));
    expect(es.requests).toHaveLength(2);
    expect(es.requests[0]?.docs.map(bodyText)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(es.requests[1]?.docs.map(bodyText)).toEqual(['r1']);
    expect(es.indexed().map((d) => bodyText(d.doc)).sort()).toEqual(['r0', 'r1', 'r2', 'r4']);
    expect(await metric('sent')).toBe(4);
    expect(await metric('send_failed')).toBe(1);
    const dropLine = logger.lines.find((l) => l.level === 'warn' && String(l.fields.error).includes('document_parsing_exception'));
    expect(dropLine, JSON.stringify(logger.lines)).toBeDefined();
    expect(String(dropLine?.fields.error)).toContain('400 document_parsing_exception ([1:42] failed to parse field [attributes.order.id] of type [long]');
    expect(JSON.stringify(logger.lines)).not.toContain('SECRET-DOC-VALUE');
  });

  it('gives up on a document after retry.max_retries and counts it as failed', async () => {
    const es = await node();
    es.itemStatus = (doc) => (bodyText(doc) === 'r1' ? 429 : undefined);
    const { exporter, metric } = await start({ endpoints: [es.url], retry: { max_retries: 2 } });
    const err = await exporter.consume(records(['r0', 'r1', 'r2'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/no more retries left after 3 refusals \(retry\.max_retries: 2\).*429 es_rejected_execution_exception/);
    expect(es.requests.map((r) => r.docs.map(bodyText))).toEqual([['r0', 'r1', 'r2'], ['r1'], ['r1']]);
    expect(await metric('sent')).toBe(2);
    expect(await metric('send_failed')).toBe(1);
  });

  it('retries a whole-request 429 (retry_on_status) after its Retry-After and a 503; a 400 is final', async () => {
    const es = await node();
    es.replies.push({ status: 429, headers: { 'retry-after': '1' }, body: { error: { type: 'circuit_breaking_exception', reason: '[parent] Data too large' }, status: 429 } }, { status: 503, body: {} });
    const { exporter, metric, logger } = await start({ endpoints: [es.url] });
    await exporter.consume(records(['a', 'b']));
    expect(es.requests.map((r) => r.status)).toEqual([429, 503, 200]);
    // The first wait is the server's Retry-After (1s), not the 10ms backoff.
    const waits = logger.lines.filter((l) => l.message.startsWith('Exporting failed. Will retry')).map((l) => l.fields.interval);
    expect(waits[0]).toBe('1s');
    expect(String(logger.lines.find((l) => l.message.startsWith('Exporting failed. Will retry'))?.fields.error)).toContain('HTTP 429: circuit_breaking_exception: [parent] Data too large');
    expect(await metric('sent')).toBe(2);

    es.replies.push({ status: 400, body: { error: { type: 'illegal_argument_exception', reason: 'pipeline with id [x] does not exist' }, status: 400 } });
    const err = await exporter.consume(records(['c'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('HTTP 400: illegal_argument_exception: pipeline with id [x] does not exist');
    expect(await metric('send_failed')).toBe(1);
  });

  it('splits a request the node finds too large (413), and drops a document too large on its own', async () => {
    const es = await node();
    const big = (c: string): string => c.repeat(400);
    // Room for two of these documents but not four.
    const cfg = withDefaults<ElasticsearchConfig>(configSchema, { endpoint: es.url });
    es.maxContentLength = bulkBody(logDocuments(cfg, records([big('a'), big('b')]))).byteLength + 10;
    const { exporter, metric } = await start({ endpoints: [es.url] });
    await exporter.consume(records([big('a'), big('b'), big('c'), big('d')]));
    expect(es.requests.map((r) => r.status)).toEqual([413, 200, 200]);
    expect(es.requests.slice(1).map((r) => r.docs.map(bodyText))).toEqual([[big('a'), big('b')], [big('c'), big('d')]]);
    expect(await metric('sent')).toBe(4);

    es.maxContentLength = 100;
    const err = await exporter.consume(records(['x'.repeat(200)])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('HTTP 413');
    expect(await metric('send_failed')).toBe(1);
  });

  it('uses the endpoints in turn, and skips a node that is down or unavailable', async () => {
    const [a, b] = [await node(), await node()];
    const { exporter } = await start({ endpoints: [a.url, b.url] });
    for (const body of ['1', '2', '3', '4']) await exporter.consume(records([body]));
    expect(a.requests).toHaveLength(2);
    expect(b.requests).toHaveLength(2);
    await exporter.shutdown();

    const down = `http://127.0.0.1:${await freePort()}`;
    a.replies.push({ status: 503, body: {} });
    const failover = await start({ endpoints: [down, a.url, b.url] });
    await failover.exporter.consume(records(['x']));
    await failover.exporter.consume(records(['y']));
    // x: the dead node, then a's 503, then b; y: the next in turn after b is the dead node again, then a.
    expect(a.requests.slice(2).map((r) => r.status)).toEqual([503, 200]);
    expect(b.indexed().map((d) => bodyText(d.doc))).toContain('x');
    expect(a.indexed().map((d) => bodyText(d.doc))).toContain('y');
  });

  it('keeps password and api_key out of errors and logs', async () => {
    const es = await node();
    es.expectAuthorization = 'nobody';
    const basic = await start({ endpoints: [es.url], user: 'elastic', password: 'pa55-w0rd', retry: { enabled: false } });
    const err = await basic.exporter.consume(records(['a'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('HTTP 401: security_exception: unable to authenticate user');
    expect((err as Error).message).not.toContain('pa55-w0rd');
    expect(JSON.stringify(basic.logger.lines)).not.toContain('pa55-w0rd');
    await basic.exporter.shutdown();

    const key = await start({ endpoints: [es.url.replace('://', '://u:url-secret@')], api_key: 'c2VjcmV0LWtleQ==', retry: { enabled: false } });
    const err2 = await key.exporter.consume(records(['a'])).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(PermanentError);
    for (const secret of ['c2VjcmV0LWtleQ==', 'url-secret']) {
      expect((err2 as Error).message).not.toContain(secret);
      expect(JSON.stringify(key.logger.lines)).not.toContain(secret);
    }
  });

  it('a refused connection is retryable', async () => {
    const { exporter } = await start({ endpoint: `http://127.0.0.1:${await freePort()}`, retry: { enabled: false } });
    const err = await exporter.consume(records(['a'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });
});

describe('elasticsearch config', () => {
  const check = (config: Record<string, unknown>) => elasticsearchExporter.validate?.(withDefaults<ElasticsearchConfig>(configSchema, config)) ?? [];

  it('has the contrib defaults', () => {
    const cfg = withDefaults<ElasticsearchConfig>(configSchema, { endpoint: 'http://es:9200' });
    expect(cfg).toMatchObject({
      logs_index: 'logs-generic-default',
      traces_index: 'traces-generic-default',
      timeout: '90s',
      mapping: { mode: 'otel' },
      retry: { enabled: true, initial_interval: '100ms', max_interval: '1m', retry_on_status: [429] },
      logstash_format: { enabled: false, prefix_separator: '-', date_format: '%Y.%m.%d' },
    });
  });

  it('needs exactly one of endpoint, endpoints and cloudid, and says how to set one', () => {
    const saved = process.env.ELASTICSEARCH_URL;
    delete process.env.ELASTICSEARCH_URL;
    try {
      expect(check({})).toEqual([expect.objectContaining({ path: 'endpoints', fix: expect.stringContaining('endpoints: [https://elasticsearch:9200]') })]);
      expect(check({ endpoint: 'http://a:9200', endpoints: ['http://b:9200'] })).toEqual([expect.objectContaining({ path: 'endpoints', message: expect.stringContaining('only one of') })]);
      expect(check({ endpoints: ['es:9200'] })).toEqual([expect.objectContaining({ path: 'endpoints[0]' })]);
    } finally {
      if (saved !== undefined) process.env.ELASTICSEARCH_URL = saved;
    }
  });

  it('reads a Cloud ID as go-elasticsearch does', () => {
    expect(cloudIdUrl('foo:YmFyLmNsb3VkLmVzLmlvJGFiYzEyMyRkZWY0NTY=')).toBe('https://abc123.bar.cloud.es.io');
    expect(cloudIdUrl(`x:${Buffer.from('eu.gcp.cloud.es.io:9243$es1$kb1').toString('base64')}`)).toBe('https://es1.eu.gcp.cloud.es.io:9243');
    expect(check({ cloudid: 'not-a-cloud-id' })).toEqual([expect.objectContaining({ path: 'cloudid' })]);
  });

  it('refuses unsupported date patterns, max_requests with max_retries, and unsupported mapping modes', () => {
    expect(check({ endpoint: 'http://es:9200', logs_index: 'logs-%{+yyyy.ww}' })).toEqual([expect.objectContaining({ path: 'logs_index', fix: expect.stringContaining('yyyy, yy, MM, dd and HH') })]);
    expect(check({ endpoint: 'http://es:9200', traces_index: 'Traces-%{+yyyy.MM}' })).toEqual([expect.objectContaining({ path: 'traces_index', fix: 'write it in lower case: traces-%{+yyyy.MM}' })]);
    expect(check({ endpoint: 'http://es:9200', logstash_format: { enabled: true, date_format: '%Y.%j' } })).toEqual([expect.objectContaining({ path: 'logstash_format.date_format' })]);
    expect(check({ endpoint: 'http://es:9200', retry: { max_requests: 3, max_retries: 2 } })).toEqual([expect.objectContaining({ path: 'retry.max_requests' })]);
    expect(() => withDefaults(configSchema, { endpoint: 'http://es:9200', mapping: { mode: 'ecs' } })).toThrow(/allowed values/);
  });
});
