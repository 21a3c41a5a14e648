// Merging and origin tracking on their own: `::` keys, deep merge rules, which
// source a value is blamed on, keys that must never reach a prototype; and the
// "did you mean" suggestions.
import { describe, expect, it } from 'vitest';
import { Origins, mergeSource, unflattenKeys } from '../../src/config/merge.js';
import type { ConfigMap } from '../../src/config/merge.js';
import { parseYamlSource } from '../../src/config/load.js';
import { editDistance, knownList, nearest } from '../../src/config/suggest.js';

describe('unflattenKeys', () => {
  it('turns a::b::c keys into nested maps and merges them with written-out ones', () => {
    expect(unflattenKeys({ 'a::b::c': 1, a: { b: { d: 2 } }, 'x::y': [{ 'p::q': 3 }] })).toEqual({ a: { b: { c: 1, d: 2 } }, x: { y: [{ p: { q: 3 } }] } });
  });
});

describe('mergeSource', () => {
  it('deep-merges maps, replaces lists, scalars and nulls, and tracks each value to its source', () => {
    const origins = new Origins();
    const root: ConfigMap = {};
    mergeSource(root, { a: { list: [1, 2], keep: 'x', inner: { n: 1 } }, b: 1 }, 'one.yaml', origins);
    mergeSource(root, { a: { list: [3], inner: null }, c: 2 }, 'two.yaml', origins);
    expect(root).toEqual({ a: { list: [3], keep: 'x', inner: null }, b: 1, c: 2 });
    expect(origins.fileOf(['a', 'keep'])).toBe('one.yaml');
    expect(origins.fileOf(['a', 'list', 0])).toBe('two.yaml');
    expect(origins.fileOf(['a', 'inner', 'n'])).toBe('two.yaml');
    expect(origins.fileOf(['b'])).toBe('one.yaml');
    // A value filled in later (a default) is blamed on the deepest map that exists.
    expect(origins.fileOf(['a', 'not', 'there'])).toBe('two.yaml');
  });

  it('never lets a __proto__ key reach a prototype', () => {
    const parsed = parseYamlSource('p.yaml', '__proto__:\n  polluted: true\na:\n  __proto__:\n    polluted: true\n');
    expect(parsed.errors).toEqual([]);
    const root: ConfigMap = {};
    mergeSource(root, parsed.value as ConfigMap, 'p.yaml', new Origins());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(root)).toBe(Object.prototype);
    expect(Object.keys(root)).toEqual(['__proto__', 'a']);
  });
});

describe('suggestions', () => {
  it('counts a swap of neighbouring letters as one edit', () => {
    expect(editDistance('lgos', 'logs')).toBe(1);
    expect(editDistance('endpont', 'endpoint')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('finds the nearest candidate, ignoring case, _ and -, and nothing when all are far', () => {
    expect(nearest('otlp_http', ['otlp', 'otlphttp', 'debug'])).toBe('otlphttp');
    expect(nearest('Batch', ['batch', 'attributes'])).toBe('batch');
    expect(nearest('kafka', ['otlp', 'otlphttp', 'debug'])).toBeUndefined();
    expect(nearest('x', [])).toBeUndefined();
  });

  it('lists known words sorted', () => {
    expect(knownList(['b', 'a'])).toBe('a, b');
    expect(knownList([])).toBe('(none)');
  });
});
