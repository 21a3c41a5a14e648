// The jaeger receiver against Jaeger's own Node.js client: Thrift over HTTP (HTTPSender) and
// agent UDP binary Thrift (UDPSender) from jaeger-client; compact Thrift on UDP (what Jaeger's
// Go/Java clients send; no npm client does) and gRPC api_v2 (no maintained npm client exists)
// are built from the same recorded spans with the thrift library and grpc-js. Every OTLP field
// is checked against jaeger-client's own Thrift form of each span.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import type { ResourceSpans, Span } from '../../../src/pdata/types.js';
import { JaegerReceiver } from '../../../src/receivers/jaeger/index.js';
import type { JaegerReceiverConfig } from '../../../src/receivers/jaeger/index.js';
import { CollectingConsumer, freePort, testContext, testHost, waitFor } from '../../helpers/index.js';
import { attrs } from '../../helpers/values.js';
import type { ThriftProcess, ThriftSpan, ThriftTag } from './client.js';
import { jaegerClient, recordCheckout } from './client.js';
import { encodeBatch, encodeEmitBatch, postSpansGrpc, postSpansRequest } from './encode.js';

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('hex');
const nanos = (v: unknown): bigint => BigInt(String(v));
const i64 = (b: Buffer): bigint => b.readBigInt64BE(0);

function tagValue(t: ThriftTag): unknown {
  switch (t.vType) {
    case 'STRING':
      return t.vStr;
    case 'DOUBLE':
      return t.vDouble;
    case 'BOOL':
      return t.vBool;
    case 'LONG':
      return Number(i64(t.vLong));
    case 'BINARY':
      return t.vBinary.toString('base64');
  }
}
const tagObject = (tags: ThriftTag[], without: string[] = []): Record<string, unknown> =>
  Object.fromEntries(tags.filter((t) => !without.includes(t.key)).map((t) => [t.key, tagValue(t)]));

interface Running {
  receiver: JaegerReceiver;
  consumer: CollectingConsumer;
  ports: Record<string, number>;
}
let running: Running | undefined;

async function start(protocols: (keyof NonNullable<JaegerReceiverConfig['protocols']>)[]): Promise<Running> {
  const ports: Record<string, number> = {};
  const p: Record<string, unknown> = {};
  for (const k of protocols) {
    ports[k] = await freePort();
    p[k] = { endpoint: `127.0.0.1:${ports[k]}` };
  }
  const consumer = new CollectingConsumer();
  const receiver = new JaegerReceiver({ protocols: p }, testContext('jaeger'), { traces: consumer });
  await receiver.start(testHost);
  running = { receiver, consumer, ports };
  return running;
}

afterEach(async () => {
  await running?.receiver.shutdown();
  running = undefined;
});

function arrived(consumer: CollectingConsumer): ResourceSpans[] {
  return consumer.batches.flatMap((b) => (b.signal === 'traces' ? b.resources : []));
}

