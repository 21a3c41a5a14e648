// An app instrumented with the OpenTelemetry JS SDK at its DEFAULT settings (child process):
// it emits log records or spans at a fixed rate through BatchLogRecordProcessor /
// BatchSpanProcessor (queue 2048, batches of 512, one export in flight) and the OTLP
// exporter (http/protobuf or gRPC) to Ferry. The exporter is wrapped to count what the SDK
// handed it, what it exported and what failed, and to time each export: the answer time as
// the app sees it. Emitted − handed is what the SDK dropped in its own queue, silently.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, Tracer } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { Logger } from '@opentelemetry/api-logs';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AnyValue, KeyValue, LogRecord, ResourceLogs, ResourceSpans, Span } from '../src/pdata/types.js';
import { buildResources } from './payloads.js';
import { STAMP_KEY, monotonicMs } from './wire.js';

export interface SdkAppSpec {
  readonly signal: 'logs' | 'traces';
  readonly protocol: 'http' | 'grpc';
  /** This app's rate, items/s (open loop: emitted on schedule whatever the exporter does). */
  readonly itemsPerSecond: number;
  /** Which app this is: picks its resource (service.instance.id, pod, host) and its records. */
  readonly app: number;
  readonly host: string;
  readonly port: number;
}

export interface SdkAppStats {
  /** When the app took these figures (monotonic ms): rates come from the app's own clock, not from when the parent got the answer. */
  readonly at: number;
  /** Items the app emitted (logger.emit / span.end). */
  readonly emitted: number;
  /** Items the SDK's batch processor handed to the exporter; emitted − handed are in its queue or were dropped there. */
  readonly handed: number;
  /** Items in exports whose result was SUCCESS: accepted, as the app sees it. */
  readonly exported: number;
  /** Items in exports whose result was FAILED (after the exporter's own retries). */
  readonly failed: number;
  readonly exports: number;
  /** Since the last mark: each export call's time from call to result, ms. */
  readonly answerMs: number[];
  /**
   * The same exports' time from the end of the exporter's synchronous part (it encodes the
   * request to protobuf before it returns) to the result: transport and receiver, ms.
   */
  readonly afterEncodeMs: number[];
  readonly errors: readonly string[];
}

export type SdkAppCommand =
  | { readonly type: 'start'; readonly spec: SdkAppSpec }
  | { readonly type: 'mark' }
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'stop'; readonly id: number };
export type SdkAppMessage = { readonly type: 'ready' } | ({ readonly type: 'stats'; readonly id: number } & SdkAppStats);

/** What an SDK exporter is, for logs and spans alike. */
interface Exporter<T> {
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/**
 * Counts and times what the SDK exports. Each export also carries its call time as the scope
 * attribute `bench.sent_at_ms`, as the load generator's requests do, so the sink measures the
 * latency Ferry adds from the moment the app sent.
 */
class CountingExporter<T extends { instrumentationScope: { name: string; version?: string; schemaUrl?: string } }> implements Exporter<T> {
  handed = 0;
  exported = 0;
  failed = 0;
  exports = 0;
  answerMs: number[] = [];
  afterEncodeMs: number[] = [];
  readonly errors: string[] = [];

  constructor(private readonly inner: Exporter<T>) {}

