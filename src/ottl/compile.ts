// The OTTL checker and compiler: resolves paths against a context, binds and type-checks function
// arguments, and turns each statement or condition into closures, once, at load.
import type { Arg, BoolExpr, Call, CompareOp, Expr, Statement } from './ast.js';
import type { ContextName, TCtx } from './contexts.js';
import { CONTEXT_NAMES, ENUMS, contextField, contextOfName, fieldNames, reaches } from './contexts.js';
import { OttlRuntimeError, OttlSyntaxError } from './errors.js';
import { CONVERTERS, HASHES } from './functions/converters.js';
import { EDITORS } from './functions/editors.js';
import { parseCondition, parseStatement } from './parser.js';
import type { ArgValue, Eval, FunctionDef, Param, Target } from './registry.js';
import type { Ty, Value } from './values.js';
import { GO_TYPE, ODuration, OList, OMap, OTime, deepEqual, fromAny, mapGet, mapPut, ownArray, toAny, typeOf } from './values.js';
import type { KeyValue } from '../pdata/types.js';

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map([...EDITORS, ...CONVERTERS].map((f) => [f.name, f]));

interface Compiled {
  readonly ty: Ty;
  readonly eval: Eval;
  readonly target?: Target;
  /** Set for literals: their value, known at load. */
  readonly literal?: { value: Value };
  readonly expr: Expr;
}

const fail = (pos: number, message: string, fix?: string): never => {
  throw new OttlSyntaxError(message, pos, fix);
};

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j] as number;
      d[j] = Math.min(cur + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length] as number;
}

/** The known name closest to a misspelt one, when it is close enough to be what was meant. */
const suggestion = (name: string, known: readonly string[]): string | undefined => {
  const lower = name.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const dist = editDistance(lower, k.toLowerCase());
    if (dist < bestD) {
      best = k;
      bestD = dist;
    }
  }
  return best;
};

class Compiler {
  constructor(readonly context: ContextName) {}

  expr(e: Expr): Compiled {
    switch (e.k) {
      case 'lit': {
        const value = e.value as Value;
        return { ty: typeOf(value), eval: () => value, literal: { value }, expr: e };
      }
      case 'enum': {
        const v = ENUMS.get(e.name);
        if (v === undefined) {
          if (HASHES.has(e.name) || FUNCTIONS.has(e.name)) fail(e.pos, `${e.name} is a function; call it with its arguments`, `write ${e.name}(...)`);
          const near = suggestion(e.name, [...ENUMS.keys()]);
          fail(e.pos, `unknown enum ${e.name}`, near ? `did you mean ${near}?` : 'enums are SEVERITY_NUMBER_*, SPAN_KIND_*, STATUS_CODE_*, METRIC_DATA_TYPE_*, AGGREGATION_TEMPORALITY_*');
        }
        const value = v as bigint;
        return { ty: 'int', eval: () => value, literal: { value }, expr: e };
      }
      case 'path':
        return this.path(e);
      case 'call': {
        const { ty, eval: f } = this.call(e.call, false);
        return this.keyed({ ty, eval: f, expr: e }, e.keys);
      }
      case 'list': {
        const items = e.items.map((x) => this.expr(x));
        return { ty: 'list', eval: (c) => new OList(items.map((i) => toAny(i.eval(c)))), expr: e };
      }
      case 'map': {
        const entries = e.entries.map((x) => ({ key: x.key, v: this.expr(x.value) }));
        return { ty: 'map', eval: (c) => new OMap(entries.map((x) => ({ key: x.key, value: toAny(x.v.eval(c)) }))), expr: e };
      }
      case 'math':
        return this.math(e);
    }
  }

  private math(e: Extract<Expr, { k: 'math' }>): Compiled {
    const l = this.expr(e.left);
    const r = this.expr(e.right);
    const numeric: Ty[] = ['int', 'float', 'time', 'duration', 'any'];
    for (const side of [l, r]) if (!numeric.includes(side.ty)) fail(side.expr.pos, `${GO_TYPE[side.ty]} cannot be used in arithmetic (${e.op})`, 'use int64, float64, time or duration values; convert strings with Int() or Double()');
    const ty: Ty = l.ty === r.ty && l.ty !== 'time' ? l.ty : l.ty === 'time' && r.ty === 'time' ? 'duration' : l.ty === 'time' || r.ty === 'time' ? 'time' : 'any';
    const op = e.op;
    return { ty, eval: (c) => arithmetic(op, l.eval(c), r.eval(c)), expr: e };
  }

