// OTLP/JSON: the spec's JSON mapping of the same messages proto.ts decodes, walked generically
// over the protobufjs reflection types; decoded JSON is indistinguishable from decoded protobuf.
import protobuf from 'protobufjs';
import type LongType from 'long';
import {
  OtlpDecodeError,
  REJECTED_FIELD,
  RESOURCES_FIELD,
  int64ToNumber,
  requestTypes,
  responseTypes,
  statusFromMessage,
  statusToMessage,
  statusType,
} from './proto.js';
import type { AnyMessage, ExportResponse, Fields, PartialSuccess, RpcStatus } from './proto.js';
import type { ResourcesOf, Signal } from './types.js';

// The Long class protobufjs decodes with (the CommonJS build of `long`), so that JSON and
// protobuf produce the same kind of object.
const Long = protobuf.util.Long as unknown as typeof LongType;

const enum Kind {
  Message,
  Enum,
  String,
  Bool,
  Int32,
  Uint32,
  Int64,
  Uint64,
  Double,
  Bytes,
  HexId,
}

interface FieldPlan {
  /** Property name on the message (protobufjs camelCase). */
  readonly name: string;
  /** lowerCamelCase JSON key the encoder writes, quoted and followed by a colon: `"name":`. */
  readonly keyPrefix: string;
  /** The same after a comma, for every field but the first. */
  readonly nextKeyPrefix: string;
  readonly kind: Kind;
  readonly repeated: boolean;
  /** A oneof member or proto3 `optional`: set and written even when it holds the default value. */
  readonly presence: boolean;
  /** Other members of the same (real) oneof; at most one may be set. */
  readonly oneofSiblings: readonly string[];
  readonly oneofName: string;
  /** For Kind.HexId: bytes in a valid id (16 for trace ids, 8 for span ids). */
  readonly idBytes: number;
  readonly enumType: protobuf.Enum | null;
  /** For Kind.Message, filled after construction (types are recursive: AnyValue → ArrayValue → AnyValue). */
  message: MessagePlan | null;
}

interface MessagePlan {
  readonly ctor: new () => Fields;
  readonly fields: FieldPlan[];
  /** JSON key → field, for lowerCamelCase keys and the original snake_case names. */
  readonly byKey: Map<string, FieldPlan>;
}

// The spec writes trace and span ids as hex, in every message that has them; other bytes stay base64.
const HEX_ID_BYTES: Readonly<Record<string, number>> = { traceId: 16, spanId: 8, parentSpanId: 8 };

const SCALAR_KINDS: Readonly<Record<string, Kind>> = {
  string: Kind.String,
  bool: Kind.Bool,
  int32: Kind.Int32,
  sint32: Kind.Int32,
  sfixed32: Kind.Int32,
  uint32: Kind.Uint32,
  fixed32: Kind.Uint32,
  int64: Kind.Int64,
  sint64: Kind.Int64,
  sfixed64: Kind.Int64,
  uint64: Kind.Uint64,
  fixed64: Kind.Uint64,
  double: Kind.Double,
  float: Kind.Double,
  bytes: Kind.Bytes,
};

const plans = new Map<protobuf.Type, MessagePlan>();

