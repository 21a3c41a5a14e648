// AnyValue as the Collector's pdata reads it: which member is set (decoded messages keep
// defaults on their prototype), and AsString(), used by processors and the debug exporter.
import type { AnyValue, Int64, KeyValue } from './types.js';

/** An int64/uint64 in any of its decoded shapes, as a decimal string. */
export function int64String(v: Int64 | null | undefined): string {
  if (v === null || v === undefined) return '0';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(Math.trunc(v));
  return v.toString();
}

/**
 * A trace or span id as lower-case hex; '' when missing or all zero (pdata's IsEmpty), and,
 * with `length`, also for an id of another byte length (the protobuf decoder does not check it).
 */
export function idHex(id: Uint8Array | null | undefined, length?: number): string {
  if (!id || (length !== undefined && id.byteLength !== length) || id.every((b) => b === 0)) return '';
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** An int64/uint64 (a nanosecond time, a count) in any of its decoded shapes, as a bigint; 0n when unset. */
export function int64BigInt(v: Int64 | null | undefined): bigint {
  try {
    return BigInt(int64String(v));
  } catch {
    return 0n;
  }
}

/** pdata's float64AsString: JavaScript's own number formatting (ES6 rules, as Go mimics). */
function doubleAsString(n: number): string {
  if (!Number.isFinite(n)) return `json: unsupported value: ${Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf'}`;
  return String(n);
}

/**
 * Whether a oneof member or proto3 `optional` field is set. Decoded protobufjs messages
 * carry every default on their prototype (stringValue "", bytesValue [] …), so only an
 * own, non-null property counts, as the encoder sees it.
 */
export function isSet<T extends object>(message: T | null | undefined, field: keyof T): boolean {
  return message !== null && message !== undefined && Object.prototype.hasOwnProperty.call(message, field) && message[field] !== null && message[field] !== undefined;
}

export type ValueType = 'Empty' | 'Str' | 'Bool' | 'Int' | 'Double' | 'Map' | 'Slice' | 'Bytes';

export function valueType(v: AnyValue | null | undefined): ValueType {
  if (isSet(v, 'stringValue')) return 'Str';
  if (isSet(v, 'boolValue')) return 'Bool';
  if (isSet(v, 'intValue')) return 'Int';
  if (isSet(v, 'doubleValue')) return 'Double';
  if (isSet(v, 'kvlistValue')) return 'Map';
  if (isSet(v, 'arrayValue')) return 'Slice';
  if (isSet(v, 'bytesValue')) return 'Bytes';
  return 'Empty';
}

/** Go's encoding/json string escaping (which also escapes <, > and &). */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** A float64 in JSON; Go's encoding/json has no form for NaN or ±Inf, written as the strings "NaN", "+Inf", "-Inf" rather than lose the value. */
export function jsonDoubleOrString(n: number): string {
  if (Number.isNaN(n)) return '"NaN"';
  if (!Number.isFinite(n)) return n > 0 ? '"+Inf"' : '"-Inf"';
  return String(n);
}

/**
 * The value as JSON the way Go marshals AsRaw(): map keys sorted (the last of duplicate keys
 * wins), bytes as base64, int64 exact. `formatDouble` writes float64s (default: pdata's AsString).
 */
export function rawJson(v: AnyValue | null | undefined, formatDouble: (n: number) => string = doubleAsString): string {
  switch (valueType(v)) {
    case 'Empty':
      return 'null';
    case 'Str':
      return goJsonString(v?.stringValue ?? '');
    case 'Bool':
      return String(v?.boolValue);
    case 'Int':
      return int64String(v?.intValue);
    case 'Double':
      return formatDouble(v?.doubleValue ?? 0);
    case 'Bytes':
      return goJsonString(Buffer.from(v?.bytesValue ?? []).toString('base64'));
    case 'Slice':
      return '[' + (v?.arrayValue?.values ?? []).map((x) => rawJson(x, formatDouble)).join(',') + ']';
    case 'Map':
      return kvlistJson(v?.kvlistValue?.values ?? [], formatDouble);
  }
}

/** A map[string]any (attributes) as JSON, as rawJson writes a Map. */
export function kvlistJson(kvs: readonly KeyValue[], formatDouble: (n: number) => string = doubleAsString): string {
  const entries = new Map<string, AnyValue | null | undefined>();
  for (const kv of kvs) entries.set(kv.key, kv.value);
  const keys = [...entries.keys()].sort();
  return '{' + keys.map((k) => `${goJsonString(k)}:${rawJson(entries.get(k), formatDouble)}`).join(',') + '}';
}

/** pcommon.Value.AsString(). */
export function valueAsString(v: AnyValue | null | undefined): string {
  switch (valueType(v)) {
    case 'Empty':
      return '';
    case 'Str':
      return v?.stringValue ?? '';
    case 'Bool':
      return String(v?.boolValue);
    case 'Int':
      return int64String(v?.intValue);
    case 'Double':
      return doubleAsString(v?.doubleValue ?? 0);
    case 'Bytes':
      return Buffer.from(v?.bytesValue ?? []).toString('base64');
    case 'Map':
    case 'Slice':
      return rawJson(v);
  }
}
