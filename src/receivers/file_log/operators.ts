// The stanza operators users write in a file_log config, compiled into one graph: parsers
// (json, regex, container, severity, time), transformers (move, add, remove, copy, flatten),
// and router. Each runs on one entry and hands it to its output (by default the next one).
import type { ConfigProblem } from '../../component.js';
import { compileContainer } from './container.js';
import type { Entry, Field, Value, ValueMap } from './entry.js';
import { deleteField, getField, isMap, mergeInto, parseField, setField } from './entry.js';
import type { Predicate } from './expr.js';
import { compileExpr, goRegex } from './expr.js';
import type { SeverityConfig } from './severity.js';
import { compileSeverity } from './severity.js';
import type { LayoutType } from './timeparse.js';
import { compileTimeParser } from './timeparse.js';

export type OperatorConfig = Record<string, unknown> & { type: string; id?: string; output?: string | string[] };

export const OPERATOR_TYPES = [
  'json_parser',
  'regex_parser',
  'container',
  'severity_parser',
  'time_parser',
  'move',
  'add',
  'remove',
  'copy',
  'flatten',
  'router',
  'noop',
] as const;

/** Where an operator sends an entry: the next operators' ids. */
type Forward = (entry: Entry, outputs: readonly string[]) => void;

interface Built {
  readonly id: string;
  readonly outputs: readonly string[];
  /** Handle one entry; call forward (zero, one or more times). */
  handle(entry: Entry, source: string, forward: Forward): void;
  /** Whether it holds an unfinished entry of `source` (a partial container line). */
  holding?(source: string): boolean;
}

export interface PipelineCounters {
  /** An operator failed on an entry (sent on or dropped per on_error). */
  error(operatorId: string, message: string, dropped: boolean): void;
  /** An entry no route matched and no default took. */
  unrouted(): void;
}

/** The compiled graph: entries go in, finished entries come out through `emit`. */
export class OperatorPipeline {
  private readonly byId = new Map<string, Built>();
  private readonly first: string | undefined;

  constructor(
    ops: readonly Built[],
    private readonly emit: (entry: Entry) => void,
    private readonly counters: PipelineCounters,
  ) {
    for (const op of ops) this.byId.set(op.id, op);
    this.first = ops[0]?.id;
  }

  /** Run one entry (from `source`, a file path, for operators that keep per-file state). */
  process(entry: Entry, source: string): void {
    if (this.first === undefined) this.emit(entry);
    else this.run(entry, this.first, source);
  }

  /** Whether an operator holds an unfinished entry of `source`: its offset must not be stored yet. */
  holding(source: string): boolean {
    for (const op of this.byId.values()) if (op.holding?.(source) === true) return true;
    return false;
  }

  private run(entry: Entry, id: string, source: string): void {
    if (id === OUT) {
      this.emit(entry);
      return;
    }
    const op = this.byId.get(id) as Built;
    op.handle(entry, source, (e, outputs) => {
      if (outputs.length === 1) this.run(e, outputs[0] as string, source);
      else outputs.forEach((o, i) => this.run(i === 0 ? e : cloneEntry(e), o, source));
    });
  }

  get counter(): PipelineCounters {
    return this.counters;
  }
}

/** The receiver's own output: entries that reach it become log records. */
const OUT = '\u0000out';

export function cloneEntry(e: Entry): Entry {
  return { ...e, body: structuredClone(e.body), attributes: structuredClone(e.attributes), resource: structuredClone(e.resource) };
}

type OnError = 'send' | 'send_quiet' | 'drop' | 'drop_quiet';

