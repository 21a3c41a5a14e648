// Zipkin Protobuf v2 (POST /api/v2/spans, application/x-protobuf): zipkin.proto3.ListOfSpans
// decoded with protobufjs from proto/zipkin/zipkin.proto, checked as zipkin-go's proto3 reader does.
import { fileURLToPath } from 'node:url';
import type Long from 'long';
import protobuf from 'protobufjs';
import { SpanDecodeError } from '../span_http.js';
import type { ZipkinEndpoint, ZipkinSpan } from './model.js';
import { ipFromBytes, isZeroId, padId } from './model.js';

// `../../../proto/zipkin/` is the repository's proto/zipkin/ from both src/ and dist/.
const PROTO_DIR = fileURLToPath(new URL('../../../proto/zipkin/', import.meta.url));

let listOfSpans: protobuf.Type | undefined;

/** zipkin.proto3.ListOfSpans, parsed from proto/ on first use. */
export function listOfSpansType(): protobuf.Type {
  if (listOfSpans === undefined) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => `${PROTO_DIR}${target}`;
    root.loadSync(['zipkin.proto'], { keepCase: false });
    listOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');
  }
  return listOfSpans;
}

interface PbEndpoint {
  serviceName?: string;
  ipv4?: Uint8Array;
  ipv6?: Uint8Array;
  port?: number;
}
interface PbSpan {
  traceId?: Uint8Array;
  parentId?: Uint8Array;
  id?: Uint8Array;
  kind?: number;
  name?: string;
  timestamp?: Long | number;
  duration?: Long | number;
  localEndpoint?: PbEndpoint | null;
  remoteEndpoint?: PbEndpoint | null;
  annotations?: { timestamp?: Long | number; value?: string }[];
  tags?: Record<string, string>;
}

const KINDS = [undefined, 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] as const;

function micros(v: Long | number | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function endpoint(e: PbEndpoint | null | undefined, where: string): ZipkinEndpoint | undefined {
  if (e === undefined || e === null) return undefined;
  const out: ZipkinEndpoint = {};
  if (e.serviceName) out.serviceName = e.serviceName;
  const ipv4 = ipFromBytes(e.ipv4 ?? new Uint8Array(), `${where}.ipv4`);
  if (ipv4 !== undefined) out.ipv4 = ipv4;
  const ipv6 = ipFromBytes(e.ipv6 ?? new Uint8Array(), `${where}.ipv6`);
  if (ipv6 !== undefined) out.ipv6 = ipv6;
  if (e.port !== undefined && e.port > 0) {
    if (e.port > 65535) throw new SpanDecodeError(`${where}.port: ${e.port} is not a port`);
    out.port = e.port;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function id(raw: Uint8Array | undefined, lengths: readonly number[], what: string): Uint8Array {
  const bytes = raw ?? new Uint8Array();
  if (!lengths.includes(bytes.length)) throw new SpanDecodeError(`invalid ${what}: ${bytes.length} bytes, expected ${lengths.join(' or ')}`);
  return bytes;
}

export function decodeProtoV2(body: Buffer): ZipkinSpan[] {
  let message: { spans?: PbSpan[] };
  try {
    message = listOfSpansType().decode(body) as unknown as { spans?: PbSpan[] };
  } catch (err) {
    throw new SpanDecodeError(`invalid Zipkin Protobuf (zipkin.proto3.ListOfSpans): ${err instanceof Error ? err.message : String(err)}`);
  }
  return (message.spans ?? []).map((s, i) => {
    const where = `span[${i}]`;
    const traceId = padId(id(s.traceId, [8, 16], `${where}.trace_id`), 16);
    if (isZeroId(traceId)) throw new SpanDecodeError(`${where}: valid trace_id required`);
    const spanId = id(s.id, [8], `${where}.id`);
    const span: ZipkinSpan = { traceId, id: spanId, name: s.name ?? '', annotations: [], tags: new Map(Object.entries(s.tags ?? {})) };
    if (s.parentId !== undefined && s.parentId.length > 0) {
      const parentId = id(s.parentId, [8], `${where}.parent_id`);
      if (!isZeroId(parentId)) span.parentId = parentId;
    }
    const kind = KINDS[s.kind ?? 0];
    if (kind !== undefined) span.kind = kind;
    const timestamp = micros(s.timestamp);
    if (timestamp > 0) span.timestamp = timestamp;
    const duration = micros(s.duration);
    if (duration > 0) span.duration = duration;
    const local = endpoint(s.localEndpoint, `${where}.local_endpoint`);
    if (local) span.localEndpoint = local;
    const remote = endpoint(s.remoteEndpoint, `${where}.remote_endpoint`);
    if (remote) span.remoteEndpoint = remote;
    span.annotations = (s.annotations ?? []).map((a) => ({ timestamp: micros(a.timestamp), value: a.value ?? '' }));
    return span;
  });
}
