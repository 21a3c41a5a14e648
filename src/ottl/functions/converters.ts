// OTTL converters (pkg/ottl/ottlfuncs): pure functions that return a value and change nothing.
import { createHash } from 'node:crypto';
import { format as utilFormat } from 'node:util';
import { compileGoRegexp, regexpProblem } from '../../processors/internal/regexp.js';
import { OttlRuntimeError } from '../errors.js';
import type { BuildHelpers, Eval, FunctionDef } from '../registry.js';
import type { Ty, Value } from '../values.js';
import { GO_TYPE, OList, OMap, OTime, fromAny as fromAnyLocal, fromJson, toAny, typeOf } from '../values.js';
import { floatLike, getString, getStringLike, getTime, intLike } from './getters.js';
import { parseStrptime } from './time.js';

const evalOf = (a: unknown): Eval => a as Eval;

function regexpArg(pattern: string, index: number, h: BuildHelpers): RegExp {
  const problem = regexpProblem(pattern);
  if (problem !== undefined) h.fail(index, `the regular expression ${JSON.stringify(pattern)} is invalid: ${problem}`, 'write an RE2 regular expression (in YAML double quotes, a backslash is written \\\\)');
  return compileGoRegexp(pattern);
}

/** A converter of one argument. */
function unary(name: string, types: readonly Ty[] | undefined, returns: Ty, f: (v: Value) => Value): FunctionDef {
  return {
    name,
    editor: false,
    returns,
    params: [{ name: 'value', kind: 'getter', types }],
    build: ([a]) => {
      const e = evalOf(a);
      return (c) => f(e(c));
    },
  };
}
/** A converter of one string (StringGetter: anything else is an error). */
function ofString(name: string, returns: Ty, f: (s: string) => Value): FunctionDef {
  return {
    name,
    editor: false,
    returns,
    params: [{ name: 'target', kind: 'getter', types: ['string'] }],
    build: ([a]) => {
      const e = evalOf(a);
      return (c) => f(getString(e, c));
    },
  };
}

const hash = (algo: string) => (s: string): string => createHash(algo).update(s, 'utf8').digest('hex');
/** Converters that `replace_*` accept as their `function` argument. */
export const HASHES: ReadonlyMap<string, (s: string) => string> = new Map([
  ['SHA256', hash('sha256')],
  ['SHA1', hash('sha1')],
  ['SHA512', hash('sha512')],
  ['MD5', hash('md5')],
]);

function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
}
const CASES: Readonly<Record<string, (s: string) => string>> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  snake: (s) => words(s).map((w) => w.toLowerCase()).join('_'),
  camel: (s) => words(s).map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()).join(''),
};