  private path(e: Extract<Expr, { k: 'path' }>): Compiled {
    let fields = e.fields;
    let ctx: ContextName = this.context;
    let prefix = '';
    const first = fields[0];
    const lead = first === undefined ? undefined : contextOfName(first.name);
    if (lead !== undefined && fields.length > 1) {
      if (!reaches(this.context, lead)) {
        fail(e.pos, `the path ${fields.map((f) => f.name).join('.')} is not available in the ${this.context} context`, `use a ${lead} context for it, or paths of ${this.context} and the levels above`);
      }
      if (first!.keys.length > 0) fail(first!.pos, `${first!.name} cannot be indexed`, `write ${first!.name}.attributes[...]`);
      ctx = lead;
      prefix = `${first!.name}.`;
      fields = fields.slice(1);
    }
    for (const f of fields.slice(0, -1)) if (f.keys.length > 0) fail(f.keys[0]!.pos, `only the last field of a path can have keys (${f.name})`, 'move the keys to the end of the path');
    const dotted = fields.map((f) => f.name).join('.');
    const access = contextField(ctx, dotted);
    if (access === undefined) {
      const known = fieldNames(ctx);
      const near = suggestion(fields[fields.length - 1]?.name ?? '', known);
      fail(e.pos, `unknown path ${prefix}${dotted} in the ${ctx} context`, near ? `did you mean ${prefix}${near}? known: ${known.join(', ')}` : `known paths: ${known.join(', ')}`);
    }
    const a = access as NonNullable<typeof access>;
    const base: Compiled = { ty: a.ty, eval: a.get, target: a.set ? { ty: a.ty, get: a.get, set: a.set } : undefined, expr: e };
    const keys = fields[fields.length - 1]?.keys ?? [];
    if (keys.length > 0 && !['map', 'list', 'any', 'string'].includes(a.ty)) fail(keys[0]!.pos, `${dotted} (${GO_TYPE[a.ty]}) cannot be indexed`, `remove the [...] after ${dotted}`);
    return this.keyed(base, keys, ctx === 'request');
  }

  /** A value indexed by keys: `x["a"][0]`; settable when the base is. */
  private keyed(base: Compiled, keyExprs: readonly Expr[], lowerCaseKeys = false): Compiled {
    if (keyExprs.length === 0) return base;
    const keys = keyExprs.map((k): Eval => {
      const c = this.expr(k);
      if (c.ty !== 'string' && c.ty !== 'int' && c.ty !== 'any') fail(k.pos, `a key must be a string or an int, not ${GO_TYPE[c.ty]}`, 'write ["key"] or [0]');
      // Request metadata keys are kept lower-cased (HTTP headers are case-insensitive).
      return lowerCaseKeys ? (x) => { const v = c.eval(x); return typeof v === 'string' ? v.toLowerCase() : v; } : c.eval;
    });
    const get: Eval = (c) => {
      let v = base.eval(c);
      for (const k of keys) v = index(v, k(c));
      return v;
    };
    const baseTarget = base.target;
    const set = (c: TCtx, value: Value): void => {
      let container = base.eval(c);
      if (container === null && baseTarget) {
        baseTarget.set(c, new OMap([]));
        container = base.eval(c);
      }
      for (let i = 0; i < keys.length - 1; i++) container = child(container, (keys[i] as Eval)(c));
      const last = (keys[keys.length - 1] as Eval)(c);
      if (container instanceof OMap && typeof last === 'string') mapPut(container.kvs, last, toAny(value));
      else if (container instanceof OList && typeof last === 'bigint') {
        if (last < 0n || last >= BigInt(container.values.length)) throw new OttlRuntimeError(`index ${last} out of bounds`);
        container.values[Number(last)] = toAny(value);
      } else throw new OttlRuntimeError(`cannot set ${describeKey(last)} on a ${GO_TYPE[typeOf(container)]}`);
    };
    return { ty: 'any', eval: get, target: { ty: 'any', get, set }, expr: base.expr };
  }

