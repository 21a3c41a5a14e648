// Configuration errors a user can act on: which file, which path, what is wrong and
// how to fix it; turns ajv's schema errors into that shape and prints them.
import type { ErrorObject } from 'ajv';
import type { ConfigError } from './types.js';
import type { ConfigPath, Origins, PathSegment } from './merge.js';
import { isConfigMap } from './merge.js';
import { DURATION_PATTERN } from './units.js';
import { didYouMean, knownList } from './suggest.js';

export type { ConfigError } from './types.js';

/** Thrown by callers that want an exception; carries every error, not only the first. */
export class ConfigLoadError extends Error {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super(`invalid configuration (${errors.length} error${errors.length === 1 ? '' : 's'}):\n${formatConfigErrors(errors)}`);
    this.name = 'ConfigLoadError';
    this.errors = errors;
  }
}

const PLAIN_KEY = /^[^.[\]\s"]+$/;

/** `exporters.otlphttp/backend.endpoint`, `service.pipelines.logs.exporters[1]`; odd keys as `["a.b"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function configError(origins: Origins, path: ConfigPath, message: string, fix?: string): ConfigError {
  const e: { file: string; path: string; message: string; fix?: string } = { file: origins.fileOf(path), path: formatPath(path), message };
  if (fix !== undefined && fix !== '') e.fix = fix;
  return e;
}

/** One line per error: `file: path: message (fix: …)`. */
export function formatConfigErrors(errors: readonly ConfigError[]): string {
  return errors
    .map((e) => {
      const where = [e.file, e.path].filter((s) => s !== '').join(': ');
      const fix = e.fix === undefined ? '' : ` (fix: ${e.fix})`;
      return `${where === '' ? '' : `${where}: `}${e.message}${fix}`;
    })
    .join('\n');
}

/** The value as a user would recognise it in a message. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (isConfigMap(v)) return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `the boolean ${String(v)}`;
  if (typeof v === 'number') return `the number ${String(v)}`;
  return String(v);
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'empty',
};

function typeWords(t: unknown): string {
  const types = Array.isArray(t) ? t : String(t).split(',');
  return types.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

function schemaProp(schema: unknown, key: string): string | undefined {
  if (!isConfigMap(schema)) return undefined;
  const v = schema[key];
  return typeof v === 'string' ? v : undefined;
}

function withDescription(fix: string, description: string | undefined): string {
  return description === undefined ? fix : `${fix} (${description.replace(/\.$/, '')})`;
}

/** Turn an ajv JSON pointer into path segments, using the data to tell list indices from keys. */
export function pointerToPath(data: unknown, pointer: string): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let cur = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(key);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(key);
      cur = isConfigMap(cur) ? cur[key] : undefined;
    }
  }
  return out;
}

/**
 * Drop the per-branch noise of anyOf/oneOf: the one "matches none of the forms"
 * error says more than every branch's complaint.
 */
export function pruneBranchErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  return errors.filter((e) => !unions.some((u) => e.schemaPath.startsWith(u)));
}

/** The properties whose own schema knows `key`: where a key written one level too far left belongs. */
function childrenOwning(properties: Record<string, unknown>, key: string): string[] {
  return Object.entries(properties)
    .filter(([, schema]) => isConfigMap(schema) && isConfigMap(schema.properties) && key in schema.properties)
    .map(([name]) => name);
}

/** One ajv error (compiled with `verbose`) as a ConfigError at `basePath` + the instance path. */
export function fromAjvError(err: ErrorObject, data: unknown, basePath: ConfigPath, origins: Origins): ConfigError {
  const at = [...basePath, ...pointerToPath(data, err.instancePath)];
  const parent: unknown = err.parentSchema;
  const description = schemaProp(parent, 'description');
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const props = isConfigMap(parent) && isConfigMap(parent.properties) ? Object.keys(parent.properties) : [];
      // A key of one of the children, written at this level: an indentation mistake.
      const owners = isConfigMap(parent) && isConfigMap(parent.properties) ? childrenOwning(parent.properties, key) : [];
      if (owners.length > 0) {
        const under = owners.map((o) => `"${o}:"`).join(' or ');
        return configError(
          origins,
          [...at, key],
          `unknown key "${key}" at this level, but ${owners.map((o) => [...at, o, key].join('.')).join(' and ')} ${owners.length === 1 ? 'is a known key' : 'are known keys'}: check its indentation`,
          `indent "${key}:" two more spaces, under ${under}`,
        );
      }
      const fix =
        props.length === 0 ? 'remove it: nothing is configurable here' : `${didYouMean(key, props)}known keys: ${knownList(props)}`;
      return configError(origins, [...at, key], `unknown key "${key}"`, fix);
    }
    case 'required': {
      const key = String(params.missingProperty);
      const propSchema = isConfigMap(parent) && isConfigMap(parent.properties) ? parent.properties[key] : undefined;
      return configError(origins, [...at, key], `missing required key "${key}"`, withDescription(`add ${key}`, schemaProp(propSchema, 'description')));
    }
    case 'type':
      return configError(origins, at, `must be ${typeWords(params.type)}, got ${describeValue(err.data)}`, withDescription(`set it to ${typeWords(params.type)}`, description));
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues.map(String) : [];
      return configError(
        origins,
        at,
        `${JSON.stringify(err.data)} is not one of ${allowed.join(', ')}`,
        `${typeof err.data === 'string' ? didYouMean(err.data, allowed) : ''}use one of: ${allowed.join(', ')}`,
      );
    }
    case 'const':
      return configError(origins, at, `must be ${JSON.stringify(params.allowedValue)}, got ${describeValue(err.data)}`, `set it to ${JSON.stringify(params.allowedValue)}`);
    case 'pattern':
      if (params.pattern === DURATION_PATTERN) {
        return configError(origins, at, `${JSON.stringify(err.data)} is not a duration`, 'use a number with a unit, such as 200ms, 5s or 1m30s');
      }
      return configError(origins, at, `${JSON.stringify(err.data)} does not match the pattern ${String(params.pattern)}`, description);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return configError(origins, at, `must be ${String(params.comparison)} ${String(params.limit)}, got ${describeValue(err.data)}`, description);
    case 'not':
      // `{not: {}}` marks a key Ferry knows but refuses (e.g. OTTL conditions); its description says why.
      return configError(origins, at, 'is not supported', description);
    case 'anyOf':
    case 'oneOf':
      return configError(origins, at, `${describeValue(err.data)} does not match any allowed form`, description);
    default:
      return configError(origins, at, `${err.message ?? 'is invalid'}, got ${describeValue(err.data)}`, description);
  }
}
