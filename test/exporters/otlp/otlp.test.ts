import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Exporter } from '../../../src/component.js';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { otlpExporter, type OtlpGrpcConfig } from '../../../src/exporters/otlp/index.js';
import { configSchema } from '../../../src/exporters/otlp/config.js';
import { decodeExportRequest, encodeExportResponse } from '../../../src/pdata/proto.js';
import type { Signal } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { freePort, testHost } from '../../helpers/index.js';
import { SPAN_ID, T1, TRACE_ID, batchOf, logsBatch, metricValue, normalize, recordingLogger, retryInfoMetadata, withDefaults } from '../helper/fixtures.js';
import { selfSignedCert, type TestCert } from '../helper/tls.js';
import { OtlpGrpcPeer } from './server.js';

const FAST_RETRY = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };
// These tests watch each send while its sender waits; the sending queue has its own tests (test/exporters/helper).
const NO_QUEUE = { enabled: false };

let peer: OtlpGrpcPeer | undefined;
let exporter: Exporter | undefined;

afterEach(async () => {
  await exporter?.shutdown();
  await peer?.close();
  exporter = undefined;
  peer = undefined;
});

function createExporter(config: Record<string, unknown>) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<OtlpGrpcConfig>(configSchema, { retry_on_failure: FAST_RETRY, sending_queue: NO_QUEUE, ...config });
  expect(otlpExporter.validate?.(cfg)).toEqual([]);
  const created = otlpExporter.create(cfg, { id: 'otlp/test', kind: 'exporter', logger, telemetry });
  exporter = created;
  const metric = (what: 'sent' | 'send_failed', noun: string) => metricValue(telemetry, `otelcol_exporter_${what}_${noun}_total`, { exporter: 'otlp/test' });
  return { exporter: created, logger, metric };
}

async function start(config: Record<string, unknown>, tls?: { cert: string; key: string }) {
  peer = await OtlpGrpcPeer.start(tls);
  const made = createExporter({ endpoint: peer.endpoint, tls: { insecure: true }, ...config });
  await made.exporter.start(testHost);
  return { peer, ...made };
}

describe('otlp exporter: what arrives', () => {
  it.each<Signal>(['logs', 'traces', 'metrics'])('exports %s to the %s service, every field intact, with metadata', async (signal) => {
    const { peer, exporter, metric } = await start({ headers: { 'x-tenant': 'acme', authorization: 'Bearer s3cret' } });
    await exporter.consume(batchOf(signal));
    expect(peer.calls).toHaveLength(1);
    expect(peer.calls[0]?.signal).toBe(signal);
    expect(peer.calls[0]?.metadata['x-tenant']).toEqual(['acme']);
    expect(peer.calls[0]?.metadata.authorization).toEqual(['Bearer s3cret']);
    expect(peer.calls[0]?.metadata['user-agent']?.[0]).toMatch(/^Ferry\//);
    expect(normalize(peer.decode(signal, 0))).toEqual(normalize(batchOf(signal).resources));
    const noun = { logs: 'log_records', traces: 'spans', metrics: 'metric_points' }[signal];
    expect(await metric('sent', noun)).toBe({ logs: 2, traces: 1, metrics: 5 }[signal]);
  });

  it('keeps ids and 64-bit timestamps exactly', async () => {
    const { peer, exporter } = await start({});
    await exporter.consume(logsBatch());
    const logs = normalize(peer.decode('logs', 0)) as Array<{ scopeLogs: Array<{ logRecords: Array<Record<string, unknown>> }> }>;
    expect(logs[0]?.scopeLogs[0]?.logRecords[0]).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, timeUnixNano: T1 });
  });

  it('logs a partial success at warn', async () => {
    const { peer, exporter, logger, metric } = await start({});
    peer.replies.push({ ok: true, partialSuccess: { rejected: 2, errorMessage: 'spans too old' } });
    await exporter.consume(batchOf('traces'));
    expect(logger.lines.find((l) => l.level === 'warn' && l.message === 'Partial success response')?.fields).toMatchObject({ rejected: 2, message: 'spans too old' });
    expect(await metric('sent', 'spans')).toBe(1);
  });
});

