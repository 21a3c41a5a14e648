// The loki exporter against a fake Loki that checks each push as the Loki HTTP API reference
// specifies it (https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs) and
// decodes the protobuf with upstream's field numbers (grafana/loki pkg/push/push.proto). Labels,
// hints and line formats follow the contrib lokiexporter README and pkg/translator/loki.
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { lokiExporter, type LokiConfig } from '../../../src/exporters/loki/index.js';
import { configSchema } from '../../../src/exporters/loki/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { makeBatch, type LogsBatch } from '../../../src/pdata/batch.js';
import type { KeyValue, LogRecord } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { SPAN_ID, T1, T2, TRACE_ID, logsBatch, metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { FakeLoki } from './server.js';
import { str } from '../../helpers/values.js';

const FAST_RETRY = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };
const NO_QUEUE = { enabled: false };

let loki: FakeLoki | undefined;
let exporter: QueuedExporter | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  await loki?.close();
  exporter = undefined;
  loki = undefined;
});

async function start(config: Record<string, unknown> = {}, endpoint?: (url: string) => string) {
  loki = await FakeLoki.start();
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<LokiConfig>(configSchema, { endpoint: endpoint ? endpoint(loki.pushUrl) : loki.pushUrl, retry_on_failure: FAST_RETRY, sending_queue: NO_QUEUE, ...config });
  expect(lokiExporter.validate?.(cfg)).toEqual([]);
  exporter = lokiExporter.create(cfg, { id: 'loki/test', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  const metric = (what: 'sent' | 'send_failed') => metricValue(telemetry, `otelcol_exporter_${what}_log_records_total`, { exporter: 'loki/test' });
  return { loki, exporter, logger, metric };
}

const HINT_RES = 'loki.resource.labels';

/** Records under one resource, with the given resource and record attributes. */
function batch(resource: KeyValue[], records: Array<Partial<LogRecord>>): LogsBatch {
  return makeBatch('logs', [
    { resource: { attributes: resource }, scopeLogs: [{ scope: { name: 'app', attributes: [] }, logRecords: records.map((r) => ({ attributes: [], ...r })) }] },
  ]);
}

describe('loki exporter: what arrives', () => {
  it('pushes snappy-compressed protobuf to the push URL, one stream per label set, with the contrib\'s default labels and JSON line', async () => {
    const { loki, exporter, metric } = await start({ headers: { 'X-Custom': 'yes' } });
    await exporter.consume(logsBatch());
    expect(loki.requests).toHaveLength(1);
    const req = loki.requests[0];
    expect(req?.invalid).toBeUndefined();
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/loki/api/v1/push');
    expect(req?.headers['content-type']).toBe('application/x-protobuf');
    expect(req?.headers['content-encoding']).toBeUndefined();
    expect(req?.headers['x-custom']).toBe('yes');
    expect(req?.headers['x-scope-orgid']).toBeUndefined();
    expect(req?.headers['user-agent']).toMatch(/^Ferry\//);
    const streams = req?.streams ?? [];
    expect(streams.map((s) => s.labels)).toEqual(
      expect.arrayContaining([
        { exporter: 'OTLP', job: 'checkout', level: 'INFO' },
        { exporter: 'OTLP', job: 'checkout', level: 'ERROR' },
      ]),
    );
    expect(streams).toHaveLength(2);
    const info = streams.find((s) => s.labels.level === 'INFO');
    expect(info?.entries).toEqual([
      {
        ts: T1,
        metadata: {},
        line:
          `{"body":"order placed","traceid":"${TRACE_ID}","spanid":"${SPAN_ID}","severity":"INFO","flags":1,"attributes":{"order.id":42},` +
          '"resources":{"blob":"AP8Q","host.cpus":-9007199254740993,"nested":{"inner":"x"},"ratio":0.25,"ready":true,"service.name":"checkout","tags":["a",7]},' +
          '"instrumentation_scope":{"name":"ferry-test","version":"1.2.3"}}',
      },
    ]);
    const error = streams.find((s) => s.labels.level === 'ERROR');
    expect(error?.entries[0]?.ts).toBe(T2);
    expect(JSON.parse(error?.entries[0]?.line ?? '')).toMatchObject({ body: { msg: 'payment failed' }, severity: 'ERROR', attributes: { retry: true } });
    expect(await metric('sent')).toBe(2);
  });

  it('sends the documented JSON body when encoding is json, gzipped on request', async () => {
    const { loki, exporter } = await start({ encoding: 'json', compression: 'gzip' });
    await exporter.consume(logsBatch());
    const req = loki.requests[0];
    expect(req?.invalid).toBeUndefined();
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(loki.entries().map((e) => [e.labels.level, e.ts])).toEqual(expect.arrayContaining([['INFO', T1], ['ERROR', T2]]));
  });

  it.each(['proto', 'json'])('sorts the entries of each stream oldest first, whatever the record order (%s)', async (encoding) => {
    const { loki, exporter } = await start({ encoding });
    const times = ['1700000003000000000', '1700000001000000000', '1700000002000000000'];
    await exporter.consume(batch([str('service.name', 'api')], times.map((t, i) => ({ timeUnixNano: t, body: { stringValue: `m${i}` } }))));
    expect(loki.requests[0]?.invalid).toBeUndefined();
    expect(loki.entries().map((e) => e.ts)).toEqual([...times].sort());
    expect(loki.entries().map((e) => JSON.parse(e.line).body as string)).toEqual(['m1', 'm2', 'm0']);
  });

  it('promotes the attributes named by the loki.*.labels hints, normalizes their names, and leaves them and the hints out of the line', async () => {
    const { loki, exporter } = await start();
    await exporter.consume(
      batch(
        [str('service.name', 'api'), str('service.namespace', 'shop'), str('service.instance.id', 'pod-1'), str('k8s.pod.name', 'api-7'), str(HINT_RES, 'k8s.pod.name')],
        [{ body: { stringValue: 'hi' }, attributes: [str('http.route', '/orders'), str('user.id', 'u1'), str('loki.attribute.labels', 'http.route')], timeUnixNano: T1 }],
      ),
    );
    const [entry] = loki.entries();
    expect(entry?.labels).toEqual({ exporter: 'OTLP', job: 'shop/api', instance: 'pod-1', k8s_pod_name: 'api-7', http_route: '/orders' });
    const line = JSON.parse(entry?.line ?? '') as { attributes: Record<string, unknown>; resources: Record<string, unknown> };
    expect(line.attributes).toEqual({ 'user.id': 'u1' });
    expect(line.resources).toEqual({ 'service.name': 'api', 'service.namespace': 'shop', 'service.instance.id': 'pod-1' });
  });

  it('takes label lists from the configuration (the contrib\'s earlier labels.attributes / resource / record) and can turn default labels off', async () => {
    const { loki, exporter } = await start({
      labels: { resource: { 'service.name': 'service_name' }, attributes: { 'http.method': '' }, record: { severity: 'severity' } },
      default_labels_enabled: { exporter: false, job: false, level: false },
    });
    await exporter.consume(batch([str('service.name', 'api')], [{ body: { stringValue: 'hi' }, severityText: 'WARN', severityNumber: 13, attributes: [str('http.method', 'GET')] }]));
    const [entry] = loki.entries();
    expect(entry?.labels).toEqual({ service_name: 'api', http_method: 'GET', severity: 'WARN' });
    const line = JSON.parse(entry?.line ?? '') as Record<string, unknown>;
    expect(line.attributes).toBeUndefined();
    expect(line.resources).toBeUndefined();
  });

  it('writes logfmt or raw lines, from the configuration or the loki.format hint', async () => {
    const { loki, exporter } = await start({ format: 'logfmt' });
    await exporter.consume(
      batch(
        [str('service.name', 'api')],
        [
          { timeUnixNano: '1700000000000000001', body: { stringValue: 'user logged in' }, severityText: 'INFO', attributes: [str('user', 'ann lee')], traceId: Buffer.from(TRACE_ID, 'hex') },
          { timeUnixNano: '1700000000000000002', body: { stringValue: 'status=200 path=/x' }, attributes: [] },
          { timeUnixNano: '1700000000000000003', body: { stringValue: 'plain text' }, attributes: [str('loki.format', 'raw')] },
        ],
      ),
    );
    expect(loki.entries().map((e) => e.line)).toEqual([
      `msg="user logged in" traceID=${TRACE_ID} severity=INFO attribute_user="ann lee" resource_service.name=api instrumentation_scope_name=app`,
      'status=200 path=/x resource_service.name=api instrumentation_scope_name=app',
      'plain text',
    ]);
  });

  it('puts the other attributes and trace/span ids in structured metadata when enabled', async () => {
    const { loki, exporter } = await start({ structured_metadata: { enabled: true }, encoding: 'json' });
    await exporter.consume(logsBatch());
    const info = loki.entries().find((e) => e.labels.level === 'INFO');
    expect(info?.metadata).toEqual({ order_id: '42', trace_id: TRACE_ID, span_id: SPAN_ID });
    const line = JSON.parse(info?.line ?? '') as Record<string, unknown>;
    expect(line).not.toHaveProperty('attributes');
    expect(line).not.toHaveProperty('traceid');
    // The same through protobuf: structuredMetadata, field 3 of EntryAdapter.
    await exporter.shutdown();
    await loki.close();
    const again = await start({ structured_metadata: { enabled: true } });
    await again.exporter.consume(logsBatch());
    expect(again.loki.entries().find((e) => e.labels.level === 'INFO')?.metadata).toEqual({ order_id: '42', trace_id: TRACE_ID, span_id: SPAN_ID });
  });

  it('sends tenant_id as X-Scope-OrgID, and one request per tenant named by the loki.tenant hint', async () => {
    const { loki, exporter, metric } = await start({ tenant_id: 'fallback' });
    await exporter.consume(
      makeBatch('logs', [
        { resource: { attributes: [str('service.name', 'a'), str('loki.tenant', 'team'), str('team', 'blue')] }, scopeLogs: [{ logRecords: [{ attributes: [], body: { stringValue: 'b1' } }] }] },
        { resource: { attributes: [str('service.name', 'a'), str('loki.tenant', 'team'), str('team', 'red')] }, scopeLogs: [{ logRecords: [{ attributes: [], body: { stringValue: 'r1' } }] }] },
        { resource: { attributes: [str('service.name', 'a')] }, scopeLogs: [{ logRecords: [{ attributes: [], body: { stringValue: 'n1' } }] }] },
      ]),
    );
    expect(loki.requests).toHaveLength(3);
    const byTenant = Object.fromEntries(loki.entries().map((e) => [e.tenant, { body: (JSON.parse(e.line) as { body: string }).body, team: e.labels.team }]));
    expect(byTenant).toEqual({ blue: { body: 'b1', team: 'blue' }, red: { body: 'r1', team: 'red' }, fallback: { body: 'n1', team: undefined } });
    expect(await metric('sent')).toBe(3);
  });
});

describe('loki exporter: failures', () => {
  it('does not retry a 400, keeps Loki\'s message, and counts send_failed', async () => {
    const { loki, exporter, metric } = await start();
    loki.replies.push({ status: 400, body: 'error at least one label pair is required per stream\n' });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('HTTP 400: error at least one label pair is required per stream');
    expect(loki.requests).toHaveLength(1);
    expect(await metric('send_failed')).toBe(2);
    expect(await metric('sent')).toBe(0);
  });

  it('retries 429 after its Retry-After and 5xx, then delivers', async () => {
    const { loki, exporter, metric, logger } = await start();
    loki.replies.push({ status: 429, headers: { 'retry-after': '1' }, body: 'Ingestion rate limit exceeded' }, { status: 500, body: 'internal' });
    await exporter.consume(logsBatch());
    expect(loki.requests.map((r) => r.status)).toEqual([429, 500, 204]);
    // The first wait is Loki's Retry-After (1s), not the 10ms backoff.
    expect(logger.lines.find((l) => l.message.startsWith('Exporting failed. Will retry'))?.fields).toMatchObject({ interval: '1s', error: expect.stringContaining('HTTP 429: Ingestion rate limit exceeded') });
    expect(loki.entries()).toHaveLength(2);
    expect(await metric('sent')).toBe(2);
    expect(await metric('send_failed')).toBe(0);
  });

  it('drops and counts the entries Loki ignored as too far behind, and counts the rest as sent', async () => {
    const { loki, exporter, metric, logger } = await start();
    const records = [1, 2, 3, 4].map((i) => ({ timeUnixNano: `170000000${i}000000000`, body: { stringValue: `m${i}` } }));
    loki.replies.push({
      status: 400,
      body:
        "entry with timestamp 2023-11-14 22:13:21 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: 2023-11-14T22:13:21Z, oldest acceptable timestamp is: 2023-11-14T22:13:23Z',\n" +
        "user 'fake', total ignored: 1 out of 4 for stream: {exporter=\"OTLP\", job=\"api\"}",
    });
    const err = await exporter.consume(batch([str('service.name', 'api')], records)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('entry too far behind');
    expect(loki.requests).toHaveLength(1);
    expect(await metric('send_failed')).toBe(1);
    expect(await metric('sent')).toBe(3);
    expect(logger.lines.some((l) => l.level === 'warn' && String(l.fields.error).includes('total ignored: 1 out of 4'))).toBe(true);
  });

  it('retries only the tenant whose push failed', async () => {
    const { loki, exporter, metric } = await start();
    loki.replies.push({ status: 503, body: 'unavailable' });
    await exporter.consume(
      makeBatch('logs', [
        { resource: { attributes: [str('service.name', 'a'), str('loki.tenant', 't'), str('t', 'one')] }, scopeLogs: [{ logRecords: [{ attributes: [], body: { stringValue: 'x' } }] }] },
        { resource: { attributes: [str('service.name', 'a'), str('loki.tenant', 't'), str('t', 'two')] }, scopeLogs: [{ logRecords: [{ attributes: [], body: { stringValue: 'y' } }] }] },
      ]),
    );
    // The first tenant's push got the 503; its record alone is sent again.
    const failedTenant = loki.requests[0]?.headers['x-scope-orgid'];
    expect(loki.requests.map((r) => r.headers['x-scope-orgid'])).toEqual([failedTenant, failedTenant === 'one' ? 'two' : 'one', failedTenant]);
    expect(loki.entries()).toHaveLength(2);
    expect(await metric('sent')).toBe(2);
  });

  it('sends basic_auth and URL credentials as Basic auth, and keeps them out of errors and logs', async () => {
    const { loki, exporter, logger } = await start({ basic_auth: { username: 'tenant1', password: 's3cr3t-pw' }, retry_on_failure: { enabled: false } });
    loki.replies.push({ status: 401, body: 'no org id' });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(loki.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('tenant1:s3cr3t-pw').toString('base64')}`);
    expect(String((err as Error).message)).not.toContain('s3cr3t-pw');
    expect(JSON.stringify(logger.lines)).not.toContain('s3cr3t-pw');
    await exporter.shutdown();
    await loki.close();

    const withUrl = await start({ retry_on_failure: { enabled: false } }, (u) => u.replace('://', '://user:hunter2@'));
    withUrl.loki.replies.push({ status: 500, body: 'boom' });
    const err2 = await withUrl.exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(RetryableError);
    expect(withUrl.loki.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('user:hunter2').toString('base64')}`);
    expect((err2 as Error).message).toContain('/loki/api/v1/push responded with HTTP 500: boom');
    expect((err2 as Error).message).not.toContain('hunter2');
    expect(JSON.stringify(withUrl.logger.lines)).not.toContain('hunter2');
  });

  it('refuses, counts and explains a record that would have no label at all', async () => {
    const { loki, exporter, metric } = await start({ default_labels_enabled: { exporter: false, job: false, instance: false, level: false } });
    const err = await exporter.consume(batch([], [{ body: { stringValue: 'x' } }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('no label');
    expect(loki.requests).toHaveLength(0);
    expect(await metric('send_failed')).toBe(1);
  });
});

describe('loki config', () => {
  const check = (config: Record<string, unknown>) => lokiExporter.validate?.(withDefaults<LokiConfig>(configSchema, config)) ?? [];

  it('needs an endpoint, and says how to set one', () => {
    expect(check({})).toEqual([expect.objectContaining({ path: 'endpoint', fix: expect.stringContaining('/loki/api/v1/push') })]);
    expect(check({ endpoint: 'loki:3100' })).toEqual([expect.objectContaining({ path: 'endpoint' })]);
  });

  it('has the contrib defaults, and checks label names and gzip with protobuf', () => {
    const cfg = withDefaults<LokiConfig>(configSchema, { endpoint: 'http://loki:3100/loki/api/v1/push' });
    expect(cfg).toMatchObject({ encoding: 'proto', format: 'json', timeout: '30s', compression: 'none', retry_on_failure: { enabled: true } });
    expect(check({ endpoint: 'http://x/loki/api/v1/push', labels: { attributes: { 'k8s.pod.name': 'pod.name' } } })).toEqual([
      expect.objectContaining({ path: 'labels.attributes.k8s.pod.name', message: expect.stringContaining('not a valid Loki label name') }),
    ]);
    expect(check({ endpoint: 'http://x/loki/api/v1/push', compression: 'gzip' })).toEqual([expect.objectContaining({ path: 'compression' })]);
    expect(() => withDefaults(configSchema, { endpoint: 'http://x', format: 'body' })).toThrow(/allowed values|enum/);
  });
});
