// OTel logs and spans as OpenSearch documents, in the contrib opensearchexporter's mapping
// modes: ss4o (the Simple Schema for Observability, its default), ecs and flatten_attributes
// (the log data model, attributes prefixed or at the top level) and bodymap (the map body is
// the document); and each document's index: static, or built from %{attribute} placeholders.
import type { LogsBatch, TracesBatch } from '../../pdata/batch.js';
import type { InstrumentationScope, KeyValue, Resource } from '../../pdata/types.js';
import { idHex, int64BigInt as nanos, valueAsString, valueType } from '../../pdata/value.js';
import { FlatDocument, esJson, isoNanos, type BulkDocument } from '../elasticsearch/document.js';
import { formatTime, type OpenSearchConfig } from './config.js';

const PLACEHOLDER = /%\{([^}]+)\}/g;
/** Go's pdata names, as the contrib writes them (SpanKind.String(), StatusCode.String()). */
const SPAN_KIND = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODE = ['Unset', 'Ok', 'Error'];

interface Attributes {
  readonly resource: readonly KeyValue[] | undefined;
  readonly scope: InstrumentationScope | null | undefined;
  readonly item: readonly KeyValue[] | undefined;
}

/** Resolves each item's index: the configured name with its placeholders, then the time suffix. */
export class IndexNamer {
  private readonly pattern: string;
  private readonly dynamic: boolean;

  constructor(config: OpenSearchConfig, signal: 'logs' | 'traces') {
    const configured = signal === 'logs' ? config.logs_index : config.traces_index;
    this.pattern = configured || `ss4o_${signal}-${config.dataset}-${config.namespace}`;
    this.dynamic = configured !== '' && configured.includes('%{');
    this.fallback = (signal === 'logs' ? config.logs_index_fallback : config.traces_index_fallback) || 'unknown';
    this.timeFormat = signal === 'logs' ? config.logs_index_time_format : config.traces_index_time_format;
  }

  private readonly fallback: string;
  private readonly timeFormat: string;

  index(attributes: Attributes, timeNanos: bigint): string {
    let name = this.pattern;
    if (this.dynamic) name = name.replace(PLACEHOLDER, (_, key: string) => lookup(attributes, key) || this.fallback);
    return this.timeFormat ? `${name}-${formatTime(this.timeFormat, timeNanos)}` : name;
  }
}

/** An attribute for a placeholder: the item's, then the scope's (and scope.name / scope.version), then the resource's. */
function lookup(a: Attributes, key: string): string | undefined {
  const find = (kvs: readonly KeyValue[] | undefined): string | undefined => {
    const kv = kvs?.find((k) => k.key === key);
    return kv ? valueAsString(kv.value) : undefined;
  };
  if (key === 'scope.name' && a.scope?.name) return a.scope.name;
  if (key === 'scope.version' && a.scope?.version) return a.scope.version;
  return find(a.item) ?? find(a.scope?.attributes) ?? find(a.resource);
}

const mapJson = (kvs: readonly KeyValue[] | undefined, extra = ''): string => {
  const inner = esJson({ kvlistValue: { values: [...(kvs ?? [])] } }).slice(1, -1);
  return `{${[inner, extra].filter((s) => s !== '').join(',')}}`;
};

