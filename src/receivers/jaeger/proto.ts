// Jaeger api_v2 Protobuf (jaeger.api_v2.PostSpansRequest, the gRPC collector's request),
// decoded with protobufjs from proto/jaeger/api_v2/ into Jaeger's domain model.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';
import { SpanDecodeError } from '../span_http.js';
import type { JaegerBatch, JaegerProcess, JaegerRef, JaegerSpan, JaegerTag } from './model.js';

// `../../../proto/` is the repository's proto/ from both src/ and dist/.
const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));

let root: protobuf.Root | undefined;

/** The api_v2 types, parsed from proto/ on first use. */
export function jaegerProtoRoot(): protobuf.Root {
  if (root === undefined) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => (path.isAbsolute(target) || target.startsWith('google/') ? target : path.join(PROTO_DIR, target));
    r.loadSync(['jaeger/api_v2/collector.proto'], { keepCase: false });
    r.resolveAll();
    root = r;
  }
  return root;
}

type Int64 = Long | number;
interface PbKeyValue {
  key?: string;
  vType?: number;
  vStr?: string;
  vBool?: boolean;
  vInt64?: Int64;
  vFloat64?: number;
  vBinary?: Uint8Array;
}
interface PbTime {
  seconds?: Int64;
  nanos?: number;
}
interface PbProcess {
  serviceName?: string;
  tags?: PbKeyValue[];
}
interface PbSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  operationName?: string;
  references?: { traceId?: Uint8Array; spanId?: Uint8Array; refType?: number }[];
  flags?: number;
  startTime?: PbTime | null;
  duration?: PbTime | null;
  tags?: PbKeyValue[];
  logs?: { timestamp?: PbTime | null; fields?: PbKeyValue[] }[];
  process?: PbProcess | null;
}
interface PbRequest {
  batch?: { spans?: PbSpan[]; process?: PbProcess | null } | null;
}

const long = (v: Int64 | undefined): Long => (v === undefined ? Long.ZERO : Long.fromValue(v));

function nanos(t: PbTime | null | undefined): Long {
  if (t === null || t === undefined) return Long.ZERO;
  return long(t.seconds).multiply(1_000_000_000).add(t.nanos ?? 0);
}

/** Jaeger's TraceID/SpanID unmarshal: absent is zero, present must be exactly 16 / 8 bytes. */
function id(raw: Uint8Array | undefined, bytes: number, what: string): Uint8Array {
  if (raw === undefined || raw.length === 0) return new Uint8Array(bytes);
  if (raw.length !== bytes) throw new SpanDecodeError(`invalid ${what}: ${raw.length} bytes, expected ${bytes}`);
  return raw;
}

function tag(kv: PbKeyValue): JaegerTag {
  const key = kv.key ?? '';
  switch (kv.vType ?? 0) {
    case 0:
      return { key, type: 'string', value: kv.vStr ?? '' };
    case 1:
      return { key, type: 'bool', value: kv.vBool ?? false };
    case 2:
      return { key, type: 'int64', value: long(kv.vInt64) };
    case 3:
      return { key, type: 'float64', value: kv.vFloat64 ?? 0 };
    case 4:
      return { key, type: 'binary', value: kv.vBinary ?? new Uint8Array() };
    default:
      return { key, type: 'unknown', value: kv.vType ?? 0 };
  }
}

function processOf(p: PbProcess | null | undefined): JaegerProcess | undefined {
  if (p === null || p === undefined) return undefined;
  return { serviceName: p.serviceName ?? '', tags: (p.tags ?? []).map(tag) };
}

function span(s: PbSpan, i: number): JaegerSpan {
  const where = `batch.spans[${i}]`;
  const references: JaegerRef[] = (s.references ?? []).map((r, j) => ({
    refType: r.refType === 1 ? 'FOLLOWS_FROM' : 'CHILD_OF',
    traceId: id(r.traceId, 16, `${where}.references[${j}].trace_id`),
    spanId: id(r.spanId, 8, `${where}.references[${j}].span_id`),
  }));
  return {
    traceId: id(s.traceId, 16, `${where}.trace_id`),
    spanId: id(s.spanId, 8, `${where}.span_id`),
    operationName: s.operationName ?? '',
    references,
    flags: s.flags ?? 0,
    startTime: nanos(s.startTime),
    duration: nanos(s.duration),
    tags: (s.tags ?? []).map(tag),
    logs: (s.logs ?? []).map((l) => ({ timestamp: nanos(l.timestamp), fields: (l.fields ?? []).map(tag) })),
    process: processOf(s.process),
  };
}

/** A PostSpansRequest body; throws SpanDecodeError saying what is wrong. */
export function decodePostSpansRequest(body: Uint8Array): JaegerBatch {
  let request: PbRequest;
  try {
    request = jaegerProtoRoot().lookupType('jaeger.api_v2.PostSpansRequest').decode(body) as unknown as PbRequest;
  } catch (err) {
    throw new SpanDecodeError(`invalid jaeger.api_v2.PostSpansRequest: ${err instanceof Error ? err.message : String(err)}`);
  }
  const batch = request.batch ?? {};
  return { process: processOf(batch.process), spans: (batch.spans ?? []).map(span) };
}
