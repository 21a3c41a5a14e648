// The splunk_hec exporter against a fake HTTP Event Collector that checks each request as
// Splunk documents HEC: https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector
// and https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTinput#services.2Fcollector
// (status codes: "Troubleshoot HTTP Event Collector"); events mapped as the contrib splunkhecexporter maps them.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { configSchema, hecUrl, metadataKeys } from '../../../src/exporters/splunk_hec/config.js';
import { selectDataPoints } from '../../../src/pdata/select.js';
import { splunkHecExporter, type SplunkHecConfig } from '../../../src/exporters/splunk_hec/index.js';
import { formatF, formatG } from '../../../src/exporters/splunk_hec/json.js';
import { countItems, makeBatch, type LogsBatch } from '../../../src/pdata/batch.js';
import type { LogRecord } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { T1, T2, TRACE_ID, SPAN_ID, metricValue, metricsBatch, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { selfSignedCert, type TestCert } from '../helper/tls.js';
import { FakeHec, hecReply } from './hec.js';
import { str } from '../../helpers/values.js';

const TOKEN = '11111111-2222-3333-4444-555555555555';
const FAST_RETRY = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };
// These tests watch each send while its sender waits; the sending queue has its own tests.
const NO_QUEUE = { enabled: false };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(config: Record<string, unknown> = {}, path = '', tls?: TestCert) {
  const hec = await FakeHec.start(TOKEN, (config.max_content_length_logs as number | undefined) ?? (config.max_content_length_metrics as number | undefined), tls);
  cleanups.push(() => hec.close());
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<SplunkHecConfig>(configSchema, { endpoint: hec.url + path, token: TOKEN, retry_on_failure: FAST_RETRY, sending_queue: NO_QUEUE, ...config });
  expect(splunkHecExporter.validate?.(cfg)).toEqual([]);
  const exporter = splunkHecExporter.create(cfg, { id: 'splunk_hec', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  cleanups.push(() => exporter.shutdown());
  const metric = (what: 'sent' | 'send_failed', noun = 'log_records') => metricValue(telemetry, `otelcol_exporter_${what}_${noun}_total`, { exporter: 'splunk_hec' });
  return { hec, exporter, logger, metric };
}


/** `n` records whose bodies are "r0".."r<n-1>", padded with dots to `size` characters when given. */
function records(n: number, size = 0): LogsBatch {
  const logRecords: LogRecord[] = [];
  for (let i = 0; i < n; i++) logRecords.push({ timeUnixNano: `${1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n}`, body: { stringValue: `r${i}`.padEnd(size, '.') }, attributes: [] });
  return makeBatch('logs', [{ resource: { attributes: [str('host.name', 'node-7')] }, scopeLogs: [{ logRecords }] }]);
}

const ids = (events: ReadonlyArray<{ event: unknown }>): string[] => events.map((e) => String(e.event).replace(/\.+$/, ''));
const range = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `r${from + i}`);

describe('splunk_hec exporter: logs', () => {
  it('posts gzipped events, one JSON object after another, to /services/collector with the Splunk token', async () => {
    const { hec, exporter, metric } = await start({ source: 'otel', sourcetype: 'otel:log', index: 'main', splunk_app_name: 'MyApp', splunk_app_version: '2.0.0' });
    await exporter.consume(
      makeBatch('logs', [
        {
          resource: { attributes: [str('host.name', 'node-7'), str('service.name', 'checkout'), str('com.splunk.sourcetype', 'checkout:log'), str('com.splunk.hec.access_token', 'not-a-field')] },
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: T1,
                  severityText: 'ERROR',
                  severityNumber: 17,
                  body: { stringValue: 'payment failed' },
                  attributes: [
                    { key: 'http.status_code', value: { intValue: '9007199254740993' } },
                    { key: 'user', value: { kvlistValue: { values: [str('id', 'u-1'), { key: 'vip', value: { boolValue: true } }] } } },
                    { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 7 }] } } },
                    { key: 'matrix', value: { arrayValue: { values: [{ arrayValue: { values: [{ intValue: 1 }] } }] } } },
                    { key: 'ratio', value: { doubleValue: 0.25 } },
                    str('com.splunk.index', 'payments'),
                  ],
                  traceId: Buffer.from(TRACE_ID, 'hex'),
                  spanId: Buffer.from(SPAN_ID, 'hex'),
                },
                { observedTimeUnixNano: T2, body: { kvlistValue: { values: [str('msg', 'structured'), { key: 'n', value: { intValue: 3 } }] } }, attributes: [] },
              ],
            },
          ],
        },
      ]),
    );
    expect(hec.violations).toEqual([]);
    expect(hec.requests).toHaveLength(1);
    const req = hec.requests[0];
    // No path in the endpoint: the contrib's default /services/collector.
    expect(req?.path).toBe('/services/collector');
    expect(req?.headers.authorization).toBe(`Splunk ${TOKEN}`);
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.__splunk_app_name).toBe('MyApp');
    expect(req?.headers.__splunk_app_version).toBe('2.0.0');
    expect(req?.headers['user-agent']).toBe('MyApp/2.0.0');
    // Concatenated objects, not an array; 64-bit integers keep every digit.
    expect(req?.raw.startsWith('{"time":1700000000.123,"host":"node-7","source":"otel","sourcetype":"checkout:log","index":"payments","event":"payment failed"')).toBe(true);
    expect(req?.raw).toContain('"http.status_code":9007199254740993');
    expect(req?.raw).toContain('}{"time":1700000001.988,');
    expect(req?.events).toEqual([
      {
        time: 1700000000.123,
        host: 'node-7',
        source: 'otel',
        sourcetype: 'checkout:log',
        index: 'payments',
        event: 'payment failed',
        fields: {
          span_id: SPAN_ID,
          trace_id: TRACE_ID,
          'otel.log.severity.text': 'ERROR',
          'otel.log.severity.number': 17,
          'service.name': 'checkout',
          // JSON.parse rounds it; the raw body above has every digit.
          'http.status_code': Number('9007199254740993'),
          'user.id': 'u-1',
          'user.vip': true,
          tags: ['a', 7],
          matrix: '[[1]]',
          ratio: 0.25,
        },
      },
      {
        // No time of event: the observed time stands in.
        time: 1700000001.988,
        host: 'node-7',
        source: 'otel',
        sourcetype: 'checkout:log',
        index: 'main',
        event: { msg: 'structured', n: 3 },
        fields: { 'service.name': 'checkout' },
      },
    ]);
    expect(await metric('sent')).toBe(2);
  });

  it('reads host, source, sourcetype and index from the attributes configured, the deprecated key too; "unknown" host otherwise', async () => {
    const { hec, exporter } = await start({ hec_metadata_to_otel_attrs: { host: 'my.host', source: 'my.source' }, otel_to_hec_fields: { severity_text: 'level' } }, '/services/collector/event');
    await exporter.consume(
      makeBatch('logs', [
        { resource: { attributes: [str('my.source', 'app'), str('host.name', 'ignored-host')] }, scopeLogs: [{ logRecords: [{ severityText: 'INFO', body: { stringValue: 'a' }, attributes: [str('my.host', 'h1')] }] }] },
        { resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ body: { intValue: 42 }, attributes: [] }] }] },
      ]),
    );
    expect(hec.violations).toEqual([]);
    expect(hec.requests[0]?.path).toBe('/services/collector/event');
    expect(hec.accepted()).toEqual([
      { host: 'h1', source: 'app', event: 'a', fields: { level: 'INFO', 'host.name': 'ignored-host' } },
      { host: 'unknown', event: 42 },
    ]);
  });

  it('refuses a record without a body (HEC: "Event field cannot be blank") and sends the others', async () => {
    const { hec, exporter, metric } = await start();
    const batch = records(3);
    const blank = batch.resources[0]?.scopeLogs[0]?.logRecords[1];
    if (blank) blank.body = { stringValue: '' };
    const err = await exporter.consume(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('Splunk HEC refused 1 of 3 items: a log record without a body');
    expect(hec.violations).toEqual([]);
    expect(ids(hec.accepted())).toEqual(['r0', 'r2']);
    expect(await metric('sent')).toBe(2);
    expect(await metric('send_failed')).toBe(1);
  });

  it('writes NaN and ±Inf inside a map body as strings, so the event stays JSON HEC can read', async () => {
    const { hec, exporter } = await start();
    const batch = records(1);
    const record = batch.resources[0]?.scopeLogs[0]?.logRecords[0];
    if (record) record.body = { kvlistValue: { values: [{ key: 'ratio', value: { doubleValue: Number.NaN } }, { key: 'max', value: { doubleValue: Number.POSITIVE_INFINITY } }] } };
    await exporter.consume(batch);
    expect(hec.violations).toEqual([]);
    expect(hec.accepted().map((e) => e.event)).toEqual([{ max: '+Inf', ratio: 'NaN' }]);
  });

  it('splits at max_content_length_logs: ten 300 KB records under the default 2 MiB go as 6 + 4', async () => {
    const { hec, exporter, metric } = await start();
    await exporter.consume(records(10, 300_000));
    expect(hec.violations).toEqual([]);
    expect(hec.requests.map((r) => r.events.length)).toEqual([6, 4]);
    expect(hec.requests.every((r) => Buffer.byteLength(r.raw) <= 2 * 1024 * 1024)).toBe(true);
    expect(ids(hec.accepted())).toEqual(range(10));
    expect(await metric('sent')).toBe(10);
  });

  it('splits at a small max_content_length_logs; drops an event above max_event_size, and one that alone exceeds the content length', async () => {
    const { hec, exporter, metric } = await start({ max_content_length_logs: 1000, max_event_size: 2000 });
    const batch = records(30);
    const logRecords = batch.resources[0]?.scopeLogs[0]?.logRecords ?? [];
    (logRecords[7] as LogRecord).body = { stringValue: 'x'.repeat(1200) };
    (logRecords[8] as LogRecord).body = { stringValue: 'y'.repeat(2500) };
    await expect(exporter.consume(batch)).rejects.toThrow(/refused 2 of 30 items: an event of \d+ bytes is larger than max_event_size \(2000\)/);
    expect(hec.violations).toEqual([]);
    expect(hec.requests.length).toBe(2);
    expect(hec.requests.every((r) => Buffer.byteLength(r.raw) <= 1000)).toBe(true);
    expect(ids(hec.accepted())).toEqual(range(30).filter((id) => id !== 'r7' && id !== 'r8'));
    expect(await metric('sent')).toBe(28);
    expect(await metric('send_failed')).toBe(2);
  });

  it('sends uncompressed with disable_compression, and configured headers last', async () => {
    const { hec, exporter } = await start({ disable_compression: true, headers: { __splunk_app_name: 'soc4kafka', 'X-Tenant': 'acme', 'Content-Encoding': 'br' } });
    await exporter.consume(records(2));
    expect(hec.requests[0]?.headers['content-encoding']).toBeUndefined();
    expect(hec.requests[0]?.headers.__splunk_app_name).toBe('soc4kafka');
    expect(hec.requests[0]?.headers['x-tenant']).toBe('acme');
    expect(hec.requests[0]?.headers.__splunk_app_version).toBe(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version);
    expect(ids(hec.accepted())).toEqual(['r0', 'r1']);
  });
});

