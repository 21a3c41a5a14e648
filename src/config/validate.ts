// Validates the merged, expanded configuration: top-level sections, every component's
// id and config (JSON Schema via ajv, then the factory's own check), then the service.
import { Ajv } from 'ajv';
import type { SchemaObject, ValidateFunction } from 'ajv';
import type { AnyFactory, ComponentKind, Components, ConfigProblem } from '../component.js';
import type { ConfigError } from './types.js';
import type { ConfigMap, ConfigPath, Origins, PathSegment } from './merge.js';
import { isConfigMap, setOwn } from './merge.js';
import { configError, describeValue, formatPath, fromAjvError, pointerToPath, pruneBranchErrors } from './errors.js';
import { pathKey } from './expand.js';
import { didYouMean, knownList, nearest } from './suggest.js';

/** Everything a check needs, and where it reports. */
export interface ValidationContext {
  readonly origins: Origins;
  /** Text behind whole-value references that became non-strings (see expand.ts). */
  readonly originals: ReadonlyMap<string, string>;
  readonly errors: ConfigError[];
  readonly warnings: string[];
}

export type SectionKey = 'receivers' | 'processors' | 'exporters' | 'extensions' | 'connectors';
export const SECTIONS: readonly SectionKey[] = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'];
export const KIND_OF: Readonly<Record<SectionKey, ComponentKind>> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  extensions: 'extension',
  connectors: 'connector',
};
const TOP_LEVEL = [...SECTIONS, 'service'];

/** One configured component after validation. */
export interface CheckedComponent {
  readonly id: string;
  readonly type: string;
  /** Undefined when the type is unknown. */
  readonly factory: AnyFactory | undefined;
  readonly config: unknown;
  readonly valid: boolean;
}

// One ajv for the process: compiled validators are cached per schema object.
// Strict, so a component schema with a typo in a keyword fails loudly in tests;
// no type coercion, so `"5"` for a number is an error rather than a guess. Union
// types stay allowed: attribute values are legitimately string | number | boolean.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, coerceTypes: false, verbose: true });
const compiled = new WeakMap<SchemaObject, ValidateFunction>();

