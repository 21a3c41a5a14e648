// Attributes built the way the Collector's translators build a pcommon.Map: insertion order,
// a later put of the same key replaces the value in place.
import type { AnyValue, KeyValue } from '../pdata/types.js';

/** Attributes in insertion order with Go's map semantics (a later put replaces). */
export class AttributeMap {
  private readonly values = new Map<string, AnyValue>();
  put(key: string, value: AnyValue): void {
    this.values.set(key, value);
  }
  get(key: string): AnyValue | undefined {
    return this.values.get(key);
  }
  has(key: string): boolean {
    return this.values.has(key);
  }
  delete(key: string): void {
    this.values.delete(key);
  }
  get size(): number {
    return this.values.size;
  }
  toKeyValues(): KeyValue[] {
    return [...this.values].map(([key, value]) => ({ key, value }));
  }
}

