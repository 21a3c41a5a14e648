// The zipkin receiver against Zipkin's own JavaScript tracer and HTTP transport: every OTLP
// field of what arrives is checked against the span the tracer recorded, for JSON v2, Protobuf
// v2 (the recorded spans encoded with zipkin.proto), JSON v1, Thrift v1 (zipkin-encoder-thrift) and
// gzip; then bad input and refusals.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonEncoder } from 'zipkin';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import type { ResourceSpans, Span } from '../../../src/pdata/types.js';
import { ZipkinReceiver } from '../../../src/receivers/zipkin/index.js';
import type { ZipkinReceiverConfig } from '../../../src/receivers/zipkin/index.js';
import { listOfSpansType } from '../../../src/receivers/zipkin/proto.js';
import { CollectingConsumer, freePort, testContext, testHost } from '../../helpers/index.js';
import { attrs } from '../../helpers/values.js';
import type { ZipkinModelSpan } from './client.js';
import { flush, recordCheckout, zipkinClient } from './client.js';

// Zipkin's own Thrift v1 encoder (what zipkin-js's Kafka and Scribe transports send).
const ZIPKIN_THRIFT = createRequire(import.meta.url)('zipkin-encoder-thrift') as { encode(span: ZipkinModelSpan): Buffer };
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('hex');
const nanos = (v: unknown): bigint => BigInt(String(v));

interface Running {
  receiver: ZipkinReceiver;
  consumer: CollectingConsumer;
  url: string;
}
let running: Running | undefined;

async function start(config: Partial<ZipkinReceiverConfig> = {}): Promise<Running> {
  const port = await freePort();
  const consumer = new CollectingConsumer();
  const receiver = new ZipkinReceiver({ endpoint: `127.0.0.1:${port}`, ...config }, testContext('zipkin'), { traces: consumer });
  await receiver.start(testHost);
  running = { receiver, consumer, url: `http://127.0.0.1:${port}` };
  return running;
}

afterEach(async () => {
  await running?.receiver.shutdown();
  running = undefined;
});

function arrived(consumer: CollectingConsumer): ResourceSpans[] {
  return consumer.batches.flatMap((b) => (b.signal === 'traces' ? b.resources : []));
}

function allSpans(resources: ResourceSpans[]): Span[] {
  return resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
}