/** Compile a config schema with the loader's settings; throws if the schema is not strict-valid. */
export function compileConfigSchema(schema: SchemaObject): ValidateFunction {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function isObjectSchema(s: unknown): boolean {
  if (!isConfigMap(s)) return false;
  return s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object') && !s.type.includes('null'));
}

/**
 * `protocols: {grpc: , http: }` means "enabled with defaults" in the Collector: a null
 * where the schema wants a map becomes an empty map, which ajv then fills with defaults.
 */
export function fillNullMaps(schema: unknown, data: unknown): void {
  if (!isConfigMap(schema)) return;
  if (Array.isArray(data) && isConfigMap(schema.items)) {
    const items = schema.items;
    data.forEach((v, i) => {
      if (v === null && isObjectSchema(items)) data[i] = {};
      fillNullMaps(items, data[i]);
    });
    return;
  }
  if (!isConfigMap(data)) return;
  const props = isConfigMap(schema.properties) ? schema.properties : {};
  for (const key of Object.keys(data)) {
    const sub = Object.hasOwn(props, key) ? props[key] : schema.additionalProperties;
    if (!isConfigMap(sub)) continue;
    if (data[key] === null && isObjectSchema(sub)) setOwn(data, key, {});
    fillNullMaps(sub, data[key]);
  }
}

/**
 * `enabled` on an optional section, as the Collector's configoptional reads it:
 * `grpc: {enabled: false, …}` is the section switched off (as if absent), `enabled: true`
 * the section on. Only for sections whose schema has no `enabled` of its own
 * (sending_queue, retry_on_failure… keep theirs).
 */
export function applyEnabledFlags(schema: unknown, data: unknown): void {
  if (!isConfigMap(schema)) return;
  if (Array.isArray(data)) {
    for (const v of data) applyEnabledFlags(schema.items, v);
    return;
  }
  if (!isConfigMap(data)) return;
  const props = isConfigMap(schema.properties) ? schema.properties : {};
  for (const key of Object.keys(data)) {
    const sub = Object.hasOwn(props, key) ? props[key] : schema.additionalProperties;
    if (!isConfigMap(sub)) continue;
    const value = data[key];
    const subProps = isConfigMap(sub.properties) ? sub.properties : undefined;
    if (isObjectSchema(sub) && subProps !== undefined && !Object.hasOwn(subProps, 'enabled') && isConfigMap(value) && typeof value.enabled === 'boolean') {
      if (!value.enabled) {
        delete data[key];
        continue;
      }
      delete value.enabled;
    }
    applyEnabledFlags(sub, value);
  }
}

function setAtPointer(data: unknown, path: readonly PathSegment[], value: unknown): boolean {
  if (path.length === 0) return false;
  let cur = data;
  for (const seg of path.slice(0, -1)) cur = Array.isArray(cur) ? cur[seg as number] : isConfigMap(cur) ? cur[seg as string] : undefined;
  const last = path[path.length - 1] as PathSegment;
  if (Array.isArray(cur) && typeof last === 'number') cur[last] = value;
  else if (isConfigMap(cur) && typeof last === 'string') setOwn(cur, last, value);
  else return false;
  return true;
}

/**
 * Validate `data` (in place: defaults are filled in) against `schema`, reporting every
 * error under `basePath`. Returns whether it is valid.
 */
export function checkAgainstSchema(schema: SchemaObject, data: unknown, basePath: ConfigPath, ctx: ValidationContext, owner: string): boolean {
  let validate: ValidateFunction;
  try {
    validate = compileConfigSchema(schema);
  } catch (err) {
    ctx.errors.push(configError(ctx.origins, basePath, `the configuration schema of ${owner} is invalid: ${(err as Error).message}`, 'this is a bug in Ferry; please report it'));
    return false;
  }
  fillNullMaps(schema, data);
  applyEnabledFlags(schema, data);
  // A whole-value `${env:X}` that parsed as a number (or map…) where the schema wants a
  // string gets its text back, then we validate again; each round restores at least
  // one, so there are at most originals.size + 1 rounds.
  for (let round = 0; ; round++) {
    if (validate(data)) return true;
    const errors = validate.errors ?? [];
    let restored = false;
    if (round > ctx.originals.size) break;
    for (const e of errors) {
      if (e.keyword !== 'type' || !String((e.params as { type?: unknown }).type).split(',').includes('string')) continue;
      const rel = pointerToPath(data, e.instancePath);
      const original = ctx.originals.get(pathKey([...basePath, ...rel]));
      if (original !== undefined && setAtPointer(data, rel, original)) restored = true;
    }
    if (!restored) break;
  }
  const seen = new Set<string>();
  for (const e of pruneBranchErrors(validate.errors ?? [])) {
    const ce = fromAjvError(e, data, basePath, ctx.origins);
    const key = `${ce.path}\u0000${ce.message}`;
    if (!seen.has(key)) ctx.errors.push(ce);
    seen.add(key);
  }
  return false;
}

const TYPE_PATTERN = /^[a-zA-Z][0-9a-zA-Z_]{0,62}$/;
// The Collector's rule: any characters except whitespace, control characters and symbols.
const NAME_PATTERN = /^[^\p{Z}\p{C}\p{S}]+$/u;

/** Why `id` is not a valid `type[/name]`, or undefined when it is. */
export function idProblem(id: string): string | undefined {
  const slash = id.indexOf('/');
  const type = slash < 0 ? id : id.slice(0, slash);
  if (type === '') return 'the type before / must not be empty';
  if (!TYPE_PATTERN.test(type)) return `invalid type "${type}": a type is a letter followed by up to 62 letters, digits or _`;
  if (slash < 0) return undefined;
  const name = id.slice(slash + 1);
  if (name === '') return 'the name after / must not be empty';
  if (name.length > 1024) return 'the name after / is longer than 1024 characters';
  if (!NAME_PATTERN.test(name)) return `invalid name "${name}": no spaces, control characters or symbols`;
  return undefined;
}

/** Top-level keys: the five component sections and `service`. */
export function checkTopLevel(root: ConfigMap, ctx: ValidationContext): void {
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL.includes(key)) {
      ctx.errors.push(configError(ctx.origins, [key], `unknown top-level key "${key}"`, `${didYouMean(key, TOP_LEVEL)}known keys: ${knownList(TOP_LEVEL)}`));
    }
  }
}

