// The Collector's typed getters (StringGetter, StringLikeGetter, IntLikeGetter, PMapGetter, …):
// what each accepts at run time, and the error an item of another type gets.
import type { TCtx } from '../contexts.js';
import { OttlRuntimeError } from '../errors.js';
import type { Eval } from '../registry.js';
import type { Value } from '../values.js';
import { GO_TYPE, OList, OMap, OTime, asString, typeOf } from '../values.js';

const expected = (what: string, v: Value): OttlRuntimeError => new OttlRuntimeError(`expected ${what} but got ${GO_TYPE[typeOf(v)]}`);

export function getString(e: Eval, c: TCtx): string {
  const v = e(c);
  if (typeof v !== 'string') throw expected('string', v);
  return v;
}

/** StringLikeGetter: scalars as their text, bytes as hex, maps and lists as JSON; nil stays nil. */
export function getStringLike(e: Eval, c: TCtx): string | null {
  const v = e(c);
  if (v === null) return null;
  if (typeof v === 'string') return v;
  return asString(v);
}

export function getMap(e: Eval, c: TCtx): OMap {
  const v = e(c);
  if (!(v instanceof OMap)) throw expected('pcommon.Map', v);
  return v;
}

export function getList(e: Eval, c: TCtx): OList {
  const v = e(c);
  if (!(v instanceof OList)) throw expected('pcommon.Slice', v);
  return v;
}

export function getInt(e: Eval, c: TCtx): bigint {
  const v = e(c);
  if (typeof v !== 'bigint') throw expected('int64', v);
  return v;
}

export function getTime(e: Eval, c: TCtx): OTime {
  const v = e(c);
  if (!(v instanceof OTime)) throw expected('time.Time', v);
  return v;
}

/** IntLikeGetter: int64, float64 (truncated), bool (1/0), a string that parses; else nil. */
export function intLike(v: Value): bigint | null {
  switch (typeof v) {
    case 'bigint':
      return v;
    case 'number':
      return Number.isFinite(v) ? BigInt(Math.trunc(v)) : null;
    case 'boolean':
      return v ? 1n : 0n;
    case 'string':
      return /^[+-]?\d+$/.test(v.trim()) ? BigInt(v.trim()) : null;
    default:
      return null;
  }
}

/** FloatLikeGetter: float64, int64, bool (1/0), a string that parses; else nil. */
export function floatLike(v: Value): number | null {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      const s = v.trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?(inf|infinity|nan)$/i.test(s)) return null;
      return /nan/i.test(s) ? NaN : /inf/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s);
    }
    default:
      return null;
  }
}