function planFor(type: protobuf.Type): MessagePlan {
  const cached = plans.get(type);
  if (cached) return cached;
  const plan: MessagePlan = { ctor: type.ctor as unknown as new () => Fields, fields: [], byKey: new Map() };
  plans.set(type, plan);
  const isAny = type.fullName === '.google.protobuf.Any';
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.map) throw new Error(`OTLP/JSON: map fields are not supported (${type.fullName}.${field.name})`);
    const resolved = field.resolvedType;
    let kind: Kind;
    if (resolved instanceof protobuf.Type) kind = Kind.Message;
    else if (resolved instanceof protobuf.Enum) kind = Kind.Enum;
    else if (field.type === 'bytes' && HEX_ID_BYTES[field.name] !== undefined) kind = Kind.HexId;
    else {
      const scalar = SCALAR_KINDS[field.type];
      if (scalar === undefined) throw new Error(`OTLP/JSON: unsupported field type ${field.type} in ${type.fullName}`);
      kind = scalar;
    }
    const oneof = field.partOf;
    // proto3 `optional` is a synthetic oneof of one field whose name starts with "_".
    const realOneof = oneof && oneof.oneof.length > 1 ? oneof : null;
    // google.protobuf.Any's type_url is "@type" in proto3 JSON. (protobufjs's bundled Any keeps
    // snake_case names, hence the camelCase conversion.)
    const camel = field.name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    const jsonName = isAny && field.id === 1 ? '@type' : camel;
    const fp: FieldPlan = {
      name: field.name,
      keyPrefix: `"${jsonName}":`,
      nextKeyPrefix: `,"${jsonName}":`,
      kind,
      repeated: field.repeated,
      presence: oneof !== null,
      oneofSiblings: realOneof ? realOneof.oneof.filter((n) => n !== field.name) : [],
      oneofName: realOneof ? realOneof.name : '',
      idBytes: HEX_ID_BYTES[field.name] ?? 0,
      enumType: resolved instanceof protobuf.Enum ? resolved : null,
      message: null,
    };
    plan.fields.push(fp);
    plan.byKey.set(jsonName, fp);
    plan.byKey.set(camel, fp);
    // Accept the .proto names too, as proto3 JSON parsers do (the OTLP spec allows only camelCase).
    plan.byKey.set(camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), fp);
    if (resolved instanceof protobuf.Type) fp.message = planFor(resolved);
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A problem at some JSON path; the path grows as the error unwinds to the top. */
class JsonPathError extends Error {
  constructor(
    public path: string,
    readonly problem: string,
  ) {
    super(problem);
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const s = value.length > 64 ? `${value.slice(0, 61)}...` : value;
    return JSON.stringify(s);
  }
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function fail(expected: string, got: unknown): never {
  throw new JsonPathError('', `expected ${expected}, got ${describeValue(got)}`);
}

function prefixPath(err: unknown, segment: string): unknown {
  if (err instanceof JsonPathError) err.path = segment + err.path;
  return err;
}

// protobufjs's limit for protobuf (protoc's default): AnyValue can nest without end otherwise.
const MAX_DEPTH = protobuf.util.recursionLimit;

function decodeMessage(plan: MessagePlan, json: unknown, depth: number): Fields {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('an object', json);
  if (depth > MAX_DEPTH) throw new JsonPathError('', `messages nested more than ${MAX_DEPTH} deep`);
  const message = new plan.ctor();
  const obj = json as Fields;
  for (const key in obj) {
    const field = plan.byKey.get(key);
    if (field === undefined) continue; // unknown fields MUST be ignored
    const value = obj[key];
    if (value === null) continue; // null means "not set" in proto3 JSON
    try {
      if (field.repeated) {
        if (!Array.isArray(value)) fail('an array', value);
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          try {
            out[i] = decodeValue(field, value[i], depth);
          } catch (err) {
            throw prefixPath(err, `[${i}]`);
          }
        }
        message[field.name] = out;
      } else {
        const decoded = decodeValue(field, value, depth);
        if (field.presence) {
          for (const sibling of field.oneofSiblings) {
            if (Object.prototype.hasOwnProperty.call(message, sibling)) {
              throw new JsonPathError('', `only one field of oneof "${field.oneofName}" may be set, and ${sibling} is set too`);
            }
          }
          message[field.name] = decoded;
        } else if (!isDefault(field.kind, decoded)) {
          // Like the protobuf decoder: a default value stays on the prototype, not the instance.
          message[field.name] = decoded;
        }
      }
    } catch (err) {
      throw prefixPath(err, `.${key}`);
    }
  }
  return message;
}

/**
 * Whether a value without presence is its type's default, which protobuf neither writes nor
 * (in protobufjs) keeps as an own property. Values may be hand-built: Long, number, string, bigint.
 */