describe('otlp exporter: compression on the wire', () => {
  // grpc-js hides grpc-encoding from handlers, so this peer speaks gRPC over raw HTTP/2.
  let server: http2.Http2Server;
  const seen: Array<{ headers: http2.IncomingHttpHeaders; frame: Buffer }> = [];
  beforeAll(async () => {
    server = http2.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, frame: Buffer.concat(chunks) });
        const body = Buffer.from(encodeExportResponse('logs'));
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(body.byteLength, 1);
        res.writeHead(200, { 'content-type': 'application/grpc' });
        res.addTrailers({ 'grpc-status': '0' });
        res.end(Buffer.concat([prefix, body]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each([
    ['gzip', 1],
    ['none', 0],
  ] as const)('compression: %s', async (compression, flag) => {
    seen.length = 0;
    const { port } = server.address() as AddressInfo;
    const made = createExporter({ endpoint: `http://127.0.0.1:${port}`, tls: { insecure: true }, compression });
    await made.exporter.start(testHost);
    await made.exporter.consume(logsBatch());
    const call = seen[0];
    expect(call?.headers[':path']).toBe('/opentelemetry.proto.collector.logs.v1.LogsService/Export');
    expect(call?.frame[0]).toBe(flag);
    if (flag === 1) expect(call?.headers['grpc-encoding']).toBe('gzip');
    const payload = call?.frame.subarray(5) ?? Buffer.alloc(0);
    expect(call?.frame.readUInt32BE(1)).toBe(payload.byteLength);
    const message = flag === 1 ? gunzipSync(payload) : payload;
    expect(normalize(decodeExportRequest('logs', message))).toEqual(normalize(logsBatch().resources));
  });
});

describe('otlp exporter: failures', () => {
  it('retries UNAVAILABLE, then succeeds', async () => {
    const { peer, exporter, metric } = await start({});
    peer.replies.push({ ok: false, code: grpc.status.UNAVAILABLE, details: 'restarting' });
    await exporter.consume(logsBatch());
    expect(peer.calls).toHaveLength(2);
    expect(await metric('sent', 'log_records')).toBe(2);
  });

  it('retries RESOURCE_EXHAUSTED after the RetryInfo delay', async () => {
    const { peer, exporter } = await start({});
    peer.replies.push({ ok: false, code: grpc.status.RESOURCE_EXHAUSTED, details: 'slow down', metadata: retryInfoMetadata(0, 400_000_000) });
    await exporter.consume(logsBatch());
    expect(peer.calls).toHaveLength(2);
    expect((peer.calls[1]?.at ?? 0) - (peer.calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(380);
  });

  it('does not retry RESOURCE_EXHAUSTED without RetryInfo, nor INVALID_ARGUMENT', async () => {
    const { peer, exporter, metric } = await start({});
    peer.replies.push({ ok: false, code: grpc.status.RESOURCE_EXHAUSTED, details: 'quota' });
    peer.replies.push({ ok: false, code: grpc.status.INVALID_ARGUMENT, details: 'bad span id' });
    const first = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    const second = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(PermanentError);
    expect(second).toBeInstanceOf(PermanentError);
    expect((second as Error).message).toContain('gRPC INVALID_ARGUMENT: bad span id');
    expect(peer.calls).toHaveLength(2);
    expect(await metric('send_failed', 'log_records')).toBe(4);
  });

  it('aborts a slow call at the timeout and retries it', async () => {
    const { peer, exporter } = await start({ timeout: '200ms' });
    peer.replies.push({ ok: true, delayMs: 5_000 });
    await exporter.consume(logsBatch());
    expect(peer.calls).toHaveLength(2);
  });

  it('gives up after max_elapsed_time with a retryable error', async () => {
    const { peer, exporter } = await start({ retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '200ms' } });
    for (let i = 0; i < 100; i++) peer.replies.push({ ok: false, code: grpc.status.UNAVAILABLE });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/no more retries left .*UNAVAILABLE/);
    expect(peer.calls.length).toBeGreaterThan(2);
  });

  it('shutdown ends a pending backoff', async () => {
    const { peer, exporter } = await start({ retry_on_failure: { initial_interval: '60s', max_interval: '60s', max_elapsed_time: '0' } });
    peer.replies.push({ ok: false, code: grpc.status.UNAVAILABLE });
    const pending = exporter.consume(logsBatch()).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 150));
    expect(peer.calls).toHaveLength(1);
    await exporter.shutdown();
    expect(await pending).toBeInstanceOf(RetryableError);
  });

  it('treats an unreachable server as retryable', async () => {
    const port = await freePort();
    const made = createExporter({ endpoint: `127.0.0.1:${port}`, tls: { insecure: true }, retry_on_failure: { enabled: false } });
    await made.exporter.start(testHost);
    const err = await made.exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain('UNAVAILABLE');
  });
});