/** The OTLP form of the recorded checkout: every field, from the tracer's own model.Span values. */
function checkCheckout(resources: ResourceSpans[], recorded: ZipkinModelSpan[]): void {
  const child = recorded.find((s) => s.name === 'price-cart');
  const client = recorded.find((s) => s.name === 'get /checkout');
  if (child === undefined || client === undefined) throw new Error(`tracer did not record both spans: ${recorded.map((s) => s.name).join(', ')}`);
  const localIp = '192.168.7.9';
  expect((client.localEndpoint as unknown as { ipv4?: string }).ipv4).toBe(localIp);

  // One resource (the local service), two scopes: none for the child, the library for the client.
  expect(resources).toHaveLength(1);
  const [resource] = resources as [ResourceSpans];
  expect(attrs(resource.resource?.attributes)).toEqual({ 'service.name': 'checkout-web' });
  expect(resource.scopeSpans.map((s) => [s.scope?.name, s.scope?.version, s.spans.length])).toEqual([
    ['', '', 1],
    ['shop-instrumentation', '1.2.3', 1],
  ]);

  const c = resource.scopeSpans[1]?.spans[0] as Span;
  expect(hex(c.traceId)).toBe(client.traceId.padStart(32, '0'));
  expect(client.traceId).toHaveLength(32);
  expect(hex(c.spanId)).toBe(client.id);
  expect(c.parentSpanId === undefined || c.parentSpanId.length === 0).toBe(true);
  expect(c.name).toBe('get /checkout');
  expect(c.kind).toBe(3); // CLIENT
  expect(nanos(c.startTimeUnixNano)).toBe(BigInt(client.timestamp as number) * 1000n);
  expect(nanos(c.endTimeUnixNano)).toBe(BigInt((client.timestamp as number) + (client.duration as number)) * 1000n);
  expect(c.status).toEqual({ code: 2 }); // error=true
  expect(attrs(c.attributes)).toEqual({
    'http.path': '/checkout',
    retries: '3',
    ratio: '0.25',
    'net.host.ip': localIp,
    'net.host.port': 3000,
    'peer.service': 'payments',
    'net.peer.ip': '10.1.2.3',
    'net.peer.port': 8080,
  });
  const cacheMiss = client.annotations.find((a) => a.value === 'cache miss');
  expect(c.events.map((e) => [e.name, nanos(e.timeUnixNano), attrs(e.attributes)])).toEqual([['cache miss', BigInt(cacheMiss?.timestamp as number) * 1000n, {}]]);
  expect(c.links).toEqual([]);

  const k = resource.scopeSpans[0]?.spans[0] as Span;
  expect(hex(k.traceId)).toBe(child.traceId);
  expect(hex(k.spanId)).toBe(child.id);
  expect(hex(k.parentSpanId)).toBe(client.id);
  expect(child.parentId).toBe(client.id);
  expect(k.name).toBe('price-cart');
  expect(k.kind).toBe(1); // INTERNAL, from span.kind=internal
  expect(nanos(k.startTimeUnixNano)).toBe(BigInt(child.timestamp as number) * 1000n);
  expect(nanos(k.endTimeUnixNano)).toBe(BigInt((child.timestamp as number) + (child.duration as number)) * 1000n);
  expect(k.status).toEqual({ code: 2, message: 'no price for sku 42' });
  expect(attrs(k.attributes)).toEqual({ 'net.host.ip': localIp });
  const rounded = child.annotations.find((a) => a.value.startsWith('rounded'));
  // The Collector's event encoding "name|{attributes}|dropped" becomes a typed event again.
  expect(k.events).toHaveLength(1);
  expect(k.events[0]?.name).toBe('rounded');
  expect(nanos(k.events[0]?.timeUnixNano)).toBe(BigInt(rounded?.timestamp as number) * 1000n);
  expect(attrs(k.events[0]?.attributes)).toEqual({ cents: 199, currency: 'EUR', exact: false, rate: 1.5 });
  expect(k.events[0]?.droppedAttributesCount).toBe(2);
}

async function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text() };
}

