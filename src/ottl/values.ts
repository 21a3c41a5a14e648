// OTTL's run-time values over Ferry's pdata: ints are bigint (int64 exact), floats are number,
// maps and lists are live views of the AnyValue/KeyValue arrays they came from (so that an editor
// changes the data in place), times and durations keep nanoseconds.
import Long from 'long';
import type { AnyValue, Int64, KeyValue } from '../pdata/types.js';
import { int64String, isSet, rawJson } from '../pdata/value.js';
import { OttlRuntimeError } from './errors.js';

/** pcommon.Map: the key/value list of a holder, read and written in place. */
export class OMap {
  constructor(public kvs: KeyValue[]) {}
}
/** pcommon.Slice: the values of an array, read and written in place. */
export class OList {
  constructor(public values: AnyValue[]) {}
}
/** time.Time, in nanoseconds since the epoch. */
export class OTime {
  constructor(readonly ns: bigint) {}
}
/** time.Duration, in nanoseconds. */
export class ODuration {
  constructor(readonly ns: bigint) {}
}

export type Value = null | string | boolean | bigint | number | Uint8Array | OMap | OList | OTime | ODuration;

/** Static types the checker knows; `any` when only the run time can tell. */
export type Ty = 'any' | 'nil' | 'string' | 'bool' | 'int' | 'float' | 'bytes' | 'map' | 'list' | 'time' | 'duration';

export function typeOf(v: Value): Ty {
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
  }
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof OMap) return 'map';
  if (v instanceof OList) return 'list';
  if (v instanceof OTime) return 'time';
  return 'duration';
}

/** The Go type names the Collector's error messages use. */
export const GO_TYPE: Readonly<Record<Ty, string>> = {
  any: 'any',
  nil: 'nil',
  string: 'string',
  bool: 'bool',
  int: 'int64',
  float: 'float64',
  bytes: '[]byte',
  map: 'pcommon.Map',
  list: 'pcommon.Slice',
  time: 'time.Time',
  duration: 'time.Duration',
};

export function int64ToBigInt(v: Int64 | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return BigInt(int64String(v));
}

/** An int64 for an encoder field: a number when it fits, else a Long. */
export function bigIntToInt64(b: bigint): Int64 {
  if (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(b);
  return Long.fromString(BigInt.asIntN(64, b).toString());
}
/** A uint64 (timestamps, counts). */
export function bigIntToUint64(b: bigint): Int64 {
  if (b >= 0n && b <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(b);
  return Long.fromString(BigInt.asUintN(64, b).toString(), true);
}

/** A decoded message's own array for `field`, created when it reads one shared from the prototype. */
export function ownArray<T>(holder: object, field: string): T[] {
  const h = holder as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(h, field) || !Array.isArray(h[field]) || Object.isFrozen(h[field])) {
    h[field] = Array.isArray(h[field]) ? [...(h[field] as T[])] : [];
  }
  return h[field] as T[];
}

/** An AnyValue as an OTTL value: maps and lists stay live views of it. */
export function fromAny(v: AnyValue | null | undefined): Value {
  if (v === null || v === undefined) return null;
  if (isSet(v, 'stringValue')) return v.stringValue as string;
  if (isSet(v, 'boolValue')) return v.boolValue as boolean;
  if (isSet(v, 'intValue')) return int64ToBigInt(v.intValue);
  if (isSet(v, 'doubleValue')) return v.doubleValue as number;
  if (isSet(v, 'kvlistValue')) return new OMap(ownArray<KeyValue>(v.kvlistValue as object, 'values'));
  if (isSet(v, 'arrayValue')) return new OList(ownArray<AnyValue>(v.arrayValue as object, 'values'));
  if (isSet(v, 'bytesValue')) return v.bytesValue as Uint8Array;
  return null;
}

/** An OTTL value as a new AnyValue (maps and lists copied: a value set in two places is never shared). */
export function toAny(v: Value): AnyValue {
  if (v === null) return {};
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    case 'bigint':
      return { intValue: bigIntToInt64(v) };
    case 'number':
      return { doubleValue: v };
  }
  if (v instanceof Uint8Array) return { bytesValue: Uint8Array.from(v) };
  if (v instanceof OMap) return { kvlistValue: { values: copyKvs(v.kvs) } };
  if (v instanceof OList) return { arrayValue: { values: v.values.map(copyAny) } };
  if (v instanceof OTime) throw new OttlRuntimeError('a time.Time cannot be stored in an attribute or body; convert it first, e.g. with UnixNano() or FormatTime()');
  throw new OttlRuntimeError('a time.Duration cannot be stored in an attribute or body; convert it first');
}

export function copyAny(v: AnyValue | null | undefined): AnyValue {
  return toAny(fromAny(v));
}
export function copyKvs(kvs: readonly KeyValue[]): KeyValue[] {
  return kvs.map((kv) => ({ key: kv.key, value: copyAny(kv.value) }));
}

/** pcommon.Map.Get: first entry wins. */
export function mapGet(kvs: readonly KeyValue[], key: string): AnyValue | undefined {
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i] as KeyValue;
    if (kv.key === key) return kv.value ?? {};
  }
  return undefined;
}
export function mapPut(kvs: KeyValue[], key: string, value: AnyValue): void {
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i] as KeyValue;
    if (kv.key === key) {
      kv.value = value;
      return;
    }
  }
  kvs.push({ key, value });
}
export function mapRemoveIf(kvs: KeyValue[], drop: (kv: KeyValue) => boolean): void {
  let w = 0;
  for (let r = 0; r < kvs.length; r++) {
    const kv = kvs[r] as KeyValue;
    if (!drop(kv)) kvs[w++] = kv;
  }
  kvs.length = w;
}

/** pcommon.Value.AsString() of a value: what Concat, String and the *_pattern functions read. */
export function asString(v: Value): string {
  if (v === null) return '';
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'number':
      return String(v);
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v instanceof OMap) return rawJson({ kvlistValue: { values: v.kvs } });
  if (v instanceof OList) return rawJson({ arrayValue: { values: v.values } });
  if (v instanceof OTime) return new Date(Number(v.ns / 1_000_000n)).toISOString();
  return `${v.ns}ns`;
}

/** Go's fmt %v-ish rendering of a value, for messages. */
export function describe(v: Value): string {
  return typeof v === 'string' ? JSON.stringify(v) : `${asString(v)} (${GO_TYPE[typeOf(v)]})`;
}

/** A JSON value (ParseJSON, ParseKeyValue's results) as an OTTL map/list/scalar, the way pcommon's FromRaw reads it. */
export function fromJson(j: unknown): Value {
  if (j === null || j === undefined) return null;
  if (typeof j === 'string' || typeof j === 'boolean') return j;
  if (typeof j === 'number') return j; // encoding/json decodes every number as float64
  if (Array.isArray(j)) return new OList(j.map((x) => toAny(fromJson(x))));
  return new OMap(Object.entries(j as Record<string, unknown>).map(([key, x]) => ({ key, value: toAny(fromJson(x)) })));
}

/** Deep equality for == on maps, lists, bytes (reflect.DeepEqual on their raw forms). */
export function deepEqual(a: Value, b: Value): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  if ((a instanceof OMap && b instanceof OMap) || (a instanceof OList && b instanceof OList)) return asString(a) === asString(b);
  if (a instanceof OTime && b instanceof OTime) return a.ns === b.ns;
  if (a instanceof ODuration && b instanceof ODuration) return a.ns === b.ns;
  return false;
}