describe('otlp exporter: TLS', () => {
  let cert: TestCert;
  beforeAll(() => {
    cert = selfSignedCert();
  });
  afterAll(() => cert.remove());

  it('uses TLS by default and verifies the server with ca_file', async () => {
    const { peer, exporter } = await start({ tls: { ca_file: cert.certFile } }, cert);
    await exporter.consume(logsBatch());
    expect(normalize(peer.decode('logs', 0))).toEqual(normalize(logsBatch().resources));
  });

  it('does not trust an unknown certificate, unless insecure_skip_verify', async () => {
    const first = await start({ tls: {}, retry_on_failure: { enabled: false } }, cert);
    await expect(first.exporter.consume(logsBatch())).rejects.toBeInstanceOf(RetryableError);
    expect(first.peer.calls).toHaveLength(0);
    await first.exporter.shutdown();
    const second = createExporter({ endpoint: first.peer.endpoint, tls: { insecure_skip_verify: true } });
    await second.exporter.start(testHost);
    await second.exporter.consume(logsBatch());
    expect(first.peer.calls).toHaveLength(1);
  });

  it('connects with TLS to an https:// endpoint even with insecure: true, and in plaintext otherwise', async () => {
    peer = await OtlpGrpcPeer.start(cert);
    const plaintext = createExporter({ endpoint: `http://${peer.endpoint}`, tls: { insecure: true }, retry_on_failure: { enabled: false } });
    await plaintext.exporter.start(testHost);
    await expect(plaintext.exporter.consume(logsBatch())).rejects.toBeInstanceOf(RetryableError);
    await plaintext.exporter.shutdown();
    expect(peer.calls).toHaveLength(0);
    const secure = createExporter({ endpoint: `https://${peer.endpoint}`, tls: { insecure: true, insecure_skip_verify: true }, retry_on_failure: { enabled: false } });
    await secure.exporter.start(testHost);
    await secure.exporter.consume(logsBatch());
    expect(peer.calls).toHaveLength(1);
  });
});

describe('otlp config', () => {
  const check = (config: Record<string, unknown>) => otlpExporter.validate?.(withDefaults<OtlpGrpcConfig>(configSchema, config)) ?? [];

  it('has the Collector defaults', () => {
    const cfg = withDefaults<OtlpGrpcConfig>(configSchema, { endpoint: 'collector:4317' });
    expect(cfg).toMatchObject({ compression: 'gzip', timeout: '5s', balancer_name: '', tls: { insecure: false }, retry_on_failure: { enabled: true, max_elapsed_time: '300s' } });
    expect(cfg.keepalive).toBeUndefined();
  });

  it('wants host:port, with or without a scheme', () => {
    expect(check({ endpoint: 'collector:4317' })).toEqual([]);
    expect(check({ endpoint: 'https://collector:4317' })).toEqual([]);
    expect(check({ endpoint: 'http://[::1]:4317' })).toEqual([]);
    expect(check({ endpoint: 'dns:///collector:4317' })).toEqual([]);
    expect(check({ endpoint: 'unix:///run/otel.sock' })).toEqual([]);
    expect(check({})).toEqual([expect.objectContaining({ path: 'endpoint', message: 'is required' })]);
    expect(check({ endpoint: 'collector' })).toEqual([expect.objectContaining({ path: 'endpoint', fix: 'write host:port, e.g. collector:4317' })]);
    expect(check({ endpoint: 'collector:http' })).toEqual([expect.objectContaining({ message: 'invalid port "http"' })]);
  });

  it('accepts balancer_name and keepalive as the Collector writes them', () => {
    expect(check({ endpoint: 'c:4317', balancer_name: 'round_robin', keepalive: { time: '30s', timeout: '5s', permit_without_stream: true } })).toEqual([]);
    expect(() => withDefaults(configSchema, { endpoint: 'c:4317', balancer_name: 'grpclb' })).toThrow();
  });

  it('checks the TLS and retry settings too', () => {
    expect(check({ endpoint: 'c:4317', tls: { cert_file: '/x.pem' } })).toEqual([expect.objectContaining({ path: 'tls.key_file' })]);
    expect(check({ endpoint: 'c:4317', retry_on_failure: { max_elapsed_time: '1s' } })).toHaveLength(2);
  });
});
