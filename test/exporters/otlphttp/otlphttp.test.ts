import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Exporter } from '../../../src/component.js';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { otlphttpExporter, type OtlpHttpConfig } from '../../../src/exporters/otlphttp/index.js';
import { configSchema } from '../../../src/exporters/otlphttp/config.js';
import { encodeExportResponse, encodeStatus } from '../../../src/pdata/proto.js';
import { encodeJsonExportResponse, encodeJsonStatus } from '../../../src/pdata/json.js';
import type { Signal } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { freePort, testHost } from '../../helpers/index.js';
import { PARENT_SPAN_ID, SPAN_ID, T1, T2, TRACE_ID, batchOf, logsBatch, metricValue, normalize, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { selfSignedCert, type TestCert } from '../helper/tls.js';
import { OtlpHttpPeer } from './server.js';

const FAST_RETRY = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };
// These tests watch each send while its sender waits; the sending queue has its own tests (test/exporters/helper).
const NO_QUEUE = { enabled: false };

let peer: OtlpHttpPeer | undefined;
let exporter: Exporter | undefined;

afterEach(async () => {
  await exporter?.shutdown();
  await peer?.close();
  exporter = undefined;
  peer = undefined;
});

async function start(config: Record<string, unknown>, tls?: { cert: string; key: string }) {
  peer = await OtlpHttpPeer.start(tls);
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<OtlpHttpConfig>(configSchema, { endpoint: peer.url, retry_on_failure: FAST_RETRY, sending_queue: NO_QUEUE, ...config });
  expect(otlphttpExporter.validate?.(cfg)).toEqual([]);
  exporter = otlphttpExporter.create(cfg, { id: 'otlphttp/test', kind: 'exporter', logger, telemetry });
  await exporter.start(testHost);
  const metric = (what: 'sent' | 'send_failed', noun: string) => metricValue(telemetry, `otelcol_exporter_${what}_${noun}_total`, { exporter: 'otlphttp/test' });
  return { peer, exporter, logger, metric };
}

