// Realistic OTLP requests for the bench: logs (8–12 attributes, ~200-byte bodies), spans (20
// attributes), metrics (gauges, sums, histograms); each request has a patchable send stamp.
import type { KeyValue, ResourceLogs, ResourceMetrics, ResourceSpans, ResourcesOf, Signal } from '../src/pdata/types.js';
import type { FerryCodecs } from './ferry.js';
import { STAMP_KEY } from './wire.js';

export type WireEncoding = 'protobuf' | 'json';

/** A placeholder stamp whose bytes are easy to find: exact in binary, 17 characters in JSON. */
const SENTINEL = 1111111111111.125;
const SENTINEL_TEXT = '1111111111111.125';

/** One encoded request and where its stamp lives, so each send can carry its own send time. */
export interface PayloadTemplate {
  readonly signal: Signal;
  readonly encoding: WireEncoding;
  readonly items: number;
  readonly bytes: Buffer;
  /** Offset of the 8-byte double (protobuf) or the 17-character number (JSON). */
  readonly stampOffset: number;
}

/** A copy of the template carrying `nowMs`: the template itself may still be on the wire. */
export function stamped(t: PayloadTemplate, nowMs: number): Buffer {
  const out = Buffer.from(t.bytes);
  if (t.encoding === 'protobuf') out.writeDoubleLE(nowMs, t.stampOffset);
  else out.write(nowMs.toFixed(3).padStart(SENTINEL_TEXT.length, ' '), t.stampOffset, 'latin1');
  return out;
}

/** A small deterministic PRNG (mulberry32), so every run sends the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: value } });
const dbl = (key: string, value: number): KeyValue => ({ key, value: { doubleValue: value } });
const bool = (key: string, value: boolean): KeyValue => ({ key, value: { boolValue: value } });

function hexId(rand: () => number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

const T0_MS = 1_760_000_000_000;
const nanos = (ms: number): string => (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.floor((ms % 1) * 1e6))).toString();

function resource(variant: number): { attributes: KeyValue[]; droppedAttributesCount: number } {
  return {
    attributes: [
      str('service.name', `checkout-${variant % 4}`),
      str('service.version', '2.14.1'),
      str('service.instance.id', `7f9c2e4a-${variant.toString(16).padStart(4, '0')}-4b1d-9a3e-5c6d7e8f9a0b`),
      str('host.name', `ip-10-0-${variant % 8}-17.eu-west-1.compute.internal`),
      str('k8s.namespace.name', 'shop'),
      str('k8s.pod.name', `checkout-6d9f7b5c4-${(1000 + variant).toString(36)}`),
      str('telemetry.sdk.language', 'nodejs'),
    ],
    droppedAttributesCount: 0,
  };
}

/**
 * The stamp rides on the scope, not the resource: the batch processor merges requests from the
 * same resource, as from a real service, while each request's scope stays its own.
 */
const SCOPE = { name: '@shop/checkout', version: '2.14.1', attributes: [dbl(STAMP_KEY, SENTINEL)] };
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const ROUTES = ['/api/v1/cart/{id}', '/api/v1/orders', '/api/v1/items/{sku}', '/api/v1/payments/{id}/capture', '/healthz'];

