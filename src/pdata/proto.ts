// OTLP binary protobuf: loads proto/ once with protobufjs reflection and encodes/decodes
// the Export requests and responses and google.rpc.Status to and from the pdata model.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protobuf from 'protobufjs';
import type { RequestCodec } from './request-codec.js';
import { createRequestCodec } from './request-codec.js';
import type { ResourcesOf, Signal } from './types.js';

/** A request body, response body or Status that could not be decoded: always the sender's fault. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/** `partial_success` of an Export response: how many items the server rejected, and why. */
export interface PartialSuccess {
  /** rejected_log_records / rejected_spans / rejected_data_points. */
  rejected: number;
  errorMessage: string;
}

/** A decoded Export*ServiceResponse; partialSuccess is absent on full success. */
export interface ExportResponse {
  partialSuccess?: PartialSuccess;
}

/** google.protobuf.Any: a serialized message and the URL naming its type. */
export interface AnyMessage {
  typeUrl: string;
  value: Uint8Array;
}

/** google.rpc.Status, the body of OTLP/HTTP error responses. */
export interface RpcStatus {
  code: number;
  message: string;
  details: AnyMessage[];
}

const PROTO_FILES = [
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
];

// `../../proto/` is the repository's proto/ from both src/pdata and dist/pdata.
const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports are written relative to proto/ ("opentelemetry/proto/common/v1/common.proto").
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
  root.loadSync(PROTO_FILES, { keepCase: false });
  root.resolveAll();
  buildConstructors(root);
  return root;
}

/**
 * protobufjs's oneof setter (run by the decoder for every AnyValue, NumberDataPoint,
 * Exemplar and proto3 `optional` field) deletes each sibling field whether or not it is
 * there. Deleting only the siblings that are own properties does the same thing and made
 * decoding 1000 log records (6 attributes each) go from 2.3 ms to 1.4 ms. The setter is
 * captured when a type's constructor is built, so we swap it in only while building ours.
 */
function buildConstructors(root: protobuf.Root): void {
  const util = protobuf.util as unknown as { oneOfSetter: (fieldNames: string[]) => (name: string) => void };
  const original = util.oneOfSetter;
  util.oneOfSetter = (fieldNames) =>
    function setOneOf(this: Record<string, unknown>, name: string): void {
      for (let i = 0; i < fieldNames.length; i++) {
        const sibling = fieldNames[i]!;
        if (sibling !== name && Object.prototype.hasOwnProperty.call(this, sibling)) delete this[sibling];
      }
    };
  try {
    const visit = (ns: protobuf.NamespaceBase): void => {
      for (const nested of ns.nestedArray) {
        if (nested instanceof protobuf.Type) unsetOneofDefaults(nested);
        if (nested instanceof protobuf.Namespace) visit(nested);
      }
    };
    visit(root);
  } finally {
    util.oneOfSetter = original;
  }
}

/**
 * Reflection puts each oneof member's zero value on the prototype (stringValue '',
 * intValue 0, …), so an unset member reads as set: `v.stringValue != null` is true for
 * an int attribute. Static protobufjs code uses null there; so do we, which makes a
 * decoded message read like one built by hand (only the member that is set is non-null).
 * proto3 `optional` fields (synthetic oneofs: histogram sum/min/max) get null too.
 */
function unsetOneofDefaults(type: protobuf.Type): void {
  const proto = type.ctor.prototype as Record<string, unknown>;
  for (const field of type.fieldsArray) if (field.partOf) proto[field.name] = null;
}

/** The reflection root holding every OTLP type (camelCase field names). */
export const otlpRoot: protobuf.Root = loadRoot();

const COLLECTOR = 'opentelemetry.proto.collector';

/** ExportLogsServiceRequest / ExportTraceServiceRequest / ExportMetricsServiceRequest. */
export const requestTypes: Readonly<Record<Signal, protobuf.Type>> = {
  logs: otlpRoot.lookupType(`${COLLECTOR}.logs.v1.ExportLogsServiceRequest`),
  traces: otlpRoot.lookupType(`${COLLECTOR}.trace.v1.ExportTraceServiceRequest`),
  metrics: otlpRoot.lookupType(`${COLLECTOR}.metrics.v1.ExportMetricsServiceRequest`),
};

