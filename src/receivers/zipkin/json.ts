// Zipkin JSON: the v2 format (POST /api/v2/spans, as zipkin-go unmarshals it) and the v1
// format (POST /api/v1/spans), which is converted to v2 the way Zipkin's V1SpanConverter does.
import { isUtf8 } from 'node:buffer';
import { SpanDecodeError } from '../span_http.js';
import type { ZipkinAnnotation, ZipkinEndpoint, ZipkinSpan } from './model.js';
import { canonicalIp, hexId, isZeroId } from './model.js';

type Json = Record<string, unknown>;

function parseArray(body: Buffer, version: string): unknown[] {
  if (!isUtf8(body)) throw new SpanDecodeError(`invalid Zipkin ${version} JSON: the body is not valid UTF-8`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new SpanDecodeError(`invalid Zipkin ${version} JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(parsed)) throw new SpanDecodeError(`invalid Zipkin ${version} JSON: expected an array of spans`);
  return parsed;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Json, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new SpanDecodeError(`${where}.${key}: expected a string, got ${typeof v}`);
  return v;
}

/** Epoch or duration microseconds: a JSON integer (zipkin-go's int64/uint64). */
function optMicros(o: Json, key: string, where: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new SpanDecodeError(`${where}.${key}: expected an integer number of microseconds`);
  return v;
}

function endpoint(v: unknown, where: string): ZipkinEndpoint | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new SpanDecodeError(`${where}: expected an object`);
  const e: ZipkinEndpoint = {};
  const serviceName = optString(v, 'serviceName', where);
  if (serviceName !== undefined && serviceName !== '') e.serviceName = serviceName;
  const ipv4 = optString(v, 'ipv4', where);
  if (ipv4 !== undefined && ipv4 !== '') e.ipv4 = canonicalIp(ipv4, `${where}.ipv4`);
  const ipv6 = optString(v, 'ipv6', where);
  if (ipv6 !== undefined && ipv6 !== '') e.ipv6 = canonicalIp(ipv6, `${where}.ipv6`);
  const port = v.port;
  if (port !== undefined && port !== null) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new SpanDecodeError(`${where}.port: expected 0..65535`);
    if (port > 0) e.port = port;
  }
  // zipkin-go turns an empty endpoint into none.
  return Object.keys(e).length === 0 ? undefined : e;
}

function ids(o: Json, where: string): Pick<ZipkinSpan, 'traceId' | 'id' | 'parentId'> {
  const traceId = hexId(optString(o, 'traceId', where) ?? '', 16, `${where}.traceId`);
  if (isZeroId(traceId)) throw new SpanDecodeError(`${where}: valid traceId required`);
  const id = hexId(optString(o, 'id', where) ?? '', 8, `${where}.id`);
  if (isZeroId(id)) throw new SpanDecodeError(`${where}: valid span id required`);
  const parent = optString(o, 'parentId', where);
  const parentId = parent === undefined || parent === '' ? undefined : hexId(parent, 8, `${where}.parentId`);
  return parentId === undefined || isZeroId(parentId) ? { traceId, id } : { traceId, id, parentId };
}

function annotations(v: unknown, where: string): { timestamp: number; value: string; endpoint?: ZipkinEndpoint }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new SpanDecodeError(`${where}: expected an array`);
  return v.map((a, i) => {
    const w = `${where}[${i}]`;
    if (!isObject(a)) throw new SpanDecodeError(`${w}: expected an object`);
    const ep = endpoint(a.endpoint, `${w}.endpoint`);
    return { timestamp: optMicros(a, 'timestamp', w) ?? 0, value: optString(a, 'value', w) ?? '', ...(ep ? { endpoint: ep } : {}) };
  });
}

/** POST /api/v2/spans, application/json. */
export function decodeJsonV2(body: Buffer): ZipkinSpan[] {
  return parseArray(body, 'v2').map((raw, i) => {
    const where = `span[${i}]`;
    if (!isObject(raw)) throw new SpanDecodeError(`${where}: expected an object`);
    const tags = new Map<string, string>();
    if (raw.tags !== undefined && raw.tags !== null) {
      if (!isObject(raw.tags)) throw new SpanDecodeError(`${where}.tags: expected an object of strings`);
      for (const [k, v] of Object.entries(raw.tags)) {
        if (typeof v !== 'string') throw new SpanDecodeError(`${where}.tags.${k}: expected a string, got ${typeof v}`);
        tags.set(k, v);
      }
    }
    const span: ZipkinSpan = {
      ...ids(raw, where),
      name: optString(raw, 'name', where) ?? '',
      annotations: annotations(raw.annotations, `${where}.annotations`).map(({ timestamp, value }) => ({ timestamp, value })),
      tags,
    };
    const kind = optString(raw, 'kind', where);
    if (kind !== undefined && kind !== '') span.kind = kind;
    const timestamp = optMicros(raw, 'timestamp', where);
    if (timestamp !== undefined && timestamp > 0) span.timestamp = timestamp;
    const duration = optMicros(raw, 'duration', where);
    if (duration !== undefined && duration > 0) span.duration = duration;
    const local = endpoint(raw.localEndpoint, `${where}.localEndpoint`);
    if (local) span.localEndpoint = local;
    const remote = endpoint(raw.remoteEndpoint, `${where}.remoteEndpoint`);
    if (remote) span.remoteEndpoint = remote;
    return span;
  });
}

// v1 core annotations: which side of an RPC or message the span records.
const BEGIN: Readonly<Record<string, string>> = { cs: 'CLIENT', sr: 'SERVER', ms: 'PRODUCER', mr: 'CONSUMER' };
const END: Readonly<Record<string, string>> = { cr: 'CLIENT', ss: 'SERVER', ws: 'PRODUCER', wr: 'CONSUMER' };
const ADDRESS: Readonly<Record<string, true>> = { ca: true, sa: true, ma: true };

function v1TagValue(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new SpanDecodeError(`${where}: expected a string, number or boolean`);
}

/**
 * POST /api/v1/spans, application/json: each v1 span becomes one v2 span. Core annotations
 * (cs/cr, sr/ss, ms/ws, mr/wr) give the kind, timestamp and duration; ca/sa/ma binary
 * annotations the remote endpoint; the core annotation's endpoint the local one.
 */
export function decodeJsonV1(body: Buffer): ZipkinSpan[] {
  return v1ToV2(parseArray(body, 'v1'));
}

/** v1 spans in their JSON shape (Thrift v1 is read into the same shape) → v2 spans. */
export function v1ToV2(spans: readonly unknown[]): ZipkinSpan[] {
  return spans.map((raw, i) => {
    const where = `span[${i}]`;
    if (!isObject(raw)) throw new SpanDecodeError(`${where}: expected an object`);
    const anns = annotations(raw.annotations, `${where}.annotations`);
    const span: ZipkinSpan = { ...ids(raw, where), name: optString(raw, 'name', where) ?? '', annotations: [], tags: new Map() };
    let begin: { kind: string; at: number } | undefined;
    let end: { kind: string; at: number } | undefined;
    let local: ZipkinEndpoint | undefined;
    const kept: ZipkinAnnotation[] = [];
    for (const a of anns) {
      const b = BEGIN[a.value];
      const e = END[a.value];
      if (b !== undefined && begin === undefined) {
        begin = { kind: b, at: a.timestamp };
        local ??= a.endpoint;
      } else if (e !== undefined && end === undefined) {
        end = { kind: e, at: a.timestamp };
        local ??= a.endpoint;
      } else {
        kept.push({ timestamp: a.timestamp, value: a.value });
      }
    }
    local ??= anns.find((a) => a.endpoint !== undefined)?.endpoint;
    const binary = raw.binaryAnnotations;
    if (binary !== undefined && binary !== null) {
      if (!Array.isArray(binary)) throw new SpanDecodeError(`${where}.binaryAnnotations: expected an array`);
      binary.forEach((b, j) => {
        const w = `${where}.binaryAnnotations[${j}]`;
        if (!isObject(b)) throw new SpanDecodeError(`${w}: expected an object`);
        const key = optString(b, 'key', w) ?? '';
        const ep = endpoint(b.endpoint, `${w}.endpoint`);
        if (ADDRESS[key] === true && b.value === true) {
          if (ep) span.remoteEndpoint = ep;
          return;
        }
        span.tags.set(key, v1TagValue(b.value, `${w}.value`));
        local ??= ep;
      });
    }
    const kind = begin?.kind ?? end?.kind;
    if (kind !== undefined) span.kind = kind;
    const timestamp = optMicros(raw, 'timestamp', where) ?? begin?.at;
    if (timestamp !== undefined && timestamp > 0) span.timestamp = timestamp;
    const duration = optMicros(raw, 'duration', where) ?? (begin !== undefined && end !== undefined ? end.at - begin.at : undefined);
    if (duration !== undefined && duration > 0) span.duration = duration;
    if (local) span.localEndpoint = local;
    span.annotations = kept;
    return span;
  });
}