function logs(variant: number, n: number): ResourceLogs[] {
  const rand = prng(0x10 + variant);
  const logRecords = [];
  for (let i = 0; i < n; i++) {
    const route = ROUTES[i % ROUTES.length] as string;
    const method = METHODS[Math.floor(rand() * METHODS.length)] as string;
    const status = rand() < 0.9 ? 200 : 503;
    const ms = Math.round(rand() * 4000) / 10;
    const orderId = Math.floor(rand() * 1e9);
    // ~200 bytes, like a structured access-log line.
    const body =
      `${method} ${route.replace('{id}', String(orderId)).replace('{sku}', `SKU-${orderId % 9973}`)} ${status} ${ms}ms ` +
      `user=u-${Math.floor(rand() * 50_000)} cart_items=${Math.floor(rand() * 12)} region=eu-west-1 ` +
      `upstream=inventory-svc:8080 retries=${Math.floor(rand() * 3)} cache=${rand() < 0.5 ? 'hit' : 'miss'} trace_sampled=true`;
    const attributes = [
      str('http.request.method', method),
      str('http.route', route),
      int('http.response.status_code', status),
      dbl('http.server.request.duration_ms', ms),
      str('user.id', `u-${Math.floor(rand() * 50_000)}`),
      str('client.address', `10.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}`),
      str('code.function', 'CheckoutController.handle'),
      bool('cache.hit', rand() < 0.5),
    ];
    // 8 to 12 attributes per record.
    const extra = i % 5;
    if (extra > 0) attributes.push(str('order.id', `ord-${orderId}`));
    if (extra > 1) attributes.push(int('cart.items', Math.floor(rand() * 12)));
    if (extra > 2) attributes.push(str('payment.provider', 'stripe'));
    if (extra > 3) attributes.push(str('feature.flag', 'new-checkout-flow'));
    const t = T0_MS + variant * 1000 + i;
    logRecords.push({
      timeUnixNano: nanos(t),
      observedTimeUnixNano: nanos(t + 0.25),
      severityNumber: status === 200 ? 9 : 17,
      severityText: status === 200 ? 'INFO' : 'ERROR',
      body: { stringValue: body },
      attributes,
      droppedAttributesCount: 0,
      flags: 1,
      traceId: hexId(rand, 16),
      spanId: hexId(rand, 8),
    });
  }
  return [{ resource: resource(variant), scopeLogs: [{ scope: SCOPE, logRecords }] }];
}

function spans(variant: number, n: number): ResourceSpans[] {
  const rand = prng(0x20 + variant);
  const out = [];
  const traceId = hexId(rand, 16);
  for (let i = 0; i < n; i++) {
    const route = ROUTES[i % ROUTES.length] as string;
    const method = METHODS[i % METHODS.length] as string;
    const start = T0_MS + variant * 1000 + i * 3;
    const attributes = [
      str('http.request.method', method),
      str('http.route', route),
      str('url.path', route.replace('{id}', String(i)).replace('{sku}', `SKU-${i}`)),
      str('url.scheme', 'https'),
      int('http.response.status_code', 200),
      str('server.address', 'checkout.shop.svc.cluster.local'),
      int('server.port', 8080),
      str('client.address', `10.0.${i % 255}.${variant % 255}`),
      str('network.protocol.version', '1.1'),
      str('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'),
      str('db.system', 'postgresql'),
      str('db.namespace', 'orders'),
      str('db.operation.name', 'SELECT'),
      str('db.query.text', 'SELECT id, status, total FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20'),
      int('db.response.returned_rows', Math.floor(rand() * 20)),
      str('messaging.system', 'kafka'),
      str('messaging.destination.name', 'orders.created'),
      dbl('app.cart.total', Math.round(rand() * 100_000) / 100),
      bool('app.cart.has_discount', rand() < 0.3),
      str('app.customer.tier', ['free', 'plus', 'pro'][i % 3] as string),
    ];
    out.push({
      traceId,
      spanId: hexId(rand, 8),
      parentSpanId: hexId(rand, 8),
      name: `${method} ${route}`,
      kind: (i % 3) + 1,
      startTimeUnixNano: nanos(start),
      endTimeUnixNano: nanos(start + 1 + rand() * 50),
      attributes,
      droppedAttributesCount: 0,
      events: i % 10 === 0 ? [{ timeUnixNano: nanos(start + 0.5), name: 'cache.miss', attributes: [str('cache.key', `cart:${i}`)], droppedAttributesCount: 0 }] : [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: 1, message: '' },
      flags: 1,
    });
  }
  return [{ resource: resource(variant), scopeSpans: [{ scope: SCOPE, spans: out }] }];
}