function isDefault(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case Kind.Message:
      return false;
    case Kind.Int64:
    case Kind.Uint64:
      if (typeof value === 'object') return (value as LongType).low === 0 && (value as LongType).high === 0;
      return value === 0 || value === '0' || value === 0n;
    case Kind.Bytes:
    case Kind.HexId:
      return (value as Uint8Array).length === 0;
    case Kind.Double:
      return Object.is(value, 0); // -0 is written, as the protobuf encoder does
    default:
      return !value; // "", false, 0
  }
}

const DECIMAL = /^-?\d+$/;
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;
const HEX = /^[0-9a-fA-F]*$/;

function decodeValue(field: FieldPlan, value: unknown, depth: number): unknown {
  switch (field.kind) {
    case Kind.Message:
      return decodeMessage(field.message!, value, depth + 1);
    case Kind.String:
      if (typeof value !== 'string') fail('a string', value);
      return value;
    case Kind.Bool:
      if (typeof value !== 'boolean') fail('true or false', value);
      return value;
    case Kind.Int32:
      return decodeInt32(value, -0x80000000, 0x7fffffff);
    case Kind.Uint32:
      return decodeInt32(value, 0, 0xffffffff);
    case Kind.Int64:
      return decodeInt64(value, false);
    case Kind.Uint64:
      return decodeInt64(value, true);
    case Kind.Double:
      return decodeDouble(value);
    case Kind.Enum:
      return decodeEnum(field.enumType!, value);
    case Kind.Bytes:
      if (typeof value !== 'string' || !BASE64.test(value)) fail('a base64 string', value);
      return Buffer.from(value, 'base64');
    case Kind.HexId: {
      if (typeof value !== 'string') fail(`${field.idBytes * 2} hex characters`, value);
      if (value === '') return Buffer.alloc(0); // empty means absent
      if (value.length !== field.idBytes * 2 || !HEX.test(value)) fail(`${field.idBytes * 2} hex characters`, value);
      return Buffer.from(value, 'hex');
    }
  }
}

function decodeInt32(value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) fail('an integer', value);
  if (n < min || n > max) fail(`an integer from ${min} to ${max}`, value);
  return n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Thrown when an int64 came as a JSON number JSON.parse may have rounded: decode again from the text, exactly. */
class InexactInteger extends Error {}

function decodeInt64(value: unknown, unsigned: boolean): LongType {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || (unsigned && value < 0)) fail(unsigned ? 'a non-negative integer' : 'an integer', value);
    if (!Number.isSafeInteger(value) && exactRetry) throw new InexactInteger();
    return Long.fromNumber(value, unsigned);
  }
  if (typeof value !== 'string' || !DECIMAL.test(value)) fail('an integer or a decimal string', value);
  if (value.length <= 15 && !(unsigned && value[0] === '-')) return Long.fromNumber(Number(value), unsigned); // exact below 2^53
  // Timestamps: for 2000 of them BigInt took 0.18 ms where Long.fromString took 0.74 ms.
  const big = BigInt(value);
  if (unsigned ? big < 0n || big > UINT64_MAX : big < INT64_MIN || big > INT64_MAX) {
    fail(unsigned ? 'an integer from 0 to 18446744073709551615' : 'a 64-bit integer', value);
  }
  const bits = BigInt.asUintN(64, big);
  return Long.fromBits(Number(bits & 0xffffffffn) | 0, Number(bits >> 32n) | 0, unsigned);
}

function decodeDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isNaN(n)) return n;
  }
  fail('a number', value);
}

function decodeEnum(type: protobuf.Enum, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const byName = type.values[value];
    if (byName !== undefined) return byName;
    if (DECIMAL.test(value)) return Number(value);
  }
  fail(`an integer or a ${type.name} name`, value);
}

/**
 * Whether an int64 field holding an unsafe JSON number should ask for an exact decode (true
 * while decoding parsed text; false for objects given as they are, or on the exact pass).
 */
let exactRetry = false;

