// Attribute values and attribute lists as processors read and change them: pcommon's
// type names and AsString, values from YAML, and get/put/remove on KeyValue lists.
import type { AnyValue, KeyValue } from '../../pdata/types.js';
import type { ValueType } from '../../pdata/value.js';
import { valueAsString, valueType } from '../../pdata/value.js';

// pcommon.Value's type and AsString() live with the debug exporter, which prints them; the
// processors need the very same semantics (convert to string, regexp matching on values).
export type { ValueType };
export { valueAsString, valueType };

/** Something that owns an attribute list: a resource, scope, log record, span or data point. */
export interface HasAttributes {
  attributes?: KeyValue[];
}

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * The holder's own attribute list, created when missing. A decoded message without the
 * field may read an empty list from its prototype: that one is shared and must never grow.
 */
export function ownAttributes(holder: HasAttributes): KeyValue[] {
  if (!hasOwn(holder, 'attributes') || !Array.isArray(holder.attributes)) holder.attributes = [];
  return holder.attributes as KeyValue[];
}

/** The value of `key` (first entry wins, as pcommon.Map.Get), or undefined when absent. */
export function getAttribute(attrs: readonly KeyValue[] | undefined, key: string): AnyValue | undefined {
  if (!attrs) return undefined;
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    if (kv.key === key) return kv.value ?? {};
  }
  return undefined;
}

export function hasAttribute(attrs: readonly KeyValue[] | undefined, key: string): boolean {
  return getAttribute(attrs, key) !== undefined;
}

/** Set `key` to `value`: replaces the first entry's value, or appends one. */
export function putAttribute(attrs: KeyValue[], key: string, value: AnyValue): void {
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    if (kv.key === key) {
      kv.value = value;
      return;
    }
  }
  attrs.push({ key, value });
}

/** Remove every entry with this key (duplicates are invalid OTLP; a delete must not leave one behind). */
export function removeAttribute(attrs: KeyValue[], key: string): void {
  let w = 0;
  for (let r = 0; r < attrs.length; r++) {
    const kv = attrs[r]!;
    if (kv.key !== key) attrs[w++] = kv;
  }
  attrs.length = w;
}

/** A value as YAML gave it (string, number, boolean, list, map) as an AnyValue, like pcommon's FromRaw. */
export function valueFromRaw(raw: unknown): AnyValue {
  if (raw === null || raw === undefined) return {};
  if (typeof raw === 'string') return { stringValue: raw };
  if (typeof raw === 'boolean') return { boolValue: raw };
  // YAML `1.0` already reads as the number 1 here, so whole numbers become ints: the
  // Collector would keep 1.0 a double. Write it as a string and convert if that matters.
  if (typeof raw === 'number') return Number.isInteger(raw) ? { intValue: raw } : { doubleValue: raw };
  if (Array.isArray(raw)) return { arrayValue: { values: raw.map(valueFromRaw) } };
  if (typeof raw === 'object') {
    return { kvlistValue: { values: Object.entries(raw as Record<string, unknown>).map(([key, v]) => ({ key, value: valueFromRaw(v) })) } };
  }
  return { stringValue: String(raw) };
}

/** A fresh copy of a value, so that one inserted into many items is never shared between them. */
export function copyValue(v: AnyValue): AnyValue {
  if (v.arrayValue) return { arrayValue: { values: v.arrayValue.values.map(copyValue) } };
  if (v.kvlistValue) return { kvlistValue: { values: v.kvlistValue.values.map((kv) => ({ key: kv.key, value: copyValue(kv.value ?? {}) })) } };
  if (v.bytesValue) return { bytesValue: Buffer.from(v.bytesValue) };
  switch (valueType(v)) {
    case 'Str':
      return { stringValue: v.stringValue as string };
    case 'Bool':
      return { boolValue: v.boolValue as boolean };
    case 'Int':
      return { intValue: v.intValue as NonNullable<AnyValue['intValue']> };
    case 'Double':
      return { doubleValue: v.doubleValue as number };
    default:
      return {};
  }
}

/** pcommon's Value equality for matching: same type and same value (maps and lists by content). */
export function valuesEqual(a: AnyValue, b: AnyValue): boolean {
  const type = valueType(a);
  if (type !== valueType(b)) return false;
  switch (type) {
    case 'Str':
      return a.stringValue === b.stringValue;
    case 'Bool':
      return a.boolValue === b.boolValue;
    case 'Double':
      return a.doubleValue === b.doubleValue;
    default:
      // Ints as exact decimal text (Long or number), maps as JSON with sorted keys, bytes as base64.
      return valueAsString(a) === valueAsString(b);
  }
}
