// Spans as Jaeger's own Node.js client (npm `jaeger-client`) records and sends them: its
// RemoteReporter with the HTTPSender (Thrift binary to /api/traces) or the UDPSender
// (Agent.emitBatch, binary Thrift), teed with an InMemoryReporter so a test can compare
// what arrived with the client's own Thrift form of each span (ThriftUtils.spanToThrift).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The Thrift form jaeger-client sends: i64 values as 8-byte big-endian Buffers. */
export interface ThriftTag {
  key: string;
  vType: 'STRING' | 'DOUBLE' | 'BOOL' | 'LONG' | 'BINARY';
  vStr: string;
  vDouble: number;
  vBool: boolean;
  vLong: Buffer;
  vBinary: Buffer;
}
export interface ThriftSpan {
  traceIdLow: Buffer;
  traceIdHigh: Buffer;
  spanId: Buffer;
  parentSpanId: Buffer;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceIdLow: Buffer; traceIdHigh: Buffer; spanId: Buffer }[];
  flags: number;
  startTime: Buffer;
  duration: Buffer;
  tags: ThriftTag[];
  logs: { timestamp: Buffer; fields: ThriftTag[] }[];
}
export interface ThriftProcess {
  serviceName: string;
  tags: ThriftTag[];
}

interface OtSpan {
  setTag(key: string, value: unknown): OtSpan;
  log(fields: Record<string, unknown>): OtSpan;
  finish(): void;
  context(): unknown;
}
interface OtTracer {
  startSpan(name: string, options?: Record<string, unknown>): OtSpan;
  close(cb: () => void): void;
  _process: { serviceName: string; tags: { key: string; value: unknown }[] };
}

interface JaegerClientModule {
  initTracer(config: Record<string, unknown>, options: Record<string, unknown>): OtTracer;
  InMemoryReporter: new () => { spans: unknown[] };
  CompositeReporter: new (reporters: unknown[]) => unknown;
  RemoteReporter: new (sender: unknown, options: Record<string, unknown>) => unknown;
  opentracing: { followsFrom(ctx: unknown): unknown; childOf(ctx: unknown): unknown };
}

type Sender = new (options: Record<string, unknown>) => unknown;
const jaeger = require('jaeger-client') as JaegerClientModule;
// The senders are not re-exported by the package's index; these are the files its RemoteReporter uses.
const HTTPSender = (require('jaeger-client/dist/src/reporters/http_sender.js') as { default: Sender }).default;
const UDPSender = (require('jaeger-client/dist/src/reporters/udp_sender.js') as { default: Sender }).default;
const ThriftUtils = (require('jaeger-client/dist/src/thrift.js') as { default: { spanToThrift(span: unknown): ThriftSpan; getThriftTags(tags: unknown[]): ThriftTag[] } }).default;

const quiet = { info: () => undefined, error: () => undefined };

export interface JaegerClient {
  readonly tracer: OtTracer;
  /** Every finished span in the Thrift form the client sends, in finishing order. */
  recorded(): ThriftSpan[];
  /** The process the client sends with every batch. */
  process(): ThriftProcess;
  /** Flush and close the reporter (and its sender). */
  close(): Promise<void>;
}

export type Transport = { readonly http: string } | { readonly udpPort: number } | { readonly none: true };

export function jaegerClient(serviceName: string, transport: Transport): JaegerClient {
  const memory = new jaeger.InMemoryReporter();
  const reporters: unknown[] = [memory];
  if ('http' in transport) {
    reporters.push(new jaeger.RemoteReporter(new HTTPSender({ endpoint: transport.http, logger: quiet }), { logger: quiet, bufferFlushInterval: 3_600_000 }));
  } else if ('udpPort' in transport) {
    reporters.push(new jaeger.RemoteReporter(new UDPSender({ host: '127.0.0.1', port: transport.udpPort, logger: quiet }), { logger: quiet, bufferFlushInterval: 3_600_000 }));
  }
  const tracer = jaeger.initTracer(
    { serviceName, sampler: { type: 'const', param: 1 } },
    { reporter: new jaeger.CompositeReporter(reporters), traceId128bit: true, tags: { 'deployment.environment': 'test' }, logger: quiet },
  );
  return {
    tracer,
    recorded: () => memory.spans.map((s) => ThriftUtils.spanToThrift(s)),
    process: () => ({ serviceName: tracer._process.serviceName, tags: ThriftUtils.getThriftTags(tracer._process.tags) }),
    close: () => new Promise((resolve) => tracer.close(resolve)),
  };
}

/**
 * A server span with a log, a failing client child with a log, and a producer span that
 * follows from the server span: kind, status, scope, events and references all in play.
 */
/** Busy-wait: jaeger-client times spans in milliseconds, so a span needs a few to have a duration. */
function spin(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

export function recordCheckout(tracer: OtTracer): void {
  const root = tracer.startSpan('GET /checkout', {
    tags: { 'span.kind': 'server', 'http.method': 'GET', 'http.status_code': 200, 'otel.library.name': 'shop-lib', 'otel.library.version': '1.2.3' },
  });
  root.log({ event: 'cache miss', key: 'cart:42' });
  const db = tracer.startSpan('SELECT carts', { childOf: root.context(), tags: { 'span.kind': 'client', 'db.system': 'postgresql' } });
  db.setTag('error', true);
  db.setTag('otel.status_description', 'statement timeout');
  db.log({ event: 'retry', attempt: 2, fatal: false });
  spin(3);
  db.finish();
  const receipt = tracer.startSpan('send-receipt', { references: [jaeger.opentracing.followsFrom(root.context())], tags: { 'span.kind': 'producer' } });
  spin(3);
  receipt.finish();
  root.finish();
}
