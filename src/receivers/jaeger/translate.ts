// Jaeger batches → OTLP, as the Collector's translator does (contrib pkg/translator/jaeger,
// ProtoToTraces): one resource per distinct process, a scope per instrumentation library,
// span kind / status / trace state from tags, logs to events, references to links.
import Long from 'long';
import type { AnyValue, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, SpanStatus } from '../../pdata/types.js';
import { AttributeMap } from '../span_attributes.js';
import type { JaegerBatch, JaegerProcess, JaegerRef, JaegerSpan, JaegerTag } from './model.js';

const NO_SERVICE_NAME = 'OTLPResourceNoServiceName';
const SPAN_KIND: Readonly<Record<string, number>> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isZero(id: Uint8Array): boolean {
  for (const b of id) if (b !== 0) return false;
  return true;
}

export function tagValue(tag: JaegerTag): AnyValue {
  switch (tag.type) {
    case 'string':
      return { stringValue: tag.value };
    case 'bool':
      return { boolValue: tag.value };
    case 'int64':
      return { intValue: tag.value };
    case 'float64':
      return { doubleValue: tag.value };
    case 'binary':
      return { stringValue: Buffer.from(tag.value).toString('base64') };
    case 'unknown':
      return { stringValue: `<Unknown Jaeger TagType "${tag.value}">` };
  }
}

function putTags(tags: readonly JaegerTag[], attrs: AttributeMap): void {
  for (const tag of tags) attrs.put(tag.key, tagValue(tag));
}

const text = (v: AnyValue | undefined): string => v?.stringValue ?? '';

/** A key for "the same process" (the Collector hashes service name and tags). */
function processKey(p: JaegerProcess | undefined): string {
  if (p === undefined) return '';
  return JSON.stringify([p.serviceName, (p.tags ?? []).map((t) => [t.key, t.type, t.type === 'binary' ? Buffer.from(t.value).toString('base64') : String(t.value)])]);
}

/** Spans carrying their own process go with that process; the others with their batch's. */
function regroup(batches: readonly JaegerBatch[]): JaegerBatch[] {
  const registry = new Map<string, JaegerBatch>();
  const forProcess = (p: JaegerProcess | undefined): JaegerBatch => {
    const key = processKey(p);
    let batch = registry.get(key);
    if (batch === undefined) {
      batch = { process: p, spans: [] };
      registry.set(key, batch);
    }
    return batch;
  };
  for (const batch of batches) {
    const own = forProcess(batch.process);
    for (const span of batch.spans) (span.process === undefined ? own : forProcess(span.process)).spans.push(span);
  }
  return [...registry.values()];
}

function resourceAttributes(process: JaegerProcess | undefined): AttributeMap {
  const attrs = new AttributeMap();
  if (process === undefined || process.serviceName === NO_SERVICE_NAME) return attrs;
  if (process.serviceName === '' && process.tags === undefined) return attrs;
  if (process.serviceName !== '') attrs.put('service.name', { stringValue: process.serviceName });
  putTags(process.tags ?? [], attrs);
  // jaeger clients' "hostname" and "jaeger.version" process tags, in OpenTelemetry's names.
  const hostname = attrs.get('hostname');
  if (hostname !== undefined && !attrs.has('host.name')) {
    attrs.put('host.name', hostname);
    attrs.delete('hostname');
  }
  const version = attrs.get('jaeger.version');
  if (version !== undefined && !attrs.has('opencensus.exporterversion')) {
    attrs.put('opencensus.exporterversion', { stringValue: `Jaeger-${text(version)}` });
    attrs.delete('jaeger.version');
  }
  return attrs;
}

/** The parent: the first CHILD_OF reference in the same trace, else the first FOLLOWS_FROM one (Jaeger's ParentSpanID). */
function parentSpanId(span: JaegerSpan): Uint8Array | undefined {
  let followsFrom: JaegerRef | undefined;
  for (const ref of span.references) {
    if (!sameBytes(ref.traceId, span.traceId)) continue;
    if (ref.refType === 'CHILD_OF') return ref.spanId;
    followsFrom ??= ref;
  }
  return followsFrom?.spanId;
}

/** Take (and remove) the first tag with this key, as the Collector's getAndDeleteTag does. */
function takeTag(span: JaegerSpan, key: string): string | undefined {
  const i = span.tags.findIndex((t) => t.key === key);
  if (i < 0) return undefined;
  const [tag] = span.tags.splice(i, 1) as [JaegerTag];
  return tag.type === 'string' ? tag.value : '';
}

/**
 * The instrumentation scope from `otel.scope.name`/`otel.scope.version` (current spec) or
 * `otel.library.name`/`otel.library.version` (what the Collector's translator reads); the tags are removed.
 */
function takeScope(span: JaegerSpan): { name: string; version: string } {
  for (const [nameKey, versionKey] of [
    ['otel.scope.name', 'otel.scope.version'],
    ['otel.library.name', 'otel.library.version'],
  ] as const) {
    const name = takeTag(span, nameKey);
    if (name !== undefined) return { name, version: takeTag(span, versionKey) ?? '' };
  }
  return { name: '', version: '' };
}

function httpStatusCode(v: AnyValue): number | undefined {
  if (v.intValue != null) return Long.fromValue(v.intValue).toNumber();
  if (v.stringValue != null && /^[+-]?\d+$/.test(v.stringValue)) return Number(v.stringValue);
  return undefined;
}

function takeStatusDescription(attrs: AttributeMap): string | undefined {
  const v = attrs.get('otel.status_description');
  if (v === undefined) return undefined;
  attrs.delete('otel.status_description');
  return text(v);
}

