// The attribute action engine shared by the resource and attributes processors: each action's
// effect with the Collector's semantics, from_context, hash (SHA-256), extract, convert, checks.
import { describe, expect, it } from 'vitest';
import type { ActionConfig } from '../../../src/processors/internal/actions.js';
import { compileActions, convertValue, hashValue, validateActions } from '../../../src/processors/internal/actions.js';
import type { RequestContext } from '../../../src/pdata/batch.js';
import type { KeyValue } from '../../../src/pdata/types.js';
import { attrsOf, kvs, plain } from '../helpers.js';

function run(actions: ActionConfig[], start: KeyValue[], context?: RequestContext): Record<string, unknown> {
  const attrs = start.map((kv) => ({ ...kv }));
  compileActions(actions).apply(attrs, context);
  return attrsOf(attrs);
}

const base = () => kvs({ 'http.method': 'GET', 'http.status_code': '503', user: 'ada', retries: 3, ratio: 0.25, ok: true });

describe('insert, update, upsert', () => {
  it('insert adds a missing key and leaves an existing one alone', () => {
    expect(run([{ key: 'env', value: 'prod', action: 'insert' }, { key: 'user', value: 'bob', action: 'insert' }], base())).toMatchObject({ env: 'prod', user: 'ada' });
  });

  it('update changes an existing key only', () => {
    const out = run([{ key: 'user', value: 'bob', action: 'update' }, { key: 'missing', value: 1, action: 'update' }], base());
    expect(out.user).toBe('bob');
    expect(out).not.toHaveProperty('missing');
  });

  it('upsert does both, keeping the YAML value types (int, double, bool, list, map)', () => {
    const out = run(
      [
        { key: 'user', value: 'bob', action: 'upsert' },
        { key: 'n', value: 7, action: 'upsert' },
        { key: 'd', value: 1.5, action: 'upsert' },
        { key: 'b', value: false, action: 'upsert' },
        { key: 'l', value: ['a', 1], action: 'upsert' },
        { key: 'm', value: { k: 'v' }, action: 'upsert' },
      ],
      base(),
    );
    expect(out).toMatchObject({ user: 'bob', n: 7, d: 1.5, b: false, l: ['a', 1], m: { k: 'v' } });
  });

  it('from_attribute copies another attribute, and does nothing when it is absent', () => {
    const out = run([{ key: 'who', from_attribute: 'user', action: 'insert' }, { key: 'x', from_attribute: 'nope', action: 'upsert' }], base());
    expect(out.who).toBe('ada');
    expect(out).not.toHaveProperty('x');
  });

  it('from_context reads client.address and metadata.<header> (lower-cased, values joined with ;), a bare name as metadata', () => {
    const ctx = { clientAddress: '10.1.2.3', metadata: { 'x-tenant': ['acme'], 'x-multi': ['a', 'b'] } };
    const out = run(
      [
        { key: 'client', from_context: 'client.address', action: 'insert' },
        { key: 'tenant', from_context: 'metadata.X-Tenant', action: 'insert' },
        { key: 'multi', from_context: 'metadata.x-multi', action: 'insert' },
        { key: 'bare', from_context: 'x-tenant', action: 'insert' },
        { key: 'absent', from_context: 'metadata.x-nope', action: 'insert' },
      ],
      [],
      ctx,
    );
    expect(out).toEqual({ client: '10.1.2.3', tenant: 'acme', multi: 'a;b', bare: 'acme' });
  });

  it('default_value applies when the source gives nothing', () => {
    const out = run(
      [
        { key: 'tenant', from_context: 'metadata.x-tenant', default_value: 'default-tenant', action: 'upsert' },
        { key: 'region', from_attribute: 'cloud.region', default_value: 'us-east-1', action: 'insert' },
      ],
      [],
    );
    expect(out).toEqual({ tenant: 'default-tenant', region: 'us-east-1' });
  });

  it('inserts a fresh value into each item: changing one never changes another', () => {
    const actions = compileActions([{ key: 'tags', value: ['a'], action: 'insert' }]);
    const one: KeyValue[] = [];
    const two: KeyValue[] = [];
    actions.apply(one, undefined);
    actions.apply(two, undefined);
    one[0]!.value!.arrayValue!.values.push({ stringValue: 'b' });
    expect(plain(two[0]!.value)).toEqual(['a']);
  });
});

