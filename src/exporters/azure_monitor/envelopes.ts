// OTel logs and spans as Application Insights telemetry envelopes (the ingestion API's contract,
// as the Azure Monitor exporters of the OpenTelemetry SDKs and the contrib write them): log records
// → MessageData; server and consumer spans → RequestData; other spans → RemoteDependencyData; span
// events → MessageData / ExceptionData. Attributes become string properties.
import type { LogsBatch, TracesBatch } from '../../pdata/batch.js';
import type { KeyValue, Span } from '../../pdata/types.js';
import { idHex, int64BigInt, valueAsString } from '../../pdata/value.js';

/** One envelope, with the batch item it belongs to. */
export interface Envelope {
  readonly item: number;
  readonly json: string;
}

/** OTel severity → Application Insights SeverityLevel (Verbose 0 … Critical 4). */
export function severityLevel(n: number | undefined): number {
  const s = n ?? 0;
  if (s <= 0) return 1;
  if (s <= 8) return 0;
  if (s <= 12) return 1;
  if (s <= 16) return 2;
  if (s <= 20) return 3;
  return 4;
}

function iso(nanos: bigint): string {
  const ms = nanos / 1_000_000n;
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, '0').slice(0, 7);
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${frac}Z`;
}

/** A duration as Application Insights writes it: d.hh:mm:ss.ffffff. */
export function aiDuration(nanos: bigint): string {
  const n = nanos < 0n ? 0n : nanos;
  const micros = (n / 1000n) % 1_000_000n;
  let secs = n / 1_000_000_000n;
  const days = secs / 86_400n;
  secs %= 86_400n;
  const pad = (v: bigint, w = 2): string => v.toString().padStart(w, '0');
  return `${days}.${pad(secs / 3600n)}:${pad((secs / 60n) % 60n)}:${pad(secs % 60n)}.${pad(micros, 6)}`;
}

const find = (kvs: readonly KeyValue[] | undefined, ...keys: string[]): string | undefined => {
  for (const key of keys) {
    const kv = kvs?.find((k) => k.key === key);
    if (kv) return valueAsString(kv.value);
  }
  return undefined;
};

function properties(...lists: Array<readonly KeyValue[] | undefined>): string {
  const m = new Map<string, string>();
  for (const list of lists) for (const kv of list ?? []) m.set(kv.key, valueAsString(kv.value));
  return JSON.stringify(Object.fromEntries(m));
}

function tags(resource: readonly KeyValue[] | undefined, traceId: string, parentId: string): string {
  const t: Record<string, string> = {};
  const service = find(resource, 'service.name');
  const namespace = find(resource, 'service.namespace');
  if (service) t['ai.cloud.role'] = namespace ? `${namespace}.${service}` : service;
  const instance = find(resource, 'service.instance.id', 'host.name');
  if (instance) t['ai.cloud.roleInstance'] = instance;
  if (traceId) t['ai.operation.id'] = traceId;
  if (parentId) t['ai.operation.parentId'] = parentId;
  t['ai.internal.sdkVersion'] = 'ferry:otel';
  return JSON.stringify(t);
}

function envelope(iKey: string, type: 'Message' | 'Request' | 'RemoteDependency' | 'Exception', time: bigint, tagsJson: string, baseData: string): string {
  const name = `Microsoft.ApplicationInsights.${iKey.replace(/-/g, '')}.${type}`;
  return `{"name":${JSON.stringify(name)},"time":${JSON.stringify(iso(time))},"iKey":${JSON.stringify(iKey)},"tags":${tagsJson},"data":{"baseType":"${type}Data","baseData":${baseData}}}`;
}

export function logEnvelopes(batch: LogsBatch, iKey: string, now: bigint): Envelope[] {
  const out: Envelope[] = [];
  let item = 0;
  for (const rl of batch.resources) {
    for (const sl of rl.scopeLogs) {
      for (const r of sl.logRecords) {
        const ts = int64BigInt(r.timeUnixNano);
        const observed = int64BigInt(r.observedTimeUnixNano);
        const time = ts !== 0n ? ts : observed !== 0n ? observed : now;
        const base = `{"ver":2,"message":${JSON.stringify(valueAsString(r.body))},"severityLevel":${severityLevel(r.severityNumber)},"properties":${properties(r.attributes)}}`;
        out.push({ item: item++, json: envelope(iKey, 'Message', time, tags(rl.resource?.attributes, idHex(r.traceId), idHex(r.spanId)), base) });
      }
    }
  }
  return out;
}

function spanEnvelope(iKey: string, span: Span, resource: readonly KeyValue[] | undefined): string {
  const start = int64BigInt(span.startTimeUnixNano);
  const duration = aiDuration(int64BigInt(span.endTimeUnixNano) - start);
  const traceId = idHex(span.traceId);
  const id = idHex(span.spanId);
  const t = tags(resource, traceId, idHex(span.parentSpanId));
  const a = span.attributes;
  const error = span.status?.code === 2;
  const kind = span.kind ?? 0;
  if (kind === 2 || kind === 5) {
    // SERVER, CONSUMER: an incoming request.
    const code = find(a, 'http.response.status_code', 'http.status_code') ?? (error ? '1' : '0');
    const url = find(a, 'url.full', 'http.url');
    const base = `{"ver":2,"id":${JSON.stringify(id)},"name":${JSON.stringify(span.name)},"duration":"${duration}","responseCode":${JSON.stringify(code)},"success":${!error && !(Number(code) >= 500)}${url ? `,"url":${JSON.stringify(url)}` : ''},"properties":${properties(a)}}`;
    return envelope(iKey, 'Request', start, t, base);
  }
  const http = find(a, 'http.request.method', 'http.method');
  const db = find(a, 'db.system');
  const type = http ? 'Http' : db ?? (kind === 3 ? 'Client' : kind === 4 ? 'Queue Message' : 'InProc');
  const code = find(a, 'http.response.status_code', 'http.status_code') ?? (error ? '1' : '0');
  const target = find(a, 'server.address', 'net.peer.name', 'peer.service');
  const data = find(a, 'url.full', 'http.url', 'db.query.text', 'db.statement');
  const base = `{"ver":2,"id":${JSON.stringify(id)},"name":${JSON.stringify(span.name)},"duration":"${duration}","resultCode":${JSON.stringify(code)},"success":${!error},"type":${JSON.stringify(type)}${target ? `,"target":${JSON.stringify(target)}` : ''}${data ? `,"data":${JSON.stringify(data)}` : ''},"properties":${properties(a)}}`;
  return envelope(iKey, 'RemoteDependency', start, t, base);
}

export function spanEnvelopes(batch: TracesBatch, iKey: string, spanEvents: boolean): Envelope[] {
  const out: Envelope[] = [];
  let item = 0;
  for (const rs of batch.resources) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const current = item++;
        out.push({ item: current, json: spanEnvelope(iKey, span, rs.resource?.attributes) });
        if (!spanEvents) continue;
        const t = tags(rs.resource?.attributes, idHex(span.traceId), idHex(span.spanId));
        for (const e of span.events) {
          const at = int64BigInt(e.timeUnixNano);
          if (e.name === 'exception') {
            const typeName = find(e.attributes, 'exception.type') ?? 'Exception';
            const message = find(e.attributes, 'exception.message') ?? '';
            const stack = find(e.attributes, 'exception.stacktrace');
            const details = `[{"typeName":${JSON.stringify(typeName)},"message":${JSON.stringify(message)},"hasFullStack":${stack !== undefined}${stack ? `,"stack":${JSON.stringify(stack)}` : ''}}]`;
            out.push({ item: current, json: envelope(iKey, 'Exception', at, t, `{"ver":2,"exceptions":${details},"properties":${properties(e.attributes)}}`) });
          } else {
            out.push({ item: current, json: envelope(iKey, 'Message', at, t, `{"ver":2,"message":${JSON.stringify(e.name)},"properties":${properties(e.attributes)}}`) });
          }
        }
      }
    }
  }
  return out;
}