  export(items: T[], resultCallback: (result: ExportResult) => void): void {
    const n = items.length;
    this.handed += n;
    this.exports++;
    const t0 = monotonicMs();
    const first = items[0];
    if (first) {
      const { name, version, schemaUrl } = first.instrumentationScope;
      const scope = { name, version, schemaUrl, attributes: { [STAMP_KEY]: t0 } };
      // One scope object for the whole export: the OTLP serializer groups records by it.
      for (const item of items) (item as { instrumentationScope: unknown }).instrumentationScope = scope;
    }
    let encoded = NaN;
    this.inner.export(items, (result) => {
      const now = monotonicMs();
      this.answerMs.push(now - t0);
      // NaN when the result came synchronously (refused before sending).
      this.afterEncodeMs.push(now - encoded);
      if (result.code === ExportResultCode.SUCCESS) this.exported += n;
      else {
        this.failed += n;
        if (this.errors.length < 5) this.errors.push(result.error?.message ?? 'export failed');
      }
      resultCallback(result);
    });
    encoded = monotonicMs();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function sdkValue(v: AnyValue | null | undefined): AttributeValue | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  if (v.intValue !== undefined && v.intValue !== null) return Number(v.intValue);
  if (v.doubleValue !== undefined && v.doubleValue !== null) return v.doubleValue;
  return undefined;
}

/** The bench payloads' attributes (KeyValue[]) as SDK attributes. */
function sdkAttributes(kvs: readonly KeyValue[]): Attributes {
  const out: Attributes = {};
  for (const kv of kvs) {
    const v = sdkValue(kv.value);
    if (v !== undefined) out[kv.key] = v;
  }
  return out;
}

const hex = (b: Uint8Array | string | null | undefined): string => (typeof b === 'string' ? b : Buffer.from(b ?? []).toString('hex'));

/** One template per record of the bench payload: what the app emits, cycled through. */
interface LogTemplate {
  readonly body: string;
  readonly severityNumber: SeverityNumber;
  readonly severityText: string;
  readonly attributes: Attributes;
  /** The active span the record belongs to (trace_id, span_id), as in the bench payload. */
  readonly context: Context;
}

interface SpanTemplate {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes: Attributes;
  readonly event?: { readonly name: string; readonly attributes: Attributes };
}

const TEMPLATES = 500;

/** The app's service: the bench payload's resource of variant `app`. */
function appResource(signal: 'logs' | 'traces', app: number): Attributes {
  const [first] = buildResources(signal, app, 1) as (ResourceLogs | ResourceSpans)[];
  return sdkAttributes(first?.resource?.attributes ?? []);
}

function logTemplates(app: number): LogTemplate[] {
  const records = (buildResources('logs', app, TEMPLATES) as ResourceLogs[])[0]?.scopeLogs[0]?.logRecords ?? [];
  return records.map((r: LogRecord) => ({
    body: String(sdkValue(r.body) ?? ''),
    severityNumber: (r.severityNumber ?? SeverityNumber.INFO) as SeverityNumber,
    severityText: r.severityText ?? 'INFO',
    attributes: sdkAttributes(r.attributes),
    context: trace.setSpanContext(ROOT_CONTEXT, { traceId: hex(r.traceId), spanId: hex(r.spanId), traceFlags: 1 }),
  }));
}

function spanTemplates(app: number): SpanTemplate[] {
  const spans = (buildResources('traces', app, TEMPLATES) as ResourceSpans[])[0]?.scopeSpans[0]?.spans ?? [];
  return spans.map((s: Span) => {
    const ev = s.events[0];
    return {
      name: s.name,
      kind: [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT][((s.kind as number) - 1) % 3] ?? SpanKind.INTERNAL,
      attributes: sdkAttributes(s.attributes),
      ...(ev ? { event: { name: ev.name, attributes: sdkAttributes(ev.attributes) } } : {}),
    };
  });
}

/** One app: its SDK provider, its exporter, and the open-loop emitter. */
export class SdkApp {
  private emitted = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly counting: CountingExporter<ReadableLogRecord> | CountingExporter<ReadableSpan>;
  private readonly provider: LoggerProvider | BasicTracerProvider;
  private readonly emitOne: (i: number) => void;