describe('delete and hash', () => {
  it('delete removes a key, every key matching pattern, and every duplicate', () => {
    const start = [...base(), { key: 'user', value: { stringValue: 'dup' } }, ...kvs({ 'http.url': 'u' })];
    expect(run([{ key: 'user', action: 'delete' }, { pattern: '^http\\.', action: 'delete' }], start)).toEqual({ retries: 3, ratio: 0.25, ok: true });
  });

  it('hash replaces values with the SHA-256 hex of the Collector\'s bytes for each type', () => {
    const out = run(
      [
        { key: 'user', action: 'hash' },
        { key: 'n', action: 'hash' },
        { key: 'd', action: 'hash' },
        { key: 'b', action: 'hash' },
        { key: 'empty', action: 'hash' },
        { key: 'absent', action: 'hash' },
      ],
      kvs({ user: 'hello', n: 42, d: 3.5, b: true, empty: '' }),
    );
    expect(out).toEqual({
      user: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      n: 'ed049108bc18f2c64369e8d0ea42850bdd1a7d1dd340cfde716315579702a76c',
      d: '42b215bc5c10e8a6453db424667de747070305824b7e67e63df3aca31215898f',
      b: '4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a',
      empty: '',
    });
    expect(plain(hashValue({ intValue: '-1' }))).toBe('12a3ae445661ce5dee78d0650d33362dec29c4f82af05e7e57fb595bbbacf0ca');
  });

  it('hash with a pattern hashes every matching key', () => {
    const out = run([{ pattern: '^(user|retries)$', action: 'hash' }], base());
    expect(String(out.user)).toHaveLength(64);
    expect(String(out.retries)).toHaveLength(64);
    expect(out['http.method']).toBe('GET');
  });
});

describe('extract', () => {
  it('turns named groups into attributes, accepting RE2 (?P<name>) syntax, overwriting existing keys', () => {
    const out = run(
      [{ key: 'http.url', pattern: '^(?P<scheme>\\w+)://(?P<host>[^/]+)(?P<path>/[^?]*)', action: 'extract' }],
      kvs({ 'http.url': 'https://shop.example.com/cart/42?x=1', host: 'old' }),
    );
    expect(out).toEqual({ 'http.url': 'https://shop.example.com/cart/42?x=1', scheme: 'https', host: 'shop.example.com', path: '/cart/42' });
  });

  it('does nothing on a non-string value or when the pattern does not match', () => {
    expect(run([{ key: 'retries', pattern: '(?P<d>\\d)', action: 'extract' }], base())).not.toHaveProperty('d');
    expect(run([{ key: 'user', pattern: '^(?P<d>\\d+)$', action: 'extract' }], base())).not.toHaveProperty('d');
  });

  it('sets "" for an optional group that did not take part, as Go does', () => {
    expect(run([{ key: 'v', pattern: '^(?P<major>\\d+)(?:\\.(?P<minor>\\d+))?$', action: 'extract' }], kvs({ v: '7' }))).toMatchObject({ major: '7', minor: '' });
  });
});