/** The error tag first, then otel.status_code, then an HTTP status code, as the Collector decides. */
function status(attrs: AttributeMap, kind: number): SpanStatus | undefined {
  let code: number = STATUS.UNSET;
  let message = '';
  let exists = false;
  const error = attrs.get('error');
  if (error?.boolValue === true) {
    code = STATUS.ERROR;
    attrs.delete('error');
    exists = true;
    message = takeStatusDescription(attrs) ?? text(attrs.get('http.status_message'));
  }
  const otelCode = attrs.get('otel.status_code');
  if (otelCode !== undefined) {
    if (!exists) {
      exists = true;
      const upper = text(otelCode).toUpperCase();
      code = upper === 'OK' ? STATUS.OK : upper === 'ERROR' ? STATUS.ERROR : STATUS.UNSET;
      message = takeStatusDescription(attrs) ?? '';
    }
    attrs.delete('otel.status_code');
  } else if (!exists) {
    const http = attrs.get('http.status_code');
    const n = http === undefined ? undefined : httpStatusCode(http);
    if (n !== undefined) {
      // 4xx: an error for a client, not for a server; 5xx and non-HTTP codes: an error.
      const fromHttp = n >= 400 && n < 500 && kind === SPAN_KIND.server ? STATUS.UNSET : n >= 400 && n < 500 && kind === SPAN_KIND.client ? STATUS.ERROR : n >= 100 && n < 399 ? STATUS.UNSET : STATUS.ERROR;
      if (fromHttp !== STATUS.UNSET) {
        exists = true;
        code = fromHttp;
      }
      const msg = attrs.get('http.status_message');
      if (msg !== undefined) message = text(msg);
    }
  }
  if (!exists) return undefined;
  return message === '' ? { code } : { code, message };
}

function events(span: JaegerSpan): SpanEvent[] {
  return span.logs.map((log) => {
    const event: SpanEvent = { timeUnixNano: log.timestamp, name: '', attributes: [] };
    if (log.fields.length === 0) return event;
    const attrs = new AttributeMap();
    putTags(log.fields, attrs);
    const name = attrs.get('event');
    if (name !== undefined) {
      event.name = text(name);
      attrs.delete('event');
    }
    event.attributes = attrs.toKeyValues();
    return event;
  });
}

function links(span: JaegerSpan, parent: Uint8Array | undefined): SpanLink[] {
  const isParent = (ref: JaegerRef): boolean => ref.refType === 'CHILD_OF' && parent !== undefined && sameBytes(ref.spanId, parent);
  return span.references
    .filter((ref) => !isParent(ref))
    .map((ref) => ({
      traceId: ref.traceId,
      spanId: ref.spanId,
      attributes: [{ key: 'opentracing.ref_type', value: { stringValue: ref.refType === 'CHILD_OF' ? 'child_of' : 'follows_from' } }],
    }));
}

function toSpan(span: JaegerSpan): Span {
  const out: Span = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.operationName,
    kind: 0,
    startTimeUnixNano: span.startTime,
    endTimeUnixNano: span.startTime.add(span.duration),
    attributes: [],
    events: [],
    links: [],
  };
  // Jaeger's sampled flag is W3C's: the span's trace flags carry it (newer Collector versions).
  if ((span.flags & 1) !== 0) out.flags = 1;
  const parent = parentSpanId(span);
  if (parent !== undefined && !isZero(parent)) out.parentSpanId = parent;
  const attrs = new AttributeMap();
  putTags(span.tags, attrs);
  const kind = attrs.get('span.kind');
  if (kind !== undefined) {
    out.kind = SPAN_KIND[text(kind)] ?? 0;
    attrs.delete('span.kind');
  }
  const st = status(attrs, out.kind ?? 0);
  if (st !== undefined) out.status = st;
  const traceState = attrs.get('w3c.tracestate');
  if (traceState !== undefined) {
    out.traceState = text(traceState);
    attrs.delete('w3c.tracestate');
  }
  out.attributes = attrs.toKeyValues();
  out.events = events(span);
  out.links = links(span, parent !== undefined && isZero(parent) ? undefined : parent);
  return out;
}

function isBlank(span: JaegerSpan): boolean {
  return (
    isZero(span.traceId) &&
    isZero(span.spanId) &&
    span.operationName === '' &&
    span.references.length === 0 &&
    span.tags.length === 0 &&
    span.logs.length === 0 &&
    span.startTime.isZero() &&
    span.duration.isZero() &&
    span.process === undefined
  );
}

/** Jaeger batches to OTLP resource spans. Span tags are consumed (scope tags removed): pass batches you own. */
export function jaegerToOtlp(batches: readonly JaegerBatch[]): ResourceSpans[] {
  const out: ResourceSpans[] = [];
  for (const batch of regroup(batches)) {
    if (batch.process === undefined && batch.spans.length === 0) continue;
    const resource: ResourceSpans = { resource: { attributes: resourceAttributes(batch.process).toKeyValues() }, scopeSpans: [] };
    out.push(resource);
    const byScope = new Map<string, ScopeSpans>();
    for (const span of batch.spans) {
      if (isBlank(span)) continue;
      const scope = takeScope(span);
      const key = JSON.stringify([scope.name, scope.version]);
      let ss = byScope.get(key);
      if (ss === undefined) {
        ss = { scope: { name: scope.name, version: scope.version, attributes: [] }, spans: [] };
        byScope.set(key, ss);
        resource.scopeSpans.push(ss);
      }
      ss.spans.push(toSpan(span));
    }
  }
  return out;
}