/**
 * The JSON text with every integer number token outside strings that is not a safe integer
 * turned into a string token (`1700000000123456789` → `"1700000000123456789"`), so int64
 * fields get their exact value (decodeInt64 reads decimal strings; double fields accept them).
 */
export function quoteLargeIntegers(text: string): string {
  const parts: string[] = [];
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: jump to its closing quote (one not escaped by an odd run of backslashes).
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end < 0) return text; // unterminated: JSON.parse reports it
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      i = end + 1;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      let d = text.charCodeAt(i);
      while (d >= 0x30 && d <= 0x39) d = text.charCodeAt(++i);
      if (d === 0x2e || d === 0x65 || d === 0x45) {
        // A fraction or an exponent: a double, left as it is.
        d = text.charCodeAt(++i);
        while ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) d = text.charCodeAt(++i);
        continue;
      }
      if (i - start >= 16 && !Number.isSafeInteger(Number(text.slice(start, i)))) {
        parts.push(text.slice(last, start), '"', text.slice(start, i), '"');
        last = i;
      }
      continue;
    }
    i++;
  }
  if (last === 0) return text;
  parts.push(text.slice(last));
  return parts.join('');
}

function inputText(input: unknown): string | undefined {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  return undefined;
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new OtlpDecodeError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * JSON.parse reads every number as a double: an int64 above 2^53 sent as a JSON number (proto3
 * JSON allows it) would lose its last digits silently (1700000000123456789 → …768). The spec's
 * form (int64 as strings) costs nothing extra; a request with such a number is decoded a second
 * time from its text with those tokens quoted (quoteLargeIntegers: 13 ms for 640 KB, 1000 log
 * records, against 36 ms for the decode itself).
 */
function decodeTop(type: protobuf.Type, input: unknown): Fields {
  const text = inputText(input);
  try {
    if (text === undefined) return decodeMessage(planFor(type), input, 0);
    exactRetry = true;
    try {
      return decodeMessage(planFor(type), parseText(text), 0);
    } catch (err) {
      if (!(err instanceof InexactInteger)) throw err;
    } finally {
      exactRetry = false;
    }
    return decodeMessage(planFor(type), parseText(quoteLargeIntegers(text)), 0);
  } catch (err) {
    if (!(err instanceof JsonPathError)) throw err;
    const path = err.path.startsWith('.') ? err.path.slice(1) : err.path;
    throw new OtlpDecodeError(path ? `${path}: ${err.problem}` : `${type.name}: ${err.problem}`);
  }
}

/**
 * Decode an OTLP/JSON Export request (text, UTF-8 bytes, or an already parsed value) into the
 * same message instances decodeExportRequest would produce from the protobuf encoding.
 * Errors are OtlpDecodeError naming the JSON path, e.g.
 * `resourceLogs[0].scopeLogs[0].logRecords[2].traceId: expected 32 hex characters, got "xyz"`.
 */
export function decodeJsonExportRequest<S extends Signal>(signal: S, input: unknown): ResourcesOf[S] {
  const request = decodeTop(requestTypes[signal], input);
  return request[RESOURCES_FIELD[signal]] as ResourcesOf[S];
}

/** Decode an OTLP/JSON Export*ServiceResponse. */
export function decodeJsonExportResponse(signal: Signal, input: unknown): ExportResponse {
  const response = decodeTop(responseTypes[signal], input);
  const partial = Object.prototype.hasOwnProperty.call(response, 'partialSuccess') ? (response.partialSuccess as Fields) : undefined;
  if (!partial) return {};
  return { partialSuccess: { rejected: int64ToNumber(partial[REJECTED_FIELD[signal]]), errorMessage: String(partial.errorMessage ?? '') } };
}

/** Decode a google.rpc.Status from JSON ("@type" and a base64 "value" for each detail). */
export function decodeJsonStatus(input: unknown): RpcStatus {
  return statusFromMessage(decodeTop(statusType, input));
}

// ---------------------------------------------------------------------------------------------
// Encoding

function encodeMessage(plan: MessagePlan, message: Fields, depth: number): string {
  if (depth > MAX_DEPTH) throw new Error('max depth exceeded'); // a cycle in hand-built data
  let out = '{';
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    // Exactly what the protobuf encoder writes: own, non-null, and non-default unless it has presence.
    if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
    const value = message[field.name];
    if (value == null) continue;
    if (field.repeated) {
      const list = value as unknown[];
      if (list.length === 0) continue;
      out += (out.length === 1 ? field.keyPrefix : field.nextKeyPrefix) + '[' + encodeValue(field, list[0], depth);
      for (let j = 1; j < list.length; j++) out += ',' + encodeValue(field, list[j], depth);
      out += ']';
    } else {
      if (!field.presence && isDefault(field.kind, value)) continue;
      out += (out.length === 1 ? field.keyPrefix : field.nextKeyPrefix) + encodeValue(field, value, depth);
    }
  }
  return `${out}}`;
}

