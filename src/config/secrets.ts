// Secrets never printed: the values of schema fields marked `writeOnly: true` (passwords,
// tokens, API keys, header values) and every value given inline with `--set` or `yaml:` are
// replaced by *** in every configuration error and warning, whatever check wrote them.
import type { ConfigError } from './types.js';
import { isConfigMap } from './merge.js';

export const REDACTED = '***';
/** Shorter values are not hidden: replacing "1" or "on" everywhere would garble every message. */
const MIN_SECRET_LENGTH = 4;

function add(out: Set<string>, value: unknown): void {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    const text = String(value);
    if (text.length >= MIN_SECRET_LENGTH) out.add(text);
  }
}

/** Every scalar in `data` (a source given inline: all of it counts as possibly secret). */
export function collectScalars(data: unknown, out: Set<string>): void {
  if (Array.isArray(data)) for (const v of data) collectScalars(v, out);
  else if (isConfigMap(data)) for (const v of Object.values(data)) collectScalars(v, out);
  else add(out, data);
}

/** The values in `data` that `schema` marks writeOnly, at any depth (properties, maps, lists, alternatives). */
export function collectSecrets(schema: unknown, data: unknown, out: Set<string>): void {
  if (!isConfigMap(schema) || data === undefined || data === null) return;
  if (schema.writeOnly === true) {
    collectScalars(data, out);
    return;
  }
  for (const k of ['oneOf', 'anyOf', 'allOf'] as const) {
    const branches = schema[k];
    if (Array.isArray(branches)) for (const b of branches) collectSecrets(b, data, out);
  }
  if (Array.isArray(data)) {
    for (const v of data) collectSecrets(schema.items, v, out);
    return;
  }
  if (!isConfigMap(data)) return;
  const props = isConfigMap(schema.properties) ? schema.properties : {};
  for (const [key, value] of Object.entries(data)) {
    collectSecrets(Object.hasOwn(props, key) ? props[key] : schema.additionalProperties, value, out);
  }
}

/** `text` with every secret replaced by ***, longest first (a secret containing another). */
export function redact(text: string, secrets: ReadonlySet<string>): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
    // The same value as it appears quoted in messages (JSON.stringify escapes).
    const quoted = JSON.stringify(s).slice(1, -1);
    if (quoted !== s && out.includes(quoted)) out = out.split(quoted).join(REDACTED);
  }
  return out;
}

export function redactErrors(errors: readonly ConfigError[], secrets: ReadonlySet<string>): ConfigError[] {
  if (secrets.size === 0) return [...errors];
  return errors.map((e) => ({ ...e, file: redact(e.file, secrets), path: e.path, message: redact(e.message, secrets), fix: e.fix === undefined ? e.fix : redact(e.fix, secrets) }));
}

/**
 * The name a `yaml:` source is shown by: its keys, not its values
 * (`yaml:exporters::otlphttp::headers::authorization: ***`).
 */
export function yamlSourceName(uri: string): string {
  return uri.replace(/(:[ \t]+)[^\n]*/g, `$1${REDACTED}`).replace(/\n/g, ' ');
}
