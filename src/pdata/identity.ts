// When two resources or two scopes are the same one (same attributes, schema URL, name,
// version…), and how to reach each signal's scopes and items: what the batcher merges on.
import { metricPointCount } from './batch.js';
import { lazyItemCount } from './lazy.js';
import type { InstrumentationScope, KeyValue, Resource, Signal } from './types.js';
import { valueAsString, valueType } from './value.js';

/** Attributes in a form where order does not matter and types do: `"1"` and `1` differ. */
function attributesKey(attrs: readonly KeyValue[] | null | undefined): string {
  if (!attrs || attrs.length === 0) return '';
  const parts = new Array<string>(attrs.length);
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    const v = kv.value;
    // Strings are nearly every resource attribute: read them directly (2.5x faster than the general path).
    parts[i] = v != null && typeof v.stringValue === 'string' && Object.prototype.hasOwnProperty.call(v, 'stringValue') ? `${kv.key}\u0001S\u0001${v.stringValue}` : `${kv.key}\u0001${valueType(v)}\u0001${valueAsString(v)}`;
  }
  if (parts.length > 1) parts.sort();
  return parts.join('\u0002');
}

const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Identity of a resource container: its resource (attributes, dropped count, entity refs) and schema URL. */
export function resourceKey(container: { resource?: Resource | null; schemaUrl?: string }): string {
  const r = container.resource;
  const refs = r && own(r, 'entityRefs') && r.entityRefs && r.entityRefs.length > 0 ? JSON.stringify(r.entityRefs) : '';
  return `${container.schemaUrl ?? ''}\u0003${r ? 'r' : '-'}${r?.droppedAttributesCount ?? 0}\u0003${attributesKey(r?.attributes)}\u0003${refs}`;
}

/** Identity of a scope container: name, version, attributes, dropped count, and its schema URL. */
export function scopeKey(container: { scope?: InstrumentationScope | null; schemaUrl?: string }): string {
  const s = container.scope;
  return `${container.schemaUrl ?? ''}\u0003${s ? 's' : '-'}${s?.name ?? ''}\u0003${s?.version ?? ''}\u0003${s?.droppedAttributesCount ?? 0}\u0003${attributesKey(s?.attributes)}`;
}

const isString = (v: KeyValue['value']): v is { stringValue: string } => v != null && typeof v.stringValue === 'string' && own(v, 'stringValue');

/** Same attributes in the same order, all string-valued: the cheap check that usually decides. */
function sameStringAttributes(a: readonly KeyValue[] | null | undefined, b: readonly KeyValue[] | null | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p.key !== q.key || !isString(p.value) || !isString(q.value) || p.value.stringValue !== q.value.stringValue) return false;
  }
  return true;
}

/**
 * True when the two resource containers are certainly the same resource (a client repeating
 * itself); false means "compare the keys". Measured: a key costs about 1 µs for six attributes.
 */
export function sameResource(a: { resource?: Resource | null; schemaUrl?: string }, b: { resource?: Resource | null; schemaUrl?: string }): boolean {
  const x = a.resource;
  const y = b.resource;
  if ((a.schemaUrl ?? '') !== (b.schemaUrl ?? '') || !x || !y) return false;
  if ((x.droppedAttributesCount ?? 0) !== (y.droppedAttributesCount ?? 0)) return false;
  if ((own(x, 'entityRefs') && (x.entityRefs?.length ?? 0) > 0) || (own(y, 'entityRefs') && (y.entityRefs?.length ?? 0) > 0)) return false;
  return sameStringAttributes(x.attributes, y.attributes);
}

export function sameScope(a: { scope?: InstrumentationScope | null; schemaUrl?: string }, b: { scope?: InstrumentationScope | null; schemaUrl?: string }): boolean {
  const x = a.scope;
  const y = b.scope;
  if ((a.schemaUrl ?? '') !== (b.schemaUrl ?? '') || !x || !y) return false;
  if ((x.name ?? '') !== (y.name ?? '') || (x.version ?? '') !== (y.version ?? '') || (x.droppedAttributesCount ?? 0) !== (y.droppedAttributesCount ?? 0)) return false;
  return sameStringAttributes(x.attributes, y.attributes);
}

/** Generic access to one signal's resource → scope → item containers. */
export interface Shape {
  scopes(resource: object): object[];
  /** A shallow copy of the resource container holding `scopes`. */
  withScopes(resource: object, scopes: object[]): object;
  items(scope: object): unknown[];
  /** A shallow copy of the scope container holding `items`. */
  withItems(scope: object, items: unknown[]): object;
  /** Items in the scope as the batch counts them (metrics: data points), without decoding lazy ones. */
  count(scope: object): number;
}

type AnyRecord = Record<string, unknown>;

function shape(scopesField: string, itemsField: string, count: (scope: object) => number): Shape {
  return {
    scopes: (r) => ((r as AnyRecord)[scopesField] as object[] | undefined) ?? [],
    withScopes: (r, scopes) => ({ ...(r as AnyRecord), [scopesField]: scopes }),
    items: (s) => ((s as AnyRecord)[itemsField] as unknown[] | undefined) ?? [],
    withItems: (s, items) => ({ ...(s as AnyRecord), [itemsField]: items }),
    count: (s) => lazyItemCount(s) ?? count(s),
  };
}

export const SHAPES: Readonly<Record<Signal, Shape>> = {
  logs: shape('scopeLogs', 'logRecords', (s) => ((s as AnyRecord).logRecords as unknown[] | undefined)?.length ?? 0),
  traces: shape('scopeSpans', 'spans', (s) => ((s as AnyRecord).spans as unknown[] | undefined)?.length ?? 0),
  metrics: shape('scopeMetrics', 'metrics', (s) => {
    let n = 0;
    for (const m of ((s as AnyRecord).metrics as Parameters<typeof metricPointCount>[0][] | undefined) ?? []) n += metricPointCount(m);
    return n;
  }),
};