/** A factory's dot path (`headers.x`, `items[0].key` or `items.0.key`) as path segments. */
function problemPath(config: unknown, dotted: string): PathSegment[] {
  const out: PathSegment[] = [];
  let cur = config;
  for (const piece of dotted === '' ? [] : dotted.split('.')) {
    for (const part of piece.split(/(?=\[)/)) {
      const index = /^\[(\d+)\]$/.exec(part);
      const seg: PathSegment = index !== null ? Number(index[1]) : Array.isArray(cur) && /^\d+$/.test(part) ? Number(part) : part;
      out.push(seg);
      cur = Array.isArray(cur) ? cur[seg as number] : isConfigMap(cur) ? cur[String(seg)] : undefined;
    }
  }
  return out;
}

/** Check one section (`receivers:` …): ids, types, schemas, factory checks. */
export function checkSection(root: ConfigMap, section: SectionKey, components: Components, ctx: ValidationContext): Map<string, CheckedComponent> {
  const out = new Map<string, CheckedComponent>();
  const raw = root[section];
  if (raw === undefined || raw === null) return out;
  const factories: ReadonlyMap<string, AnyFactory> = components[section] ?? new Map<string, AnyFactory>();
  const kind = KIND_OF[section];
  if (!isConfigMap(raw)) {
    ctx.errors.push(configError(ctx.origins, [section], `must be a map of ${kind} id to its settings, got ${describeValue(raw)}`, `under ${section}: put one indented key per ${kind}, such as otlp: or otlp/backend:, with its settings below it`));
    return out;
  }
  for (const id of Object.keys(raw)) {
    const path = [section, id];
    const bad = idProblem(id);
    if (bad !== undefined) {
      ctx.errors.push(configError(ctx.origins, path, `invalid ${kind} id "${id}": ${bad}`, 'ids are type or type/name, e.g. otlp or otlp/backend'));
      out.set(id, { id, type: id, factory: undefined, config: raw[id], valid: false });
      continue;
    }
    const slash = id.indexOf('/');
    const type = slash < 0 ? id : id.slice(0, slash);
    const factory = factories.get(type);
    if (factory === undefined) {
      // Suggest among every name, but always the current one; list only current names.
      const near = nearest(type, factories.keys());
      const suggestion = near === undefined ? '' : `did you mean "${(factories.get(near) as AnyFactory).type}"? `;
      const known = [...new Set([...factories.values()].map((f) => f.type))];
      ctx.errors.push(configError(ctx.origins, path, `unknown ${kind} type "${type}"`, `${suggestion}known ${kind} types: ${knownList(known)}`));
      out.set(id, { id, type, factory: undefined, config: raw[id], valid: false });
      continue;
    }
    if (factory.type !== type) {
      warnAt(ctx, path, `${kind} type "${type}" is deprecated; its current name is "${factory.type}" (write ${factory.type}${slash < 0 ? '' : id.slice(slash)}:)`);
    }
    // `otlp:` with nothing under it is the component with all defaults.
    const config: unknown = raw[id] ?? {};
    if (!isConfigMap(config)) {
      ctx.errors.push(configError(ctx.origins, path, `the settings of ${kind} "${id}" must be a map, got ${describeValue(config)}`, `write "${id}:" followed by its settings indented below, or nothing for the defaults`));
      out.set(id, { id, type, factory, config, valid: false });
      continue;
    }
    setOwn(raw, id, config);
    // ajv fills defaults into `config` in place.
    let valid = checkAgainstSchema(factory.configSchema, config, path, ctx, `${kind} "${type}"`);
    if (valid && factory.validate !== undefined) {
      let problems: readonly ConfigProblem[];
      try {
        problems = factory.validate(config);
      } catch (err) {
        problems = [{ path: '', message: `the check of ${kind} "${type}" failed: ${(err as Error).message}`, fix: 'this is a bug in Ferry; please report it' }];
      }
      let errors = 0;
      for (const p of problems) {
        const sub = problemPath(config, p.path);
        if (p.severity === 'warning') {
          warnAt(ctx, [...path, ...sub], p.fix === undefined ? p.message : `${p.message} (${p.fix})`);
          continue;
        }
        errors++;
        ctx.errors.push(configError(ctx.origins, [...path, ...sub], p.message, p.fix));
      }
      valid = errors === 0;
    }
    out.set(id, { id, type, factory, config, valid });
  }
  return out;
}

/** `receivers.otlp/2: receiver "otlp/2" …` as a warning line. */
export function warnAt(ctx: ValidationContext, path: ConfigPath, message: string): void {
  ctx.warnings.push(`${ctx.origins.fileOf(path)}: ${formatPath(path)}: ${message}`);
}