/** Export*ServiceResponse for each signal. */
export const responseTypes: Readonly<Record<Signal, protobuf.Type>> = {
  logs: otlpRoot.lookupType(`${COLLECTOR}.logs.v1.ExportLogsServiceResponse`),
  traces: otlpRoot.lookupType(`${COLLECTOR}.trace.v1.ExportTraceServiceResponse`),
  metrics: otlpRoot.lookupType(`${COLLECTOR}.metrics.v1.ExportMetricsServiceResponse`),
};

export const statusType: protobuf.Type = otlpRoot.lookupType('google.rpc.Status');

// protobufjs substitutes its bundled google/protobuf/any.proto for ours (same wire format), and
// the bundled copy keeps the .proto field names: read them rather than assume camelCase.
const anyType = otlpRoot.lookupType('google.protobuf.Any');
const ANY_TYPE_URL = anyType.fieldsById[1]!.name;
const ANY_VALUE = anyType.fieldsById[2]!.name;

/** The request field that holds the resources, per signal (camelCase, as decoded). */
export const RESOURCES_FIELD: Readonly<Record<Signal, 'resourceLogs' | 'resourceSpans' | 'resourceMetrics'>> = {
  logs: 'resourceLogs',
  traces: 'resourceSpans',
  metrics: 'resourceMetrics',
};

/** The partial-success field that counts rejected items, per signal. */
export const REJECTED_FIELD: Readonly<Record<Signal, 'rejectedLogRecords' | 'rejectedSpans' | 'rejectedDataPoints'>> = {
  logs: 'rejectedLogRecords',
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
};

/** The element type of each signal's resources array (ResourceLogs, ResourceSpans, ResourceMetrics). */
export const resourceTypes: Readonly<Record<Signal, protobuf.Type>> = {
  logs: otlpRoot.lookupType('opentelemetry.proto.logs.v1.ResourceLogs'),
  traces: otlpRoot.lookupType('opentelemetry.proto.trace.v1.ResourceSpans'),
  metrics: otlpRoot.lookupType('opentelemetry.proto.metrics.v1.ResourceMetrics'),
};

// A decoded message seen as a record of its fields; protobufjs gives us nothing more precise.
export type Fields = Record<string, unknown>;

function decodeWith(type: protobuf.Type, bytes: Uint8Array): Fields {
  // A Buffer (a view, not a copy) makes protobufjs decode bytes fields as Buffers whatever the
  // caller passed, so ids always have .toString('hex'); it also decodes strings faster.
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = protobuf.Reader.create(buffer);
  try {
    return type.decode(reader) as unknown as Fields;
  } catch (err) {
    // protobufjs's messages ("index out of range", "invalid wire type 7 at offset 3") do not
    // always say where; the reader's position when it gave up does.
    const why = err instanceof Error ? err.message : String(err);
    throw new OtlpDecodeError(`invalid protobuf ${type.name}: ${why} (at byte ${reader.pos} of ${bytes.length})`);
  }
}

const lookup = (name: string): protobuf.Type => otlpRoot.lookupType(name);
const resourceType = lookup('opentelemetry.proto.resource.v1.Resource');
const scopeType = lookup('opentelemetry.proto.common.v1.InstrumentationScope');

/**
 * The request codecs of the hot path (request-codec.ts). Decoding every item into objects and
 * encoding them again was 65 % of Ferry's main thread at saturation (protobufjs 22 %, garbage
 * collection 34 %; bench logs-http-protobuf-max, 100 records of 8–12 attributes per request,
 * ~37k records per CPU-second); items that no processor reads now stay bytes end to end.
 */
const codecs: Readonly<Record<Signal, RequestCodec>> = {
  logs: createRequestCodec(
    { resourceX: resourceTypes.logs, scopeX: lookup('opentelemetry.proto.logs.v1.ScopeLogs'), item: lookup('opentelemetry.proto.logs.v1.LogRecord'), resource: resourceType, scope: scopeType },
    'scopeLogs',
    'logRecords',
    false,
  ),
  traces: createRequestCodec(
    { resourceX: resourceTypes.traces, scopeX: lookup('opentelemetry.proto.trace.v1.ScopeSpans'), item: lookup('opentelemetry.proto.trace.v1.Span'), resource: resourceType, scope: scopeType },
    'scopeSpans',
    'spans',
    false,
  ),
  metrics: createRequestCodec(
    { resourceX: resourceTypes.metrics, scopeX: lookup('opentelemetry.proto.metrics.v1.ScopeMetrics'), item: lookup('opentelemetry.proto.metrics.v1.Metric'), resource: resourceType, scope: scopeType },
    'scopeMetrics',
    'metrics',
    true,
  ),
};

