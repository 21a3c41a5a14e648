// The Collector's documented server and client keys between Ferry's own otlp_http exporter and
// its otlp receiver (real peers on both ends): every compression algorithm, compression_algorithms,
// response_headers, keep_alives_enabled, CORS credentials and exposed headers, a unix-socket gRPC
// listener, and the client's proxy_url, cookies, user_agent and max_idle_conns_per_host.
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import type { Exporter } from '../../../src/component.js';
import { compressBody, loadCompression } from '../../../src/compression.js';
import { configSchema } from '../../../src/exporters/otlphttp/config.js';
import { otlphttpExporter } from '../../../src/exporters/otlphttp/index.js';
import type { OtlpHttpConfig } from '../../../src/exporters/otlphttp/index.js';
import { validate as validateReceiver } from '../../../src/receivers/otlp/config.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { batchOf, normalize, recordingLogger, withDefaults } from '../../exporters/helper/fixtures.js';
import type { Running } from './fixtures.js';
import { jsonRequest, post, protobufRequest, startReceiver } from './fixtures.js';

const PB = 'application/x-protobuf';
let running: Running | undefined;
let exporter: Exporter | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await exporter?.shutdown();
  await running?.receiver.shutdown();
  for (const c of cleanups.splice(0)) await c();
  exporter = undefined;
  running = undefined;
});

async function startExporter(config: Record<string, unknown>): Promise<Exporter> {
  const cfg = withDefaults<OtlpHttpConfig>(configSchema, { sending_queue: { enabled: false }, retry_on_failure: { enabled: false }, ...config });
  expect((otlphttpExporter.validate?.(cfg) ?? []).filter((p) => p.severity !== 'warning')).toEqual([]);
  exporter = otlphttpExporter.create(cfg, { id: 'otlp_http', kind: 'exporter', logger: recordingLogger(), telemetry: new SelfTelemetry({ defaultMetrics: false }) });
  await exporter.start(testHost);
  return exporter;
}

describe('compression between the otlp_http exporter and the otlp receiver', () => {
  for (const compression of ['gzip', 'zstd', 'snappy', 'zlib', 'deflate', 'lz4', 'none'] as const) {
    it(`${compression}: the logs arrive intact`, async () => {
      running = await startReceiver({ grpc: null });
      const e = await startExporter({ endpoint: running.httpUrl, compression });
      await e.consume(batchOf('logs'));
      expect(normalize(running.consumers.logs.batches[0]?.resources ?? [])).toEqual(normalize(batchOf('logs').resources));
    });
  }

  it('refuses an encoding left out of compression_algorithms with 400, naming the ones accepted', async () => {
    running = await startReceiver({ grpc: null, http: { compression_algorithms: ['', 'gzip'] } });
    await loadCompression(['zstd']);
    const zstd = await post(`${running.httpUrl}/v1/logs`, await compressBody('zstd', protobufRequest('logs')), PB, { 'content-encoding': 'zstd' });
    expect(zstd.status).toBe(400);
    expect(zstd.body.toString()).toContain('unsupported Content-Encoding "zstd"; supported: gzip, identity');
    expect((await post(`${running.httpUrl}/v1/logs`, protobufRequest('logs'), PB)).status).toBe(200);
  });

  it('stops a zstd or lz4 bomb at max_request_body_size without inflating it', async () => {
    running = await startReceiver({ grpc: null, http: { max_request_body_size: 64 * 1024 } });
    await loadCompression(['zstd', 'lz4']);
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    for (const algorithm of ['zstd', 'lz4'] as const) {
      const bomb = await compressBody(algorithm, zeros);
      expect(bomb.length).toBeLessThan(64 * 1024);
      const r = await post(`${running.httpUrl}/v1/logs`, bomb, PB, { 'content-encoding': algorithm });
      expect(r.status, algorithm).toBe(413);
    }
    expect(running.consumers.logs.items()).toBe(0);
  });
});