  call(call: Call, asEditor: boolean): { ty: Ty; eval: Eval } {
    const def = FUNCTIONS.get(call.name);
    if (def === undefined) {
      const pool = [...FUNCTIONS.values()].filter((f) => f.editor === asEditor).map((f) => f.name);
      const near = suggestion(call.name, pool);
      fail(call.pos, `unknown ${asEditor ? 'editor' : 'converter'} ${call.name}`, near ? `did you mean ${near}?` : `known: ${pool.join(', ')}`);
    }
    const d = def as FunctionDef;
    if (d.editor !== asEditor) fail(call.pos, `${d.name} is ${d.editor ? 'an editor' : 'a converter'}`, d.editor ? 'make it its own statement' : `use it as a value, e.g. set(attributes["x"], ${d.name}(...))`);
    const bound = this.bind(d, call);
    const argPos = (i: number): number => bound.pos[i] ?? call.pos;
    const f = d.build(bound.values, { fail: (i, message, fix) => fail(argPos(i), `${d.name}: ${message}`, fix) });
    return { ty: d.returns, eval: f };
  }

  private bind(def: FunctionDef, call: Call): { values: ArgValue[]; pos: number[] } {
    const slots: (Arg | undefined)[] = new Array<Arg | undefined>(def.params.length).fill(undefined);
    let positional = 0;
    let sawNamed = false;
    for (const a of call.args) {
      if (a.name !== undefined) {
        sawNamed = true;
        const i = def.params.findIndex((p) => p.name === a.name);
        if (i < 0) fail(a.pos, `${def.name} has no argument named ${a.name}`, `its arguments are ${def.params.map((p) => p.name).join(', ')}`);
        if (slots[i]) fail(a.pos, `${def.name}: argument ${a.name} given twice`);
        slots[i] = a;
      } else {
        if (sawNamed) fail(a.pos, `${def.name}: a positional argument cannot follow a named one`, 'name this argument too, or move it before the named ones');
        if (positional >= def.params.length) fail(a.pos, `${def.name} takes at most ${def.params.length} argument(s), got ${call.args.length}`, `call it as ${signature(def)}`);
        slots[positional++] = a;
      }
    }
    const values: ArgValue[] = [];
    const pos: number[] = [];
    def.params.forEach((p, i) => {
      const a = slots[i];
      pos.push(a?.pos ?? call.pos);
      if (a === undefined) {
        if (!p.optional) fail(call.pos, `${def.name} is missing its argument ${p.name}`, `call it as ${signature(def)}`);
        values.push(undefined);
        return;
      }
      values.push(this.argument(def, p, a.value));
    });
    return { values, pos };
  }

  private argument(def: FunctionDef, p: Param, e: Expr): ArgValue {
    const where = `${def.name}'s argument ${p.name}`;
    switch (p.kind) {
      case 'getter': {
        const c = this.expr(e);
        checkType(c, p.types, where);
        return c.eval;
      }
      case 'target': {
        if (e.k !== 'path') fail(e.pos, `${where} must be a path to a field (it is changed in place)`, 'write a path such as attributes["key"] or body');
        const c = this.expr(e);
        if (!c.target) fail(e.pos, `${where}: the path cannot be set`, 'choose a field that can be written');
        checkType(c, p.types, where);
        return c.target;
      }
      case 'string':
      case 'int':
      case 'bool': {
        const want = p.kind === 'string' ? 'string' : p.kind === 'int' ? 'bigint' : 'boolean';
        if (e.k !== 'lit' || typeof e.value !== want) fail(e.pos, `${where} must be a literal ${p.kind === 'int' ? 'int64' : p.kind}`, p.kind === 'string' ? 'write a quoted string' : p.kind === 'int' ? 'write a whole number' : 'write true or false');
        return (e as Extract<Expr, { k: 'lit' }>).value as string | bigint | boolean;
      }
      case 'strings': {
        if (e.k !== 'list') fail(e.pos, `${where} must be a list of strings`, 'write ["a", "b"]');
        return (e as Extract<Expr, { k: 'list' }>).items.map((x) => {
          if (x.k !== 'lit' || typeof x.value !== 'string') fail(x.pos, `${where} must be a list of literal strings`, 'quote each item');
          return (x as Extract<Expr, { k: 'lit' }>).value as string;
        });
      }
      case 'getters': {
        if (e.k !== 'list') fail(e.pos, `${where} must be a list`, 'write [a, b]');
        return (e as Extract<Expr, { k: 'list' }>).items.map((x) => this.expr(x).eval);
      }
      case 'function': {
        const name = e.k === 'enum' ? e.name : e.k === 'path' && e.fields.length === 1 ? e.fields[0]!.name : undefined;
        const f = name === undefined ? undefined : HASHES.get(name);
        if (f === undefined) fail(e.pos, `${where} must name a hash converter`, `write one of ${[...HASHES.keys()].join(', ')}`);
        return f;
      }
    }
  }