class Problems {
  readonly list: ConfigProblem[] = [];
  constructor(private readonly base: string) {}
  add(key: string, message: string, fix?: string): void {
    this.list.push({ path: key === '' ? this.base : `${this.base}.${key}`, message, fix });
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function field(cfg: OperatorConfig, key: string, p: Problems, fallback?: string): Field | undefined {
  const text = str(cfg[key]) ?? fallback;
  if (text === undefined) {
    p.add(key, `${cfg.type} needs ${key}`, `e.g. ${key}: attributes.name`);
    return undefined;
  }
  try {
    return parseField(text);
  } catch (err) {
    p.add(key, (err as Error).message);
    return undefined;
  }
}

interface ParserParts {
  readonly condition: Predicate | undefined;
  readonly onError: OnError;
  readonly after: ((e: Entry) => void)[];
}

function compileCondition(cfg: OperatorConfig, p: Problems): Predicate | undefined {
  const src = str(cfg.if);
  if (src === undefined) return undefined;
  try {
    return compileExpr(src);
  } catch (err) {
    p.add('if', `invalid expression: ${(err as Error).message}`, 'e.g. if: \'body matches "^{"\' or if: \'attributes.level == "error"\'');
    return undefined;
  }
}

function severityStep(cfg: unknown, p: Problems, key: string): ((e: Entry) => void) | undefined {
  if (!isMap(cfg)) {
    p.add(key, 'must be a map with parse_from (and mapping, preset)');
    return undefined;
  }
  const from = field(cfg as OperatorConfig, 'parse_from', p);
  try {
    const parser = compileSeverity(cfg as unknown as SeverityConfig);
    if (from === undefined) return undefined;
    return (e) => {
      const v = getField(e, from);
      if (v === undefined) throw new Error(`severity: ${from.text} is missing`);
      const s = parser.parse(v);
      e.severity = s.number;
      e.severityText = s.text;
    };
  } catch (err) {
    p.add(key, (err as Error).message);
    return undefined;
  }
}

function timeStep(cfg: unknown, p: Problems, key: string): ((e: Entry) => void) | undefined {
  if (!isMap(cfg)) {
    p.add(key, 'must be a map with parse_from, layout_type and layout');
    return undefined;
  }
  const c = cfg as OperatorConfig;
  const from = field(c, 'parse_from', p);
  const layoutType = (str(c.layout_type) ?? 'strptime') as LayoutType;
  if (!['strptime', 'gotime', 'epoch'].includes(layoutType)) {
    p.add(`${key}.layout_type`, `unknown layout_type "${layoutType}"`, 'use strptime, gotime or epoch');
    return undefined;
  }
  const layout = str(c.layout);
  if (layout === undefined) {
    p.add(`${key}.layout`, 'a layout is required', layoutType === 'epoch' ? 'e.g. layout: s' : 'e.g. layout: "%Y-%m-%dT%H:%M:%S.%L%z"');
    return undefined;
  }
  try {
    const parser = compileTimeParser(layoutType, layout, str(c.location));
    if (from === undefined) return undefined;
    return (e) => {
      const v = getField(e, from);
      if (v === undefined) throw new Error(`timestamp: ${from.text} is missing`);
      e.timestamp = parser.parse(v);
    };
  } catch (err) {
    p.add(key, (err as Error).message);
    return undefined;
  }
}

function parserParts(cfg: OperatorConfig, p: Problems): ParserParts {
  const onError = (str(cfg.on_error) ?? 'send') as OnError;
  if (!['send', 'send_quiet', 'drop', 'drop_quiet'].includes(onError)) p.add('on_error', `unknown on_error "${onError}"`, 'use send, send_quiet, drop or drop_quiet');
  const after: ((e: Entry) => void)[] = [];
  if (cfg.timestamp !== undefined) {
    const t = timeStep(cfg.timestamp, p, 'timestamp');
    if (t) after.push(t);
  }
  if (cfg.severity !== undefined) {
    const s = severityStep(cfg.severity, p, 'severity');
    if (s) after.push(s);
  }
  return { condition: compileCondition(cfg, p), onError, after };
}

/** A step that may throw: errors follow on_error (send the entry on unchanged past the failure, or drop it). */
function guarded(id: string, outputs: readonly string[], parts: ParserParts, counters: () => PipelineCounters, step: (e: Entry, source: string) => boolean): Built {
  return {
    id,
    outputs,
    handle(entry, source, forward) {
      if (parts.condition !== undefined && !parts.condition(entry)) {
        forward(entry, outputs);
        return;
      }
      try {
        // false: the step holds the entry (a partial line waiting for its rest).
        if (!step(entry, source)) return;
        for (const a of parts.after) a(entry);
      } catch (err) {
        const drop = parts.onError === 'drop' || parts.onError === 'drop_quiet';
        counters().error(id, (err as Error).message, drop);
        if (drop) return;
      }
      forward(entry, outputs);
    },
  };
}

function toMapValues(v: unknown): ValueMap {
  return isMap(v) ? v : { value: v };
}

/**
 * Compile the operators; problems name `operators.N.key`. `emit` receives finished entries.
 * With problems, the pipeline is undefined.
 */
export function compileOperators(
  configs: readonly OperatorConfig[],
  emit: (entry: Entry) => void,
  counters: PipelineCounters,
  maxLogSize: number,
): { pipeline: OperatorPipeline | undefined; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const ids = configs.map((c, i) => str(c.id) ?? (configs.filter((d, j) => j < i && (str(d.id) ?? d.type) === c.type).length === 0 ? c.type : `${c.type}${i}`));
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) problems.push({ path: `operators.${i}.id`, message: `operator id "${id}" is used twice`, fix: 'give each operator its own id' });
    seen.add(id);
  });
  const built: Built[] = [];
  const getCounters = (): PipelineCounters => counters;
  configs.forEach((cfg, i) => {
    const p = new Problems(`operators.${i}`);
    const id = ids[i] as string;
    const explicit = cfg.output === undefined ? undefined : Array.isArray(cfg.output) ? cfg.output.map(String) : [String(cfg.output)];
    const outputs = explicit ?? [ids[i + 1] ?? OUT];
    for (const o of explicit ?? []) if (!ids.includes(o)) p.add('output', `no operator has the id "${o}"`, `one of: ${ids.join(', ')}`);
    const op = compileOne(cfg, id, outputs, p, getCounters, maxLogSize);
    problems.push(...p.list);
    if (op) built.push(op);
  });
  problems.push(...checkRouteOutputs(configs, ids));
  if (problems.length > 0) return { pipeline: undefined, problems };
  return { pipeline: new OperatorPipeline(built, emit, counters), problems };
}