describe('otlphttp exporter: what arrives', () => {
  it.each<Signal>(['logs', 'traces', 'metrics'])('posts %s as gzipped protobuf to endpoint + /v1/<signal>, every field intact', async (signal) => {
    const { peer, exporter, metric } = await start({ headers: { 'X-Tenant': 'acme', authorization: 'Bearer s3cret' } });
    const batch = batchOf(signal);
    await exporter.consume(batch);
    expect(peer.requests).toHaveLength(1);
    const req = peer.requests[0];
    expect(req?.path).toBe(`/v1/${signal}`);
    expect(req?.headers['content-type']).toBe('application/x-protobuf');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(req?.headers['x-tenant']).toBe('acme');
    expect(req?.headers.authorization).toBe('Bearer s3cret');
    expect(req?.headers['user-agent']).toMatch(/^Ferry\//);
    expect(normalize(peer.decode(signal, 0))).toEqual(normalize(batchOf(signal).resources));
    const noun = { logs: 'log_records', traces: 'spans', metrics: 'metric_points' }[signal];
    expect(await metric('sent', noun)).toBe({ logs: 2, traces: 1, metrics: 5 }[signal]);
  });

  it('keeps ids, 64-bit timestamps and attributes exactly', async () => {
    const { peer, exporter } = await start({});
    await exporter.consume(batchOf('traces'));
    await exporter.consume(logsBatch());
    const spans = peer.decode('traces', 0) as Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }>;
    const span = spans[0]?.scopeSpans[0]?.spans[0] as Record<string, { toString(): string } | Uint8Array>;
    expect(Buffer.from(span.traceId as Uint8Array).toString('hex')).toBe(TRACE_ID);
    expect(Buffer.from(span.spanId as Uint8Array).toString('hex')).toBe(SPAN_ID);
    expect(Buffer.from(span.parentSpanId as Uint8Array).toString('hex')).toBe(PARENT_SPAN_ID);
    expect(span.startTimeUnixNano?.toString()).toBe(T1);
    expect(span.endTimeUnixNano?.toString()).toBe(T2);
    const logs = normalize(peer.decode('logs', 1)) as Array<Record<string, unknown>>;
    expect(logs[0]).toMatchObject({
      resource: { attributes: expect.arrayContaining([{ key: 'host.cpus', value: { intValue: '-9007199254740993' } }, { key: 'blob', value: { bytesValue: '00ff10' } }]) },
      scopeLogs: [{ logRecords: [expect.objectContaining({ timeUnixNano: T1, observedTimeUnixNano: T2, traceId: TRACE_ID, eventName: 'order.placed' }), expect.anything()] }],
    });
  });

  it('sends OTLP/JSON uncompressed when asked', async () => {
    const { peer, exporter } = await start({ encoding: 'json', compression: 'none' });
    await exporter.consume(batchOf('metrics'));
    const req = peer.requests[0];
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['content-encoding']).toBeUndefined();
    const json = JSON.parse(req?.raw.toString('utf8') ?? '') as { resourceMetrics: unknown[] };
    expect(json.resourceMetrics).toHaveLength(1);
    expect(req?.raw.toString('utf8')).toContain(TRACE_ID);
    expect(normalize(peer.decode('metrics', 0))).toEqual(normalize(batchOf('metrics').resources));
  });

  it('uses a per-signal endpoint instead of endpoint + /v1/<signal>', async () => {
    const first = await start({});
    await first.exporter.shutdown();
    const url = first.peer.url;
    const cfg = withDefaults<OtlpHttpConfig>(configSchema, { logs_endpoint: `${url}/custom/logs`, traces_endpoint: `${url}/t`, retry_on_failure: FAST_RETRY, sending_queue: NO_QUEUE });
    expect(otlphttpExporter.validate?.(cfg)).toEqual([]);
    const perSignal = otlphttpExporter.create(cfg, { id: 'otlphttp/x', kind: 'exporter', logger: recordingLogger(), telemetry: new SelfTelemetry({ defaultMetrics: false }) });
    exporter = perSignal;
    await perSignal.start(testHost);
    await perSignal.consume(batchOf('logs'));
    await perSignal.consume(batchOf('traces'));
    expect(first.peer.requests.map((r) => r.path)).toEqual(['/custom/logs', '/t']);
    // No endpoint for metrics: refused for good, with the fix in the message.
    await expect(perSignal.consume(batchOf('metrics'))).rejects.toThrow(/set endpoint or metrics_endpoint/);
  });

  it('logs a partial success at warn and counts the batch as sent', async () => {
    const { peer, exporter, logger, metric } = await start({});
    peer.replies.push({ status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: encodeExportResponse('logs', { rejected: 1, errorMessage: 'one record too big' }) });
    await exporter.consume(logsBatch());
    expect(logger.lines.find((l) => l.level === 'warn' && l.message === 'Partial success response')?.fields).toMatchObject({ rejected: 1, message: 'one record too big' });
    expect(await metric('sent', 'log_records')).toBe(2);
  });
});