  constructor(readonly spec: SdkAppSpec) {
    const resource = resourceFromAttributes(appResource(spec.signal, spec.app));
    // The SDK's defaults: no options beyond where to send.
    if (spec.signal === 'logs') {
      const url = spec.protocol === 'grpc' ? `http://${spec.host}:${spec.port}` : `http://${spec.host}:${spec.port}/v1/logs`;
      const inner: LogRecordExporter = spec.protocol === 'grpc' ? new GrpcLogExporter({ url }) : new ProtoLogExporter({ url });
      const counting = new CountingExporter<ReadableLogRecord>(inner);
      this.counting = counting;
      const provider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: counting })] });
      this.provider = provider;
      const logger: Logger = provider.getLogger('@shop/checkout', '2.14.1');
      const templates = logTemplates(spec.app);
      this.emitOne = (i) => {
        const t = templates[i % templates.length] as LogTemplate;
        logger.emit({ body: t.body, severityNumber: t.severityNumber, severityText: t.severityText, attributes: t.attributes, context: t.context });
      };
    } else {
      const url = spec.protocol === 'grpc' ? `http://${spec.host}:${spec.port}` : `http://${spec.host}:${spec.port}/v1/traces`;
      const inner: SpanExporter = spec.protocol === 'grpc' ? new GrpcTraceExporter({ url }) : new ProtoTraceExporter({ url });
      const counting = new CountingExporter<ReadableSpan>(inner);
      this.counting = counting;
      const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(counting)] });
      this.provider = provider;
      const tracer: Tracer = provider.getTracer('@shop/checkout', '2.14.1');
      const templates = spanTemplates(spec.app);
      this.emitOne = (i) => {
        const t = templates[i % templates.length] as SpanTemplate;
        const span = tracer.startSpan(t.name, { kind: t.kind, attributes: t.attributes }, ROOT_CONTEXT);
        if (t.event) span.addEvent(t.event.name, t.event.attributes);
        span.setStatus({ code: SpanStatusCode.OK });
        span.end();
      };
    }
  }

  /**
   * One item exported first (and counted like the others): the exporter loads its modules and
   * connects on its first export, which would otherwise happen under load, in the window.
   */
  async prime(): Promise<void> {
    this.emitOne(this.emitted++);
    await this.provider.forceFlush();
  }

  start(): void {
    const base = this.emitted;
    const t0 = monotonicMs();
    const perMs = this.spec.itemsPerSecond / 1000;
    // A fine tick with catch-up keeps the rate exact on average, as the load generator does.
    this.timer = setInterval(() => {
      const due = Math.floor((monotonicMs() - t0) * perMs);
      while (this.emitted - base < due) this.emitOne(this.emitted++);
    }, 5);
  }

  mark(): void {
    this.counting.answerMs = [];
    this.counting.afterEncodeMs = [];
  }

  stats(): SdkAppStats {
    const c = this.counting;
    return { at: monotonicMs(), emitted: this.emitted, handed: c.handed, exported: c.exported, failed: c.failed, exports: c.exports, answerMs: c.answerMs, afterEncodeMs: c.afterEncodeMs, errors: [...c.errors] };
  }

  /** Stop emitting, let the SDK export what its queue still holds (forceFlush), and shut it down. */
  async stop(): Promise<SdkAppStats> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.provider.forceFlush();
      await this.provider.shutdown();
    } catch (err) {
      if (this.counting.errors.length < 5) this.counting.errors.push(`flush: ${err instanceof Error ? err.message : String(err)}`);
    }
    return this.stats();
  }
}

// Run as a child process: `node sdkapp.js`, driven over IPC.
if (process.send !== undefined && process.argv[1] !== undefined && /sdkapp\.[jt]s$/.test(process.argv[1])) {
  const send = process.send.bind(process);
  let app: SdkApp | undefined;
  const empty: SdkAppStats = { at: monotonicMs(), emitted: 0, handed: 0, exported: 0, failed: 0, exports: 0, answerMs: [], afterEncodeMs: [], errors: [] };
  process.on('message', (m: SdkAppCommand) => {
    void (async () => {
      if (m.type === 'start') {
        app = new SdkApp(m.spec);
        await app.prime();
        app.start();
        send({ type: 'ready' } satisfies SdkAppMessage);
      } else if (m.type === 'mark') {
        app?.mark();
      } else if (m.type === 'stats') {
        send({ type: 'stats', id: m.id, ...(app?.stats() ?? empty) } satisfies SdkAppMessage);
      } else if (m.type === 'stop') {
        send({ type: 'stats', id: m.id, ...(app ? await app.stop() : empty) } satisfies SdkAppMessage);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}
