// Expands `${env:VAR}`, `${VAR}`, `${env:VAR:-default}`, `${file:PATH}`, `${yaml:TEXT}` and `$$` in
// configuration string values (never keys), nested and recursively, typing a whole-value reference as YAML.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { ConfigError } from './types.js';
import type { ConfigMap, ConfigPath, Origins, PathSegment } from './merge.js';
import { isConfigMap, setOwn } from './merge.js';
import { configError, formatPath } from './errors.js';
import { ENV_VAR_NAME } from './load.js';

const FIX_SYNTAX = 'use ${env:VAR}, ${VAR}, ${env:VAR:-default}, ${file:PATH} or ${yaml:TEXT}; write $$ for a literal $';
/** Schemes the Collector resolves inside values that Ferry does not: they need a network fetch. */
const UNSUPPORTED_SCHEMES = new Set(['http', 'https']);
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s;
const NAME_WITH_DEFAULT = /^([a-zA-Z_][a-zA-Z0-9_]*):-(.*)$/s;
/**
 * How deep references may nest or refer to references (an env value holding `${env:OTHER}`),
 * as the Collector resolves them; deeper means a cycle such as A=${env:A}.
 */
const MAX_DEPTH = 32;

export interface ExpandProblem {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly fix?: string;
}

export interface ExpandedValue {
  readonly value: unknown;
  /** Set when a whole-value reference produced a non-string: the text it came from. */
  readonly original?: string;
  readonly problems: ExpandProblem[];
}

export interface ExpandResult {
  readonly errors: ConfigError[];
  readonly warnings: string[];
  /**
   * Whole-value references that became a number, boolean, map or list, by pathKey:
   * the env text they came from. Validation puts the text back where the schema
   * wants a string, as the Collector does (`password: ${env:PIN}` stays "0123").
   */
  readonly originals: Map<string, string>;
}

/** A stable key for a path, for maps indexed by location. */
export function pathKey(path: ConfigPath): string {
  return JSON.stringify(path);
}

interface Resolved {
  text: string;
  ok: boolean;
}

/** Reads `${file:PATH}`; tests pass their own. */
export type FileReader = (path: string) => string;
const readText: FileReader = (path) => readFileSync(path, 'utf8');

interface Expander {
  readonly env: NodeJS.ProcessEnv;
  readonly readFile: FileReader;
  readonly problems: ExpandProblem[];
}

function resolveEnv(spec: string, x: Expander): Resolved {
  const cut = spec.indexOf(':-');
  const name = cut < 0 ? spec : spec.slice(0, cut);
  const fallback = cut < 0 ? undefined : spec.slice(cut + 2);
  if (!ENV_VAR_NAME.test(name)) {
    x.problems.push({ severity: 'error', message: `"${name}" is not a valid environment variable name`, fix: `use letters, digits and _, not starting with a digit; ${FIX_SYNTAX}` });
    return { text: '', ok: false };
  }
  const value = x.env[name];
  if (value !== undefined) return { text: value, ok: true };
  // As the Collector: the default applies only when the variable is unset, not when it is empty.
  if (fallback !== undefined) return { text: fallback, ok: true };
  x.problems.push({ severity: 'warning', message: `environment variable ${name} is not set; using an empty string` });
  return { text: '', ok: true };
}

