// JSON text for HEC events, written by hand so that 64-bit integers keep every digit
// (JSON.parse/stringify would round them to a double) and numbers read as the Go exporter writes them.
import type { AnyValue, Int64 } from '../../pdata/types.js';
import { int64String, jsonDoubleOrString, rawJson, valueAsString, valueType } from '../../pdata/value.js';

export const jsonString = (s: string): string => JSON.stringify(s);

/** A double as a HEC value: a JSON number, or "NaN" / "+Inf" / "-Inf" as strings (JSON has no such numbers). */
export const jsonDouble = jsonDoubleOrString;

/** Go's strconv.FormatFloat(f, 'g', -1, 64): shortest digits; exponent form (1e+06, 1e-05) below 1e-4 and from 1e6 up. */
export function formatG(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mantissa = '0', expText = '0'] = f.toExponential().split('e');
  const exp = Number(expText);
  // For the shortest form Go decides with precision 6: %e when the exponent is < -4 or >= 6.
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return String(f);
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent. */
export function formatF(f: number): string {
  if (!Number.isFinite(f)) return formatG(f);
  const s = String(f);
  if (!s.includes('e')) return s;
  const [mantissa = '0', expText = '0'] = f.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= 0) out = digits.length > exp + 1 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : digits + '0'.repeat(exp + 1 - digits.length);
  else out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  return negative ? `-${out}` : out;
}

/** An int64 in any decoded shape as a JSON number with all its digits. */
export const jsonInt = (v: Int64 | null | undefined): string => int64String(v);

/** pcommon.Value.AsRaw() as JSON: what the Go exporter marshals for a log body or a field. */
export function rawValue(v: AnyValue | null | undefined): string {
  switch (valueType(v)) {
    case 'Empty':
      return 'null';
    case 'Str':
      return jsonString(v?.stringValue ?? '');
    case 'Bool':
      return v?.boolValue ? 'true' : 'false';
    case 'Int':
      return jsonInt(v?.intValue);
    case 'Double':
      return jsonDouble(v?.doubleValue ?? 0);
    case 'Bytes':
      return jsonString(Buffer.from(v?.bytesValue ?? []).toString('base64'));
    case 'Map':
    case 'Slice':
      // Map keys sorted, as Go's encoding/json writes them; NaN and ±Inf inside as strings too.
      return rawJson(v, jsonDouble);
  }
}

function isScalar(v: AnyValue | null | undefined): boolean {
  const t = valueType(v);
  return t !== 'Map' && t !== 'Slice';
}

/**
 * Put an attribute into HEC `fields` as the contrib exporter does (mergeValue): maps flatten
 * into dotted keys, arrays of scalars stay arrays, nested arrays become their JSON text.
 * Indexed fields must be flat, so nothing nested reaches Splunk.
 */
export function mergeField(fields: Map<string, string>, key: string, v: AnyValue | null | undefined): void {
  switch (valueType(v)) {
    case 'Map':
      for (const kv of v?.kvlistValue?.values ?? []) mergeField(fields, `${key}.${kv.key}`, kv.value);
      return;
    case 'Slice': {
      const values = v?.arrayValue?.values ?? [];
      fields.set(key, values.every(isScalar) ? `[${values.map(rawValue).join(',')}]` : jsonString(valueAsString(v)));
      return;
    }
    default:
      fields.set(key, rawValue(v));
  }
}

/** A JSON object from keys and JSON values, in order. */
export function jsonObject(entries: Iterable<readonly [string, string]>): string {
  const parts: string[] = [];
  for (const [k, v] of entries) parts.push(`${jsonString(k)}:${v}`);
  return `{${parts.join(',')}}`;
}

/** Nanoseconds since the epoch as HEC's `time`: seconds with millisecond decimals (1433188255.5); undefined for 0. */
export function hecTime(ns: Int64 | null | undefined): string | undefined {
  const n = BigInt(int64String(ns));
  if (n <= 0n) return undefined;
  const ms = (n + 500_000n) / 1_000_000n;
  return JSON.stringify(Number(ms) / 1000);
}