function encodeValue(field: FieldPlan, value: unknown, depth: number): string {
  switch (field.kind) {
    case Kind.Message:
      return encodeMessage(field.message!, value as Fields, depth + 1);
    case Kind.String:
      return JSON.stringify(value);
    case Kind.Bool:
      return value ? 'true' : 'false';
    case Kind.Enum:
    case Kind.Int32:
      return String((value as number) | 0);
    case Kind.Uint32:
      return String((value as number) >>> 0);
    case Kind.Int64:
      return `"${int64ToDecimal(value, false)}"`;
    case Kind.Uint64:
      return `"${int64ToDecimal(value, true)}"`;
    case Kind.Double: {
      const n = value as number;
      if (Number.isFinite(n)) return Object.is(n, -0) ? '-0' : String(n);
      return Number.isNaN(n) ? '"NaN"' : n > 0 ? '"Infinity"' : '"-Infinity"';
    }
    case Kind.Bytes:
      return `"${asBuffer(value as Uint8Array).toString('base64')}"`;
    case Kind.HexId:
      return `"${asBuffer(value as Uint8Array).toString('hex')}"`;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decimal text of an int64 held as Long, number, bigint or string, read as the field's signedness. */
function int64ToDecimal(value: unknown, unsigned: boolean): string {
  if (typeof value === 'object' && value !== null) {
    const { low, high } = value as LongType;
    if (high === 0) return String(low >>> 0); // counts, small ints
    // Timestamps need all 64 bits. For 2000 of them BigInt took 0.13 ms, Long#toString 0.85 ms.
    const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    return (unsigned ? bits : BigInt.asIntN(64, bits)).toString();
  }
  if (typeof value === 'number') return BigInt(Math.trunc(value)).toString();
  if (typeof value === 'bigint') return value.toString();
  return Long.fromString(String(value), unsigned).toString();
}

/** Encode resources as an OTLP/JSON Export request: hex ids, enums as integers, 64-bit integers as strings. */
export function encodeJsonExportRequest<S extends Signal>(signal: S, resources: ResourcesOf[S]): string {
  return encodeMessage(planFor(requestTypes[signal]), { [RESOURCES_FIELD[signal]]: resources }, 0);
}

/** Encode an OTLP/JSON Export*ServiceResponse; `{}` on full success. */
export function encodeJsonExportResponse(signal: Signal, partialSuccess?: PartialSuccess): string {
  const response: Fields = {};
  if (partialSuccess) {
    response.partialSuccess = { [REJECTED_FIELD[signal]]: partialSuccess.rejected, errorMessage: partialSuccess.errorMessage };
  }
  return encodeMessage(planFor(responseTypes[signal]), response, 0);
}

/** Encode a google.rpc.Status as JSON; each detail as {"@type": typeUrl, "value": base64}. */
export function encodeJsonStatus(status: { code?: number; message: string; details?: AnyMessage[] }): string {
  return encodeMessage(planFor(statusType), statusToMessage(status), 0);
}