describe('convert', () => {
  const cases: [unknown, string, unknown][] = [
    ['42', 'int', 42],
    ['-7', 'int', -7],
    ['4.2', 'int', '4.2'], // ParseInt fails: unchanged
    ['99999999999999999999', 'int', '99999999999999999999'], // out of int64 range: unchanged
    [3.9, 'int', 3],
    [-3.9, 'int', -3],
    [true, 'int', 1],
    ['4.5', 'double', 4.5],
    ['1e3', 'double', 1000],
    ['abc', 'double', 'abc'],
    [7, 'double', 7],
    [false, 'double', 0],
    [7, 'string', '7'],
    [0.5, 'string', '0.5'],
    [true, 'string', 'true'],
  ];
  it.each(cases)('%j to %s gives %j', (from, to, want) => {
    const v = typeof from === 'string' ? { stringValue: from } : typeof from === 'boolean' ? { boolValue: from } : Number.isInteger(from) ? { intValue: from as number } : { doubleValue: from as number };
    const out = convertValue(v, to);
    expect(plain(out)).toEqual(want);
    if (to === 'double' && typeof want === 'number') expect(out.doubleValue).toBe(want);
  });

  it('keeps int64 values beyond 2^53 exact', () => {
    expect(convertValue({ stringValue: '9223372036854775807' }, 'int').intValue?.toString()).toBe('9223372036854775807');
  });

  it('converts in place through the action, leaving an absent key absent', () => {
    expect(run([{ key: 'http.status_code', action: 'convert', converted_type: 'int' }, { key: 'nope', action: 'convert', converted_type: 'int' }], base())).toMatchObject({ 'http.status_code': 503 });
  });
});

describe('validateActions', () => {
  const problems = (actions: ActionConfig[]) => validateActions(actions, 'actions').map((p) => `${p.path}: ${p.message} (fix: ${p.fix})`);

  it('names an unknown action with the nearest one and the list', () => {
    expect(problems([{ key: 'a', value: 1, action: 'upsrt' }])).toEqual([
      'actions.0.action: unknown action "upsrt" (fix: did you mean "upsert"? use one of: insert, update, upsert, delete, hash, extract, convert)',
    ]);
  });

  it('accepts actions in upper case, as the Collector does', () => {
    expect(problems([{ key: 'a', value: 1, action: 'UPSERT' }])).toEqual([]);
  });

  it('requires a key and exactly one value source for insert/update/upsert', () => {
    expect(problems([{ action: 'insert', value: 1 }])).toEqual(['actions.0: action insert needs a key (fix: add key: the attribute to set)']);
    expect(problems([{ key: 'a', action: 'update' }])).toEqual(['actions.0: action update needs a value source (fix: add one of value, from_attribute or from_context)']);
    expect(problems([{ key: 'a', value: 1, from_attribute: 'b', action: 'upsert' }])).toEqual([
      'actions.0.from_attribute: action upsert takes one value source, got value and from_attribute (fix: keep only one of value, from_attribute)',
    ]);
  });

  it('requires key or pattern for delete and hash, and refuses fields an action does not use', () => {
    expect(problems([{ action: 'delete' }])).toEqual(['actions.0: action delete needs a key or a pattern (fix: add key (one attribute) and/or pattern (a regular expression on attribute keys))']);
    expect(problems([{ key: 'a', action: 'hash', value: 'x' }])).toEqual(['actions.0.value: action hash does not use value (fix: remove value)']);
    expect(problems([{ key: 'a', action: 'insert', value: 1, pattern: 'x' }])).toEqual(['actions.0.pattern: action insert does not use pattern (fix: remove pattern)']);
  });

  it('reports a bad regular expression with the engine\'s message', () => {
    const [p] = problems([{ pattern: '(unclosed', action: 'delete' }]);
    expect(p).toMatch(/^actions\.0\.pattern: invalid regular expression "\(unclosed": .*Unterminated group/);
  });

  it('requires named groups for extract, and converted_type for convert', () => {
    expect(problems([{ key: 'a', pattern: '\\d+', action: 'extract' }])).toEqual([
      'actions.0.pattern: pattern "\\\\d+" has no named groups, so extract would set nothing (fix: name each group: (?P<name>…) or (?<name>…))',
    ]);
    expect(problems([{ key: 'a', pattern: '(?P<x>\\d+)-(\\d+)', action: 'extract' }])[0]).toMatch(/has an unnamed group/);
    expect(problems([{ key: 'a', pattern: '(?P<x>[(]\\d+)-(?:\\d+)', action: 'extract' }])).toEqual([]);
    expect(problems([{ key: 'a', action: 'convert' }])).toEqual(['actions.0: action convert needs converted_type (fix: add converted_type: one of int, double, string)']);
  });
});
