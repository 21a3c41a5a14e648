// OTTL editors (pkg/ottl/ottlfuncs): functions that change the item in place. Patterns are
// compiled at load, so a bad regular expression is refused by `ferry validate`.
import { compileGoRegexp, regexpProblem } from '../../processors/internal/regexp.js';
import type { AnyValue, KeyValue } from '../../pdata/types.js';
import { OttlRuntimeError } from '../errors.js';
import type { ArgValue, BuildHelpers, Eval, FunctionDef, Target } from '../registry.js';
import type { Value } from '../values.js';
import { OList, OMap, copyAny, fromAny, mapGet, mapPut, mapRemoveIf, toAny } from '../values.js';
import { getMap, getStringLike } from './getters.js';

const MAP = ['map'] as const;

function regexpArg(pattern: string, index: number, h: BuildHelpers): RegExp {
  const problem = regexpProblem(pattern);
  if (problem !== undefined) h.fail(index, `the regular expression ${JSON.stringify(pattern)} is invalid: ${problem}`, 'write an RE2 regular expression (in YAML double quotes, a backslash is written \\\\)');
  return compileGoRegexp(pattern);
}

/** Go's regexp.Expand template (`$1`, `${1}`, `${name}`, `$$`) as a JavaScript replacement string. */
export function goTemplate(t: string): string {
  return t.replace(/\$(\$|\{(\w+)\}|(\d+)|([A-Za-z_]\w*))/g, (_m, all: string, braced?: string, digits?: string, name?: string) => {
    if (all === '$') return '$$';
    const g = braced ?? digits ?? name ?? '';
    return /^\d+$/.test(g) ? `$${g}` : `$<${g}>`;
  });
}

/** The optional `function` and `replacementFormat` arguments: hash the replacement, then format it. */
function replacementOf(fn: ArgValue, format: ArgValue, index: number, h: BuildHelpers): (s: string) => string {
  if (fn === undefined) return (s) => s;
  const f = fn as (s: string) => string;
  if (format === undefined) return f;
  const fmt = format as string;
  if (fmt.split('%s').length !== 2 || /%[^s]/.test(fmt.replace(/%s/, ''))) h.fail(index + 1, `replacementFormat ${JSON.stringify(fmt)} must contain exactly one %s and no other verb`, 'write e.g. "k8s.%s"');
  return (s) => fmt.replace('%s', f(s));
}

const target = (a: ArgValue): Target => a as Target;
const evalOf = (a: ArgValue): Eval => a as Eval;

