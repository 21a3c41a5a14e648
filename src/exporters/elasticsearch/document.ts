// OTel logs and spans as Elasticsearch documents, in the contrib exporter's mapping modes:
// otel (Elastic's OTel-native layout, the contrib's current default), none (its original
// layout: Attributes.*, Resource.*, TraceId…) and raw (none without the prefixes).
import type { LogsBatch, TracesBatch } from '../../pdata/batch.js';
import type { AnyValue, InstrumentationScope, KeyValue, Resource, Span } from '../../pdata/types.js';
import { idHex, int64BigInt as nanos, int64String, valueAsString, valueType } from '../../pdata/value.js';
import type { ElasticsearchConfig, MappingMode } from './config.js';
import {
  DATA_STREAM_DATASET,
  DATA_STREAM_NAMESPACE,
  DATA_STREAM_TYPE,
  dateParts,
  dynamicRoute,
  expandDatePattern,
  formatStrftime,
  hasDatePattern,
  type DynamicRoute,
} from './index-name.js';

/** One bulk document: the batch item (log record or span) it belongs to, its index and its JSON. */
export interface BulkDocument {
  readonly item: number;
  readonly index: string;
  readonly json: string;
}

const BILLION = 1_000_000_000n;


/** RFC 3339 UTC with nine fraction digits, as the contrib writes timestamps (Elasticsearch date_nanos reads it). */
export function isoNanos(ns: bigint): string {
  const secs = ns >= 0n ? ns / BILLION : (ns - BILLION + 1n) / BILLION;
  const frac = ns - secs * BILLION;
  return `${new Date(Number(secs) * 1000).toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}


/** An AnyValue as JSON: int64 exact, bytes as base64, non-finite doubles as null, map keys deduplicated (last wins). */
export function esJson(v: AnyValue | null | undefined): string {
  switch (valueType(v)) {
    case 'Empty':
      return 'null';
    case 'Str':
      return JSON.stringify(v?.stringValue ?? '');
    case 'Bool':
      return String(v?.boolValue === true);
    case 'Int':
      return int64String(v?.intValue);
    case 'Double': {
      const d = v?.doubleValue ?? 0;
      return Number.isFinite(d) ? JSON.stringify(d) : 'null';
    }
    case 'Bytes':
      return JSON.stringify(Buffer.from(v?.bytesValue ?? []).toString('base64'));
    case 'Slice':
      return `[${(v?.arrayValue?.values ?? []).map(esJson).join(',')}]`;
    case 'Map': {
      const m = new Map<string, string>();
      for (const kv of v?.kvlistValue?.values ?? []) if (valueType(kv.value) !== 'Empty') m.set(kv.key, esJson(kv.value));
      return `{${[...m].map(([k, j]) => `${JSON.stringify(k)}:${j}`).join(',')}}`;
    }
  }
}

/**
 * A document as flat dotted keys (the contrib's objmodel): maps are flattened into `a.b` keys,
 * keys are sorted and deduplicated (last wins), and serialized either flat or dedotted into
 * nested objects. A key that is both a value and a prefix keeps its value under `<key>.value`.
 */
export class FlatDocument {
  private readonly fields: Array<[string, string]> = [];

  add(key: string, json: string): void {
    this.fields.push([key, json]);
  }

  addString(key: string, value: string | undefined): void {
    if (value) this.add(key, JSON.stringify(value));
  }

  /** A value under `key`; a map is flattened into `key.<k>` fields, an empty value is left out. */
  addValue(key: string, v: AnyValue | null | undefined): void {
    const t = valueType(v);
    if (t === 'Empty') return;
    if (t === 'Map') this.addAttributes(key, v?.kvlistValue?.values);
    else this.add(key, esJson(v));
  }

  addAttributes(prefix: string, kvs: readonly KeyValue[] | undefined): void {
    for (const kv of kvs ?? []) this.addValue(prefix === '' ? kv.key : `${prefix}.${kv.key}`, kv.value);
  }

  private deduped(): Array<[string, string]> {
    const sorted = [...this.fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const out: Array<[string, string]> = [];
    for (const f of sorted) {
      if (out.length > 0 && out[out.length - 1]?.[0] === f[0]) out[out.length - 1] = f;
      else out.push(f);
    }
    return out;
  }

  serialize(dedot: boolean): string {
    const fields = this.deduped();
    if (!dedot) return `{${fields.map(([k, j]) => `${JSON.stringify(k)}:${j}`).join(',')}}`;
    type Node = Map<string, Node | string>;
    const root: Node = new Map();
    for (const [key, json] of fields) {
      const parts = key.split('.');
      let node = root;
      for (const part of parts.slice(0, -1)) {
        let next = node.get(part);
        if (typeof next === 'string') {
          // A value where an object must go: it moves to <key>.value.
          const moved: Node = new Map([['value', next]]);
          node.set(part, moved);
          next = moved;
        } else if (next === undefined) {
          next = new Map();
          node.set(part, next);
        }
        node = next;
      }
      const leaf = parts[parts.length - 1] ?? '';
      const existing = node.get(leaf);
      if (existing instanceof Map) existing.set('value', json);
      else node.set(leaf, json);
    }
    const write = (node: Node): string => `{${[...node].map(([k, v]) => `${JSON.stringify(k)}:${typeof v === 'string' ? v : write(v)}`).join(',')}}`;
    return write(root);
  }
}

/** Attributes as one flat object (otel mode: dotted keys kept, as its passthrough mappings expect), data_stream.* left out. */
function otelAttributes(kvs: readonly KeyValue[] | undefined, extra: ReadonlyArray<[string, string]> = []): string {
  const doc = new FlatDocument();
  for (const [k, j] of extra) doc.add(k, j);
  for (const kv of kvs ?? []) {
    if (kv.key === DATA_STREAM_TYPE || kv.key === DATA_STREAM_DATASET || kv.key === DATA_STREAM_NAMESPACE) continue;
    doc.addValue(kv.key, kv.value);
  }
  return doc.serialize(false);
}

function otelResource(resource: Resource | null | undefined, schemaUrl: string | undefined): string {
  const parts = [`"attributes":${otelAttributes(resource?.attributes)}`, `"dropped_attributes_count":${resource?.droppedAttributesCount ?? 0}`];
  if (schemaUrl) parts.push(`"schema_url":${JSON.stringify(schemaUrl)}`);
  return `{${parts.join(',')}}`;
}

function otelScope(scope: InstrumentationScope | null | undefined, schemaUrl: string | undefined): string {
  const parts: string[] = [];
  if (scope?.name) parts.push(`"name":${JSON.stringify(scope.name)}`);
  if (scope?.version) parts.push(`"version":${JSON.stringify(scope.version)}`);
  if (schemaUrl) parts.push(`"schema_url":${JSON.stringify(schemaUrl)}`);
  parts.push(`"attributes":${otelAttributes(scope?.attributes)}`, `"dropped_attributes_count":${scope?.droppedAttributesCount ?? 0}`);
  return `{${parts.join(',')}}`;
}

function otelDataStream(route: DynamicRoute | undefined): string | undefined {
  const ds = route?.dataStream;
  return ds ? `"data_stream":{"type":${JSON.stringify(ds.type)},"dataset":${JSON.stringify(ds.dataset)},"namespace":${JSON.stringify(ds.namespace)}}` : undefined;
}

/** The otel mode's body: body.structured for maps (and slices holding maps or slices), else body.text. */
function otelBody(body: AnyValue | null | undefined): string | undefined {
  switch (valueType(body)) {
    case 'Empty':
      return undefined;
    case 'Map':
      return `"body":{"structured":${esJson(body)}}`;
    case 'Slice': {
      const values = body?.arrayValue?.values ?? [];
      if (values.some((x) => ['Map', 'Slice'].includes(valueType(x)))) return `"body":{"structured":${esJson(body)}}`;
      return `"body":{"text":${JSON.stringify(values.map((x) => valueAsString(x)))}}`;
    }
    default: {
      const text = valueAsString(body);
      return text === '' ? undefined : `"body":{"text":${JSON.stringify(text)}}`;
    }
  }
}

const SPAN_KIND = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const SPAN_KIND_STR = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE = ['Unset', 'Ok', 'Error'];

/** Resolves the index of each item: static or dynamic, then date patterns and the logstash suffix. */
class IndexResolver {
  private readonly dynamic: boolean;
  constructor(
    private readonly config: ElasticsearchConfig,
    private readonly signal: 'logs' | 'traces',
  ) {
    this.dynamic = signal === 'logs' ? config.logs_dynamic_index.enabled : config.traces_dynamic_index.enabled;
  }

  route(type: 'logs' | 'traces', attributes: Parameters<typeof dynamicRoute>[3]): DynamicRoute | undefined {
    if (!this.dynamic) return undefined;
    const configured = type === 'logs' ? this.config.logs_index : this.config.traces_index;
    return dynamicRoute(type, configured, modeOf(this.config) === 'otel', attributes);
  }

  index(route: DynamicRoute | undefined, timeNanos: bigint): string {
    let name = route?.index ?? (this.signal === 'logs' ? this.config.logs_index : this.config.traces_index);
    const lf = this.config.logstash_format;
    if (!hasDatePattern(name) && !lf.enabled) return name;
    const parts = dateParts(timeNanos);
    if (hasDatePattern(name)) name = expandDatePattern(name, parts);
    if (lf.enabled) name = `${name}${lf.prefix_separator}${formatStrftime(lf.date_format, parts)}`;
    return name;
  }
}

export function modeOf(config: ElasticsearchConfig): MappingMode {
  return config.mapping.mode === 'no' ? 'none' : config.mapping.mode;
}

export function logDocuments(config: ElasticsearchConfig, batch: LogsBatch, now = BigInt(Date.now()) * 1_000_000n): BulkDocument[] {
  const mode = modeOf(config);
  const resolver = new IndexResolver(config, 'logs');
  const docs: BulkDocument[] = [];
  let item = 0;
  for (const rl of batch.resources) {
    // The otel mode writes the resource and the scope into every document: once each here.
    const resourceJson = mode === 'otel' ? otelResource(rl.resource, rl.schemaUrl) : '';
    for (const sl of rl.scopeLogs) {
      const scopeJson = mode === 'otel' ? otelScope(sl.scope, sl.schemaUrl) : '';
      for (const record of sl.logRecords) {
        const ts = nanos(record.timeUnixNano);
        const observed = nanos(record.observedTimeUnixNano);
        const time = ts !== 0n ? ts : observed;
        const route = resolver.route('logs', { resource: rl.resource?.attributes, scope: sl.scope?.attributes, item: record.attributes });
        const index = resolver.index(route, time !== 0n ? time : now);
        let json: string;
        if (mode === 'otel') {
          const parts = [`"@timestamp":${JSON.stringify(isoNanos(time))}`];
          if (observed !== 0n) parts.push(`"observed_timestamp":${JSON.stringify(isoNanos(observed))}`);
          const ds = otelDataStream(route);
          if (ds) parts.push(ds);
          const traceId = idHex(record.traceId);
          const spanId = idHex(record.spanId);
          if (traceId) parts.push(`"trace_id":${JSON.stringify(traceId)}`);
          if (spanId) parts.push(`"span_id":${JSON.stringify(spanId)}`);
          if (record.severityText) parts.push(`"severity_text":${JSON.stringify(record.severityText)}`);
          parts.push(`"severity_number":${record.severityNumber ?? 0}`);
          if (record.eventName) parts.push(`"event_name":${JSON.stringify(record.eventName)}`);
          parts.push(`"dropped_attributes_count":${record.droppedAttributesCount ?? 0}`);
          parts.push(`"attributes":${otelAttributes(record.attributes)}`);
          parts.push(`"resource":${resourceJson}`);
          parts.push(`"scope":${scopeJson}`);
          const body = otelBody(record.body);
          if (body) parts.push(body);
          json = `{${parts.join(',')}}`;
        } else {
          const doc = new FlatDocument();
          doc.add('@timestamp', JSON.stringify(isoNanos(time)));
          doc.addString('TraceId', idHex(record.traceId));
          doc.addString('SpanId', idHex(record.spanId));
          doc.add('TraceFlags', String(record.flags ?? 0));
          doc.addString('SeverityText', record.severityText);
          doc.add('SeverityNumber', String(record.severityNumber ?? 0));
          doc.addValue('Body', record.body);
          doc.addAttributes(mode === 'raw' ? '' : 'Attributes', record.attributes);
          doc.addAttributes('Resource', rl.resource?.attributes);
          addScope(doc, sl.scope);
          json = doc.serialize(config.mapping.dedot);
        }
        docs.push({ item: item++, index, json });
      }
    }
  }
  return docs;
}

function addScope(doc: FlatDocument, scope: InstrumentationScope | null | undefined): void {
  doc.addString('Scope.name', scope?.name);
  doc.addString('Scope.version', scope?.version);
  for (const kv of scope?.attributes ?? []) doc.addString(`Scope.${kv.key}`, valueAsString(kv.value));
}

/** The contrib's Link field in the none mode: the span's links as a JSON string (keys sorted, as Go marshals a map). */
function linksString(span: Span): string {
  const links = span.links.map(
    (l) => `{"attribute":${esJson({ kvlistValue: { values: l.attributes } })},"spanID":${JSON.stringify(idHex(l.spanId))},"traceID":${JSON.stringify(idHex(l.traceId))}}`,
  );
  return `[${links.join(',')}]`;
}

export function spanDocuments(config: ElasticsearchConfig, batch: TracesBatch, now = BigInt(Date.now()) * 1_000_000n): BulkDocument[] {
  const mode = modeOf(config);
  const resolver = new IndexResolver(config, 'traces');
  const docs: BulkDocument[] = [];
  let item = 0;
  for (const rs of batch.resources) {
    const resourceJson = mode === 'otel' ? otelResource(rs.resource, rs.schemaUrl) : '';
    for (const ss of rs.scopeSpans) {
      const scopeJson = mode === 'otel' ? otelScope(ss.scope, ss.schemaUrl) : '';
      for (const span of ss.spans) {
        const start = nanos(span.startTimeUnixNano);
        const end = nanos(span.endTimeUnixNano);
        const route = resolver.route('traces', { resource: rs.resource?.attributes, scope: ss.scope?.attributes, item: span.attributes });
        const index = resolver.index(route, start !== 0n ? start : now);
        const current = item++;
        if (mode === 'otel') {
          const parts = [`"@timestamp":${JSON.stringify(isoNanos(start))}`];
          const ds = otelDataStream(route);
          if (ds) parts.push(ds);
          parts.push(`"trace_id":${JSON.stringify(idHex(span.traceId))}`, `"span_id":${JSON.stringify(idHex(span.spanId))}`);
          if (span.traceState) parts.push(`"trace_state":${JSON.stringify(span.traceState)}`);
          const parent = idHex(span.parentSpanId);
          if (parent) parts.push(`"parent_span_id":${JSON.stringify(parent)}`);
          parts.push(`"name":${JSON.stringify(span.name)}`, `"kind":${JSON.stringify(SPAN_KIND[span.kind ?? 0] ?? String(span.kind))}`);
          parts.push(`"duration":${(end - start).toString()}`);
          parts.push(`"attributes":${otelAttributes(span.attributes)}`);
          parts.push(`"dropped_attributes_count":${span.droppedAttributesCount ?? 0}`, `"dropped_events_count":${span.droppedEventsCount ?? 0}`);
          if (span.links.length > 0) {
            const links = span.links.map((l) => {
              const lp = [`"trace_id":${JSON.stringify(idHex(l.traceId))}`, `"span_id":${JSON.stringify(idHex(l.spanId))}`];
              if (l.traceState) lp.push(`"trace_state":${JSON.stringify(l.traceState)}`);
              lp.push(`"attributes":${otelAttributes(l.attributes)}`, `"dropped_attributes_count":${l.droppedAttributesCount ?? 0}`);
              return `{${lp.join(',')}}`;
            });
            parts.push(`"links":[${links.join(',')}]`);
          }
          parts.push(`"dropped_links_count":${span.droppedLinksCount ?? 0}`);
          const status = [`"code":${JSON.stringify(STATUS_CODE[span.status?.code ?? 0] ?? String(span.status?.code))}`];
          if (span.status?.message) status.unshift(`"message":${JSON.stringify(span.status.message)}`);
          parts.push(`"status":{${status.join(',')}}`);
          parts.push(`"resource":${resourceJson}`, `"scope":${scopeJson}`);
          docs.push({ item: current, index, json: `{${parts.join(',')}}` });
          // Span events are documents of their own in the otel mode (routed as logs when dynamic).
          for (const event of span.events) {
            const at = nanos(event.timeUnixNano);
            const eventRoute = resolver.route('logs', { resource: rs.resource?.attributes, scope: ss.scope?.attributes, item: event.attributes });
            const ep = [`"@timestamp":${JSON.stringify(isoNanos(at))}`];
            const eds = otelDataStream(eventRoute);
            if (eds) ep.push(eds);
            ep.push(`"trace_id":${JSON.stringify(idHex(span.traceId))}`, `"span_id":${JSON.stringify(idHex(span.spanId))}`);
            ep.push(`"dropped_attributes_count":${event.droppedAttributesCount ?? 0}`);
            ep.push(`"attributes":${otelAttributes(event.attributes, [['event.name', JSON.stringify(event.name)]])}`);
            ep.push(`"resource":${resourceJson}`, `"scope":${scopeJson}`);
            docs.push({ item: current, index: eventRoute ? resolver.index(eventRoute, at !== 0n ? at : now) : index, json: `{${ep.join(',')}}` });
          }
        } else {
          const doc = new FlatDocument();
          doc.add('@timestamp', JSON.stringify(isoNanos(start)));
          doc.add('EndTimestamp', JSON.stringify(isoNanos(end)));
          doc.addString('TraceId', idHex(span.traceId));
          doc.addString('SpanId', idHex(span.spanId));
          doc.addString('ParentSpanId', idHex(span.parentSpanId));
          doc.addString('Name', span.name);
          doc.addString('Kind', SPAN_KIND_STR[span.kind ?? 0]);
          doc.add('TraceStatus', String(span.status?.code ?? 0));
          doc.addString('TraceStatusDescription', span.status?.message);
          doc.addString('Link', linksString(span));
          doc.addAttributes(mode === 'raw' ? '' : 'Attributes', span.attributes);
          doc.addAttributes('Resource', rs.resource?.attributes);
          for (const event of span.events) {
            const prefix = mode === 'raw' ? event.name : `Events.${event.name}`;
            doc.add(`${prefix}.time`, JSON.stringify(isoNanos(nanos(event.timeUnixNano))));
            doc.addAttributes(prefix, event.attributes);
          }
          doc.add('Duration', ((end - start) / 1000n).toString());
          addScope(doc, ss.scope);
          docs.push({ item: current, index, json: doc.serialize(config.mapping.dedot) });
        }
      }
    }
  }
  return docs;
}
