// The datadog exporter against a fake Logs intake that checks each request as the Datadog API
// reference specifies: https://docs.datadoghq.com/api/latest/logs/#send-logs (limits, headers,
// status codes), with the OTLP mapping of Datadog's opentelemetry-mapping-go (pkg/otlp/logs).
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { datadogExporter, type DatadogConfig } from '../../../src/exporters/datadog/index.js';
import { configSchema, logsUrl } from '../../../src/exporters/datadog/config.js';
import { TRUNCATED_MARKER } from '../../../src/exporters/datadog/mapping.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { makeBatch, type LogsBatch } from '../../../src/pdata/batch.js';
import type { KeyValue, LogRecord } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { FakeIntake, MAX_ENTRIES, MAX_PAYLOAD, errorBody } from './intake.js';
import { str } from '../../helpers/values.js';

const API_KEY = '0123456789abcdef0123456789abcdef';
const FAST_RETRY = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };
// These tests watch each send while its sender waits; the sending queue has its own tests.
const NO_QUEUE = { enabled: false };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(config: Record<string, unknown> = {}, logs: Record<string, unknown> = {}) {
  const intake = await FakeIntake.start(API_KEY);
  cleanups.push(() => intake.close());
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<DatadogConfig>(configSchema, {
    api: { key: API_KEY },
    retry_on_failure: FAST_RETRY,
    sending_queue: NO_QUEUE,
    ...config,
    logs: { endpoint: intake.url, ...logs },
  });
  expect(datadogExporter.validate?.(cfg)).toEqual([]);
  const exporter = datadogExporter.create(cfg, { id: 'datadog', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  cleanups.push(() => exporter.shutdown());
  const metric = (what: 'sent' | 'send_failed') => metricValue(telemetry, `otelcol_exporter_${what}_log_records_total`, { exporter: 'datadog' });
  return { intake, exporter, logger, metric };
}


/** `n` records whose bodies are "r0".."r<n-1>", padded with dots to `size` characters when given. */
function records(n: number, size = 0): LogsBatch {
  const logRecords: LogRecord[] = [];
  for (let i = 0; i < n; i++) logRecords.push({ timeUnixNano: `${1_700_000_000_000_000_000n + BigInt(i)}`, body: { stringValue: `r${i}`.padEnd(size, '.') }, attributes: [] });
  return makeBatch('logs', [{ resource: { attributes: [str('service.name', 'load')] }, scopeLogs: [{ logRecords }] }]);
}

const ids = (logs: ReadonlyArray<{ message?: string }>): string[] => logs.map((l) => (l.message ?? '').replace(/\.+$/, ''));
const range = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `r${from + i}`);

describe('datadog exporter: what arrives', () => {
  it('posts a gzipped JSON array to /api/v2/logs with DD-API-KEY, mapped as Datadog maps OTLP logs', async () => {
    const { intake, exporter, metric } = await start({}, { ddtags: 'team:payments, tier:1' });
    const batch = makeBatch('logs', [
      {
        resource: {
          attributes: [
            str('service.name', 'checkout'),
            str('service.version', '1.4.2'),
            str('deployment.environment.name', 'prod'),
            str('host.name', 'node-7'),
            str('k8s.namespace.name', 'shop'),
            str('hostname', 'shadowed'),
          ],
        },
        scopeLogs: [
          {
            scope: { name: 'checkout.logger', attributes: [str('scope.attr', 's')] },
            logRecords: [
              {
                timeUnixNano: '1700000000123456789',
                severityNumber: 17,
                severityText: 'ERROR',
                body: { stringValue: 'payment failed' },
                attributes: [
                  { key: 'http.response.status_code', value: { intValue: 502 } },
                  { key: 'user', value: { kvlistValue: { values: [str('id', 'u-1'), { key: 'vip', value: { boolValue: true } }] } } },
                  str('ddtags', 'feature:new-cart'),
                ],
                traceId: Buffer.from('5b8efff798038103d269b633813fc60c', 'hex'),
                spanId: Buffer.from('eee19b7ec3c1b174', 'hex'),
                flags: 1,
              },
              { observedTimeUnixNano: '1700000001000000000', severityNumber: 10, body: { kvlistValue: { values: [str('msg', 'structured')] } }, attributes: [str('level', 'notice')] },
            ],
          },
        ],
      },
    ]);
    await exporter.consume(batch);
    expect(intake.violations).toEqual([]);
    expect(intake.requests).toHaveLength(1);
    const req = intake.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/api/v2/logs');
    expect(req?.headers['dd-api-key']).toBe(API_KEY);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['user-agent']).toMatch(/^Ferry\//);
    const tags = 'env:prod,service:checkout,version:1.4.2,kube_namespace:shop,team:payments,tier:1';
    expect(req?.logs).toEqual([
      {
        message: 'payment failed',
        ddsource: 'otlp_log_ingestion',
        ddtags: `${tags},feature:new-cart`,
        hostname: 'node-7',
        service: 'checkout',
        status: 'ERROR',
        'http.response.status_code': '502',
        'user.id': 'u-1',
        'user.vip': 'true',
        'service.name': 'checkout',
        'service.version': '1.4.2',
        'deployment.environment.name': 'prod',
        'host.name': 'node-7',
        'k8s.namespace.name': 'shop',
        'otel.hostname': 'shadowed',
        'scope.attr': 's',
        // Datadog's trace and span ids are 64-bit: the low 64 bits, in decimal.
        'dd.trace_id': BigInt('0xd269b633813fc60c').toString(),
        'otel.trace_id': '5b8efff798038103d269b633813fc60c',
        'dd.span_id': BigInt('0xeee19b7ec3c1b174').toString(),
        'otel.span_id': 'eee19b7ec3c1b174',
        'otel.severity_text': 'ERROR',
        'otel.severity_number': '17',
        '@timestamp': '2023-11-14T22:13:20.123Z',
        'otel.timestamp': '1700000000123456789',
      },
      {
        message: '{"msg":"structured"}',
        ddsource: 'otlp_log_ingestion',
        ddtags: tags,
        hostname: 'node-7',
        service: 'checkout',
        status: 'notice',
        'service.name': 'checkout',
        'service.version': '1.4.2',
        'deployment.environment.name': 'prod',
        'host.name': 'node-7',
        'k8s.namespace.name': 'shop',
        'otel.hostname': 'shadowed',
        'scope.attr': 's',
        'otel.severity_number': '10',
        // No time of event: the observed time stands in.
        '@timestamp': '2023-11-14T22:13:21.000Z',
        'otel.timestamp': '1700000001000000000',
      },
    ]);
    expect(await metric('sent')).toBe(2);
  });

  it('derives status from the severity number, and falls back to the configured hostname, service and ddsource', async () => {
    const { intake, exporter } = await start({ hostname: 'fallback-host' }, { service: 'default-svc', ddsource: 'java', use_compression: false });
    const severities = [1, 5, 9, 13, 17, 21];
    await exporter.consume(
      makeBatch('logs', [
        {
          // localhost is not a host Datadog's mapping reports.
          resource: { attributes: [str('host.name', 'localhost')] },
          scopeLogs: [{ logRecords: severities.map((n) => ({ severityNumber: n, body: { stringValue: `s${n}` }, attributes: [] })) }],
        },
      ]),
    );
    expect(intake.requests[0]?.headers['content-encoding']).toBeUndefined();
    const logs = intake.accepted();
    expect(logs.map((l) => l.status)).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
    expect(logs.every((l) => l.hostname === 'fallback-host' && l.service === 'default-svc' && l.ddsource === 'java' && l.ddtags === undefined)).toBe(true);
    expect(logs[0]?.['@timestamp']).toBeUndefined();
  });

  it('takes the host from the cloud and Kubernetes conventions, and datadog.* attributes first for tags', async () => {
    const { intake, exporter } = await start();
    const resource = (attributes: KeyValue[]) => ({ resource: { attributes }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' }, attributes: [] }] }] });
    await exporter.consume(
      makeBatch('logs', [
        resource([str('cloud.provider', 'aws'), str('host.id', 'i-0abc'), str('host.name', 'ip-10-0-0-1')]),
        resource([str('k8s.node.name', 'node-a'), str('k8s.cluster.name', 'east'), str('host.name', 'pod-host')]),
        resource([str('datadog.host.name', 'chosen'), str('host.name', 'other'), str('datadog.env', 'staging'), str('deployment.environment', 'prod'), str('datadog.container.tag.team', 'core')]),
      ]),
    );
    const logs = intake.accepted();
    expect(logs.map((l) => l.hostname)).toEqual(['i-0abc', 'node-a-east', 'chosen']);
    expect(logs[1]?.ddtags).toBe('kube_cluster_name:east');
    expect(logs[2]?.ddtags).toBe('env:staging,team:core');
  });
});

describe('datadog exporter: the intake limits', () => {
  it('sends 2500 records as requests of at most 1000 entries and 5 MB, each record exactly once', async () => {
    const { intake, exporter, metric } = await start();
    await exporter.consume(records(2500));
    expect(intake.violations).toEqual([]);
    expect(intake.requests.map((r) => r.logs.length)).toEqual([1000, 1000, 500]);
    expect(intake.requests.every((r) => r.logs.length <= MAX_ENTRIES && r.bytes <= MAX_PAYLOAD)).toBe(true);
    expect(ids(intake.accepted())).toEqual(range(2500));
    expect(await metric('sent')).toBe(2500);
  });

  it('splits by bytes: 40 records of 300 KB go as 16 + 16 + 8, each request under 5 MB', async () => {
    const { intake, exporter, metric } = await start();
    await exporter.consume(records(40, 300_000));
    expect(intake.violations).toEqual([]);
    expect(intake.requests.map((r) => r.logs.length)).toEqual([16, 16, 8]);
    expect(intake.requests.every((r) => r.bytes <= MAX_PAYLOAD)).toBe(true);
    expect(intake.requests[0]?.bytes).toBeGreaterThan(MAX_PAYLOAD - 300_000);
    expect(ids(intake.accepted())).toEqual(range(40));
    expect(await metric('sent')).toBe(40);
  });

  it('truncates a log above 1 MB (as the intake would) so that it still fits a request, and counts it as sent', async () => {
    const { intake, exporter, logger, metric } = await start();
    await exporter.consume(records(3, 3_000_000));
    expect(intake.violations).toEqual([]);
    const logs = intake.accepted();
    expect(logs).toHaveLength(3);
    for (const [i, log] of logs.entries()) {
      expect(Buffer.byteLength(JSON.stringify(log))).toBeLessThanOrEqual(1_000_000);
      expect(Buffer.byteLength(JSON.stringify(log))).toBeGreaterThan(990_000);
      expect(log.message?.startsWith(`r${i}...`)).toBe(true);
      expect(log.message?.endsWith(TRUNCATED_MARKER)).toBe(true);
    }
    expect(logger.lines.find((l) => l.level === 'warn' && l.message.includes('truncated'))?.fields).toMatchObject({ logs: 3 });
    expect(await metric('sent')).toBe(3);
  });

  it('413: splits the request in half and sends both halves, recursively, losing and duplicating nothing', async () => {
    const { intake, exporter, metric } = await start();
    intake.policy = (logs) => (logs.length > 250 ? { status: 413, body: errorBody(413, 'Payload Too Large', 'batch is above 5MB uncompressed') } : undefined);
    await exporter.consume(records(1000));
    expect(intake.requests.map((r) => [r.logs.length, r.status])).toEqual([
      [1000, 413],
      [500, 413],
      [250, 202],
      [250, 202],
      [500, 413],
      [250, 202],
      [250, 202],
    ]);
    // The halves keep their order: the first half first.
    expect(ids(intake.requests[2]?.logs ?? [])).toEqual(range(250));
    expect(ids(intake.accepted())).toEqual(range(1000));
    expect(await metric('sent')).toBe(1000);
    expect(await metric('send_failed')).toBe(0);
  });

  it('413 on a single log: drops that log, counts it as failed, delivers the others', async () => {
    const { intake, exporter, metric } = await start();
    intake.policy = (logs) => (logs.some((l) => l.message === 'r2') ? { status: 413, body: errorBody(413, 'Payload Too Large', 'too big') } : undefined);
    const err = await exporter.consume(records(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('refused 1 of 4 items: a single item is too large');
    expect(intake.requests.map((r) => r.logs.length)).toEqual([4, 2, 2, 1, 1]);
    expect(ids(intake.accepted())).toEqual(['r0', 'r1', 'r3']);
    expect(await metric('sent')).toBe(3);
    expect(await metric('send_failed')).toBe(1);
  });
});

describe('datadog exporter: failures', () => {
  it('400: not retried, counted as failed, the intake\'s detail in the error', async () => {
    const { intake, exporter, metric } = await start();
    intake.replies.push({ status: 400, body: errorBody(400, 'Bad Request', 'Malformed payload') });
    const err = await exporter.consume(records(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('HTTP 400: Bad Request: Malformed payload');
    expect(intake.requests).toHaveLength(1);
    expect(await metric('send_failed')).toBe(5);
    expect(await metric('sent')).toBe(0);
  });

  it('400 on one request of three: the other two are delivered, only that one is counted as failed', async () => {
    const { intake, exporter, metric } = await start();
    intake.replies.push({ status: 202 }, { status: 400, body: errorBody(400, 'Bad Request', 'Malformed payload') });
    await expect(exporter.consume(records(2500))).rejects.toThrow(/refused 1000 of 2500 items/);
    expect(intake.requests.map((r) => r.status)).toEqual([202, 400, 202]);
    expect(await metric('sent')).toBe(1500);
    expect(await metric('send_failed')).toBe(1000);
  });

  it('403 (a wrong API key): stops at once, names api.key, and the key is in no message nor log line', async () => {
    const wrongKey = 'fedcba9876543210fedcba9876543210';
    const { intake, exporter, logger, metric } = await start({ api: { key: wrongKey } });
    const err = await exporter.consume(records(2500)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/HTTP 403: Forbidden: API key is invalid .*check api\.key and api\.site of exporter datadog/);
    // The other two requests would fail the same way: they are not sent.
    expect(intake.requests).toHaveLength(1);
    expect(intake.requests[0]?.headers['dd-api-key']).toBe(wrongKey);
    expect((err as Error).message).not.toContain(wrongKey);
    expect(JSON.stringify(logger.lines)).not.toContain(wrongKey);
    expect(await metric('send_failed')).toBe(2500);
  });

  it('401 with a body that echoes the key: the key is scrubbed from the message', async () => {
    const { intake, exporter, logger } = await start();
    intake.replies.push({ status: 401, body: errorBody(401, 'Unauthorized', `key ${API_KEY} unknown`) });
    const err = await exporter.consume(records(1)).catch((e: unknown) => e);
    expect((err as Error).message).toContain('HTTP 401: Unauthorized: key *** unknown');
    expect((err as Error).message).not.toContain(API_KEY);
    expect(JSON.stringify(logger.lines)).not.toContain(API_KEY);
  });

  it('408, 429 and 503 are retried, then everything is delivered once', async () => {
    const { intake, exporter, metric } = await start();
    intake.replies.push({ status: 408 }, { status: 429, headers: { 'retry-after': '0' }, body: errorBody(429, 'Too Many Requests', 'slow down') }, { status: 503 });
    await exporter.consume(records(10));
    expect(intake.requests.map((r) => r.status)).toEqual([408, 429, 503, 202]);
    expect(ids(intake.accepted())).toEqual(range(10));
    expect(await metric('sent')).toBe(10);
    expect(await metric('send_failed')).toBe(0);
  });

  it('a 503 on the second of three requests: the retry sends only what was not delivered', async () => {
    const { intake, exporter, metric } = await start();
    intake.replies.push({ status: 202 }, { status: 503, body: errorBody(503, 'Service Unavailable', 'retry later') });
    await exporter.consume(records(2500));
    expect(intake.requests.map((r) => [r.logs.length, r.status])).toEqual([
      [1000, 202],
      [1000, 503],
      [1000, 202],
      [500, 202],
    ]);
    expect(ids(intake.requests[2]?.logs ?? [])).toEqual(range(1000, 1000));
    expect(ids(intake.accepted())).toEqual(range(2500));
    expect(await metric('sent')).toBe(2500);
  });

  it('gives up after max_elapsed_time with a retryable error, counting what was not delivered', async () => {
    const { intake, exporter, metric } = await start({ retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '200ms' } });
    intake.policy = () => ({ status: 500, body: errorBody(500, 'Internal Server Error', 'boom') });
    const err = await exporter.consume(records(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/no more retries left .*HTTP 500/);
    expect(await metric('send_failed')).toBe(3);
  });
});

describe('datadog config', () => {
  const check = (config: Record<string, unknown>) => datadogExporter.validate?.(withDefaults<DatadogConfig>(configSchema, config)) ?? [];

  it('has the contrib exporter\'s defaults', () => {
    const cfg = withDefaults<DatadogConfig>(configSchema, { api: { key: API_KEY } });
    expect(cfg).toMatchObject({ api: { site: 'datadoghq.com' }, timeout: '15s', logs: { use_compression: true, compression_level: 6, ddsource: 'otlp_log_ingestion' } });
    expect(logsUrl(cfg)).toBe('https://http-intake.logs.datadoghq.com/api/v2/logs');
    expect(logsUrl(withDefaults<DatadogConfig>(configSchema, { api: { key: API_KEY, site: 'datadoghq.eu' } }))).toBe('https://http-intake.logs.datadoghq.eu/api/v2/logs');
    expect(logsUrl(withDefaults<DatadogConfig>(configSchema, { api: { key: API_KEY }, logs: { endpoint: 'http://proxy:8080/' } }))).toBe('http://proxy:8080/api/v2/logs');
  });

  it('needs api.key, says how to set it, and never repeats a bad key', () => {
    expect(check({})).toEqual([expect.objectContaining({ path: 'api.key', message: 'no Datadog API key is set', fix: expect.stringContaining('${env:DD_API_KEY}') })]);
    expect(check({ api: { key: ' ' } })).toEqual([expect.objectContaining({ path: 'api.key', message: 'the Datadog API key is empty' })]);
    const bad = check({ api: { key: 'not-a-key!' } });
    expect(bad).toEqual([expect.objectContaining({ path: 'api.key' })]);
    expect(JSON.stringify(bad)).not.toContain('not-a-key!');
    expect(check({ api: { key: API_KEY, site: 'https://datadoghq.eu' } })).toEqual([expect.objectContaining({ path: 'api.site' })]);
    expect(check({ api: { key: API_KEY }, logs: { endpoint: 'intake:443' } })).toEqual([expect.objectContaining({ path: 'logs.endpoint' })]);
  });

  it('refuses the contrib keys Ferry does not implement (traces, metrics, host_metadata)', () => {
    expect(() => withDefaults<DatadogConfig>(configSchema, { api: { key: API_KEY }, metrics: {} })).toThrow(/additionalProperties/);
    expect(() => withDefaults<DatadogConfig>(configSchema, { api: { key: API_KEY }, traces: {} })).toThrow(/additionalProperties/);
  });
});