describe('zipkin receiver with the zipkin-js tracer', () => {
  it('JSON v2 over zipkin-transport-http: every field of both spans arrives', async () => {
    const { consumer, url } = await start();
    const client = zipkinClient(`${url}/api/v2/spans`, 'checkout-web');
    recordCheckout(client.tracer);
    expect(await flush(client.http)).toBe(202);
    checkCheckout(arrived(consumer), client.recorded);
  });

  it('Protobuf v2 (the recorded spans encoded with zipkin.proto) arrives the same as JSON', async () => {
    const { consumer, url } = await start();
    const client = zipkinClient(`${url}/api/v2/spans`, 'checkout-web');
    recordCheckout(client.tracer);
    const ip = (s: string): Buffer => Buffer.from(s.split('.').map(Number));
    const endpoint = (e: ZipkinModelSpan['localEndpoint']) => {
      const o = e as unknown as { serviceName?: string; ipv4?: string; port?: number } | undefined;
      return o === undefined ? undefined : { serviceName: o.serviceName, ipv4: o.ipv4 ? ip(o.ipv4) : undefined, port: o.port };
    };
    const kinds: Record<string, number> = { CLIENT: 1, SERVER: 2, PRODUCER: 3, CONSUMER: 4 };
    const message = listOfSpansType().fromObject({
      spans: client.recorded.map((s) => ({
        traceId: Buffer.from(s.traceId, 'hex'),
        parentId: s.parentId ? Buffer.from(s.parentId, 'hex') : undefined,
        id: Buffer.from(s.id, 'hex'),
        kind: s.kind ? kinds[s.kind] : 0,
        name: s.name,
        timestamp: s.timestamp,
        duration: s.duration,
        localEndpoint: endpoint(s.localEndpoint),
        remoteEndpoint: endpoint(s.remoteEndpoint),
        annotations: s.annotations,
        tags: s.tags,
      })),
    });
    const body = Buffer.from(listOfSpansType().encode(message).finish());
    expect((await post(`${url}/api/v2/spans`, body, { 'content-type': 'application/x-protobuf' })).status).toBe(202);
    checkCheckout(arrived(consumer), client.recorded);
  });

  it('gzip-compressed JSON v2 is inflated', async () => {
    const { consumer, url } = await start();
    const client = zipkinClient(`${url}/api/v2/spans`, 'checkout-web');
    recordCheckout(client.tracer);
    const json = `[${client.recorded.map((s) => jsonEncoder.JSON_V2.encode(s)).join(',')}]`;
    const res = await post(`${url}/api/v2/spans`, gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(202);
    checkCheckout(arrived(consumer), client.recorded);
  });

  it('JSON v1 to /api/v1/spans: core annotations give kind, start and duration', async () => {
    const { consumer, url } = await start();
    const client = zipkinClient(`${url}/api/v1/spans`, 'checkout-web', 'v1');
    recordCheckout(client.tracer);
    expect(await flush(client.http)).toBe(202);
    const spans = allSpans(arrived(consumer));
    const recordedClient = client.recorded.find((s) => s.name === 'get /checkout') as ZipkinModelSpan;
    const c = spans.find((s) => s.name === 'get /checkout') as Span;
    expect(hex(c.traceId)).toBe(recordedClient.traceId);
    expect(hex(c.spanId)).toBe(recordedClient.id);
    expect(c.kind).toBe(3);
    expect(nanos(c.startTimeUnixNano)).toBe(BigInt(recordedClient.timestamp as number) * 1000n);
    expect(nanos(c.endTimeUnixNano)).toBe(BigInt((recordedClient.timestamp as number) + (recordedClient.duration as number)) * 1000n);
    expect(c.status?.code).toBe(2);
    expect(attrs(c.attributes)).toMatchObject({ 'http.path': '/checkout', 'peer.service': 'payments', 'net.peer.ip': '10.1.2.3', 'net.peer.port': 8080 });
    expect(c.events.map((e) => e.name)).toEqual(['cache miss']);
    expect(attrs(arrived(consumer)[0]?.resource?.attributes)).toEqual({ 'service.name': 'checkout-web' });
    const k = spans.find((s) => s.name === 'price-cart') as Span;
    expect(hex(k.parentSpanId)).toBe(recordedClient.id);
    expect(k.kind).toBe(1);
  });

  it('Thrift v1 to /api/v1/spans (spans encoded by zipkin-encoder-thrift) arrives as JSON v1 does', async () => {
    const { consumer, url } = await start();
    const client = zipkinClient(`${url}/api/v1/spans`, 'checkout-web', 'v1');
    recordCheckout(client.tracer);
    const encoded = client.recorded.map((s) => ZIPKIN_THRIFT.encode(s));
    // The body is a Thrift list<Span> (binary protocol): element type STRUCT, count, the spans.
    const header = Buffer.from([0x0c, 0, 0, 0, encoded.length]);
    const res = await post(`${url}/api/v1/spans`, Buffer.concat([header, ...encoded]), { 'content-type': 'application/x-thrift' });
    expect(res.status).toBe(202);
    const spans = allSpans(arrived(consumer));
    const recordedClient = client.recorded.find((s) => s.name === 'get /checkout') as ZipkinModelSpan;
    const c = spans.find((s) => s.name === 'get /checkout') as Span;
    expect(hex(c.traceId)).toBe(recordedClient.traceId);
    expect(hex(c.spanId)).toBe(recordedClient.id);
    expect(c.kind).toBe(3);
    expect(nanos(c.startTimeUnixNano)).toBe(BigInt(recordedClient.timestamp as number) * 1000n);
    expect(nanos(c.endTimeUnixNano)).toBe(BigInt((recordedClient.timestamp as number) + (recordedClient.duration as number)) * 1000n);
    expect(c.status?.code).toBe(2);
    expect(attrs(c.attributes)).toEqual({
      'http.path': '/checkout',
      retries: '3',
      ratio: '0.25',
      'net.host.ip': '192.168.7.9',
      'net.host.port': 3000,
      'peer.service': 'payments',
      'net.peer.ip': '10.1.2.3',
      'net.peer.port': 8080,
    });
    expect(c.events.map((e) => [e.name, nanos(e.timeUnixNano)])).toEqual([['cache miss', BigInt(recordedClient.annotations[0]?.timestamp as number) * 1000n]]);
    expect(attrs(arrived(consumer)[0]?.resource?.attributes)).toEqual({ 'service.name': 'checkout-web' });
    const k = spans.find((s) => s.name === 'price-cart') as Span;
    expect(hex(k.parentSpanId)).toBe(recordedClient.id);
    expect(k.kind).toBe(1);
    expect(k.status).toEqual({ code: 2, message: 'no price for sku 42' });
  });

  it('parse_string_tags types numeric and boolean tag values', async () => {
    const { consumer, url } = await start({ parse_string_tags: true });
    const client = zipkinClient(`${url}/api/v2/spans`, 'checkout-web');
    recordCheckout(client.tracer);
    expect(await flush(client.http)).toBe(202);
    const c = allSpans(arrived(consumer)).find((s) => s.name === 'get /checkout') as Span;
    expect(attrs(c.attributes)).toMatchObject({ retries: 3, ratio: 0.25, 'http.path': '/checkout' });
    expect(c.attributes.find((a) => a.key === 'ratio')?.value?.doubleValue).toBe(0.25);
  });
});

describe('zipkin receiver: bad input and refusals', () => {
  const good = JSON.stringify([{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', id: '00f067aa0ba902b7', name: 'x', timestamp: 1_700_000_000_000_000, duration: 5 }]);

  it('answers 400 with a reason for malformed JSON, proto, ids and encodings, and keeps serving', async () => {
    const { consumer, url } = await start();
    const cases: [string, Buffer | string, Record<string, string>, RegExp][] = [
      ['/api/v2/spans', '[{"traceId":', { 'content-type': 'application/json' }, /invalid Zipkin v2 JSON/],
      ['/api/v2/spans', '{"traceId":"1"}', { 'content-type': 'application/json' }, /expected an array of spans/],
      ['/api/v2/spans', '[{"id":"00f067aa0ba902b7"}]', { 'content-type': 'application/json' }, /valid traceId required/],
      ['/api/v2/spans', '[{"traceId":"4bf9","id":"zz"}]', { 'content-type': 'application/json' }, /invalid span\[0\]\.id "zz"/],
      ['/api/v2/spans', '[{"traceId":"4bf9","id":"1","tags":{"a":1}}]', { 'content-type': 'application/json' }, /tags\.a: expected a string/],
      ['/api/v2/spans', '[{"traceId":"4bf9","id":"1","localEndpoint":{"ipv4":"999.1.1.1"}}]', { 'content-type': 'application/json' }, /not an IP address/],
      ['/api/v2/spans', Buffer.from([0x0a, 0x05, 0x0a, 0xff]), { 'content-type': 'application/x-protobuf' }, /invalid Zipkin Protobuf/],
      ['/api/v2/spans', Buffer.from([0x0a, 0x04, 0x0a, 0x02, 0x01, 0x02]), { 'content-type': 'application/x-protobuf' }, /trace_id: 2 bytes, expected 8 or 16/],
      ['/api/v2/spans', 'not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, /cannot decompress gzip/],
      ['/api/v1/spans', Buffer.from([0x0c, 0, 0, 0, 2, 0x0a, 0, 1]), { 'content-type': 'application/x-thrift' }, /invalid Zipkin v1 Thrift \(list<Span>\): unexpected end of data/],
      ['/api/v1/spans', Buffer.from([0x0b, 0, 0, 0, 1]), { 'content-type': 'application/x-thrift' }, /spans: list of type 11, expected 12/],
    ];
    for (const [path, body, headers, reason] of cases) {
      const res = await post(`${url}${path}`, body, headers);
      expect(res.status, `${path} ${String(body)}`).toBe(400);
      expect(res.text).toMatch(reason);
    }
    expect((await post(`${url}/api/v3/spans`, good, { 'content-type': 'application/json' })).status).toBe(404);
    expect((await fetch(`${url}/api/v2/spans`)).status).toBe(405);
    expect(consumer.batches).toHaveLength(0);
    expect((await post(`${url}/api/v2/spans`, good, { 'content-type': 'application/json' })).status).toBe(202);
    const [span] = allSpans(arrived(consumer));
    expect(hex(span?.traceId)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span?.kind).toBe(0);
  });

  it('CORS: a browser tracer (zipkin-js in a page) gets its preflight and the answer allowed', async () => {
    const { url } = await start({ cors: { allowed_origins: ['https://*.shop.example'], max_age: 600 } });
    const preflight = await fetch(`${url}/api/v2/spans`, {
      method: 'OPTIONS',
      headers: { origin: 'https://www.shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://www.shop.example');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    const res = await fetch(`${url}/api/v2/spans`, { method: 'POST', body: good, headers: { origin: 'https://www.shop.example', 'content-type': 'application/json' } });
    expect([res.status, res.headers.get('access-control-allow-origin')]).toEqual([202, 'https://www.shop.example']);
    const other = await fetch(`${url}/api/v2/spans`, { method: 'POST', body: good, headers: { origin: 'https://evil.example', 'content-type': 'application/json' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('bodies over max_request_body_size get 413', async () => {
    const { url } = await start({ max_request_body_size: 100 });
    const res = await post(`${url}/api/v2/spans`, `[${'1,'.repeat(100)}1]`, { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
  });

  it('answers after the pipeline settled and maps its refusals as OTLP/HTTP does', async () => {
    const { consumer, url } = await start();
    consumer.delayMs = 50;
    const t0 = process.hrtime.bigint();
    expect((await post(`${url}/api/v2/spans`, good, { 'content-type': 'application/json' })).status).toBe(202);
    expect(process.hrtime.bigint() - t0).toBeGreaterThanOrEqual(50_000_000n);
    consumer.delayMs = 0;
    consumer.fail = new PermanentError('bad data downstream');
    let res = await post(`${url}/api/v2/spans`, good, { 'content-type': 'application/json' });
    expect([res.status, res.text.trim()]).toEqual([400, 'bad data downstream']);
    consumer.fail = new RetryableError('queue full', { reason: 'throttled', retryAfterMs: 3000 });
    const raw = await fetch(`${url}/api/v2/spans`, { method: 'POST', body: good, headers: { 'content-type': 'application/json' } });
    expect([raw.status, raw.headers.get('retry-after')]).toEqual([429, '3']);
    consumer.fail = new RetryableError('exporter down');
    res = await post(`${url}/api/v2/spans`, good, { 'content-type': 'application/json' });
    expect(res.status).toBe(503);
  });

  it('a span without a timestamp starts at Unix zero and is flagged, as in the Collector', async () => {
    const { consumer, url } = await start();
    const body = JSON.stringify([{ traceId: '00f067aa0ba902b7', id: '1', parentId: '1', duration: 7, localEndpoint: { serviceName: 'svc', ipv6: '2001:DB8:0:0:0:0:0:1', port: 9 } }]);
    expect((await post(`${url}/api/v2/spans`, body, { 'content-type': 'application/json' })).status).toBe(202);
    const [span] = allSpans(arrived(consumer));
    expect(hex(span?.traceId)).toBe('000000000000000000f067aa0ba902b7');
    expect(hex(span?.spanId)).toBe('0000000000000001');
    expect(span?.parentSpanId).toBeUndefined(); // parent == self is dropped
    expect([nanos(span?.startTimeUnixNano), nanos(span?.endTimeUnixNano)]).toEqual([0n, 7000n]);
    expect(attrs(span?.attributes)).toEqual({ 'net.host.ip': '2001:db8::1', 'net.host.port': 9, 'otel.zipkin.absentField.startTime': true });
  });
});
