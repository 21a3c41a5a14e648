// What a hostile or broken client sends, thrown at a real Ferry process's OTLP receiver:
// random and truncated protobuf, wrong types, deep and huge JSON, invalid UTF-8, a gzip
// bomb. Each gets a clear error (or, for invalid UTF-8, a repaired record), Ferry stays up
// with bounded memory, and a well-behaved client's records all arrive.
import http2 from 'node:http2';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatus } from '../../src/pdata/proto.js';
import { freePort, waitFor } from '../helpers/index.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { fileLogIds, prng, randomBytes } from '../helpers/faults.js';
import { LoadSender, logsRequest, rssBytes } from '../helpers/load.js';

const LIMIT = 4 * 1024 * 1024;
/** Generous: an idle Ferry is ~100 MB; a leak of bodies or connections shows as far more. */
const RSS_BOUND = 400 * 1024 * 1024;

let ferry: FerryProcess;
let url: string;
let grpcPort: number;
let out: string;
let good: LoadSender;

/** A raw POST: status, and the google.rpc.Status message of an error body (protobuf or JSON). */
async function post(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; message: string }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body, headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  let message = '';
  if (res.status !== 200) {
    const type = res.headers.get('content-type') ?? '';
    message = type.includes('json') ? String((JSON.parse(bytes.toString('utf8')) as { message?: string }).message) : decodeStatus(bytes).message;
  }
  return { status: res.status, message };
}
const postProto = (body: Buffer, headers: Record<string, string> = {}) => post('/v1/logs', body, { 'content-type': 'application/x-protobuf', ...headers });
const postJson = (body: Buffer | string, headers: Record<string, string> = {}) =>
  post('/v1/logs', typeof body === 'string' ? Buffer.from(body) : body, { 'content-type': 'application/json', ...headers });

/** One unary gRPC call with a raw, already framed body; resolves with grpc-status and message. */
function grpcRaw(frame: Buffer, encoding?: string): Promise<{ code: number; message: string }> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${grpcPort}`);
    client.on('error', reject);
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    if (encoding) headers['grpc-encoding'] = encoding;
    const req = client.request(headers);
    let code = -1;
    let message = '';
    const take = (h: http2.IncomingHttpHeaders): void => {
      if (h['grpc-status'] !== undefined) code = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', () => undefined);
    req.on('end', () => {
      client.close();
      resolve({ code, message });
    });
    req.on('error', reject);
    req.end(frame);
  });
}
const grpcFrame = (message: Buffer, compressed = false): Buffer => {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
};

/** gzip of `size` zero bytes, streamed: the bomb is ~1 MB, the zeros are never all in memory. */
async function gzipBomb(size: number): Promise<Buffer> {
  const chunk = Buffer.alloc(1 << 20);
  let left = size;
  const zeros = new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
  const parts: Buffer[] = [];
  for await (const part of zeros.pipe(zlib.createGzip({ level: 9 }))) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function assertAlive(): Promise<void> {
  expect(ferry.child.exitCode, ferry.stderr()).toBeNull();
  expect(await good.sendOne()).toBe(true);
  expect(await rssBytes(ferry.child.pid as number)).toBeLessThan(RSS_BOUND);
}

beforeAll(async () => {
  const [httpPort, g, metrics] = [await freePort(), await freePort(), await freePort()];
  grpcPort = g;
  const dir = tempDir('ferry-bad-input-');
  out = join(dir, 'out.jsonl');
  const config = writeConfig(
    `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${grpcPort}
      http:
        endpoint: 127.0.0.1:${httpPort}
        max_request_body_size: ${LIMIT}
exporters:
  file:
    path: ${out}
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metrics}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [file]
`,
    dir,
  );
  ferry = await startFerry(['--config', config]);
  url = `http://127.0.0.1:${httpPort}`;
  good = new LoadSender({ url, prefix: 'good', recordsPerRequest: 5, maxAttempts: 5 });
});

afterAll(async () => {
  good?.close();
  await ferry?.stop();
});