describe('otlp receiver server keys', () => {
  it('adds response_headers to every answer and closes connections when keep_alives_enabled is false', async () => {
    running = await startReceiver({ grpc: null, http: { response_headers: { 'X-Served-By': 'ferry' }, keep_alives_enabled: false } });
    const ok = await post(`${running.httpUrl}/v1/logs`, protobufRequest('logs'), PB);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-served-by']).toBe('ferry');
    expect(ok.headers.connection).toBe('close');
    const notFound = await post(`${running.httpUrl}/nope`, protobufRequest('logs'), PB);
    expect(notFound.headers['x-served-by']).toBe('ferry');
  });

  it('answers CORS with Access-Control-Allow-Credentials: true and the exposed headers, as the Collector does', async () => {
    running = await startReceiver({ grpc: null, http: { cors: { allowed_origins: ['*'], exposed_headers: ['X-Trace-Sampled'] } } });
    const r = await post(`${running.httpUrl}/v1/traces`, jsonRequest('traces'), 'application/json', { origin: 'https://app.example.com' });
    expect(r.status).toBe(200);
    // With credentials a browser refuses "*": the origin is echoed.
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(r.headers['access-control-allow-credentials']).toBe('true');
    expect(r.headers['access-control-expose-headers']).toBe('X-Trace-Sampled');
  });

  it('listens on a unix socket with grpc transport unix', async () => {
    const path = join(tmpdir(), `ferry-otlp-${process.pid}-${Date.now()}.sock`);
    running = await startReceiver({ http: null, grpc: { transport: 'unix', endpoint: path } });
    const client = new grpc.Client(`unix:${path}`, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
        (b: Buffer) => b,
        (b: Buffer) => b,
        protobufRequest('logs', 3),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    expect(running.consumers.logs.items()).toBe(3);
  });

  it('warns (not refuses) gRPC buffer sizes grpc-js cannot honour, and wants a path for transport unix', () => {
    const problems = validateReceiver({ protocols: { grpc: { endpoint: '127.0.0.1:4317', read_buffer_size: 524288, write_buffer_size: 1 } } });
    expect(problems.map((p) => [p.path, p.severity])).toEqual([
      ['protocols.grpc.read_buffer_size', 'warning'],
      ['protocols.grpc.write_buffer_size', 'warning'],
    ]);
    expect(problems[0]?.message).toBe('read_buffer_size has no effect in Ferry: grpc-js sizes its own socket buffers');
    expect(validateReceiver({ protocols: { grpc: { transport: 'unix', endpoint: '127.0.0.1:4317' } } })[0]?.message).toBe('transport unix needs the socket path as endpoint');
  });
});

describe('otlp_http client keys', () => {
  it('sends through proxy_url (an HTTP forward proxy sees the absolute URL)', async () => {
    running = await startReceiver({ grpc: null });
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      const target = new URL(req.url ?? '');
      const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => proxy.close(() => r())));
    const e = await startExporter({ endpoint: running.httpUrl, proxy_url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
    await e.consume(batchOf('logs'));
    expect(seen).toEqual([`POST ${running.httpUrl}/v1/logs`]);
    expect(normalize(running.consumers.logs.batches[0]?.resources ?? [])).toEqual(normalize(batchOf('logs').resources));
  });

  it('keeps cookies the server sets when cookies.enabled, and sends user_agent', async () => {
    const requests: { cookie: string | undefined; agent: string | undefined }[] = [];
    const backend = createServer((req, res) => {
      requests.push({ cookie: req.headers.cookie, agent: req.headers['user-agent'] });
      req.resume();
      req.on('end', () => res.writeHead(200, { 'set-cookie': ['lb=node-7; Path=/; HttpOnly'], 'content-type': PB }).end());
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => backend.close(() => r())));
    const e = await startExporter({ endpoint: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, cookies: { enabled: true }, user_agent: 'acme-agent/1.0', max_idle_conns_per_host: 2 });
    await e.consume(batchOf('logs'));
    await e.consume(batchOf('logs'));
    expect(requests).toEqual([
      { cookie: undefined, agent: 'acme-agent/1.0' },
      { cookie: 'lb=node-7', agent: 'acme-agent/1.0' },
    ]);
  });

  it('warns that HTTP/2 and buffer keys have no effect, and refuses a proxy_url that is not a URL', () => {
    const cfg = withDefaults<OtlpHttpConfig>(configSchema, { endpoint: 'http://127.0.0.1:1', http2_read_idle_timeout: '10s', http2_ping_timeout: '5s', read_buffer_size: 1024, proxy_url: 'nope' });
    const problems = otlphttpExporter.validate?.(cfg) ?? [];
    expect(problems.filter((p) => p.severity === 'warning').map((p) => p.path)).toEqual(['http2_read_idle_timeout', 'http2_ping_timeout', 'read_buffer_size']);
    expect(problems.filter((p) => p.severity !== 'warning')).toEqual([{ path: 'proxy_url', message: '"nope" is not a URL', fix: 'write a full URL with its scheme, e.g. http://collector:4318' }]);
  });
});