describe('otlphttp exporter: failures', () => {
  it('retries a 503 after its Retry-After, then succeeds', async () => {
    const { peer, exporter, metric } = await start({});
    peer.replies.push({ status: 503, headers: { 'retry-after': '1' } });
    await exporter.consume(logsBatch());
    expect(peer.requests).toHaveLength(2);
    const [first, second] = peer.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(normalize(peer.decode('logs', 1))).toEqual(normalize(logsBatch().resources));
    expect(await metric('sent', 'log_records')).toBe(2);
    expect(await metric('send_failed', 'log_records')).toBe(0);
  });

  it('does not retry a 400, reports the Status message, and counts send_failed', async () => {
    const { peer, exporter, metric } = await start({});
    peer.replies.push({ status: 400, headers: { 'content-type': 'application/x-protobuf' }, body: encodeStatus({ code: 3, message: 'resourceLogs[0]: bad attribute' }) });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('HTTP 400: resourceLogs[0]: bad attribute');
    expect((err as Error).message).toContain(`${peer.url}/v1/logs`);
    expect(peer.requests).toHaveLength(1);
    expect(await metric('send_failed', 'log_records')).toBe(2);
    expect(await metric('sent', 'log_records')).toBe(0);
  });

  it('reads a JSON Status body, and a JSON partial success', async () => {
    const { peer, exporter, logger } = await start({ encoding: 'json', retry_on_failure: { enabled: false } });
    peer.replies.push({ status: 413, headers: { 'content-type': 'application/json' }, body: encodeJsonStatus({ code: 3, message: 'request too large' }) });
    await expect(exporter.consume(logsBatch())).rejects.toThrow(/HTTP 413: request too large$/);
    peer.replies.push({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: encodeJsonExportResponse('logs', { rejected: 1, errorMessage: 'dup' }) });
    await exporter.consume(logsBatch());
    expect(logger.lines.find((l) => l.message === 'Partial success response')?.fields).toMatchObject({ rejected: 1, message: 'dup' });
  });

  it('keeps credentials in the URL out of errors and logs', async () => {
    const { peer, exporter: plain, logger } = await start({ retry_on_failure: { enabled: false } });
    await plain.shutdown();
    const cfg = withDefaults<OtlpHttpConfig>(configSchema, { endpoint: peer.url.replace('://', '://user:hunter2@'), retry_on_failure: { enabled: false }, sending_queue: NO_QUEUE });
    const withCreds = otlphttpExporter.create(cfg, { id: 'otlphttp/creds', kind: 'exporter', logger, telemetry: new SelfTelemetry({ defaultMetrics: false }) });
    exporter = withCreds;
    await withCreds.start(testHost);
    peer.replies.push({ status: 400 });
    const err = await withCreds.consume(logsBatch()).catch((e: unknown) => e);
    expect((err as Error).message).toContain('/v1/logs responded with HTTP 400');
    expect((err as Error).message).not.toContain('hunter2');
    expect(JSON.stringify(logger.lines)).not.toContain('hunter2');
    expect(peer.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('user:hunter2').toString('base64')}`);
  });

  it('reads a plain-text error body when it is not a Status', async () => {
    const { peer, exporter } = await start({ retry_on_failure: { enabled: false } });
    peer.replies.push({ status: 401, headers: { 'content-type': 'text/plain' }, body: 'missing token\n' });
    await expect(exporter.consume(logsBatch())).rejects.toThrow(/HTTP 401: missing token$/);
  });

  it('aborts a slow request at the timeout and retries it', async () => {
    const { peer, exporter, metric } = await start({ timeout: '200ms' });
    peer.replies.push({ status: 200, delayMs: 5_000 });
    await exporter.consume(logsBatch());
    expect(peer.requests).toHaveLength(2);
    expect(await metric('sent', 'log_records')).toBe(2);
  });

  it('gives up after max_elapsed_time with a retryable error', async () => {
    const { peer, exporter, metric } = await start({ retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '200ms' } });
    for (let i = 0; i < 100; i++) peer.replies.push({ status: 502 });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/no more retries left .*HTTP 502/);
    expect(peer.requests.length).toBeGreaterThan(2);
    expect(await metric('send_failed', 'log_records')).toBe(2);
  });

  it('shutdown ends a pending backoff', async () => {
    const { peer, exporter } = await start({ retry_on_failure: { initial_interval: '60s', max_interval: '60s', max_elapsed_time: '0' } });
    peer.replies.push({ status: 503 });
    const pending = exporter.consume(logsBatch()).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    expect(peer.requests).toHaveLength(1);
    await exporter.shutdown();
    const err = await pending;
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain('shutting down');
  });

  it('treats a refused connection as retryable', async () => {
    const port = await freePort();
    const cfg = withDefaults<OtlpHttpConfig>(configSchema, { endpoint: `http://127.0.0.1:${port}`, retry_on_failure: { enabled: false }, sending_queue: NO_QUEUE });
    exporter = otlphttpExporter.create(cfg, { id: 'otlphttp/down', kind: 'exporter', logger: recordingLogger(), telemetry: new SelfTelemetry({ defaultMetrics: false }) });
    await exporter.start(testHost);
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });
});

