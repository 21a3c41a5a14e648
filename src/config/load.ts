// Reads configuration sources as the Collector's `--config` takes them (a path,
// `file:PATH`, `env:VAR`, `yaml:TEXT`, `http(s)://URL`, or embedded text) and parses their YAML.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigError } from './types.js';
import type { ConfigMap } from './merge.js';
import { isConfigMap, unflattenKeys } from './merge.js';
import { describeValue } from './errors.js';
import { yamlSourceName } from './secrets.js';

/** A `--config` value, or text the caller already has (the embedded default). */
export type ConfigSource = string | { readonly name: string; readonly text: string };

export interface LoadedSource {
  /** How errors name it: the path, `env:VAR`, the `yaml:` URI, or the embedded name. */
  readonly name: string;
  readonly value: ConfigMap;
}

export interface LoadResult {
  readonly sources: LoadedSource[];
  readonly errors: ConfigError[];
  readonly warnings: string[];
}

/** The Collector's rule: a scheme of two or more characters, so `C:\x.yaml` stays a path. */
const URI = /^([A-Za-z][A-Za-z0-9+.-]+):(.*)$/s;
export const ENV_VAR_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FIX_SOURCE = 'pass a file path, file:PATH, env:VAR, yaml:TEXT or an http(s):// URL';

/**
 * A `--set KEY=VALUE` flag as the Collector turns it into a source: `yaml:` with the key's
 * `.` read as `::` (`processors.batch.timeout=2s` and `processors::batch::timeout=2s` are the same).
 * Undefined when there is no `=` or no key.
 */
export function setFlagSource(flag: string): string | undefined {
  const eq = flag.indexOf('=');
  if (eq <= 0) return undefined;
  const key = flag.slice(0, eq).trim().replaceAll('.', '::');
  if (key === '') return undefined;
  return `yaml:${key}: ${flag.slice(eq + 1).trim()}`;
}

/** Parse one source's YAML text; syntax errors name the line and column. */
export function parseYamlSource(name: string, text: string): { value?: ConfigMap; errors: ConfigError[]; warnings: string[] } {
  const lineCounter = new LineCounter();
  // merge: YAML `<<: *anchor` keys work, as they do in the Collector's Go YAML parser.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  const where = (pos: readonly [number, number]): string => {
    // The parser sometimes points at the blank after a key with no value; the
    // offending token is the next one.
    let at = pos[0];
    while (at < text.length && /\s/.test(text[at] as string)) at++;
    const { line, col } = lineCounter.linePos(at < text.length ? at : pos[0]);
    return `line ${line}, column ${col}`;
  };
  const firstLine = (m: string): string => (m.split('\n')[0] ?? m).replace(/:$/, '');
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((e) => ({
        file: name,
        path: '',
        message: `YAML syntax error at ${where(e.pos)}: ${firstLine(e.message)}`,
        fix: `correct the YAML at ${where(e.pos)} (indentation, a missing ":" or an unclosed quote or bracket)`,
      })),
      warnings: [],
    };
  }
  const warnings = doc.warnings.map((w) => `${name}: YAML warning at ${where(w.pos)}: ${firstLine(w.message)}`);
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // Too many alias expansions ("billion laughs") and similar end here.
    return { errors: [{ file: name, path: '', message: `cannot read the YAML: ${(err as Error).message}` }], warnings };
  }
  if (raw === null || raw === undefined) return { value: {}, errors: [], warnings };
  if (!isConfigMap(raw)) {
    return {
      errors: [{ file: name, path: '', message: `the top level must be a map, got ${describeValue(raw)}`, fix: 'start with keys such as receivers:, exporters: and service:' }],
      warnings,
    };
  }
  return { value: unflattenKeys(raw) as ConfigMap, errors: [], warnings };
}

interface Fetched {
  name: string;
  text?: string;
  errors: ConfigError[];
  warnings: string[];
}

async function fetchSource(source: ConfigSource, env: NodeJS.ProcessEnv): Promise<Fetched> {
  if (typeof source !== 'string') return { name: source.name, text: source.text, errors: [], warnings: [] };
  const uri = URI.exec(source);
  if (uri === null) return readPath(source);
  const scheme = (uri[1] as string).toLowerCase();
  const rest = uri[2] as string;
  switch (scheme) {
    case 'file':
      return readPath(rest);
    case 'yaml':
      // Named by its keys only: the values (often a --set token) never reach a message or the log.
      return { name: yamlSourceName(source), text: rest, errors: [], warnings: [] };
    case 'env': {
      if (!ENV_VAR_NAME.test(rest)) {
        return { name: source, errors: [{ file: source, path: '', message: `"${rest}" is not a valid environment variable name`, fix: 'use letters, digits and _, not starting with a digit' }], warnings: [] };
      }
      const value = env[rest];
      if (value === undefined) {
        // The Collector treats an unset variable as an empty configuration, with a warning.
        return { name: source, text: '', errors: [], warnings: [`${source}: environment variable ${rest} is not set; this source is empty`] };
      }
      return { name: source, text: value, errors: [], warnings: [] };
    }
    case 'http':
    case 'https':
      return fetchUrl(source);
    default:
      return { name: source, errors: [{ file: source, path: '', message: `unknown configuration source scheme "${uri[1] as string}"`, fix: FIX_SOURCE }], warnings: [] };
  }
}

/** How long an http(s):// configuration source may take to arrive. */
export const CONFIG_FETCH_TIMEOUT_MS = 30_000;

/** `--config https://…`: a GET, as the Collector's http and https providers do; any 2xx body is the YAML. */
async function fetchUrl(url: string): Promise<Fetched> {
  const fail = (why: string, fix: string): Fetched => ({ name: url, errors: [{ file: url, path: '', message: `cannot fetch the configuration: ${why}`, fix }], warnings: [] });
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(CONFIG_FETCH_TIMEOUT_MS), redirect: 'follow' });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${CONFIG_FETCH_TIMEOUT_MS / 1000}s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return fail(why, 'check the URL and that the server is reachable from here');
  }
  const text = await response.text();
  if (!response.ok) return fail(`the server answered ${response.status} ${response.statusText}`.trim(), 'check the URL (and any credentials it needs)');
  return { name: url, text, errors: [], warnings: [] };
}

async function readPath(path: string): Promise<Fetched> {
  if (path === '') return { name: path, errors: [{ file: '', path: '', message: 'empty configuration file path', fix: FIX_SOURCE }], warnings: [] };
  try {
    return { name: path, text: await readFile(path, 'utf8'), errors: [], warnings: [] };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
    return { name: path, errors: [{ file: path, path: '', message: `cannot read the configuration: ${why}`, fix: 'check the path given to --config' }], warnings: [] };
  }
}

/** Fetch and parse every source, in order; errors from all of them are collected. */
export async function loadSources(sources: readonly ConfigSource[], env: NodeJS.ProcessEnv): Promise<LoadResult> {
  const fetched = await Promise.all(sources.map((s) => fetchSource(s, env)));
  const result: LoadResult = { sources: [], errors: [], warnings: [] };
  for (const f of fetched) {
    result.errors.push(...f.errors);
    result.warnings.push(...f.warnings);
    if (f.text === undefined) continue;
    const parsed = parseYamlSource(f.name, f.text);
    result.errors.push(...parsed.errors);
    result.warnings.push(...parsed.warnings);
    if (parsed.value !== undefined) result.sources.push({ name: f.name, value: parsed.value });
  }
  return result;
}