const BOUNDS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000];

function metrics(variant: number, n: number): ResourceMetrics[] {
  const rand = prng(0x30 + variant);
  const t = T0_MS + variant * 1000;
  const pointAttrs = (i: number): KeyValue[] => [
    str('http.request.method', METHODS[i % METHODS.length] as string),
    str('http.route', ROUTES[i % ROUTES.length] as string),
    int('http.response.status_code', i % 7 === 0 ? 503 : 200),
  ];
  const metricList = [];
  // Data points spread over gauges, sums and histograms: 10 points per metric.
  for (let m = 0, made = 0; made < n; m++) {
    const count = Math.min(10, n - made);
    const kind = m % 3;
    const name = ['process.memory.usage', 'http.server.request.count', 'http.server.request.duration'][kind] + `.${m}`;
    const dataPoints = [];
    for (let i = 0; i < count; i++, made++) {
      const base = { attributes: pointAttrs(made), startTimeUnixNano: nanos(t - 60_000), timeUnixNano: nanos(t), exemplars: [], flags: 0 };
      if (kind === 0) dataPoints.push({ ...base, asDouble: Math.round(rand() * 1e9) });
      else if (kind === 1) dataPoints.push({ ...base, asInt: Math.floor(rand() * 1e6) });
      else {
        const bucketCounts = BOUNDS.map(() => Math.floor(rand() * 100)).concat([Math.floor(rand() * 5)]);
        const total = bucketCounts.reduce((a, b) => a + b, 0);
        dataPoints.push({ ...base, count: total, sum: total * 42.5, bucketCounts, explicitBounds: BOUNDS, min: 1.5, max: 4800 });
      }
    }
    const metric: Record<string, unknown> = { name, description: `bench metric ${m}`, unit: kind === 2 ? 'ms' : '1' };
    if (kind === 0) metric.gauge = { dataPoints };
    else if (kind === 1) metric.sum = { dataPoints, aggregationTemporality: 2, isMonotonic: true };
    else metric.histogram = { dataPoints, aggregationTemporality: 2 };
    metricList.push(metric);
  }
  return [{ resource: resource(variant), scopeMetrics: [{ scope: SCOPE, metrics: metricList as never[] }] }];
}

/** The resources of request `variant` (deterministic), `items` items in one resource and scope. */
export function buildResources<S extends Signal>(signal: S, variant: number, items: number): ResourcesOf[S] {
  switch (signal) {
    case 'logs':
      return logs(variant, items) as ResourcesOf[S];
    case 'traces':
      return spans(variant, items) as ResourcesOf[S];
    default:
      return metrics(variant, items) as ResourcesOf[S];
  }
}

/** `variants` distinct requests of `items` items each, encoded and with their stamp located. */
export function buildTemplates(codecs: FerryCodecs, signal: Signal, encoding: WireEncoding, items: number, variants: number): PayloadTemplate[] {
  const out: PayloadTemplate[] = [];
  for (let v = 0; v < variants; v++) {
    const resources = buildResources(signal, v, items);
    let bytes: Buffer;
    let stampOffset: number;
    if (encoding === 'protobuf') {
      const encoded = codecs.proto.encodeExportRequest(signal, resources);
      bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
      const needle = Buffer.alloc(9);
      needle[0] = 0x21; // AnyValue.double_value, fixed64
      needle.writeDoubleLE(SENTINEL, 1);
      stampOffset = bytes.indexOf(needle) + 1;
    } else {
      bytes = Buffer.from(codecs.json.encodeJsonExportRequest(signal, resources), 'utf8');
      stampOffset = bytes.indexOf(SENTINEL_TEXT, 0, 'latin1');
    }
    if (stampOffset <= 0) throw new Error(`bench: no stamp slot in the ${signal} ${encoding} payload`);
    out.push({ signal, encoding, items, bytes, stampOffset });
  }
  return out;
}
