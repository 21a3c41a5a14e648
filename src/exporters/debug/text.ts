// Rendering of OTLP values the way the Collector's pdata prints them (Go time strings,
// hex ids, `Str(value)`, enum names), shared by the normal and detailed formats.
import type { AnyValue, Int64, KeyValue } from '../../pdata/types.js';
import { int64String, valueAsString, valueType } from '../../pdata/value.js';

// The value helpers live in pdata (processors use them too); the debug formats import them from here.
export { int64String, isSet, valueAsString, valueType, type ValueType } from '../../pdata/value.js';

function int64BigInt(v: Int64 | null | undefined): bigint {
  const s = int64String(v);
  try {
    return BigInt(s);
  } catch {
    return 0n;
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * Nanoseconds since the epoch as Go's time.Time.String() in UTC:
 * "2020-02-11 20:26:13.000000789 +0000 UTC" (fraction trimmed of trailing zeros, or omitted).
 */
export function timestampString(v: Int64 | null | undefined): string {
  const ns = int64BigInt(v);
  let seconds = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    seconds -= 1n;
  }
  const d = new Date(Number(seconds) * 1000);
  if (Number.isNaN(d.getTime())) return `${ns} ns`;
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const fraction = frac === 0n ? '' : '.' + frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `${date} ${time}${fraction} +0000 UTC`;
}

/** A trace or span id as lower-case hex; empty when unset or all zeros, as pdata prints it. */
export { idHex as idString } from '../../pdata/value.js';

/** Go's `%f`: six decimals. */
export function fixed6(v: number | null | undefined): string {
  const n = v ?? 0;
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return n.toFixed(6);
}

/** Go's `%v` for a float64: shortest representation, exponent below 1e-4 or from 1e21. */
export function goFloat(v: number | null | undefined): string {
  const n = v ?? 0;
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp >= -4 && exp < 21) return String(n);
  // JavaScript writes e-5 / e+21; Go pads the exponent to two digits.
  return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

/** `Str(value)`, `Int(5)`, `Map({"a":1})`: how the detailed format shows a value. */
export function valueToString(v: AnyValue | null | undefined): string {
  return `${valueType(v)}(${valueAsString(v)})`;
}

/** `key=value` pairs, as the normal format writes attributes. */
export function attributePairs(attrs: readonly KeyValue[] | null | undefined): string[] {
  return (attrs ?? []).map((kv) => `${kv.key}=${valueAsString(kv.value)}`);
}

const SEVERITY_NAMES = ['Unspecified', 'Trace', 'Trace2', 'Trace3', 'Trace4', 'Debug', 'Debug2', 'Debug3', 'Debug4', 'Info', 'Info2', 'Info3', 'Info4', 'Warn', 'Warn2', 'Warn3', 'Warn4', 'Error', 'Error2', 'Error3', 'Error4', 'Fatal', 'Fatal2', 'Fatal3', 'Fatal4'];
const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODES = ['Unset', 'Ok', 'Error'];
const TEMPORALITIES = ['Unspecified', 'Delta', 'Cumulative'];

const enumName = (names: readonly string[], n: number | null | undefined): string => names[n ?? 0] ?? String(n);
export const severityName = (n: number | null | undefined): string => enumName(SEVERITY_NAMES, n);
export const spanKindName = (n: number | null | undefined): string => enumName(SPAN_KINDS, n);
export const statusCodeName = (n: number | null | undefined): string => enumName(STATUS_CODES, n);
export const temporalityName = (n: number | null | undefined): string => enumName(TEMPORALITIES, n);
