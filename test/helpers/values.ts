// OTLP values as plain JavaScript, for comparing what arrived with what was sent:
// one AnyValue → string/boolean/number/array/object (bytes as hex), attributes → an object;
// and `str`, a string attribute, for building test data.
import type { AnyValue, KeyValue } from '../../src/pdata/types.js';

export function plain(v: AnyValue | null | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return typeof v.intValue === 'number' ? v.intValue : Number(v.intValue.toString());
  if (v.doubleValue != null) return v.doubleValue;
  if (v.arrayValue) return v.arrayValue.values.map(plain);
  if (v.kvlistValue) return attrs(v.kvlistValue.values);
  if (v.bytesValue) return Buffer.from(v.bytesValue).toString('hex');
  return null;
}

export function attrs(kvs: readonly KeyValue[] | null | undefined): Record<string, unknown> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, plain(kv.value)]));
}

/** A string attribute. */
export const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