function resolveFile(path: string, x: Expander): Resolved {
  if (path === '') {
    x.problems.push({ severity: 'error', message: '${file:} needs a path', fix: 'write ${file:/path/to/file}' });
    return { text: '', ok: false };
  }
  try {
    // One trailing newline is the file's end, not part of the value (tokens, CA files written by `echo`).
    return { text: x.readFile(path).replace(/\r?\n$/, ''), ok: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
    x.problems.push({ severity: 'error', message: `cannot read \${file:${path}}: ${why}`, fix: 'check the path (relative paths are from the directory Ferry starts in)' });
    return { text: '', ok: false };
  }
}

/** One reference's content (between `${` and `}`), its own nested references already expanded. */
function resolveReference(content: string, x: Expander): Resolved {
  if (content.startsWith('env:')) return resolveEnv(content.slice(4), x);
  if (NAME_WITH_DEFAULT.test(content)) return resolveEnv(content, x);
  const scheme = SCHEME.exec(content);
  if (scheme !== null) {
    const name = (scheme[1] as string).toLowerCase();
    const rest = scheme[2] as string;
    if (name === 'file') return resolveFile(rest, x);
    if (name === 'yaml') return { text: rest, ok: true };
    const message = UNSUPPORTED_SCHEMES.has(name)
      ? `the \${${scheme[1] as string}:…} expansion inside a value is not supported by Ferry (it would fetch while loading)`
      : `unknown expansion scheme "${scheme[1] as string}" in "\${${content}}"`;
    const fix = UNSUPPORTED_SCHEMES.has(name) ? 'pass the URL as its own --config source, or download it and use ${file:PATH}' : FIX_SYNTAX;
    x.problems.push({ severity: 'error', message, fix });
    return { text: '', ok: false };
  }
  // No scheme: the Collector's default scheme is env.
  return resolveEnv(content, x);
}

/** The Collector parses a whole-value reference as YAML so `port: ${env:PORT}` is a number. */
function typed(text: string): { value: unknown; original?: string } {
  if (text === '') return { value: '' };
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { value: text };
  let v: unknown;
  try {
    v = doc.toJS();
  } catch {
    return { value: text };
  }
  if (typeof v === 'number' || typeof v === 'boolean' || Array.isArray(v) || isConfigMap(v)) return { value: v, original: text };
  // A string (or null) keeps the exact text, quotes and all, as the Collector does.
  return { value: text };
}

/** The index of the `}` closing the reference whose `${` is at `open`, counting nested braces; -1 if none. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  // Every `{` counts, so `${yaml:{a: 1}}` closes after the map.
  for (let i = open + 2; i < s.length; i++) {
    if (s[i] === '{') {
      depth++;
    } else if (s[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

interface Expansion {
  text: string;
  /** Number of references, and whether there was anything else (literal text, $$). */
  references: number;
  literal: boolean;
  /** The text of the last reference that resolved. */
  lastText: string | undefined;
}

function expandText(s: string, x: Expander, depth: number): Expansion {
  const result: Expansion = { text: '', references: 0, literal: false, lastText: undefined };
  if (depth > MAX_DEPTH) {
    x.problems.push({ severity: 'error', message: `references nest or refer to each other more than ${MAX_DEPTH} levels deep (a variable that refers to itself?)`, fix: 'break the cycle of ${…} references' });
    result.text = s;
    return result;
  }
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '$' && s[i + 1] === '$') {
      result.text += '$';
      result.literal = true;
      i += 2;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') {
      const close = closingBrace(s, i);
      if (close >= 0) {
        const inner = s.slice(i + 2, close);
        // Nested references first (`${env:A:-${env:B}}`, `${file:${env:DIR}/ca.pem}`).
        const content = inner.includes('${') ? expandText(inner, x, depth + 1).text : inner;
        let r = resolveReference(content, x);
        // A value that itself holds references is expanded again, as the Collector does.
        if (r.ok && r.text.includes('${')) r = { text: expandText(r.text, x, depth + 1).text, ok: true };
        // A reference that failed stays as written, so the error shows what was there.
        result.text += r.ok ? r.text : s.slice(i, close + 1);
        result.references++;
        if (r.ok) result.lastText = r.text;
        i = close + 1;
        continue;
      }
    }
    result.text += c;
    result.literal = true;
    i++;
  }
  return result;
}

/** Expand one string value. */
export function expandString(s: string, env: NodeJS.ProcessEnv, readFile: FileReader = readText): ExpandedValue {
  const x: Expander = { env, readFile, problems: [] };
  const e = expandText(s, x, 0);
  if (e.references === 1 && !e.literal && e.lastText !== undefined) {
    const t = typed(e.lastText);
    return t.original === undefined ? { value: t.value, problems: x.problems } : { value: t.value, original: t.original, problems: x.problems };
  }
  return { value: e.text, problems: x.problems };
}

/** Expand every string value in the tree in place; keys are left alone. */
export function expandConfig(root: ConfigMap, env: NodeJS.ProcessEnv, origins: Origins): ExpandResult {
  const result: ExpandResult = { errors: [], warnings: [], originals: new Map() };
  const visit = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') {
      if (!value.includes('$')) return value;
      const e = expandString(value, env);
      for (const p of e.problems) {
        if (p.severity === 'error') result.errors.push(configError(origins, path, p.message, p.fix));
        else result.warnings.push(`${origins.fileOf(path)}: ${formatPath(path)}: ${p.message}`);
      }
      if (e.original !== undefined) result.originals.set(pathKey(path), e.original);
      return e.value;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = visit(value[i], [...path, i]);
    } else if (isConfigMap(value)) {
      for (const k of Object.keys(value)) setOwn(value, k, visit(value[k], [...path, k]));
    }
    return value;
  };
  visit(root, []);
  return result;
}