/**
 * Decode an Export*ServiceRequest body into its resources (protobufjs message instances: int64
 * as Long, bytes as Buffer). Bytes fields (ids, bytesValue) are views into `bytes`, so the
 * caller must not reuse that buffer while the batch lives. Fields unknown to our .proto files
 * are skipped, as the OpenTelemetry Collector does. Items (log records, spans, metrics) are
 * checked as protobufjs would decode them but kept as bytes until first read (lazy.ts).
 */
export function decodeExportRequest<S extends Signal>(signal: S, bytes: Uint8Array): ResourcesOf[S] {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = protobuf.Reader.create(buffer);
  try {
    return codecs[signal].decode(reader, buffer) as unknown as ResourcesOf[S];
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new OtlpDecodeError(`invalid protobuf ${requestTypes[signal].name}: ${why} (at byte ${reader.pos} of ${bytes.length})`);
  }
}

/**
 * Encode resources as an Export*ServiceRequest body; undecoded items are copied as they came.
 * `alloc` gives the buffer to write into (exactly `size` bytes, all of them overwritten);
 * by default a new one.
 */
export function encodeExportRequest<S extends Signal>(signal: S, resources: ResourcesOf[S], alloc?: (size: number) => Buffer): Uint8Array {
  return codecs[signal].encode(resources as unknown as Fields[], alloc);
}

/** Encode an Export*ServiceResponse; pass partialSuccess only when something was rejected or to warn. */
export function encodeExportResponse(signal: Signal, partialSuccess?: PartialSuccess): Uint8Array {
  const response: Fields = {};
  if (partialSuccess) {
    response.partialSuccess = { [REJECTED_FIELD[signal]]: partialSuccess.rejected, errorMessage: partialSuccess.errorMessage };
  }
  return responseTypes[signal].encode(response).finish();
}

/** Decode an Export*ServiceResponse (what an OTLP exporter reads back). */
export function decodeExportResponse(signal: Signal, bytes: Uint8Array): ExportResponse {
  const response = decodeWith(responseTypes[signal], bytes);
  const partial = ownField(response, 'partialSuccess') as Fields | undefined;
  if (!partial) return {};
  return {
    partialSuccess: {
      rejected: int64ToNumber(partial[REJECTED_FIELD[signal]]),
      errorMessage: String(partial.errorMessage ?? ''),
    },
  };
}

/** Encode a google.rpc.Status (OTLP/HTTP error body). */
export function encodeStatus(status: { code?: number; message: string; details?: AnyMessage[] }): Uint8Array {
  return statusType.encode(statusToMessage(status)).finish();
}

/** Decode a google.rpc.Status. */
export function decodeStatus(bytes: Uint8Array): RpcStatus {
  return statusFromMessage(decodeWith(statusType, bytes));
}

/** A decoded google.rpc.Status message (from protobuf or JSON) as an RpcStatus. */
export function statusFromMessage(status: Fields): RpcStatus {
  const details = (status.details as Fields[] | undefined) ?? [];
  return {
    code: Number(status.code ?? 0),
    message: String(status.message ?? ''),
    details: details.map((d) => ({ typeUrl: String(d[ANY_TYPE_URL] ?? ''), value: (d[ANY_VALUE] as Uint8Array | undefined) ?? new Uint8Array(0) })),
  };
}

/** An RpcStatus as a google.rpc.Status message the encoders accept. */
export function statusToMessage(status: { code?: number; message: string; details?: AnyMessage[] }): Fields {
  const details = (status.details ?? []).map((d) => ({ [ANY_TYPE_URL]: d.typeUrl, [ANY_VALUE]: d.value }));
  return { code: status.code ?? 0, message: status.message, details };
}

function ownField(message: Fields, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(message, name) ? message[name] : undefined;
}

/** int64 as Long, number, bigint or decimal string → number (exact up to 2^53, which counts never reach). */
export function int64ToNumber(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  if (typeof value === 'object' && typeof (value as { toNumber?: unknown }).toNumber === 'function') {
    return (value as { toNumber(): number }).toNumber();
  }
  return Number(value);
}
