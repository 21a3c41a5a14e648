// Expands `${env:VAR}`, `${VAR}`, `${env:VAR:-default}` and `$$` in configuration
// string values (never keys), typing a whole-value reference as YAML like the Collector.
import { parseDocument } from 'yaml';
import type { ConfigError } from './types.js';
import type { ConfigMap, ConfigPath, Origins, PathSegment } from './merge.js';
import { isConfigMap, setOwn } from './merge.js';
import { configError, formatPath } from './errors.js';
import { ENV_VAR_NAME } from './load.js';

const FIX_SYNTAX = 'use ${env:VAR}, ${VAR} or ${env:VAR:-default}; write $$ for a literal $';
/** Schemes the Collector resolves inside values but Ferry does not (yet). */
const COLLECTOR_SCHEMES = new Set(['file', 'yaml', 'http', 'https']);
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s;
const NAME_WITH_DEFAULT = /^([a-zA-Z_][a-zA-Z0-9_]*):-(.*)$/s;

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

function resolveEnv(spec: string, env: NodeJS.ProcessEnv, problems: ExpandProblem[]): Resolved {
  const cut = spec.indexOf(':-');
  const name = cut < 0 ? spec : spec.slice(0, cut);
  const fallback = cut < 0 ? undefined : spec.slice(cut + 2);
  if (!ENV_VAR_NAME.test(name)) {
    problems.push({ severity: 'error', message: `"${name}" is not a valid environment variable name`, fix: `use letters, digits and _, not starting with a digit; ${FIX_SYNTAX}` });
    return { text: '', ok: false };
  }
  const value = env[name];
  if (value !== undefined) return { text: value, ok: true };
  // As the Collector: the default applies only when the variable is unset, not when it is empty.
  if (fallback !== undefined) return { text: fallback, ok: true };
  problems.push({ severity: 'warning', message: `environment variable ${name} is not set; using an empty string` });
  return { text: '', ok: true };
}

function resolveReference(content: string, env: NodeJS.ProcessEnv, problems: ExpandProblem[]): Resolved {
  if (content.startsWith('env:')) return resolveEnv(content.slice(4), env, problems);
  if (NAME_WITH_DEFAULT.test(content)) return resolveEnv(content, env, problems);
  const scheme = SCHEME.exec(content);
  if (scheme !== null) {
    const name = scheme[1] as string;
    const message = COLLECTOR_SCHEMES.has(name.toLowerCase())
      ? `the \${${name}:…} expansion is not supported by Ferry yet`
      : `unknown expansion scheme "${name}" in "\${${content}}"`;
    problems.push({ severity: 'error', message, fix: FIX_SYNTAX });
    return { text: '', ok: false };
  }
  // No scheme: the Collector's default scheme is env.
  return resolveEnv(content, env, problems);
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

/** Expand one string value. */
export function expandString(s: string, env: NodeJS.ProcessEnv): ExpandedValue {
  const problems: ExpandProblem[] = [];
  let out = '';
  let references = 0;
  let literal = false;
  let wholeText: string | undefined;
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '$' && s[i + 1] === '$') {
      out += '$';
      literal = true;
      i += 2;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') {
      const close = s.indexOf('}', i + 2);
      if (close >= 0) {
        const r = resolveReference(s.slice(i + 2, close), env, problems);
        // A reference that failed stays as written, so the error shows what was there.
        out += r.ok ? r.text : s.slice(i, close + 1);
        references++;
        if (r.ok) wholeText = r.text;
        i = close + 1;
        continue;
      }
    }
    out += c;
    literal = true;
    i++;
  }
  if (references === 1 && !literal && wholeText !== undefined) {
    const t = typed(wholeText);
    return t.original === undefined ? { value: t.value, problems } : { value: t.value, original: t.original, problems };
  }
  return { value: out, problems };
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