  condition(b: BoolExpr): (c: TCtx) => boolean {
    switch (b.k) {
      case 'or': {
        const terms = b.terms.map((t) => this.condition(t));
        return (c) => terms.some((t) => t(c));
      }
      case 'and': {
        const terms = b.terms.map((t) => this.condition(t));
        return (c) => terms.every((t) => t(c));
      }
      case 'not': {
        const t = this.condition(b.term);
        return (c) => !t(c);
      }
      case 'cmp': {
        const l = this.expr(b.left);
        const r = this.expr(b.right);
        const op = b.op;
        return (c) => compare(op, l.eval(c), r.eval(c));
      }
      case 'value': {
        if (!(b.value.k === 'call' || (b.value.k === 'lit' && typeof b.value.value === 'boolean'))) {
          fail(b.pos, 'a condition must be a comparison, a converter that returns a bool, or true/false', 'compare the value, e.g. attributes["b"] == true');
        }
        const v = this.expr(b.value);
        if (v.ty !== 'bool' && v.ty !== 'any') fail(b.pos, `a condition must be a boolean, not ${GO_TYPE[v.ty]}`, 'compare it, e.g. x == "value"');
        return (c) => {
          const x = v.eval(c);
          if (typeof x !== 'boolean') throw new OttlRuntimeError(`a condition must be a boolean, got ${GO_TYPE[typeOf(x)]}`);
          return x;
        };
      }
    }
  }
}

function checkType(c: Compiled, types: readonly Ty[] | undefined, where: string): void {
  if (types === undefined || c.ty === 'any' || types.includes(c.ty)) return;
  fail(c.expr.pos, `${where} must be ${types.map((t) => GO_TYPE[t]).join(' or ')}, not ${GO_TYPE[c.ty]}`, c.ty === 'nil' ? 'give a value' : types.includes('string') && c.ty !== 'map' ? 'convert it with String(...)' : `give a ${GO_TYPE[types[0] as Ty]}`);
}

function signature(def: FunctionDef): string {
  return `${def.name}(${def.params.map((p) => (p.optional ? `[${p.name}]` : p.name)).join(', ')})`;
}

const describeKey = (k: Value): string => (typeof k === 'string' ? JSON.stringify(k) : `[${String(k)}]`);

function index(v: Value, k: Value): Value {
  if (v === null) return null;
  if (v instanceof OMap) {
    if (typeof k !== 'string') throw new OttlRuntimeError(`a map is indexed by a string, not ${GO_TYPE[typeOf(k)]}`);
    const x = mapGet(v.kvs, k);
    return x === undefined ? null : fromAny(x);
  }
  if (v instanceof OList) {
    if (typeof k !== 'bigint') throw new OttlRuntimeError(`a list is indexed by an int, not ${GO_TYPE[typeOf(k)]}`);
    if (k < 0n || k >= BigInt(v.values.length)) throw new OttlRuntimeError(`index ${k} out of bounds`);
    return fromAny(v.values[Number(k)]);
  }
  throw new OttlRuntimeError(`type ${GO_TYPE[typeOf(v)]} does not support indexing with ${describeKey(k)}`);
}

/** The map or list at `k` in `container`, created as a map when a string key is missing (set's behaviour). */
function child(container: Value, k: Value): Value {
  if (container instanceof OMap && typeof k === 'string') {
    const existing = mapGet(container.kvs, k);
    const v = fromAny(existing);
    if (v instanceof OMap || v instanceof OList) return v;
    const fresh = { kvlistValue: { values: [] as KeyValue[] } };
    mapPut(container.kvs, k, fresh);
    return new OMap(ownArray<KeyValue>(fresh.kvlistValue, 'values'));
  }
  return index(container, k);
}

function arithmetic(op: '+' | '-' | '*' | '/', a: Value, b: Value): Value {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (op === '/' && b === 0n) throw new OttlRuntimeError('attempted to divide by 0');
    return BigInt.asIntN(64, op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b);
  }
  if (typeof a === 'number' && typeof b === 'number') {
    if (op === '/' && b === 0) throw new OttlRuntimeError('attempted to divide by 0');
    return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
  }
  if (a instanceof OTime && b instanceof OTime && op === '-') return new ODuration(a.ns - b.ns);
  if (a instanceof OTime && b instanceof ODuration && (op === '+' || op === '-')) return new OTime(op === '+' ? a.ns + b.ns : a.ns - b.ns);
  if (a instanceof ODuration && b instanceof ODuration && (op === '+' || op === '-')) return new ODuration(op === '+' ? a.ns + b.ns : a.ns - b.ns);
  throw new OttlRuntimeError(`unsupported arithmetic: ${GO_TYPE[typeOf(a)]} ${op} ${GO_TYPE[typeOf(b)]}`);
}