/** The contrib writes resource attributes as strings (attributesToMapString). */
function resourceStrings(resource: Resource | null | undefined): string {
  const m = new Map<string, string>();
  for (const kv of resource?.attributes ?? []) m.set(kv.key, valueAsString(kv.value));
  return `{${[...m].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

function dataStream(config: OpenSearchConfig, type: 'record' | 'span'): string {
  return `"data_stream":{"dataset":${JSON.stringify(config.dataset)},"namespace":${JSON.stringify(config.namespace)},"type":"${type}"}`;
}

function ss4oScope(scope: InstrumentationScope | null | undefined, schemaUrl: string | undefined, withDropped: boolean): string {
  const parts: string[] = [];
  if ((scope?.attributes.length ?? 0) > 0) parts.push(`"attributes":${mapJson(scope?.attributes)}`);
  if (withDropped) parts.push(`"droppedAttributesCount":${scope?.droppedAttributesCount ?? 0}`);
  if (scope?.name || withDropped) parts.push(`"name":${JSON.stringify(scope?.name ?? '')}`);
  if (schemaUrl || withDropped) parts.push(`"schemaUrl":${JSON.stringify(schemaUrl ?? '')}`);
  if (scope?.version || withDropped) parts.push(`"version":${JSON.stringify(scope?.version ?? '')}`);
  return `{${parts.join(',')}}`;
}

export interface EncodedDocuments {
  readonly docs: BulkDocument[];
  /** Items the mapping cannot write (bodymap with a body that is not a map), with the reason. */
  readonly unencodable: Map<number, string>;
}

export function logDocuments(config: OpenSearchConfig, batch: LogsBatch, now = BigInt(Date.now()) * 1_000_000n): EncodedDocuments {
  const namer = new IndexNamer(config, 'logs');
  const mode = config.mapping.mode;
  const docs: BulkDocument[] = [];
  const unencodable = new Map<number, string>();
  let item = 0;
  for (const rl of batch.resources) {
    const resource = mode === 'ss4o' ? resourceStrings(rl.resource) : '';
    for (const sl of rl.scopeLogs) {
      const scope = mode === 'ss4o' ? ss4oScope(sl.scope, sl.schemaUrl, false) : '';
      for (const record of sl.logRecords) {
        const current = item++;
        const ts = nanos(record.timeUnixNano);
        const observed = nanos(record.observedTimeUnixNano);
        const time = ts !== 0n ? ts : observed !== 0n ? observed : now;
        const index = namer.index({ resource: rl.resource?.attributes, scope: sl.scope, item: record.attributes }, time);
        let json: string;
        if (mode === 'ss4o') {
          const parts = [`"attributes":${mapJson(record.attributes, dataStream(config, 'record'))}`];
          parts.push(`"body":${JSON.stringify(valueAsString(record.body))}`);
          parts.push(`"instrumentationScope":${scope}`);
          parts.push(`"observedTimestamp":${JSON.stringify(isoNanos(observed !== 0n ? observed : now))}`);
          if ((rl.resource?.attributes.length ?? 0) > 0) parts.push(`"resource":${resource}`);
          if (sl.schemaUrl) parts.push(`"schemaUrl":${JSON.stringify(sl.schemaUrl)}`);
          const severity: string[] = [];
          if (record.severityText) severity.push(`"text":${JSON.stringify(record.severityText)}`);
          if (record.severityNumber) severity.push(`"number":${record.severityNumber}`);
          parts.push(`"severity":{${severity.join(',')}}`);
          const spanId = idHex(record.spanId);
          if (spanId) parts.push(`"spanId":${JSON.stringify(spanId)}`);
          parts.push(`"@timestamp":${JSON.stringify(isoNanos(time))}`);
          const traceId = idHex(record.traceId);
          if (traceId) parts.push(`"traceId":${JSON.stringify(traceId)}`);
          json = `{${parts.join(',')}}`;
        } else if (mode === 'bodymap') {
          if (valueType(record.body) !== 'Map') {
            unencodable.set(current, `the bodymap mapping needs a map body, not ${valueType(record.body)}`);
            continue;
          }
          json = esJson(record.body);
        } else {
          const flatten = mode === 'flatten_attributes';
          const doc = new FlatDocument();
          doc.addAttributes(flatten ? '' : 'Attributes', rl.resource?.attributes);
          const field = config.mapping.timestamp_field ?? '@timestamp';
          doc.add(field, config.mapping.unix_timestamp ? String(ts / 1_000_000n) : JSON.stringify(isoNanos(ts)));
          doc.addString('TraceId', idHex(record.traceId));
          doc.addString('SpanId', idHex(record.spanId));
          doc.add('TraceFlags', String(record.flags ?? 0));
          doc.addString('SeverityText', record.severityText);
          doc.add('SeverityNumber', String(record.severityNumber ?? 0));
          doc.addValue('Body', record.body);
          doc.addAttributes(flatten ? '' : 'Attributes', record.attributes);
          json = doc.serialize(config.mapping.dedot);
        }
        docs.push({ item: current, index, json });
      }
    }
  }
  return { docs, unencodable };
}

/** Spans in the ss4o schema, whatever the mapping mode (as the contrib does). */
export function spanDocuments(config: OpenSearchConfig, batch: TracesBatch, now = BigInt(Date.now()) * 1_000_000n): EncodedDocuments {
  const namer = new IndexNamer(config, 'traces');
  const docs: BulkDocument[] = [];
  let item = 0;
  for (const rs of batch.resources) {
    const resource = resourceStrings(rs.resource);
    for (const ss of rs.scopeSpans) {
      const scope = ss4oScope(ss.scope, ss.schemaUrl, true);
      for (const span of ss.spans) {
        const start = nanos(span.startTimeUnixNano);
        const index = namer.index({ resource: rs.resource?.attributes, scope: ss.scope, item: span.attributes }, start !== 0n ? start : now);
        const parts = [`"attributes":${mapJson(span.attributes, dataStream(config, 'span'))}`];
        parts.push(`"droppedAttributesCount":${span.droppedAttributesCount ?? 0}`, `"droppedEventsCount":${span.droppedEventsCount ?? 0}`, `"droppedLinksCount":${span.droppedLinksCount ?? 0}`);
        parts.push(`"endTime":${JSON.stringify(isoNanos(nanos(span.endTimeUnixNano)))}`);
        if (span.events.length > 0) {
          const events = span.events.map((e) => {
            const at = nanos(e.timeUnixNano);
            const when = at !== 0n ? `"@timestamp":${JSON.stringify(isoNanos(at))}` : `"observedTimestamp":${JSON.stringify(isoNanos(now))}`;
            return `{"attributes":${mapJson(e.attributes)},"droppedAttributesCount":${e.droppedAttributesCount ?? 0},"name":${JSON.stringify(e.name)},${when}}`;
          });
          parts.push(`"events":[${events.join(',')}]`);
        }
        parts.push(`"instrumentationScope":${scope}`);
        parts.push(`"kind":${JSON.stringify(SPAN_KIND[span.kind ?? 0] ?? String(span.kind))}`);
        if (span.links.length > 0) {
          const links = span.links.map((l) => {
            const lp: string[] = [];
            if (l.attributes.length > 0) lp.push(`"attributes":${mapJson(l.attributes)}`);
            lp.push(`"spanId":${JSON.stringify(idHex(l.spanId))}`, `"traceId":${JSON.stringify(idHex(l.traceId))}`);
            if (l.traceState) lp.push(`"traceState":${JSON.stringify(l.traceState)}`);
            if (l.droppedAttributesCount) lp.push(`"droppedAttributesCount":${l.droppedAttributesCount}`);
            return `{${lp.join(',')}}`;
          });
          parts.push(`"links":[${links.join(',')}]`);
        }
        parts.push(`"name":${JSON.stringify(span.name)}`, `"parentSpanId":${JSON.stringify(idHex(span.parentSpanId))}`);
        if ((rs.resource?.attributes.length ?? 0) > 0) parts.push(`"resource":${resource}`);
        parts.push(`"spanId":${JSON.stringify(idHex(span.spanId))}`, `"startTime":${JSON.stringify(isoNanos(start))}`);
        parts.push(`"status":{"code":${JSON.stringify(STATUS_CODE[span.status?.code ?? 0] ?? String(span.status?.code))},"message":${JSON.stringify(span.status?.message ?? '')}}`);
        parts.push(`"@timestamp":${JSON.stringify(isoNanos(start))}`, `"traceId":${JSON.stringify(idHex(span.traceId))}`, `"traceState":${JSON.stringify(span.traceState ?? '')}`);
        docs.push({ item: item++, index, json: `{${parts.join(',')}}` });
      }
    }
  }
  return { docs, unencodable: new Map() };
}
