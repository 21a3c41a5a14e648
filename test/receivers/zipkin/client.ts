// Spans as Zipkin's own JavaScript tracer (npm `zipkin` + `zipkin-transport-http`) records and
// sends them: a tee logger keeps each recorded model.Span so tests can compare what arrived.
import { Annotation, BatchRecorder, ExplicitContext, InetAddress, Tracer, jsonEncoder } from 'zipkin';
import type { Logger, model } from 'zipkin';
import { HttpLogger } from 'zipkin-transport-http';

export type ZipkinModelSpan = model.Span;

/** Flush an HttpLogger now and resolve with the HTTP status of its POST (it has no flush API of its own). */
export function flush(logger: HttpLogger): Promise<number> {
  const emitter = logger as unknown as {
    once(event: string, cb: (arg: { status: number } | Error) => void): void;
    processQueue(fetchImpl: typeof fetch): void;
    on(event: string, cb: (arg: unknown) => void): void;
  };
  return new Promise((resolve, reject) => {
    emitter.once('success', (res) => resolve((res as { status: number }).status));
    emitter.once('error', (err) => reject(err as Error));
    emitter.processQueue(fetch);
  });
}

export interface ZipkinClient {
  readonly tracer: Tracer;
  readonly http: HttpLogger;
  /** Every span the tracer finished, in order, as it gave them to the transport. */
  readonly recorded: ZipkinModelSpan[];
}

/** A tracer for `serviceName` that posts JSON (v2 unless `version` says v1) to `endpoint`. */
export function zipkinClient(endpoint: string, serviceName: string, version: 'v1' | 'v2' = 'v2'): ZipkinClient {
  const http = new HttpLogger({
    endpoint,
    jsonEncoder: version === 'v1' ? jsonEncoder.JSON_V1 : jsonEncoder.JSON_V2,
    httpInterval: 3_600_000, // flushed by the test
  });
  // An error listener makes the transport report failures as events instead of console output.
  (http as unknown as { on(e: string, cb: () => void): void }).on('error', () => undefined);
  const recorded: ZipkinModelSpan[] = [];
  const tee: Logger = {
    logSpan(span) {
      recorded.push(span);
      http.logSpan(span);
    },
  };
  const tracer = new Tracer({ ctxImpl: new ExplicitContext(), recorder: new BatchRecorder({ logger: tee }), localServiceName: serviceName, traceId128Bit: true });
  return { tracer, http, recorded };
}

/** Busy-wait so a span lasts a measurable number of microseconds (the tracer's context is synchronous). */
function spin(us: number): void {
  const until = process.hrtime.bigint() + BigInt(us) * 1000n;
  while (process.hrtime.bigint() < until);
}

/**
 * A client call with everything Zipkin carries: kind, remote endpoint, tags (scope, error,
 * numbers as text), an annotation; and a local child span under it. ExplicitContext follows
 * only synchronous code, so the whole call runs synchronously.
 */
export function recordCheckout(tracer: Tracer, serviceName = 'checkout-web'): void {
  tracer.scoped(() => {
    tracer.setId(tracer.createRootId());
    const root = tracer.id;
    tracer.recordServiceName(serviceName);
    tracer.recordAnnotation(new Annotation.LocalAddr({ host: new InetAddress('192.168.7.9'), port: 3000 }));
    tracer.recordRpc('GET /checkout');
    tracer.recordAnnotation(new Annotation.ClientSend());
    tracer.recordBinary('http.path', '/checkout');
    tracer.recordBinary('retries', '3');
    tracer.recordBinary('ratio', '0.25');
    tracer.recordBinary('otel.library.name', 'shop-instrumentation');
    tracer.recordBinary('otel.library.version', '1.2.3');
    tracer.recordBinary('error', 'true');
    tracer.recordAnnotation(new Annotation.ServerAddr({ serviceName: 'payments', host: new InetAddress('10.1.2.3'), port: 8080 }));
    tracer.recordMessage('cache miss');
    tracer.letId(tracer.createChildId(root), () => {
      tracer.recordAnnotation(new Annotation.LocalOperationStart('price-cart'));
      tracer.recordServiceName(serviceName);
      tracer.recordAnnotation(new Annotation.LocalAddr({ host: new InetAddress('192.168.7.9') }));
      tracer.recordBinary('span.kind', 'internal');
      tracer.recordBinary('otel.status_code', 'ERROR');
      tracer.recordBinary('otel.status_description', 'no price for sku 42');
      tracer.recordMessage('rounded|{"cents":199,"currency":"EUR","exact":false,"rate":1.5}|2');
      spin(300);
      tracer.recordAnnotation(new Annotation.LocalOperationStop());
    });
    spin(300);
    tracer.recordAnnotation(new Annotation.ClientRecv());
  });
}