describe('otlphttp exporter: TLS', () => {
  let cert: TestCert;
  beforeAll(() => {
    cert = selfSignedCert();
  });
  afterAll(() => cert.remove());

  it('sends over https, trusting the server through ca_file', async () => {
    const { peer, exporter } = await start({ tls: { ca_file: cert.certFile } }, cert);
    expect(peer.url).toMatch(/^https:/);
    await exporter.consume(logsBatch());
    expect(normalize(peer.decode('logs', 0))).toEqual(normalize(logsBatch().resources));
  });

  it('refuses a certificate it cannot verify, and accepts it with insecure_skip_verify', async () => {
    const { exporter } = await start({ retry_on_failure: { enabled: false } }, cert);
    await expect(exporter.consume(logsBatch())).rejects.toThrow(/self[- ]signed/i);
    await exporter.shutdown();
    await peer?.close();
    const again = await start({ tls: { insecure_skip_verify: true } }, cert);
    await again.exporter.consume(logsBatch());
    expect(again.peer.requests).toHaveLength(1);
  });
});

describe('otlphttp config', () => {
  const check = (config: Record<string, unknown>) => otlphttpExporter.validate?.(withDefaults<OtlpHttpConfig>(configSchema, config)) ?? [];

  it('has the Collector defaults', () => {
    const cfg = withDefaults<OtlpHttpConfig>(configSchema, { endpoint: 'http://x:4318' });
    expect(cfg).toMatchObject({ encoding: 'proto', compression: 'gzip', timeout: '30s', retry_on_failure: { enabled: true, initial_interval: '5s', max_elapsed_time: '300s' } });
  });

  it('needs an endpoint, and says how to set one', () => {
    expect(check({})).toEqual([expect.objectContaining({ path: 'endpoint', fix: expect.stringContaining('endpoint: http://') })]);
    expect(check({ traces_endpoint: 'http://x/v1/traces' })).toEqual([]);
  });

  it('rejects what is not an http(s) URL', () => {
    expect(check({ endpoint: 'collector:4318' })).toEqual([expect.objectContaining({ path: 'endpoint' })]);
    expect(check({ endpoint: 'http://x', logs_endpoint: 'ftp://x/logs' })).toEqual([expect.objectContaining({ path: 'logs_endpoint', fix: 'use http:// or https://' })]);
  });

  it('accepts headers as a list of {name, value}', async () => {
    const { peer, exporter } = await start({ headers: [{ name: 'x-team', value: 'blue' }] });
    await exporter.consume(logsBatch());
    expect(peer.requests[0]?.headers['x-team']).toBe('blue');
  });

  it('takes sending_queue with the Collector\'s keys and defaults, and refuses unknown keys in it', () => {
    const cfg = withDefaults<OtlpHttpConfig>(configSchema, { endpoint: 'http://x', sending_queue: { storage: 'file_storage/q' } });
    expect(cfg.sending_queue).toEqual({ enabled: true, num_consumers: 10, queue_size: 1000, sizer: 'requests', block_on_overflow: true, wait_for_result: false, max_memory_mib: 128, when_full: 'refuse', storage: 'file_storage/q' });
    expect(() => withDefaults(configSchema, { endpoint: 'http://x', sending_queue: { queue_sise: 5 } })).toThrow(/additionalProperties/);
  });
});