describe('splunk_hec exporter: metrics', () => {
  it('maps gauges, sums, histograms and summaries to HEC metric events as the contrib does', async () => {
    const { hec, exporter, metric } = await start({ index: 'metrics' });
    const batch = metricsBatch();
    // One exponential histogram point: it has no HEC form and is counted as failed.
    const err = await exporter.consume(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('refused 1 of 5 items: metric latency.exp: exponential histograms have no Splunk HEC metric form');
    expect(hec.violations).toEqual([]);
    const req = hec.requests[0];
    expect(req?.raw).toContain('"metric_name:requests":9007199254740993');
    const common = {
      'service.name': 'checkout',
      'host.cpus': '-9007199254740993',
      ratio: '0.25',
      ready: 'true',
      tags: '["a",7]',
      nested: '{"inner":"x"}',
      blob: 'AP8Q',
      route: '/orders',
    };
    const event = (time: number, fields: Record<string, unknown>) => ({ time, host: 'unknown', index: 'metrics', event: 'metric', fields: { ...common, ...fields } });
    const t1 = 1700000000.123;
    const t2 = 1700000001.988;
    expect(hec.accepted()).toEqual([
      event(t1, { 'metric_name:queue.depth': 3.5, metric_type: 'Gauge' }),
      event(t2, { 'metric_name:requests': Number('9007199254740993'), metric_type: 'Sum' }),
      event(t2, { 'metric_name:latency_sum': 120.5, metric_type: 'Histogram' }),
      event(t2, { 'metric_name:latency_count': 6, metric_type: 'Histogram' }),
      event(t2, { le: '10', 'metric_name:latency_bucket': 1, metric_type: 'Histogram' }),
      event(t2, { le: '100', 'metric_name:latency_bucket': 3, metric_type: 'Histogram' }),
      event(t2, { le: '+Inf', 'metric_name:latency_bucket': 6, metric_type: 'Histogram' }),
      event(t2, { 'metric_name:sizes_sum': 30, metric_type: 'Summary' }),
      event(t2, { 'metric_name:sizes_count': 3, metric_type: 'Summary' }),
      event(t2, { qt: '0.5', 'metric_name:sizes_0.5': 9, metric_type: 'Summary' }),
      event(t2, { qt: '0.99', 'metric_name:sizes_0.99': 20, metric_type: 'Summary' }),
    ]);
    expect(await metric('sent', 'metric_points')).toBe(4);
    expect(await metric('send_failed', 'metric_points')).toBe(1);
  });

  it('splits metrics at max_content_length_metrics without separating the events of one data point', async () => {
    const { hec, exporter, metric } = await start({ max_content_length_metrics: 2500 });
    const batch = metricsBatch();
    const scope = batch.resources[0]?.scopeMetrics[0];
    if (scope) scope.metrics = scope.metrics.filter((m) => m.name !== 'latency.exp');
    await exporter.consume(batch);
    expect(hec.violations).toEqual([]);
    expect(hec.requests.length).toBeGreaterThan(1);
    // The five events of the histogram point travel together.
    const withHistogram = hec.requests.filter((r) => r.events.some((e) => e.fields?.metric_type === 'Histogram'));
    expect(withHistogram).toHaveLength(1);
    expect(withHistogram[0]?.events.filter((e) => e.fields?.metric_type === 'Histogram')).toHaveLength(5);
    expect(hec.accepted()).toHaveLength(11);
    expect(await metric('sent', 'metric_points')).toBe(4);
  });

  it('selectDataPoints keeps the chosen points in order and drops what is left empty', () => {
    const batch = metricsBatch();
    expect(countItems(batch)).toBe(5);
    const picked = selectDataPoints(batch, (i) => i === 1 || i === 4);
    expect(picked.resources[0]?.scopeMetrics[0]?.metrics.map((m) => m.name)).toEqual(['requests', 'sizes']);
    expect(countItems(picked)).toBe(2);
    expect(countItems(batch)).toBe(5);
  });
});

describe('splunk_hec exporter: HEC replies', () => {
  it('400 "Invalid data format" (code 6): not retried, counted as failed, the reply in the error', async () => {
    const { hec, exporter, metric } = await start();
    hec.replies.push({ status: 400, body: hecReply('Invalid data format', 6, { 'invalid-event-number': 2 }) });
    const err = await exporter.consume(records(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('responded with HTTP 400 (Invalid data format, code 6, invalid event number 2)');
    expect(hec.requests).toHaveLength(1);
    expect(await metric('send_failed')).toBe(4);
    expect(await metric('sent')).toBe(0);
  });

  it('403 "Invalid token" (code 4): stops at once, names the token setting, and the token is in no message nor log line', async () => {
    const wrong = 'ffffffff-0000-0000-0000-000000000000';
    const { hec, exporter, logger, metric } = await start({ token: wrong, max_content_length_logs: 2000 });
    const err = await exporter.consume(records(50)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/HTTP 403 \(Invalid token, code 4\): the HEC token was refused; check token of exporter splunk_hec/);
    expect(hec.requests).toHaveLength(1);
    expect(hec.requests[0]?.headers.authorization).toBe(`Splunk ${wrong}`);
    expect((err as Error).message).not.toContain(wrong);
    expect(JSON.stringify(logger.lines)).not.toContain(wrong);
    expect(await metric('send_failed')).toBe(50);
  });

  it('503 "Server is busy" (code 9) and 429 are retried, then everything arrives once', async () => {
    const { hec, exporter, metric } = await start();
    hec.replies.push({ status: 503, headers: { 'retry-after': '0' }, body: hecReply('Server is busy', 9) }, { status: 429 });
    await exporter.consume(records(5));
    expect(hec.requests.map((r) => r.status)).toEqual([503, 429, 200]);
    expect(ids(hec.accepted())).toEqual(range(5));
    expect(await metric('sent')).toBe(5);
    expect(await metric('send_failed')).toBe(0);
  });

  it('a 503 on the second request: the retry sends only what was not delivered', async () => {
    const { hec, exporter, metric } = await start({ max_content_length_logs: 1000 });
    hec.replies.push({ status: 200, body: hecReply('Success', 0) }, { status: 503, body: hecReply('HEC is unhealthy, queues are full', 18) });
    const batch = records(40);
    await exporter.consume(batch);
    const [first, second, third] = hec.requests;
    expect([first?.status, second?.status, third?.status]).toEqual([200, 503, 200]);
    expect(ids(third?.events ?? [])).toEqual(ids(second?.events ?? []));
    expect(ids(hec.accepted())).toEqual(range(40));
    expect(await metric('sent')).toBe(40);
  });

  it('413: halves the request and sends both halves', async () => {
    const { hec, exporter, metric } = await start();
    hec.policy = (events) => (events.length > 5 ? { status: 413, body: hecReply('Content-Length of 9999 too large (maximum is 1000)', 413) } : undefined);
    await exporter.consume(records(20));
    expect(hec.requests.map((r) => r.events.length)).toEqual([20, 10, 5, 5, 10, 5, 5]);
    expect(ids(hec.accepted())).toEqual(range(20));
    expect(await metric('sent')).toBe(20);
  });
});

describe('splunk_hec exporter: TLS', () => {
  let cert: TestCert;
  beforeAll(() => {
    cert = selfSignedCert();
  });
  afterAll(() => cert.remove());

  it('refuses a certificate it cannot verify, and sends with tls.insecure_skip_verify', async () => {
    const strict = await start({ retry_on_failure: { enabled: false } }, '', cert);
    const err = await strict.exporter.consume(records(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/self[- ]signed/i);
    expect(strict.hec.requests).toHaveLength(0);
    const lax = await start({ tls: { insecure_skip_verify: true } }, '', cert);
    expect(lax.hec.url).toMatch(/^https:/);
    await lax.exporter.consume(records(2));
    expect(ids(lax.hec.accepted())).toEqual(['r0', 'r1']);
  });

  it('trusts the server through tls.ca_file', async () => {
    const { hec, exporter } = await start({ tls: { ca_file: cert.certFile } }, '', cert);
    await exporter.consume(records(1));
    expect(ids(hec.accepted())).toEqual(['r0']);
  });
});

describe('splunk_hec config', () => {
  const check = (config: Record<string, unknown>) => splunkHecExporter.validate?.(withDefaults<SplunkHecConfig>(configSchema, config)) ?? [];

  it('has the contrib exporter\'s defaults', () => {
    const cfg = withDefaults<SplunkHecConfig>(configSchema, { endpoint: 'https://splunk:8088', token: TOKEN });
    expect(cfg).toMatchObject({
      timeout: '10s',
      disable_compression: false,
      max_content_length_logs: 2_097_152,
      max_content_length_metrics: 2_097_152,
      max_event_size: 5_242_880,
      otel_to_hec_fields: { severity_text: 'otel.log.severity.text', severity_number: 'otel.log.severity.number' },
    });
    expect(metadataKeys(cfg)).toEqual({ source: 'com.splunk.source', sourcetype: 'com.splunk.sourcetype', index: 'com.splunk.index', host: 'host.name' });
    expect(metadataKeys({ otel_attrs_to_hec_metadata: { index: 'a' }, hec_metadata_to_otel_attrs: { index: 'b', host: 'h' } })).toMatchObject({ index: 'a', host: 'h' });
    expect(hecUrl('https://splunk:8088').href).toBe('https://splunk:8088/services/collector');
    expect(hecUrl('https://splunk:8088/services/collector/event').href).toBe('https://splunk:8088/services/collector/event');
  });

  it('needs endpoint and token, and says how to set them', () => {
    expect(check({})).toEqual([
      expect.objectContaining({ path: 'endpoint', message: 'no HEC endpoint is set', fix: expect.stringContaining('https://splunk:8088/services/collector') }),
      expect.objectContaining({ path: 'token', message: 'no HEC token is set', fix: expect.stringContaining('${env:SPLUNK_HEC_TOKEN}') }),
    ]);
    expect(check({ endpoint: 'splunk:8088', token: TOKEN })).toEqual([expect.objectContaining({ path: 'endpoint' })]);
    expect(() => withDefaults<SplunkHecConfig>(configSchema, { endpoint: 'https://s', token: TOKEN, max_content_length_logs: 900 * 1024 * 1024 })).toThrow();
  });

  it('formats floats as Go does for dimensions and metric names', () => {
    expect([0.05, 10, 100, 1e6, 1234567, 1e-5, 0.0001, Infinity].map(formatG)).toEqual(['0.05', '10', '100', '1e+06', '1.234567e+06', '1e-05', '0.0001', '+Inf']);
    expect([0.5, 0.99, 1, 1e-7, 1e21].map(formatF)).toEqual(['0.5', '0.99', '1', '0.0000001', '1000000000000000000000']);
  });
});