/** A glob (gobwas/glob, no separators: `*`, `?`, `[...]`, `{a,b}`) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\' && i + 1 < glob.length) out += '\\' + glob[++i];
    else if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        out += '[' + glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else if (c === '{') {
      inBraces = true;
      out += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces = false;
      out += ')';
    } else if (c === ',' && inBraces) out += '|';
    else out += c.replace(/[.+^$()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function flattenInto(out: KeyValue[], prefix: string, v: AnyValue, depth: number, level: number, conflicts: boolean): void {
  const x = fromAny(v);
  const put = (key: string, value: AnyValue): void => {
    if (conflicts) {
      let k = key;
      for (let n = 0; mapGet(out, k) !== undefined; n++) k = `${key}.${n}`;
      out.push({ key: k, value });
    } else mapPut(out, key, value);
  };
  if (x instanceof OMap && level < depth) {
    for (const kv of x.kvs) flattenInto(out, prefix === '' ? kv.key : `${prefix}.${kv.key}`, kv.value ?? {}, depth, level + 1, conflicts);
  } else if (x instanceof OList && level < depth && !conflicts) {
    x.values.forEach((item, i) => flattenInto(out, `${prefix}.${i}`, item, depth, level + 1, conflicts));
  } else if (x instanceof OList && conflicts) {
    for (const item of x.values) flattenInto(out, prefix, item, depth, level + 1, conflicts);
  } else put(prefix, copyAny(v));
}

/** Cut a string to at most `limit` UTF-8 bytes, never inside a character. */
export function truncateUtf8(s: string, limit: number, safe = true): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= limit) return s;
  let end = limit;
  if (safe) while (end > 0 && ((b[end] as number) & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}

export const EDITORS: readonly FunctionDef[] = [
  {
    name: 'set',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target' },
      { name: 'value', kind: 'getter' },
    ],
    build: ([t, v]) => {
      const tg = target(t);
      const value = evalOf(v);
      return (c) => {
        const x = value(c);
        // A nil value is no action (the Collector's default, without the ottl.set.allowNil gate).
        if (x !== null) tg.set(c, x);
        return null;
      };
    },
  },
  {
    name: 'delete_key',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target', types: MAP },
      { name: 'key', kind: 'getter', types: ['string'] },
    ],
    build: ([t, k]) => {
      const tg = target(t);
      const key = evalOf(k);
      return (c) => {
        const m = getMap(tg.get, c);
        const name = getStringLike(key, c);
        if (name !== null) mapRemoveIf(m.kvs, (kv) => kv.key === name);
        return null;
      };
    },
  },
  ...(['delete_matching_keys', 'keep_matching_keys'] as const).map(
    (name): FunctionDef => ({
      name,
      editor: true,
      returns: 'nil',
      params: [
        { name: 'target', kind: 'target', types: MAP },
        { name: 'pattern', kind: 'string' },
      ],
      build: ([t, p], h) => {
        const tg = target(t);
        const re = regexpArg(p as string, 1, h);
        const keep = name === 'keep_matching_keys';
        return (c) => {
          mapRemoveIf(getMap(tg.get, c).kvs, (kv) => re.test(kv.key) !== keep);
          return null;
        };
      },
    }),
  ),
  {
    name: 'keep_keys',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target', types: MAP },
      { name: 'keys', kind: 'strings' },
    ],
    build: ([t, k]) => {
      const tg = target(t);
      const keys = new Set(k as string[]);
      return (c) => {
        mapRemoveIf(getMap(tg.get, c).kvs, (kv) => !keys.has(kv.key));
        return null;
      };
    },
  },
  {
    name: 'limit',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target', types: MAP },
      { name: 'limit', kind: 'int' },
      { name: 'priority_keys', kind: 'strings' },
    ],
    build: ([t, l, p], h) => {
      const tg = target(t);
      const limit = Number(l as bigint);
      const priority = new Set(p as string[]);
      if (limit < 0) h.fail(1, `invalid limit for limit function, ${limit} cannot be negative`, 'write a limit of 0 or more');
      if (limit < priority.size) h.fail(2, `invalid limit for limit function, ${limit} cannot be less than number of priority attributes ${priority.size}`, 'list fewer priority keys, or raise the limit');
      return (c) => {
        const kvs = getMap(tg.get, c).kvs;
        if (kvs.length <= limit) return null;
        // Priority keys present are kept first; the others fill what is left, in order.
        let room = limit - kvs.filter((kv) => priority.has(kv.key)).length;
        mapRemoveIf(kvs, (kv) => {
          if (priority.has(kv.key)) return false;
          if (room > 0) {
            room--;
            return false;
          }
          return true;
        });
        return null;
      };
    },
  },
  {
    name: 'merge_maps',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target', types: MAP },
      { name: 'source', kind: 'getter', types: MAP },
      { name: 'strategy', kind: 'string' },
    ],
    build: ([t, s, st], h) => {
      const tg = target(t);
      const source = evalOf(s);
      const strategy = st as string;
      if (!['insert', 'update', 'upsert'].includes(strategy)) h.fail(2, `invalid value for strategy, ${JSON.stringify(strategy)}, must be 'insert', 'update' or 'upsert'`, 'write "insert", "update" or "upsert"');
      return (c) => {
        const into = getMap(tg.get, c).kvs;
        const from = getMap(source, c).kvs;
        for (const kv of from) {
          const exists = mapGet(into, kv.key) !== undefined;
          if ((strategy === 'insert' && !exists) || (strategy === 'update' && exists) || strategy === 'upsert') mapPut(into, kv.key, copyAny(kv.value));
        }
        return null;
      };
    },
  },
  {
    name: 'replace_pattern',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target' },
      { name: 'regex', kind: 'string' },
      { name: 'replacement', kind: 'getter', types: ['string'] },
      { name: 'function', kind: 'function', optional: true },
      { name: 'replacementFormat', kind: 'string', optional: true },
    ],
    build: ([t, r, rep, fn, fmt], h) => {
      const tg = target(t);
      const re = regexpArg(r as string, 1, h);
      const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
      const post = replacementOf(fn, fmt, 3, h);
      const replacement = evalOf(rep);
      return (c) => {
        const v = tg.get(c);
        if (typeof v !== 'string') return null;
        const with_ = getStringLike(replacement, c) ?? '';
        const out = fn === undefined ? v.replace(global, goTemplate(with_)) : v.replace(global, (...m: unknown[]) => post(expandMatch(with_, m)));
        if (out !== v) tg.set(c, out);
        return null;
      };
    },
  },
  {
    name: 'replace_all_patterns',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target', types: MAP },
      { name: 'mode', kind: 'string' },
      { name: 'regex', kind: 'string' },
      { name: 'replacement', kind: 'getter', types: ['string'] },
      { name: 'function', kind: 'function', optional: true },
      { name: 'replacementFormat', kind: 'string', optional: true },
    ],
    build: ([t, mode, r, rep, fn, fmt], h) => {
      const tg = target(t);
      if (mode !== 'key' && mode !== 'value') h.fail(1, `invalid mode ${JSON.stringify(mode)}, must be "key" or "value"`, 'write "key" or "value"');
      const re = regexpArg(r as string, 2, h);
      const global = new RegExp(re.source, re.flags + 'g');
      const post = replacementOf(fn, fmt, 4, h);
      const replacement = evalOf(rep);
      const replace = (s: string, w: string): string => (fn === undefined ? s.replace(global, goTemplate(w)) : s.replace(global, (...m: unknown[]) => post(expandMatch(w, m))));
      return (c) => {
        const kvs = getMap(tg.get, c).kvs;
        const w = getStringLike(replacement, c) ?? '';
        for (const kv of kvs) {
          if (mode === 'key') {
            kv.key = replace(kv.key, w);
          } else {
            const v = fromAny(kv.value);
            if (typeof v === 'string' && re.test(v)) kv.value = { stringValue: replace(v, w) };
          }
        }
        return null;
      };
    },
  },
  {
    name: 'replace_match',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target' },
      { name: 'pattern', kind: 'string' },
      { name: 'replacement', kind: 'getter', types: ['string'] },
      { name: 'function', kind: 'function', optional: true },
      { name: 'replacementFormat', kind: 'string', optional: true },
    ],
    build: ([t, p, rep, fn, fmt], h) => {
      const tg = target(t);
      const glob = globToRegExp(p as string);
      const post = replacementOf(fn, fmt, 3, h);
      const replacement = evalOf(rep);
      return (c) => {
        const v = tg.get(c);
        if (typeof v === 'string' && glob.test(v)) tg.set(c, post(getStringLike(replacement, c) ?? ''));
        return null;
      };
    },
  },
  {
    name: 'replace_all_matches',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target', types: MAP },
      { name: 'pattern', kind: 'string' },
      { name: 'replacement', kind: 'getter', types: ['string'] },
      { name: 'function', kind: 'function', optional: true },
      { name: 'replacementFormat', kind: 'string', optional: true },
    ],
    build: ([t, p, rep, fn, fmt], h) => {
      const tg = target(t);
      const glob = globToRegExp(p as string);
      const post = replacementOf(fn, fmt, 3, h);
      const replacement = evalOf(rep);
      return (c) => {
        const w = getStringLike(replacement, c) ?? '';
        for (const kv of getMap(tg.get, c).kvs) {
          const v = fromAny(kv.value);
          if (typeof v === 'string' && glob.test(v)) kv.value = { stringValue: post(w) };
        }
        return null;
      };
    },
  },
  {
    name: 'truncate_all',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target', types: MAP },
      { name: 'limit', kind: 'int' },
      { name: 'utf8_safe', kind: 'bool', optional: true },
      { name: 'truncation_marker', kind: 'string', optional: true },
    ],
    build: ([t, l, safe, marker], h) => {
      const tg = target(t);
      const limit = Number(l as bigint);
      if (limit < 0) h.fail(1, `invalid limit for truncate_all function, ${limit} cannot be negative`, 'write a limit of 0 or more');
      const m = (marker as string | undefined) ?? '';
      const mBytes = Buffer.byteLength(m);
      if (mBytes > limit) h.fail(3, `the truncation marker (${mBytes} bytes) is longer than the limit ${limit}`, 'shorten the marker or raise the limit');
      return (c) => {
        for (const kv of getMap(tg.get, c).kvs) {
          const v = fromAny(kv.value);
          if (typeof v === 'string' && Buffer.byteLength(v) > limit) kv.value = { stringValue: truncateUtf8(v, limit - mBytes, (safe as boolean | undefined) ?? true) + m };
        }
        return null;
      };
    },
  },
  {
    name: 'flatten',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target', types: MAP },
      { name: 'prefix', kind: 'string', optional: true },
      { name: 'depth', kind: 'int', optional: true },
      { name: 'resolveConflicts', kind: 'bool', optional: true },
    ],
    build: ([t, p, d, rc], h) => {
      const tg = target(t);
      const prefix = (p as string | undefined) ?? '';
      const depth = d === undefined ? Infinity : Number(d as bigint);
      if (depth < 0) h.fail(2, `invalid depth for flatten function, ${depth} cannot be negative`, 'write a depth of 0 or more');
      const conflicts = (rc as boolean | undefined) ?? false;
      return (c) => {
        const m = getMap(tg.get, c);
        const out: KeyValue[] = [];
        for (const kv of m.kvs) flattenInto(out, prefix === '' ? kv.key : `${prefix}.${kv.key}`, kv.value ?? {}, depth, 0, conflicts);
        if (depth === 0) return null;
        m.kvs.length = 0;
        m.kvs.push(...out);
        return null;
      };
    },
  },
  {
    name: 'append',
    editor: true,
    returns: 'nil',
    params: [
      { name: 'target', kind: 'target' },
      { name: 'value', kind: 'getter', optional: true },
      { name: 'values', kind: 'getters', optional: true },
    ],
    build: ([t, v, vs], h) => {
      const tg = target(t);
      if (v === undefined && vs === undefined) h.fail(0, 'append needs a value or values', 'write append(target, "x") or append(target, values = ["x", "y"])');
      const one = v as Eval | undefined;
      const many = (vs as Eval[] | undefined) ?? [];
      return (c) => {
        const current = tg.get(c);
        const items: AnyValue[] = current instanceof OList ? current.values.map(copyAny) : current === null ? [] : [toAny(current)];
        const add = (x: Value): void => {
          if (x !== null) items.push(toAny(x));
        };
        if (one) add(one(c));
        for (const e of many) add(e(c));
        tg.set(c, new OList(items));
        return null;
      };
    },
  },
];

/** A regexp.Expand of `template` against a match given as String.replace's callback arguments. */
function expandMatch(template: string, m: unknown[]): string {
  const last = m[m.length - 1];
  const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
  const groups = m.slice(0, named ? -3 : -2) as (string | undefined)[];
  return template.replace(/\$(\$|\{(\w+)\}|(\d+)|([A-Za-z_]\w*))/g, (_x, all: string, braced?: string, digits?: string, name?: string) => {
    if (all === '$') return '$';
    const g = braced ?? digits ?? name ?? '';
    return /^\d+$/.test(g) ? (groups[Number(g)] ?? '') : (named?.[g] ?? '');
  });
}

export { OttlRuntimeError };