/** OTTL's comparison rules (LANGUAGE.md): mismatched types are unequal and not ordered. */
export function compare(op: CompareOp, a: Value, b: Value): boolean {
  const eq = op === '==';
  if (a === null || b === null) {
    if (op === '==' || op === '!=') return (a === b) === eq;
    return false;
  }
  let cmp: number | undefined;
  if (typeof a === 'string' && typeof b === 'string') cmp = a < b ? -1 : a > b ? 1 : 0;
  else if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    if (typeof a === 'bigint' && typeof b === 'bigint') cmp = a < b ? -1 : a > b ? 1 : 0;
    else {
      const x = Number(a);
      const y = Number(b);
      cmp = x < y ? -1 : x > y ? 1 : x === y ? 0 : undefined;
    }
  } else if (typeof a === 'boolean' && typeof b === 'boolean') {
    if (op === '==' || op === '!=') return (a === b) === eq;
    return false;
  } else if (a instanceof Uint8Array && b instanceof Uint8Array) cmp = Buffer.compare(Buffer.from(a), Buffer.from(b));
  else if ((a instanceof OTime && b instanceof OTime) || (a instanceof ODuration && b instanceof ODuration)) cmp = a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0;
  else if (op === '==' || op === '!=') return deepEqual(a, b) === eq;
  if (cmp === undefined) return op === '!=';
  switch (op) {
    case '==':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
  }
}

// ---- public API

export interface CompiledStatement {
  readonly text: string;
  readonly context: ContextName;
  /** Runs the statement on one item (throws OttlRuntimeError when it fails on it). */
  run(c: TCtx): void;
}

export type CompiledCondition = (c: TCtx) => boolean;

/** Parse, check and compile one statement for a context; throws OttlSyntaxError. */
export function compileStatement(text: string, context: ContextName): CompiledStatement {
  const st: Statement = parseStatement(text);
  const compiler = new Compiler(context);
  const editor = compiler.call(st.editor, true).eval;
  const where = st.where === undefined ? undefined : compiler.condition(st.where);
  return {
    text,
    context,
    run: where === undefined ? (c) => void editor(c) : (c) => void (where(c) && editor(c)),
  };
}

/** Parse, check and compile one condition for a context; throws OttlSyntaxError. */
export function compileCondition(text: string, context: ContextName): CompiledCondition {
  return new Compiler(context).condition(parseCondition(text));
}

/** The context names a statement's paths start with (`log.attributes` → log), for inference. */
export function contextsNamed(text: string): Set<ContextName> {
  const out = new Set<ContextName>();
  // Strings are skipped so that a literal "span.name" names nothing.
  const code = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of code.matchAll(/(?<![\w.])([a-z_]+)\s*\./g)) {
    const c = contextOfName(m[1] as string);
    if (c !== undefined) out.add(c);
  }
  return out;
}

const DEPTH: Readonly<Record<ContextName, number>> = { resource: 0, scope: 1, log: 2, span: 2, metric: 2, spanevent: 3, datapoint: 3, request: 0 };

/**
 * The context of statements written without one (the Collector's flat list of strings): the
 * deepest context their paths name, among those `allowed` for the signal.
 */
export function inferContext(texts: readonly string[], allowed: readonly ContextName[]): { context?: ContextName; problem?: string } {
  const named = new Set<ContextName>();
  for (const t of texts) for (const c of contextsNamed(t)) named.add(c);
  if (named.size === 0) return { problem: 'no path names its context' };
  const outside = [...named].filter((c) => !allowed.includes(c));
  if (outside.length > 0) return { problem: `the ${outside.join(', ')} context is not available here (only ${allowed.join(', ')})` };
  const deepest = [...named].sort((a, b) => DEPTH[b] - DEPTH[a]);
  const top = deepest[0] as ContextName;
  for (const c of named) if (!reaches(top, c)) return { problem: `paths of the ${top} and ${c} contexts cannot be mixed` };
  return { context: top };
}

export { CONTEXT_NAMES };
export type { ContextName, TCtx };