function compileOne(cfg: OperatorConfig, id: string, outputs: readonly string[], p: Problems, counters: () => PipelineCounters, maxLogSize: number): Built | undefined {
  switch (cfg.type) {
    case 'json_parser': {
      const parts = parserParts(cfg, p);
      const from = field(cfg, 'parse_from', p, 'body');
      const to = field(cfg, 'parse_to', p, 'attributes');
      if (!from || !to) return undefined;
      return guarded(id, outputs, parts, counters, (e) => {
        const v = getField(e, from);
        const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
        if (!isMap(parsed)) throw new Error(`${from.text} is not a JSON object`);
        if (to.root === 'body' && to.keys.length === 0) e.body = parsed;
        else mergeInto(e, to, parsed);
        return true;
      });
    }
    case 'regex_parser': {
      const parts = parserParts(cfg, p);
      const from = field(cfg, 'parse_from', p, 'body');
      const to = field(cfg, 'parse_to', p, 'attributes');
      const src = str(cfg.regex);
      let re: RegExp | undefined;
      if (src === undefined) p.add('regex', 'regex_parser needs a regex with named groups', 'e.g. regex: \'^(?P<time>\\S+) (?P<sev>\\w+) (?P<msg>.*)$\'');
      else {
        try {
          re = goRegex(src);
          if (!/\(\?P?<[A-Za-z_]/.test(src)) p.add('regex', 'the regex has no named group', 'name the parts to keep: (?P<name>…)');
        } catch (err) {
          p.add('regex', `invalid regex: ${(err as Error).message}`);
        }
      }
      if (!from || !to || !re) return undefined;
      const regex = re;
      return guarded(id, outputs, parts, counters, (e) => {
        const v = getField(e, from);
        if (typeof v !== 'string') throw new Error(`${from.text} is not a string`);
        const m = regex.exec(v);
        if (!m) throw new Error('regex pattern does not match');
        const values: ValueMap = {};
        for (const [k, g] of Object.entries(m.groups ?? {})) if (g !== undefined) values[k] = g;
        if (to.root === 'body' && to.keys.length === 0) e.body = values;
        else mergeInto(e, to, values);
        return true;
      });
    }
    case 'container': {
      const parts = parserParts(cfg, p);
      const container = compileContainer(cfg, p, maxLogSize);
      if (!container) return undefined;
      return { ...guarded(id, outputs, parts, counters, (e, source) => container.parse(e, source)), holding: (source: string) => container.holding(source) };
    }
    case 'severity_parser': {
      const step = severityStep(cfg, p, '');
      const parts = { ...parserParts({ ...cfg, severity: undefined, timestamp: undefined }, p) };
      if (!step) return undefined;
      return guarded(id, outputs, parts, counters, (e) => (step(e), true));
    }
    case 'time_parser': {
      const step = timeStep(cfg, p, '');
      const parts = parserParts({ ...cfg, severity: undefined, timestamp: undefined }, p);
      if (!step) return undefined;
      return guarded(id, outputs, parts, counters, (e) => (step(e), true));
    }
    case 'move':
    case 'copy': {
      const parts = parserParts(cfg, p);
      const from = field(cfg, 'from', p);
      const to = field(cfg, 'to', p);
      if (!from || !to) return undefined;
      const move = cfg.type === 'move';
      return guarded(id, outputs, parts, counters, (e) => {
        const v = move ? deleteField(e, from) : structuredClone(getField(e, from));
        if (v === undefined) throw new Error(`${cfg.type}: ${from.text} is missing`);
        if ((to.root === 'attributes' || to.root === 'resource') && to.keys.length === 0) mergeInto(e, to, toMapValues(v));
        else setField(e, to, v);
        return true;
      });
    }
    case 'add': {
      const parts = parserParts(cfg, p);
      const to = field(cfg, 'field', p);
      if (!('value' in cfg)) p.add('value', 'add needs a value');
      if (!to) return undefined;
      const value = cfg.value as Value;
      if (typeof value === 'string' && /^EXPR\(/.test(value)) p.add('value', 'EXPR(...) values are not supported', 'use a literal value, or copy/move for a field');
      return guarded(id, outputs, parts, counters, (e) => {
        setField(e, to, structuredClone(value));
        return true;
      });
    }
    case 'remove': {
      const parts = parserParts(cfg, p);
      const f = field(cfg, 'field', p);
      if (!f) return undefined;
      return guarded(id, outputs, parts, counters, (e) => {
        if (deleteField(e, f) === undefined && f.keys.length > 0) throw new Error(`remove: ${f.text} is missing`);
        return true;
      });
    }
    case 'flatten': {
      const parts = parserParts(cfg, p);
      const f = field(cfg, 'field', p);
      if (f && f.keys.length === 0) p.add('field', 'flatten needs a map inside body or attributes', 'e.g. field: body.nested');
      if (!f || f.keys.length === 0) return undefined;
      const parent: Field = { root: f.root, keys: f.keys.slice(0, -1), text: f.text };
      return guarded(id, outputs, parts, counters, (e) => {
        const v = deleteField(e, f);
        if (!isMap(v)) throw new Error(`flatten: ${f.text} is not a map`);
        mergeInto(e, parent, v);
        return true;
      });
    }
    case 'router': {
      const routes: { when: Predicate; outputs: string[]; attributes: ValueMap }[] = [];
      const raw = Array.isArray(cfg.routes) ? cfg.routes : [];
      if (raw.length === 0) p.add('routes', 'a router needs routes', 'routes: [{expr: \'body matches "^{"\', output: json}]');
      raw.forEach((r: unknown, j) => {
        if (!isMap(r)) return p.add(`routes.${j}`, 'a route is a map with expr and output');
        const expr = str(r.expr);
        const out = r.output === undefined ? [] : Array.isArray(r.output) ? r.output.map(String) : [String(r.output)];
        if (expr === undefined) return p.add(`routes.${j}.expr`, 'a route needs expr');
        if (out.length === 0) p.add(`routes.${j}.output`, 'a route needs output');
        try {
          routes.push({ when: compileExpr(expr), outputs: out, attributes: isMap(r.attributes) ? r.attributes : {} });
        } catch (err) {
          p.add(`routes.${j}.expr`, `invalid expression: ${(err as Error).message}`);
        }
      });
      const defaults = cfg.default === undefined ? [] : Array.isArray(cfg.default) ? cfg.default.map(String) : [String(cfg.default)];
      return {
        id,
        outputs,
        handle(entry, _source, forward) {
          for (const r of routes) {
            if (!r.when(entry)) continue;
            Object.assign(entry.attributes, structuredClone(r.attributes));
            forward(entry, r.outputs);
            return;
          }
          if (defaults.length > 0) forward(entry, defaults);
          else counters().unrouted();
        },
      };
    }
    case 'noop':
      return { id, outputs, handle: (entry, _s, forward) => forward(entry, outputs) };
    default:
      p.add('type', `unknown operator type "${cfg.type}"`, `use one of: ${OPERATOR_TYPES.join(', ')}`);
      return undefined;
  }
}

/** Route outputs must name operators: checked after all are compiled. */
export function checkRouteOutputs(configs: readonly OperatorConfig[], ids: readonly string[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  configs.forEach((c, i) => {
    if (c.type !== 'router') return;
    const routes = Array.isArray(c.routes) ? c.routes : [];
    routes.forEach((r: unknown, j) => {
      if (!isMap(r)) return;
      const outs = r.output === undefined ? [] : Array.isArray(r.output) ? r.output.map(String) : [String(r.output)];
      for (const o of outs) if (!ids.includes(o)) problems.push({ path: `operators.${i}.routes.${j}.output`, message: `no operator has the id "${o}"`, fix: `one of: ${ids.join(', ')}` });
    });
    const defs = c.default === undefined ? [] : Array.isArray(c.default) ? c.default.map(String) : [String(c.default)];
    for (const o of defs) if (!ids.includes(o)) problems.push({ path: `operators.${i}.default`, message: `no operator has the id "${o}"`, fix: `one of: ${ids.join(', ')}` });
  });
  return problems;
}