/** Every field of the three checkout spans and their resource, from the client's own Thrift values. */
function checkCheckout(resources: ResourceSpans[], recorded: ThriftSpan[], process: ThriftProcess): void {
  const byName = (n: string): ThriftSpan => {
    const s = recorded.find((r) => r.operationName === n);
    if (s === undefined) throw new Error(`client did not record ${n}`);
    return s;
  };
  const root = byName('GET /checkout');
  const db = byName('SELECT carts');
  const receipt = byName('send-receipt');
  const traceId = root.traceIdHigh.toString('hex') + root.traceIdLow.toString('hex');
  expect(traceId).not.toBe('0'.repeat(32));
  expect(root.traceIdHigh.toString('hex')).not.toBe('0'.repeat(16)); // 128-bit ids

  expect(resources).toHaveLength(1);
  const [resource] = resources as [ResourceSpans];
  const ptags = tagObject(process.tags);
  expect(attrs(resource.resource?.attributes)).toEqual({
    'service.name': 'checkout-api',
    'deployment.environment': 'test',
    ip: ptags.ip,
    'client-uuid': ptags['client-uuid'],
    'host.name': ptags.hostname,
    'opencensus.exporterversion': `Jaeger-${String(ptags['jaeger.version'])}`,
  });
  expect(ptags['jaeger.version']).toBe('Node-3.19.0');
  expect(resource.scopeSpans.map((s) => [s.scope?.name, s.scope?.version, s.spans.map((x) => x.name)])).toEqual([
    ['', '', ['SELECT carts', 'send-receipt']],
    ['shop-lib', '1.2.3', ['GET /checkout']],
  ]);
  const spans = new Map(resource.scopeSpans.flatMap((s) => s.spans).map((s) => [s.name, s]));
  const common = (s: Span, t: ThriftSpan): void => {
    expect(hex(s.traceId)).toBe(traceId);
    expect(hex(s.spanId)).toBe(t.spanId.toString('hex'));
    expect(nanos(s.startTimeUnixNano)).toBe(i64(t.startTime) * 1000n);
    expect(nanos(s.endTimeUnixNano)).toBe((i64(t.startTime) + i64(t.duration)) * 1000n);
    expect(i64(t.duration) > 0n).toBe(true);
    expect(t.flags & 1).toBe(1); // sampled (const sampler)
    expect(s.flags).toBe(1);
  };

  const r = spans.get('GET /checkout') as Span;
  common(r, root);
  expect(r.parentSpanId === undefined || r.parentSpanId.length === 0).toBe(true);
  expect(r.kind).toBe(2); // SERVER
  expect(r.status).toBeUndefined(); // http.status_code 200 (sent as a double by jaeger-client) sets nothing
  expect(attrs(r.attributes)).toEqual(tagObject(root.tags, ['span.kind', 'otel.library.name', 'otel.library.version']));
  expect(attrs(r.attributes)).toMatchObject({ 'http.method': 'GET', 'http.status_code': 200, 'sampler.type': 'const', 'sampler.param': true });
  expect(r.events.map((e) => [e.name, nanos(e.timeUnixNano), attrs(e.attributes)])).toEqual([['cache miss', i64(root.logs[0]!.timestamp) * 1000n, { key: 'cart:42' }]]);
  expect(r.links).toEqual([]);

  const d = spans.get('SELECT carts') as Span;
  common(d, db);
  expect(hex(d.parentSpanId)).toBe(root.spanId.toString('hex'));
  expect(db.parentSpanId.toString('hex')).toBe(root.spanId.toString('hex'));
  expect(d.kind).toBe(3); // CLIENT
  expect(d.status).toEqual({ code: 2, message: 'statement timeout' });
  expect(attrs(d.attributes)).toEqual({ 'db.system': 'postgresql' });
  expect(d.events.map((e) => [e.name, nanos(e.timeUnixNano), attrs(e.attributes)])).toEqual([['retry', i64(db.logs[0]!.timestamp) * 1000n, { attempt: 2, fatal: false }]]);
  expect(d.links).toEqual([]); // the CHILD_OF reference is the parent, not a link

  const p = spans.get('send-receipt') as Span;
  common(p, receipt);
  expect(p.kind).toBe(4); // PRODUCER
  expect(hex(p.parentSpanId)).toBe(root.spanId.toString('hex')); // FOLLOWS_FROM in the same trace
  expect(p.links.map((l) => [hex(l.traceId), hex(l.spanId), attrs(l.attributes)])).toEqual([[traceId, root.spanId.toString('hex'), { 'opentracing.ref_type': 'follows_from' }]]);
  expect(p.status).toBeUndefined();
  expect(attrs(p.attributes)).toEqual({});
}

