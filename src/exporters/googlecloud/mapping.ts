// OTel logs and spans in Google's REST shapes: LogEntry (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry)
// and Span (https://cloud.google.com/trace/docs/reference/v2/rest/v2/projects.traces/batchWrite).
import type { LogsBatch, TracesBatch } from '../../pdata/batch.js';
import type { AnyValue, KeyValue } from '../../pdata/types.js';
import { idHex, int64BigInt, rawJson, valueAsString, valueType } from '../../pdata/value.js';

/** RFC 3339 with nanoseconds, as Google's Timestamp JSON. */
export function rfc3339(nanos: bigint): string {
  return `${new Date(Number(nanos / 1_000_000n)).toISOString().slice(0, 19)}.${(nanos % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/** OTel severity number → LogSeverity. */
export function logSeverity(n: number | undefined): string {
  const s = n ?? 0;
  if (s <= 0) return 'DEFAULT';
  if (s <= 8) return 'DEBUG';
  if (s <= 12) return 'INFO';
  if (s <= 16) return 'WARNING';
  if (s <= 20) return 'ERROR';
  if (s <= 22) return 'CRITICAL';
  return s === 23 ? 'ALERT' : 'EMERGENCY';
}

const find = (kvs: readonly KeyValue[] | undefined, key: string): string | undefined => {
  const kv = kvs?.find((k) => k.key === key);
  return kv ? valueAsString(kv.value) : undefined;
};

/** The monitored resource: generic_node from the resource's location and host, else global. */
function monitoredResource(project: string, resource: readonly KeyValue[] | undefined): string {
  const location = find(resource, 'cloud.availability_zone') ?? find(resource, 'cloud.region');
  const node = find(resource, 'host.id') ?? find(resource, 'host.name');
  if (!location && !node) return `{"type":"global","labels":{"project_id":${JSON.stringify(project)}}}`;
  return `{"type":"generic_node","labels":${JSON.stringify({ project_id: project, location: location ?? 'global', namespace: find(resource, 'service.namespace') ?? '', node_id: node ?? '' })}}`;
}

function labels(...lists: Array<readonly KeyValue[] | undefined>): string {
  const m = new Map<string, string>();
  for (const list of lists) for (const kv of list ?? []) if (kv.key !== 'gcp.log_name') m.set(kv.key, valueAsString(kv.value));
  return JSON.stringify(Object.fromEntries(m));
}

function payload(body: AnyValue | null | undefined): string {
  if (valueType(body) === 'Map') return `"jsonPayload":${rawJson(body)}`;
  return `"textPayload":${JSON.stringify(valueAsString(body))}`;
}

/** The entries of an entries.write request, one per log record, in batch order. */
export function logEntries(batch: LogsBatch, project: string, defaultLogName: string, now: bigint): string[] {
  const out: string[] = [];
  for (const rl of batch.resources) {
    const resource = monitoredResource(project, rl.resource?.attributes);
    const resourceLabels = (rl.resource?.attributes ?? []).filter((kv) => kv.key === 'service.name' || kv.key === 'service.namespace' || kv.key === 'service.instance.id');
    for (const sl of rl.scopeLogs) {
      for (const r of sl.logRecords) {
        const ts = int64BigInt(r.timeUnixNano);
        const observed = int64BigInt(r.observedTimeUnixNano);
        const logName = find(r.attributes, 'gcp.log_name') ?? defaultLogName;
        const parts = [
          `"logName":${JSON.stringify(`projects/${project}/logs/${encodeURIComponent(logName)}`)}`,
          `"resource":${resource}`,
          `"timestamp":${JSON.stringify(rfc3339(ts !== 0n ? ts : observed !== 0n ? observed : now))}`,
        ];
        if (observed !== 0n) parts.push(`"receiveTimestamp":${JSON.stringify(rfc3339(observed))}`);
        parts.push(`"severity":"${logSeverity(r.severityNumber)}"`, payload(r.body), `"labels":${labels(resourceLabels, r.attributes)}`);
        const traceId = idHex(r.traceId);
        const spanId = idHex(r.spanId);
        if (traceId) parts.push(`"trace":${JSON.stringify(`projects/${project}/traces/${traceId}`)}`, `"traceSampled":${((r.flags ?? 0) & 1) === 1}`);
        if (spanId) parts.push(`"spanId":"${spanId}"`);
        out.push(`{${parts.join(',')}}`);
      }
    }
  }
  return out;
}

const truncatable = (s: string, max: number): string => {
  const buf = Buffer.from(s);
  if (buf.byteLength <= max) return `{"value":${JSON.stringify(s)},"truncatedByteCount":0}`;
  const cut = buf.subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
  return `{"value":${JSON.stringify(cut)},"truncatedByteCount":${buf.byteLength - Buffer.byteLength(cut)}}`;
};

function attributeValue(v: AnyValue | null | undefined): string {
  switch (valueType(v)) {
    case 'Bool':
      return `{"boolValue":${v?.boolValue === true}}`;
    case 'Int':
      return `{"intValue":"${int64BigInt(v?.intValue)}"}`;
    default:
      return `{"stringValue":${truncatable(valueAsString(v), 256)}}`;
  }
}

function attributes(kvs: readonly KeyValue[] | undefined, extra: ReadonlyArray<[string, string]> = []): string {
  const m = new Map<string, string>();
  for (const [k, v] of extra) m.set(k, `{"stringValue":${truncatable(v, 256)}}`);
  for (const kv of kvs ?? []) m.set(kv.key.slice(0, 128), attributeValue(kv.value));
  const entries = [...m].slice(0, 32);
  return `{"attributeMap":{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}},"droppedAttributesCount":${m.size - entries.length}}`;
}

const SPAN_KIND = ['SPAN_KIND_UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** The spans of a batchWrite request, in batch order. */
export function traceSpans(batch: TracesBatch, project: string): string[] {
  const out: string[] = [];
  for (const rs of batch.resources) {
    const service = find(rs.resource?.attributes, 'service.name');
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const traceId = idHex(span.traceId);
        const spanId = idHex(span.spanId);
        const parts = [`"name":${JSON.stringify(`projects/${project}/traces/${traceId}/spans/${spanId}`)}`, `"spanId":"${spanId}"`];
        const parent = idHex(span.parentSpanId);
        if (parent) parts.push(`"parentSpanId":"${parent}"`);
        parts.push(`"displayName":${truncatable(span.name, 128)}`);
        parts.push(`"startTime":${JSON.stringify(rfc3339(int64BigInt(span.startTimeUnixNano)))}`, `"endTime":${JSON.stringify(rfc3339(int64BigInt(span.endTimeUnixNano)))}`);
        parts.push(`"attributes":${attributes(span.attributes, service ? [['g.co/r/generic_node/namespace', find(rs.resource?.attributes, 'service.namespace') ?? ''], ['service.name', service]] : [])}`);
        if (span.events.length > 0) {
          const events = span.events.slice(0, 32).map((e) => `{"time":${JSON.stringify(rfc3339(int64BigInt(e.timeUnixNano)))},"annotation":{"description":${truncatable(e.name, 256)},"attributes":${attributes(e.attributes)}}}`);
          parts.push(`"timeEvents":{"timeEvent":[${events.join(',')}],"droppedAnnotationsCount":${Math.max(0, span.events.length - 32)}}`);
        }
        if (span.links.length > 0) {
          const links = span.links.slice(0, 128).map((l) => `{"traceId":"${idHex(l.traceId)}","spanId":"${idHex(l.spanId)}","type":"TYPE_UNSPECIFIED","attributes":${attributes(l.attributes)}}`);
          parts.push(`"links":{"link":[${links.join(',')}],"droppedLinksCount":${Math.max(0, span.links.length - 128)}}`);
        }
        // google.rpc.Code: OK 0; an OTel error is UNKNOWN (2), as the contrib maps it.
        if (span.status?.code === 2) parts.push(`"status":{"code":2,"message":${JSON.stringify(span.status.message ?? '')}}`);
        else if (span.status?.code === 1) parts.push(`"status":{"code":0}`);
        parts.push(`"spanKind":"${SPAN_KIND[span.kind ?? 0] ?? 'SPAN_KIND_UNSPECIFIED'}"`);
        out.push(`{${parts.join(',')}}`);
      }
    }
  }
  return out;
}