describe('bad input to the OTLP receiver of a real Ferry', () => {
  it('answers random bytes and mutated requests with 200 or a 400 that says why (seeded, 300 cases)', async () => {
    const random = prng(0x5eed);
    const valid = logsRequest(Array.from({ length: 20 }, (_, i) => `valid-${i}`));
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      let body: Buffer;
      if (i % 3 === 0) body = randomBytes(random, Math.floor(random() * 2000));
      else {
        // A valid request with a few bytes overwritten: structure mostly intact, fields wrong.
        body = Buffer.from(valid);
        for (let k = 0; k < 1 + Math.floor(random() * 4); k++) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      }
      const r = await postProto(body);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      expect([200, 400], `case ${i}`).toContain(r.status);
      if (r.status === 400) expect(r.message, `case ${i}`).toMatch(/invalid protobuf|.+/);
      if (i % 100 === 99) await assertAlive();
    }
    expect(statuses.get(400)).toBeGreaterThan(50);
  });

  it('answers a request truncated at every offset with 200 (a shorter valid message) or 400', async () => {
    const body = logsRequest(['t-1', 't-2', 't-3']);
    const seen = new Set<number>();
    for (let cut = 0; cut < body.length; cut++) {
      const r = await postProto(body.subarray(0, cut));
      expect([200, 400], `cut at ${cut}`).toContain(r.status);
      seen.add(r.status);
    }
    expect(seen).toContain(400);
    await assertAlive();
  });

  it('skips protobuf fields with the wrong wire type as unknown (as protobuf-go does), and refuses malformed ones', async () => {
    // A log record whose body (an AnyValue message) arrives as a varint, and whose
    // time (fixed64) arrives as a string: both are read as unknown fields and skipped.
    const record = protobuf.Writer.create()
      .uint32((5 << 3) | 0).uint32(7) // body as varint
      .uint32((1 << 3) | 2).string('not a timestamp') // time_unix_nano as length-delimited
      .uint32((3 << 3) | 2).string('wire-ok') // severity_text: a real field after them
      .finish();
    const scope = protobuf.Writer.create().uint32(0x12).bytes(record).finish();
    const resource = protobuf.Writer.create().uint32(0x12).bytes(scope).finish();
    const request = protobuf.Writer.create().uint32(0x0a).bytes(resource).finish();
    expect((await postProto(Buffer.from(request))).status).toBe(200);

    const malformed = {
      'wire type 7': Buffer.from([0x0f, 0x01]),
      'a group never closed': Buffer.from(protobuf.Writer.create().uint32((1 << 3) | 3).finish()),
      'a length past the end': Buffer.from([0x0a, 0x7f, 0x01]),
    };
    for (const [what, body] of Object.entries(malformed)) {
      const r = await postProto(body);
      expect(r.status, what).toBe(400);
      expect(r.message, what).toMatch(/invalid protobuf ExportLogsServiceRequest: .+ \(at byte \d+ of \d+\)/);
    }
    await assertAlive();
  });

  it('refuses JSON with wrong field types with a 400 naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['{"resourceLogs": "not a list"}', /resourceLogs/],
      ['{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": {"x": 1}}]}]}]}', /timeUnixNano/],
      ['{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"severityNumber": "NOT_A_LEVEL"}]}]}]}', /severityNumber/],
      ['{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "not-hex!"}]}]}]}', /traceId/],
      ['{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": 42}]}]}]}', /body/],
      ['[1, 2, 3]', /.+/],
      ['{"resourceLogs": [', /.+/],
      ['null', /.+/],
    ];
    for (const [body, why] of cases) {
      const r = await postJson(body);
      expect(r.status, body).toBe(400);
      expect(r.message, body).toMatch(why);
    }
    await assertAlive();
  });

  it('refuses 100,000 levels of nesting with 400, in JSON and in protobuf', async () => {
    const depth = 100_000;
    const arrays = await postJson('['.repeat(depth) + ']'.repeat(depth));
    expect(arrays.status).toBe(400);
    // Nested AnyValue kvlists inside a real log record: valid shape, absurd depth (50,000
    // levels, to stay under the 4 MiB limit).
    const open = '{"kvlistValue":{"values":[{"key":"k","value":';
    const nested = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${open.repeat(depth / 2)}{"stringValue":"x"}${'}]}}'.repeat(depth / 2)}}]}]}]}`;
    const deepJson = await postJson(nested);
    expect(deepJson.status).toBe(400);
    expect(deepJson.message).toMatch(/deep/);
    // The protobuf twin: AnyValue{kvlist_value{values[KeyValue{key, value: AnyValue{…}}]}}, 2,000 deep.
    let value: Uint8Array = protobuf.Writer.create().uint32(0x0a).string('x').finish(); // AnyValue.string_value
    for (let i = 0; i < 2000; i++) {
      const kv = protobuf.Writer.create().uint32(0x0a).string('k').uint32(0x12).bytes(value).finish();
      const list = protobuf.Writer.create().uint32(0x0a).bytes(kv).finish();
      value = protobuf.Writer.create().uint32(0x32).bytes(list).finish(); // AnyValue.kvlist_value = 6
    }
    const record = protobuf.Writer.create().uint32(0x2a).bytes(value).finish(); // LogRecord.body = 5
    const scope = protobuf.Writer.create().uint32(0x12).bytes(record).finish(); // ScopeLogs.log_records = 2
    const resource = protobuf.Writer.create().uint32(0x12).bytes(scope).finish(); // ResourceLogs.scope_logs = 2
    const request = protobuf.Writer.create().uint32(0x0a).bytes(resource).finish();
    const deepProto = await postProto(Buffer.from(request));
    expect(deepProto.status).toBe(400);
    await assertAlive();
  });

  it('answers 413 for JSON just over the limit, declared or chunked, and for a gzip bomb (1 GB of zeros)', async () => {
    const filler = 'x'.repeat(LIMIT);
    const huge = Buffer.from(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"${filler}"}}]}]}]}`);
    // Several times: a server that closed the connection while the client was still
    // uploading would, now and then, show up here as EPIPE instead of the 413.
    for (let i = 0; i < 6; i++) {
      const declared = await postJson(huge);
      expect(declared.status).toBe(413);
      expect(declared.message).toMatch(/max_request_body_size/);
    }
    // Chunked, so the size is only known while reading.
    const chunked = await fetch(`${url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.toWeb(Readable.from([huge.subarray(0, LIMIT / 2), huge.subarray(LIMIT / 2)])) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);

    const bomb = await gzipBomb(1024 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(LIMIT);
    const exploded = await postProto(bomb, { 'content-encoding': 'gzip' });
    expect(exploded.status).toBe(413);
    expect(exploded.message).toMatch(/decompressed/);
    // The same bomb over gRPC: grpc-js caps the decompressed message (4 MiB by default).
    const grpcBomb = await grpcRaw(grpcFrame(bomb, true), 'gzip');
    expect(grpcBomb.code).toBe(8); // RESOURCE_EXHAUSTED
    await assertAlive();
  });

  it('answers random bytes over gRPC with INVALID_ARGUMENT', async () => {
    const random = prng(42);
    for (let i = 0; i < 30; i++) {
      const r = await grpcRaw(grpcFrame(randomBytes(random, 10 + Math.floor(random() * 500))));
      expect([0, 3], `case ${i}: ${r.message}`).toContain(r.code);
    }
    const truncatedFrame = await grpcRaw(grpcFrame(logsRequest(['g-1'])).subarray(0, 12));
    expect(truncatedFrame.code).not.toBe(0);
    await assertAlive();
  });

  it('refuses invalid UTF-8 in protobuf and in JSON strings with a 400 that says so', async () => {
    const body = Buffer.from(logsRequest(['utf8-p-AA', 'utf8-p-ok']));
    const at = body.indexOf('utf8-p-AA') + 7;
    body[at] = 0xff;
    body[at + 1] = 0xfe;
    const proto = await postProto(body);
    expect(proto.status).toBe(400);
    expect(proto.message).toMatch(/not valid for encoding utf-8/);
    const json = Buffer.concat([
      Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"utf8-j-'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}},{"body":{"stringValue":"utf8-j-ok"}}]}]}]}'),
    ]);
    const r = await postJson(json);
    expect(r.status).toBe(400);
    expect(r.message).toMatch(/not valid UTF-8/);
    await assertAlive();
    expect([...fileLogIds(out).keys()].filter((id) => id.startsWith('utf8-'))).toEqual([]);
  });

  it('delivered every record of the well-behaved client, and counted nothing twice', async () => {
    for (let i = 0; i < 5; i++) await good.sendOne();
    expect(good.accepted.size).toBeGreaterThan(0);
    await waitFor(() => good.missing(fileLogIds(out)).length === 0, 'every good record in the file');
    const ids = fileLogIds(out);
    for (const id of good.accepted) expect(ids.get(id)).toBe(1);
  });
});