/** Hex: the value's bytes (int64 and float64 big-endian, bool one byte, string UTF-8) as lower-case hex. */
export function hexOf(v: Value): string | null {
  const b = Buffer.alloc(8);
  switch (typeof v) {
    case 'string':
      return Buffer.from(v, 'utf8').toString('hex');
    case 'bigint':
      b.writeBigInt64BE(BigInt.asIntN(64, v));
      return b.toString('hex');
    case 'number':
      b.writeDoubleBE(v);
      return b.toString('hex');
    case 'boolean':
      return v ? '01' : '00';
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return null;
}

/** ParseKeyValue: pairs split on `pairDelimiter` outside quotes, each split once on `delimiter`. */
export function parseKeyValue(s: string, delimiter: string, pairDelimiter: string): OMap {
  if (s === '') throw new OttlRuntimeError('cannot parse from empty string');
  const pairs: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (quote === '' && s.startsWith(pairDelimiter, i)) {
      pairs.push(cur);
      cur = '';
      i += pairDelimiter.length - 1;
      continue;
    }
    if (ch === '"' || ch === "'") quote = quote === ch ? '' : quote === '' ? ch : quote;
    cur += ch;
  }
  if (quote !== '') throw new OttlRuntimeError(`never reached end of a quoted value: ${quote}`);
  pairs.push(cur);
  const unquote = (x: string): string => x.trim().replace(/^(["'])([\s\S]*)\1$/, '$2');
  const map = new OMap([]);
  for (const p of pairs.map((x) => x.trim()).filter((x) => x !== '')) {
    const at = p.indexOf(delimiter);
    if (at < 0) throw new OttlRuntimeError(`cannot split ${JSON.stringify(p)} into 2 items, got 1 item(s)`);
    const key = unquote(p.slice(0, at));
    const value = unquote(p.slice(at + delimiter.length));
    const existing = map.kvs.find((kv) => kv.key === key);
    if (existing === undefined) map.kvs.push({ key, value: { stringValue: value } });
    else {
      // A repeated key collects its values in a list, as the Collector does.
      const prev = existing.value?.arrayValue?.values ?? [existing.value ?? {}];
      existing.value = { arrayValue: { values: [...prev, { stringValue: value }] } };
    }
  }
  return map;
}

/** Go's fmt.Sprintf for the verbs people use (%s %d %v %f %x %q and widths), over OTTL values. */
export function goSprintf(fmt: string, args: Value[]): string {
  let i = 0;
  return fmt.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([sdvfxXqtgeo%])/g, (m, flags: string, width?: string, prec?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const v = args[i++] as Value;
    let s: string;
    switch (verb) {
      case 'd':
        s = typeof v === 'bigint' ? v.toString() : `%!d(${GO_TYPE[typeOf(v)]}=${utilFormat('%s', v)})`;
        break;
      case 'f':
      case 'e':
      case 'g':
        s = typeof v === 'number' ? (verb === 'f' ? v.toFixed(prec === undefined ? 6 : Number(prec)) : verb === 'e' ? v.toExponential(prec === undefined ? 6 : Number(prec)) : String(v)) : `%!${verb}(${GO_TYPE[typeOf(v)]})`;
        break;
      case 'x':
      case 'X':
        s = typeof v === 'bigint' ? v.toString(16) : typeof v === 'string' ? Buffer.from(v).toString('hex') : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v);
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 'q':
        s = JSON.stringify(typeof v === 'string' ? v : String(v));
        break;
      case 'o':
        s = typeof v === 'bigint' ? v.toString(8) : String(v);
        break;
      default:
        s = v === null ? '<nil>' : v instanceof OMap || v instanceof OList ? JSON.stringify(JSON.parse(valueJson(v))) : typeof v === 'string' ? v : String(v instanceof OTime ? new Date(Number(v.ns / 1_000_000n)).toISOString() : v);
    }
    if (width !== undefined && s.length < Number(width)) {
      const pad = flags.includes('-') ? ' ' : flags.includes('0') && verb !== 's' ? '0' : ' ';
      if (flags.includes('-')) s = s.padEnd(Number(width), ' ');
      else if (pad === '0' && s.startsWith('-')) s = '-' + s.slice(1).padStart(Number(width) - 1, '0');
      else s = s.padStart(Number(width), pad);
    }
    void m;
    return s;
  });
}
function valueJson(v: OMap | OList): string {
  return JSON.stringify(toJsonish(v));
}
function toJsonish(v: Value): unknown {
  if (v instanceof OMap) return Object.fromEntries(v.kvs.map((kv) => [kv.key, toJsonish(fromAnyLocal(kv.value))]));
  if (v instanceof OList) return v.values.map((x) => toJsonish(fromAnyLocal(x)));
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

function idConverter(name: string, length: number): FunctionDef {
  return {
    name,
    editor: false,
    returns: 'bytes',
    params: [{ name: 'bytes', kind: 'getter', types: ['bytes', 'string'] }],
    build: ([a]) => {
      const e = evalOf(a);
      return (c) => {
        const v = e(c);
        const b = typeof v === 'string' && /^[0-9a-fA-F]*$/.test(v) ? new Uint8Array(Buffer.from(v, 'hex')) : v instanceof Uint8Array ? v : undefined;
        if (b === undefined || b.byteLength !== length) throw new OttlRuntimeError(`${name === 'TraceID' ? 'traces' : 'span'} ids must be ${length} bytes`);
        return b;
      };
    },
  };
}

const isA = (name: string, test: (v: Value) => boolean): FunctionDef => unary(name, undefined, 'bool', test);

export const CONVERTERS: readonly FunctionDef[] = [
  {
    name: 'ParseJSON',
    editor: false,
    returns: 'any',
    params: [{ name: 'target', kind: 'getter', types: ['string'] }],
    build: ([a]) => {
      const e = evalOf(a);
      return (c) => {
        const s = getString(e, c);
        let parsed: unknown;
        try {
          parsed = JSON.parse(s);
        } catch (err) {
          throw new OttlRuntimeError(`ParseJSON: ${(err as Error).message}`);
        }
        if (typeof parsed !== 'object' || parsed === null) throw new OttlRuntimeError('could not convert parsed value of type ' + typeof parsed + ' to JSON object');
        return fromJson(parsed);
      };
    },
  },
  {
    name: 'ParseKeyValue',
    editor: false,
    returns: 'map',
    params: [
      { name: 'target', kind: 'getter', types: ['string'] },
      { name: 'delimiter', kind: 'string', optional: true },
      { name: 'pair_delimiter', kind: 'string', optional: true },
    ],
    build: ([a, d, pd], h) => {
      const e = evalOf(a);
      const delimiter = (d as string | undefined) ?? '=';
      const pairDelimiter = (pd as string | undefined) ?? ' ';
      if (delimiter === '') h.fail(1, 'delimiter cannot be set to an empty string', 'leave it out for "="');
      if (pairDelimiter === '') h.fail(2, 'pair delimiter cannot be set to an empty string', 'leave it out for " "');
      if (delimiter === pairDelimiter) h.fail(2, 'pair delimiter cannot be equal to delimiter', 'use different delimiters');
      return (c) => parseKeyValue(getString(e, c), delimiter, pairDelimiter);
    },
  },
  {
    name: 'ExtractPatterns',
    editor: false,
    returns: 'map',
    params: [
      { name: 'target', kind: 'getter', types: ['string'] },
      { name: 'pattern', kind: 'string' },
    ],
    build: ([a, p], h) => {
      const e = evalOf(a);
      const re = regexpArg(p as string, 1, h);
      if (!/\(\?P?<[A-Za-z_]/.test(p as string)) h.fail(1, 'at least 1 named capture group must be supplied in the given regex', 'name a group: (?P<name>...)');
      return (c) => {
        const m = re.exec(getString(e, c));
        const out = new OMap([]);
        for (const [key, value] of Object.entries(m?.groups ?? {})) out.kvs.push({ key, value: { stringValue: value ?? '' } });
        return out;
      };
    },
  },
  {
    name: 'Concat',
    editor: false,
    returns: 'string',
    params: [
      { name: 'vals', kind: 'getters' },
      { name: 'delimiter', kind: 'string' },
    ],
    build: ([vs, d]) => {
      const vals = vs as Eval[];
      const delimiter = d as string;
      return (c) => {
        const parts: string[] = [];
        for (const e of vals) {
          const v = e(c);
          // Maps and lists are left out, as the Collector does; nil is written as Go prints it.
          if (v instanceof OMap || v instanceof OList) continue;
          parts.push(v === null ? '<nil>' : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : (getStringLike(() => v, c) as string));
        }
        return parts.join(delimiter);
      };
    },
  },
  {
    name: 'Split',
    editor: false,
    returns: 'list',
    params: [
      { name: 'target', kind: 'getter', types: ['string'] },
      { name: 'delimiter', kind: 'string' },
    ],
    build: ([a, d]) => {
      const e = evalOf(a);
      return (c) => {
        const v = e(c);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`expected string but got ${GO_TYPE[typeOf(v)]}`);
        const parts = d === '' ? [...v] : v.split(d as string);
        return new OList(parts.map((s) => ({ stringValue: s })));
      };
    },
  },
  {
    name: 'Substring',
    editor: false,
    returns: 'string',
    params: [
      { name: 'target', kind: 'getter', types: ['string'] },
      { name: 'start', kind: 'getter', types: ['int'] },
      { name: 'length', kind: 'getter', types: ['int'] },
    ],
    build: ([a, s, l]) => {
      const e = evalOf(a);
      const start = evalOf(s);
      const length = evalOf(l);
      return (c) => {
        const v = getString(e, c);
        const st = intLike(start(c));
        const len = intLike(length(c));
        if (st === null || st < 0n) throw new OttlRuntimeError(`invalid start for substring function, ${String(st)} cannot be negative`);
        if (len === null || len <= 0n) throw new OttlRuntimeError(`invalid length for substring function, ${String(len)} cannot be negative or zero`);
        if (st + len > BigInt(v.length)) throw new OttlRuntimeError(`invalid range for substring function, ${st + len} cannot be greater than the length of target string(${v.length})`);
        return v.slice(Number(st), Number(st + len));
      };
    },
  },
  {
    name: 'ConvertCase',
    editor: false,
    returns: 'string',
    params: [
      { name: 'target', kind: 'getter', types: ['string'] },
      { name: 'toCase', kind: 'string' },
    ],
    build: ([a, t], h) => {
      const e = evalOf(a);
      const f = CASES[t as string];
      if (f === undefined) h.fail(1, `invalid case: ${String(t)}, allowed cases are: lower, upper, snake, camel`, 'write "lower", "upper", "snake" or "camel"');
      return (c) => f(getString(e, c));
    },
  },
  ofString('ToLowerCase', 'string', (s) => s.toLowerCase()),
  ofString('ToUpperCase', 'string', (s) => s.toUpperCase()),
  ofString('ToSnakeCase', 'string', CASES.snake as (s: string) => string),
  ofString('ToCamelCase', 'string', CASES.camel as (s: string) => string),
  {
    name: 'IsMatch',
    editor: false,
    returns: 'bool',
    params: [
      { name: 'target', kind: 'getter' },
      { name: 'pattern', kind: 'string' },
    ],
    build: ([a, p], h) => {
      const e = evalOf(a);
      const re = regexpArg(p as string, 1, h);
      return (c) => {
        const s = getStringLike(e, c);
        return s !== null && re.test(s);
      };
    },
  },
  isA('IsString', (v) => typeof v === 'string'),
  isA('IsMap', (v) => v instanceof OMap),
  isA('IsList', (v) => v instanceof OList),
  isA('IsInt', (v) => typeof v === 'bigint'),
  isA('IsDouble', (v) => typeof v === 'number'),
  isA('IsBool', (v) => typeof v === 'boolean'),
  unary('Int', undefined, 'int', (v) => intLike(v) ?? (typeof v === 'string' && floatLike(v) !== null ? null : null)),
  unary('Double', undefined, 'float', (v) => floatLike(v)),
  unary('String', undefined, 'string', (v) => {
    if (v === null) return null;
    if (typeof v === 'string') return v;
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    if (v instanceof OMap || v instanceof OList) return valueJson(v);
    return getStringLike(() => v, {} as never);
  }),
  unary('Len', undefined, 'int', (v) => {
    if (typeof v === 'string') return BigInt(Buffer.byteLength(v));
    if (v instanceof OMap) return BigInt(v.kvs.length);
    if (v instanceof OList) return BigInt(v.values.length);
    if (v instanceof Uint8Array) return BigInt(v.byteLength);
    throw new OttlRuntimeError(`unsupported type ${GO_TYPE[typeOf(v)]} for Len`);
  }),
  ...[...HASHES].map(([name, f]) => ofString(name, 'string', f)),
  {
    name: 'Time',
    editor: false,
    returns: 'time',
    params: [
      { name: 'time', kind: 'getter', types: ['string'] },
      { name: 'format', kind: 'string' },
      { name: 'location', kind: 'string', optional: true },
    ],
    build: ([a, f, loc], h) => {
      const e = evalOf(a);
      const format = f as string;
      if (format === '') h.fail(1, 'format cannot be nil', 'write a strptime format such as "%Y-%m-%d %H:%M:%S"');
      if (loc !== undefined && loc !== 'UTC' && loc !== 'Local') h.fail(2, `unknown time zone ${String(loc)}: Ferry supports "UTC" (the default) or a %z offset in the format`, 'write "UTC" or put the offset in the time with %z');
      return (c) => new OTime(parseStrptime(getString(e, c), format));
    },
  },
  {
    name: 'Now',
    editor: false,
    returns: 'time',
    params: [],
    build: () => () => new OTime(BigInt(Date.now()) * 1_000_000n),
  },
  {
    name: 'UnixNano',
    editor: false,
    returns: 'int',
    params: [{ name: 'time', kind: 'getter', types: ['time'] }],
    build: ([a]) => {
      const e = evalOf(a);
      return (c) => getTime(e, c).ns;
    },
  },
  {
    name: 'Unix',
    editor: false,
    returns: 'time',
    params: [
      { name: 'seconds', kind: 'getter', types: ['int'] },
      { name: 'nanoseconds', kind: 'getter', types: ['int'], optional: true },
    ],
    build: ([s, n]) => {
      const sec = evalOf(s);
      const nano = n as Eval | undefined;
      return (c) => new OTime((intLike(sec(c)) ?? 0n) * 1_000_000_000n + (nano ? (intLike(nano(c)) ?? 0n) : 0n));
    },
  },
  idConverter('TraceID', 16),
  idConverter('SpanID', 8),
  {
    name: 'Format',
    editor: false,
    returns: 'string',
    params: [
      { name: 'format', kind: 'string' },
      { name: 'vals', kind: 'getters' },
    ],
    build: ([f, vs]) => {
      const vals = vs as Eval[];
      return (c) => goSprintf(f as string, vals.map((e) => e(c)));
    },
  },
  unary('Hex', undefined, 'string', hexOf),
];

export { toAny };