async function sendUdp(port: number, packet: Buffer): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.send(packet, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

describe('jaeger receiver with jaeger-client', () => {
  it('thrift_http: HTTPSender posts Thrift to /api/traces; every field arrives', async () => {
    const { consumer, ports } = await start(['thrift_http']);
    const client = jaegerClient('checkout-api', { http: `http://127.0.0.1:${ports.thrift_http}/api/traces` });
    recordCheckout(client.tracer);
    await client.close();
    await waitFor(() => consumer.items() === 3, 'three spans');
    checkCheckout(arrived(consumer), client.recorded(), client.process());
  });

  it('thrift_binary: UDPSender sends Agent.emitBatch; every field arrives', async () => {
    const { consumer, ports } = await start(['thrift_binary']);
    const client = jaegerClient('checkout-api', { udpPort: ports.thrift_binary as number });
    recordCheckout(client.tracer);
    await client.close();
    await waitFor(() => consumer.items() === 3, 'three spans');
    checkCheckout(arrived(consumer), client.recorded(), client.process());
  });

  it('thrift_compact: emitBatch in compact Thrift (as Jaeger Go/Java clients send) arrives the same', async () => {
    const { consumer, ports } = await start(['thrift_compact']);
    const client = jaegerClient('checkout-api', { none: true });
    recordCheckout(client.tracer);
    await sendUdp(ports.thrift_compact as number, encodeEmitBatch('compact', client.process(), client.recorded()));
    await waitFor(() => consumer.items() === 3, 'three spans');
    checkCheckout(arrived(consumer), client.recorded(), client.process());
  });

  it('grpc: PostSpans (api_v2 proto) arrives the same', async () => {
    const { consumer, ports } = await start(['grpc']);
    const client = jaegerClient('checkout-api', { none: true });
    recordCheckout(client.tracer);
    const result = await postSpansGrpc(`127.0.0.1:${ports.grpc}`, postSpansRequest(client.process(), client.recorded()));
    expect(result).toEqual({ code: 0, details: 'OK' });
    checkCheckout(arrived(consumer), client.recorded(), client.process());
  });
});

describe('jaeger receiver: bad input and refusals', () => {
  function recorded(): { process: ThriftProcess; spans: ThriftSpan[] } {
    const client = jaegerClient('checkout-api', { none: true });
    recordCheckout(client.tracer);
    return { process: client.process(), spans: client.recorded() };
  }

  it('thrift_http: malformed or truncated Thrift and other content types get 400 with a reason; the receiver keeps serving', async () => {
    const { consumer, ports } = await start(['thrift_http']);
    const url = `http://127.0.0.1:${ports.thrift_http}/api/traces`;
    const { process, spans } = recorded();
    const good = encodeBatch('binary', process, spans);
    const cases: [Buffer | string, string, RegExp][] = [
      [good.subarray(0, good.length - 7), 'application/x-thrift', /invalid Jaeger Thrift batch: unexpected end of data/],
      [Buffer.from([0x0c, 0x00, 0x01, 0x00]), 'application/x-thrift', /invalid Jaeger Thrift batch: .*serviceName is not set/],
      [Buffer.from([0x00]), 'application/x-thrift', /required field process is not set/],
      [Buffer.from([0x0f, 0x00, 0x02, 0x0c, 0xff, 0xff, 0xff, 0xf0]), 'application/x-thrift', /invalid Jaeger Thrift batch/],
      [good, 'application/json', /unsupported content type "application\/json"/],
    ];
    for (const [body, type, reason] of cases) {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': type } });
      expect(res.status, reason.source).toBe(400);
      expect(await res.text()).toMatch(reason);
    }
    expect(consumer.batches).toHaveLength(0);
    const ok = await fetch(url, { method: 'POST', body: good, headers: { 'content-type': 'application/vnd.apache.thrift.binary' } });
    expect(ok.status).toBe(202);
    checkCheckout(arrived(consumer), spans, process);
  });

  it('thrift_http: answers after the pipeline and maps refusals as OTLP/HTTP does', async () => {
    const { consumer, ports } = await start(['thrift_http']);
    const url = `http://127.0.0.1:${ports.thrift_http}/api/traces`;
    const { process, spans } = recorded();
    const body = encodeBatch('binary', process, spans);
    const post = () => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-thrift' } });
    consumer.fail = new PermanentError('bad spans downstream');
    let res = await post();
    expect([res.status, (await res.text()).trim()]).toEqual([400, 'bad spans downstream']);
    consumer.fail = new RetryableError('slow down', { reason: 'throttled', retryAfterMs: 2000 });
    res = await post();
    expect([res.status, res.headers.get('retry-after')]).toEqual([429, '2']);
    consumer.fail = new RetryableError('exporter down');
    expect((await post()).status).toBe(503);
  });

  it('grpc: undecodable requests and bad ids get INVALID_ARGUMENT; refusals map to gRPC codes', async () => {
    const { consumer, ports } = await start(['grpc']);
    const address = `127.0.0.1:${ports.grpc}`;
    let r = await postSpansGrpc(address, Buffer.from([0x0a, 0x10, 0x0a, 0x05]));
    expect(r.code).toBe(3);
    expect(r.details).toMatch(/invalid jaeger.api_v2.PostSpansRequest/);
    // batch { spans { trace_id: 3 bytes } }
    r = await postSpansGrpc(address, Buffer.from([0x0a, 0x07, 0x0a, 0x05, 0x0a, 0x03, 0x01, 0x02, 0x03]));
    expect(r).toEqual({ code: 3, details: 'invalid batch.spans[0].trace_id: 3 bytes, expected 16' });
    const { process, spans } = recorded();
    const request = postSpansRequest(process, spans);
    consumer.fail = new PermanentError('bad spans downstream');
    expect(await postSpansGrpc(address, request)).toEqual({ code: 3, details: 'bad spans downstream' });
    consumer.fail = new RetryableError('exporter down');
    expect((await postSpansGrpc(address, request)).code).toBe(14);
    consumer.fail = undefined;
    expect((await postSpansGrpc(address, request)).code).toBe(0);
    checkCheckout(arrived(consumer), spans, process);
  });

  it('udp: a datagram that does not decode is dropped and counted; the next one is received', async () => {
    const { consumer, ports, receiver } = await start(['thrift_binary', 'thrift_compact']);
    const { process, spans } = recorded();
    await sendUdp(ports.thrift_binary as number, Buffer.from('not thrift at all'));
    await sendUdp(ports.thrift_binary as number, encodeEmitBatch('compact', process, spans)); // compact on the binary port
    await waitFor(() => (receiver.udp.get('thrift_binary')?.dropped('does not decode') ?? 0) === 2, 'two dropped datagrams');
    expect(consumer.batches).toHaveLength(0);
    await sendUdp(ports.thrift_binary as number, encodeEmitBatch('binary', process, spans));
    await waitFor(() => consumer.items() === 3, 'three spans');
    checkCheckout(arrived(consumer), spans, process);
  });
});
