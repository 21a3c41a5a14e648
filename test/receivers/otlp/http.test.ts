// OTLP/HTTP against a real receiver with a raw client: every error status with its
// Status body, compression, size limits (gzip bomb included), metadata, and backpressure.
import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { decodeStatus } from '../../../src/pdata/proto.js';
import { decodeJsonStatus } from '../../../src/pdata/json.js';
import type { LogsBatch } from '../../../src/pdata/batch.js';
import type { Running } from './fixtures.js';
import { GateConsumer, TRACE_ID, counterValue, jsonRequest, post, protobufRequest, rawRequest, startReceiver } from './fixtures.js';
import { waitFor } from '../../helpers/index.js';

const PB = 'application/x-protobuf';
const JSON_CT = 'application/json';

let running: Running | undefined;
afterEach(async () => {
  await running?.receiver.shutdown();
  running = undefined;
});

async function start(...args: Parameters<typeof startReceiver>): Promise<Running> {
  running = await startReceiver(...args);
  return running;
}

function pbMessage(body: Buffer): string {
  return decodeStatus(body).message;
}

function jsonMessage(body: Buffer): string {
  return decodeJsonStatus(body.toString('utf8')).message;
}

describe('otlp receiver over HTTP', () => {
  it('accepts protobuf and JSON for every signal and answers with the Export response in the same encoding', async () => {
    const r = await start({ grpc: null });
    for (const signal of ['logs', 'traces', 'metrics'] as const) {
      const pb = await post(`${r.httpUrl}/v1/${signal}`, protobufRequest(signal, 2), PB);
      expect(pb.status).toBe(200);
      expect(pb.headers['content-type']).toBe(PB);
      expect(pb.body.length).toBe(0); // partial_success unset
      const js = await post(`${r.httpUrl}/v1/${signal}`, jsonRequest(signal, 3), 'application/json; charset=utf-8');
      expect(js.status).toBe(200);
      expect(js.headers['content-type']).toBe(JSON_CT);
      expect(JSON.parse(js.body.toString())).toEqual({});
      expect(r.consumers[signal].items()).toBe(5);
    }
    const batch = r.consumers.logs.batches[0] as LogsBatch;
    const record = batch.resources[0]?.scopeLogs[0]?.logRecords[0];
    expect(Buffer.from(record?.traceId ?? []).equals(TRACE_ID)).toBe(true);
    expect(String(record?.timeUnixNano)).toBe('1700000000123456789');
    expect(batch.context?.clientAddress).toBe('127.0.0.1');
    expect(batch.context?.metadata).toBeUndefined();
    expect(await counterValue(r.telemetry, 'otelcol_receiver_accepted_log_records_total', { receiver: 'otlp', transport: 'http' })).toBe(5);
  });

  it('decompresses gzip and deflate (zlib-wrapped and raw) bodies', async () => {
    const r = await start({ grpc: null });
    const body = protobufRequest('traces', 4);
    for (const [encoding, bytes] of [
      ['gzip', zlib.gzipSync(body)],
      ['deflate', zlib.deflateSync(body)],
      ['deflate', zlib.deflateRawSync(body)],
      ['identity', body],
    ] as const) {
      const res = await post(`${r.httpUrl}/v1/traces`, bytes, PB, { 'content-encoding': encoding });
      expect(res.status, encoding).toBe(200);
    }
    expect(r.consumers.traces.items()).toBe(16);
  });

  it('answers 404 for an unknown path and for a signal no pipeline takes', async () => {
    const r = await start({ grpc: null }, { signals: ['logs'] });
    const unknown = await post(`${r.httpUrl}/v1/nope`, protobufRequest('logs'), PB);
    expect(unknown.status).toBe(404);
    expect(pbMessage(unknown.body)).toContain('/v1/nope');
    const noPipeline = await post(`${r.httpUrl}/v1/traces`, jsonRequest('traces'), JSON_CT);
    expect(noPipeline.status).toBe(404);
    expect(noPipeline.headers['content-type']).toBe(JSON_CT);
    expect(jsonMessage(noPipeline.body)).toContain('404');
    expect((await post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB)).status).toBe(200);
  });

  it('answers 405 with Allow for a method other than POST', async () => {
    const r = await start({ grpc: null });
    const res = await rawRequest(`${r.httpUrl}/v1/logs`, { method: 'GET', headers: { 'content-type': PB } });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(pbMessage(res.body)).toContain('method not allowed');
  });

  it('answers 415 naming the supported content types', async () => {
    const r = await start({ grpc: null });
    const res = await post(`${r.httpUrl}/v1/logs`, 'hello', 'text/plain');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toBe(JSON_CT);
    const message = jsonMessage(res.body);
    expect(message).toContain('application/json');
    expect(message).toContain('application/x-protobuf');
  });

  it('answers 400 with the decoder message for malformed protobuf and JSON, then keeps serving', async () => {
    const r = await start({ grpc: null });
    const badPb = await post(`${r.httpUrl}/v1/logs`, Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]), PB);
    expect(badPb.status).toBe(400);
    expect(badPb.headers['content-type']).toBe(PB);
    expect(pbMessage(badPb.body)).toMatch(/ExportLogsServiceRequest/);

    const badJson = await post(`${r.httpUrl}/v1/logs`, '{"resourceLogs": [', JSON_CT);
    expect(badJson.status).toBe(400);
    expect(badJson.headers['content-type']).toBe(JSON_CT);
    expect(jsonMessage(badJson.body).length).toBeGreaterThan(0);

    const badId = await post(`${r.httpUrl}/v1/logs`, '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"xyz"}]}]}]}', JSON_CT);
    expect(badId.status).toBe(400);
    expect(jsonMessage(badId.body)).toContain('traceId');

    const badGzip = await post(`${r.httpUrl}/v1/logs`, Buffer.from('not gzip at all'), PB, { 'content-encoding': 'gzip' });
    expect(badGzip.status).toBe(400);
    expect(pbMessage(badGzip.body)).toContain('gzip');

    const unsupported = await post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB, { 'content-encoding': 'br' });
    expect(unsupported.status).toBe(400);
    expect(pbMessage(unsupported.body)).toContain('unsupported Content-Encoding');

    expect(r.consumers.logs.batches).toHaveLength(0);
    expect((await post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB)).status).toBe(200);
    expect(r.consumers.logs.items()).toBe(1);
  });

  it('answers 413 for a body over max_request_body_size, declared or streamed', async () => {
    const r = await start({ grpc: null, http: { max_request_body_size: 1000 } });
    const big = protobufRequest('logs', 50);
    expect(big.length).toBeGreaterThan(1000);
    const declared = await post(`${r.httpUrl}/v1/logs`, big, PB);
    expect(declared.status).toBe(413);
    expect(pbMessage(declared.body)).toContain('max_request_body_size');

    // Chunked: no Content-Length, so the limit is found while reading.
    const chunked = await rawRequest(`${r.httpUrl}/v1/logs`, { headers: { 'content-type': PB, 'transfer-encoding': 'chunked' }, body: big });
    expect(chunked.status).toBe(413);

    // Small when compressed, too large once decompressed.
    const zeros = Buffer.alloc(5000);
    const inflated = await post(`${r.httpUrl}/v1/logs`, zlib.gzipSync(zeros), PB, { 'content-encoding': 'gzip' });
    expect(inflated.status).toBe(413);
    expect(pbMessage(inflated.body)).toContain('decompressed');

    expect((await post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB)).status).toBe(200);
    expect(r.consumers.logs.items()).toBe(1);
  });

  it('answers 413 to a gzip bomb (200 MB of zeros) without inflating it', async () => {
    const r = await start({ grpc: null });
    // Build the bomb by streaming one zeroed MiB 200 times: only the ~200 KB result is held.
    const mib = Buffer.alloc(1024 * 1024);
    const chunks: Buffer[] = [];
    const gz = zlib.createGzip({ level: 9 });
    gz.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => gz.on('end', resolve));
    await new Promise<void>((resolve, reject) => {
      Readable.from((function* () { for (let i = 0; i < 200; i++) yield mib; })()).pipe(gz).on('error', reject);
      gz.on('end', () => resolve());
    });
    await done;
    const bomb = Buffer.concat(chunks);
    expect(bomb.length).toBeLessThan(1024 * 1024);

    const rssBefore = process.memoryUsage().rss;
    const res = await post(`${r.httpUrl}/v1/logs`, bomb, PB, { 'content-encoding': 'gzip' });
    const grown = process.memoryUsage().rss - rssBefore;
    expect(res.status).toBe(413);
    expect(grown).toBeLessThan(120 * 1024 * 1024);
    expect(r.consumers.logs.batches).toHaveLength(0);
  });

  it('maps downstream errors: permanent 400, retryable 503, throttled 429, Retry-After when known', async () => {
    const r = await start({ grpc: null });
    const url = `${r.httpUrl}/v1/traces`;
    const consumer = r.consumers.traces;

    consumer.fail = new PermanentError('bad span names');
    const permanent = await post(url, protobufRequest('traces', 2), PB);
    expect(permanent.status).toBe(400);
    expect(pbMessage(permanent.body)).toBe('bad span names');
    expect(permanent.headers['retry-after']).toBeUndefined();

    consumer.fail = new RetryableError('queue is full', { retryAfterMs: 2500 });
    const unavailable = await post(url, jsonRequest('traces', 2), JSON_CT);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('3');
    expect(jsonMessage(unavailable.body)).toBe('queue is full');

    consumer.fail = new RetryableError('slow down', { retryAfterMs: 1000, reason: 'throttled' });
    const throttled = await post(url, protobufRequest('traces', 2), PB);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');

    consumer.fail = new RetryableError('backend down');
    const noDelay = await post(url, protobufRequest('traces', 2), PB);
    expect(noDelay.status).toBe(503);
    expect(noDelay.headers['retry-after']).toBeUndefined();

    consumer.fail = new Error('unclassified');
    expect((await post(url, protobufRequest('traces', 2), PB)).status).toBe(503);

    consumer.fail = undefined;
    expect((await post(url, protobufRequest('traces', 2), PB)).status).toBe(200);
    const labels = { receiver: 'otlp', transport: 'http' };
    expect(await counterValue(r.telemetry, 'otelcol_receiver_refused_spans_total', labels)).toBe(10);
    expect(await counterValue(r.telemetry, 'otelcol_receiver_accepted_spans_total', labels)).toBe(2);
  });

  it('replies only after consume() settled', async () => {
    const gate = new GateConsumer();
    const r = await start({ grpc: null }, { next: { metrics: gate } });
    let answered = false;
    const pending = post(`${r.httpUrl}/v1/metrics`, protobufRequest('metrics'), PB).then((res) => {
      answered = true;
      return res;
    });
    await waitFor(() => gate.started === 1, 'consume() to be called');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    gate.open();
    expect((await pending).status).toBe(200);
    expect(gate.batches).toHaveLength(1);
  });

  it('passes headers on as metadata with include_metadata', async () => {
    const r = await start({ grpc: null, http: { include_metadata: true } });
    await post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB, { 'X-Tenant': 'acme' });
    const ctx = r.consumers.logs.batches[0]?.context;
    expect(ctx?.clientAddress).toBe('127.0.0.1');
    expect(ctx?.metadata?.['x-tenant']).toEqual(['acme']);
    expect(ctx?.metadata?.['content-type']).toEqual([PB]);
  });

  it('serves custom URL paths (a missing leading slash is added)', async () => {
    const r = await start({ grpc: null, http: { logs_url_path: 'custom/logs' } });
    expect((await post(`${r.httpUrl}/custom/logs`, protobufRequest('logs'), PB)).status).toBe(200);
    expect((await post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB)).status).toBe(404);
  });

  it('answers CORS preflights and decorates responses for allowed origins', async () => {
    const r = await start({ grpc: null, http: { cors: { allowed_origins: ['https://*.example.com'], allowed_headers: ['X-Tenant'], max_age: 600 } } });
    const url = `${r.httpUrl}/v1/traces`;
    const preflight = await rawRequest(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-tenant' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-methods']).toBe('POST');
    expect(preflight.headers['access-control-allow-headers']).toBe('content-type, x-tenant');
    expect(preflight.headers['access-control-max-age']).toBe('600');

    const denied = await rawRequest(url, { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' } });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();

    const actual = await post(url, jsonRequest('traces'), JSON_CT, { origin: 'https://app.example.com' });
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('on shutdown waits for requests in flight and refuses new ones with 503', async () => {
    const gate = new GateConsumer();
    const r = await start({ grpc: null }, { next: { logs: gate } });
    const inFlight = post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB);
    await waitFor(() => gate.started === 1, 'consume() to be called');
    const stopping = r.receiver.shutdown();
    running = undefined;
    // The listener stays open while draining, and answers newcomers 503.
    const late = await post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB);
    expect(late.status).toBe(503);
    expect(pbMessage(late.body)).toContain('shutting down');
    gate.open();
    expect((await inFlight).status).toBe(200);
    await stopping;
    expect(gate.batches).toHaveLength(1);
    await expect(post(`${r.httpUrl}/v1/logs`, protobufRequest('logs'), PB)).rejects.toThrow();
  });
});
