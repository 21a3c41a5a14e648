// The `::{json}::` marker protocol: one line in, plain / marker / malformed out.
// Pure and allocation-light for plain lines (most lines), strict and explicit for markers.

export const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type Level = (typeof LEVELS)[number];

/** OpenTelemetry SeverityNumber for each level: the first number of each range. */
export const SEVERITY_NUMBER: Readonly<Record<Level, number>> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

export type MetricType = 'counter' | 'gauge' | 'timer';
export const METRIC_TYPES: readonly MetricType[] = ['counter', 'gauge', 'timer'];

export type TagValue = string | number | boolean;
/** Any JSON value: what `outputs` may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface MarkerLog {
  readonly level: Level;
  readonly message: string;
}

export interface MarkerMetric {
  readonly name: string;
  readonly type: MetricType;
  /** counter: the increment (≥ 0); gauge: the value; timer: seconds (≥ 0). */
  readonly value: number;
  readonly tags: ReadonlyArray<readonly [string, TagValue]>;
}

export interface Marker {
  readonly logs: readonly MarkerLog[];
  readonly metrics: readonly MarkerMetric[];
  /** Present when the marker had an `outputs` object (possibly empty). */
  readonly outputs: Readonly<Record<string, JsonValue>> | undefined;
}

export type ParsedLine =
  | { readonly kind: 'plain' }
  | { readonly kind: 'marker'; readonly marker: Marker }
  | { readonly kind: 'malformed'; readonly error: string };

/** The top-level keys of a marker, as Kestra's clients write them. */
export const MARKER_KEYS = ['logs', 'metrics', 'outputs'] as const;

const PLAIN: ParsedLine = { kind: 'plain' };
/** A line's error text is bounded: a 1 MiB line must not make a 1 MiB attribute twice. */
const MAX_ERRORS = 5;
const MAX_SNIPPET = 200;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Classify one line (without its newline). A marker is exactly `::` + a JSON object +
 * `::` once trailing whitespace (a CR included) is trimmed; anything that starts with
 * `::{` and is not a valid marker is malformed, with the reason; every other line is plain.
 */
export function parseLine(line: string): ParsedLine {
  // Fast path: almost every line is plain, and this is the only work it costs.
  if (line.charCodeAt(0) !== 58 /* : */ || !line.startsWith('::{')) return PLAIN;
  const text = line.trimEnd();
  if (text.length < 6 || !text.endsWith('}::')) return { kind: 'malformed', error: 'a marker must end with "}::" on the same line' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(2, -2));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { kind: 'malformed', error: `invalid JSON: ${reason.length > MAX_SNIPPET ? reason.slice(0, MAX_SNIPPET) + '…' : reason}` };
  }
  // `::{…}::` parsed: it is an object, since it starts with "{".
  return parseMarker(parsed as Record<string, unknown>);
}

/** A parsed marker object → its logs, metrics and outputs, or every problem found (all or nothing). */
export function parseMarker(obj: Record<string, unknown>): ParsedLine {
  const errors: string[] = [];
  // A misspelled key (`log`, `Logs`) would otherwise carry a message nobody sees.
  const unknown = Object.keys(obj).filter((k) => !(MARKER_KEYS as readonly string[]).includes(k));
  for (const key of unknown.slice(0, MAX_ERRORS)) {
    const near = MARKER_KEYS.find((k) => k === key.toLowerCase() || k === `${key.toLowerCase()}s` || `${k}s` === key.toLowerCase());
    errors.push(`unknown key "${clip(key)}"${near ? ` (did you mean "${near}"?)` : ''}: a marker holds only ${MARKER_KEYS.join(', ')}`);
  }
  if (unknown.length === 0 && !MARKER_KEYS.some((k) => k in obj)) errors.push(`empty marker: it holds none of ${MARKER_KEYS.join(', ')}`);
  const logs = obj.logs == null ? [] : parseLogs(obj.logs, errors);
  const metrics = obj.metrics == null ? [] : parseMetrics(obj.metrics, errors);
  let outputs: Record<string, JsonValue> | undefined;
  if (obj.outputs != null) {
    if (isObject(obj.outputs)) outputs = obj.outputs as Record<string, JsonValue>;
    else errors.push(`outputs: expected an object, got ${typeName(obj.outputs)}`);
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_ERRORS).join('; ');
    return { kind: 'malformed', error: errors.length > MAX_ERRORS ? `${shown}; and ${errors.length - MAX_ERRORS} more` : shown };
  }
  return { kind: 'marker', marker: { logs, metrics, outputs } };
}

/** TRACE…FATAL in any case (`info`, `Warn`); WARNING is accepted for WARN, as Python spells it. */
export function parseLevel(v: string): Level | undefined {
  const upper = v.toUpperCase();
  if (upper === 'WARNING') return 'WARN';
  return (LEVELS as readonly string[]).includes(upper) ? (upper as Level) : undefined;
}

function parseLogs(v: unknown, errors: string[]): MarkerLog[] {
  if (!Array.isArray(v)) {
    errors.push(`logs: expected an array, got ${typeName(v)}`);
    return [];
  }
  const out: MarkerLog[] = [];
  v.forEach((entry: unknown, i) => {
    const at = `logs[${i}]`;
    if (!isObject(entry)) {
      errors.push(`${at}: expected an object, got ${typeName(entry)}`);
      return;
    }
    let level: Level = 'INFO';
    if (entry.level != null) {
      if (typeof entry.level !== 'string') {
        errors.push(`${at}.level: expected a string, got ${typeName(entry.level)}`);
      } else {
        const parsed = parseLevel(entry.level);
        if (parsed === undefined) errors.push(`${at}.level: "${clip(entry.level)}" is not one of ${LEVELS.join(', ')}`);
        else level = parsed;
      }
    }
    if (entry.message === undefined) errors.push(`${at}.message: missing`);
    else if (typeof entry.message !== 'string') errors.push(`${at}.message: expected a string, got ${typeName(entry.message)}`);
    else out.push({ level, message: entry.message });
  });
  return out;
}

function parseMetrics(v: unknown, errors: string[]): MarkerMetric[] {
  if (!Array.isArray(v)) {
    errors.push(`metrics: expected an array, got ${typeName(v)}`);
    return [];
  }
  const out: MarkerMetric[] = [];
  v.forEach((entry: unknown, i) => {
    const at = `metrics[${i}]`;
    if (!isObject(entry)) {
      errors.push(`${at}: expected an object, got ${typeName(entry)}`);
      return;
    }
    const before = errors.length;
    const { name, type } = entry;
    if (name === undefined) errors.push(`${at}.name: missing`);
    else if (typeof name !== 'string') errors.push(`${at}.name: expected a string, got ${typeName(name)}`);
    else if (name === '') errors.push(`${at}.name: must not be empty`);
    let metricType: MetricType | undefined;
    if (type === undefined) errors.push(`${at}.type: missing (counter, gauge or timer)`);
    else if (typeof type !== 'string') errors.push(`${at}.type: expected a string, got ${typeName(type)}`);
    else if (!(METRIC_TYPES as readonly string[]).includes(type.toLowerCase())) errors.push(`${at}.type: "${clip(type)}" is not one of counter, gauge, timer`);
    else metricType = type.toLowerCase() as MetricType;
    const value = metricType === undefined ? undefined : parseValue(entry.value, metricType, `${at}.value`, errors);
    const tags = entry.tags == null ? [] : parseTags(entry.tags, `${at}.tags`, errors);
    if (errors.length === before && metricType !== undefined && value !== undefined) {
      out.push({ name: name as string, type: metricType, value, tags });
    }
  });
  return out;
}

function parseValue(v: unknown, type: MetricType, at: string, errors: string[]): number | undefined {
  if (v === undefined) {
    errors.push(`${at}: missing`);
    return undefined;
  }
  if (type === 'timer' && typeof v === 'string') {
    const seconds = parseIsoDuration(v);
    if (seconds === undefined) errors.push(`${at}: "${clip(v)}" is not an ISO-8601 duration (such as PT1.5S, PT2M or P1DT2H) nor a number of seconds`);
    else if (typeof seconds === 'string') errors.push(`${at}: ${seconds}`);
    return typeof seconds === 'number' ? seconds : undefined;
  }
  if (typeof v !== 'number') {
    errors.push(`${at}: expected a number${type === 'timer' ? ' of seconds or an ISO-8601 duration string' : ''}, got ${typeName(v)}`);
    return undefined;
  }
  if (type === 'counter' && v < 0) {
    errors.push(`${at}: a counter only goes up: the increment must be ≥ 0, got ${v}`);
    return undefined;
  }
  if (type === 'timer' && v < 0) {
    errors.push(`${at}: a duration must be ≥ 0, got ${v}`);
    return undefined;
  }
  return v;
}

function parseTags(v: unknown, at: string, errors: string[]): [string, TagValue][] {
  if (!isObject(v)) {
    errors.push(`${at}: expected an object of string, number or boolean values, got ${typeName(v)}`);
    return [];
  }
  const out: [string, TagValue][] = [];
  for (const [k, tag] of Object.entries(v)) {
    if (typeof tag === 'string' || typeof tag === 'number' || typeof tag === 'boolean') out.push([k, tag]);
    else errors.push(`${at}.${k}: expected a string, number or boolean, got ${typeName(tag)}`);
  }
  return out;
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 60) + '…' : s;
}

const NUM = '(\\d+(?:[.,]\\d+)?)';
const ISO_DURATION = new RegExp(`^P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`, 'i');
/** Seconds per unit of the groups Y, M(onths), W, D, H, M(inutes), S; years and months have none. */
const UNIT_SECONDS = [NaN, NaN, 604_800, 86_400, 3_600, 60, 1];

/**
 * Seconds in an ISO-8601 duration (`PT1.5S` → 1.5, `PT2M` → 120, `P1DT2H` → 93600);
 * a string explaining the problem for years or months (no fixed length in seconds) or a
 * fraction on a unit other than the last; undefined when it is not a duration at all.
 */
export function parseIsoDuration(text: string): number | string | undefined {
  const m = ISO_DURATION.exec(text);
  if (m === null) return undefined;
  const parts = m.slice(1, 8);
  const tIndex = text.toUpperCase().indexOf('T');
  // "P" alone, or a "T" with no time part after it, is not a duration.
  if (parts.every((p) => p === undefined) || (tIndex >= 0 && parts.slice(4).every((p) => p === undefined))) return undefined;
  if (parts[0] !== undefined || parts[1] !== undefined) {
    return `"${clip(text)}": years and months have no fixed length in seconds; use weeks, days, hours, minutes or seconds (P30D, PT2H)`;
  }
  const last = parts.reduce((at, p, i) => (p === undefined ? at : i), -1);
  let seconds = 0;
  for (let i = 2; i < parts.length; i++) {
    const p = parts[i];
    if (p === undefined) continue;
    const fractional = /[.,]/.test(p);
    if (fractional && i !== last) return `"${clip(text)}": only the last part of a duration may have a fraction`;
    seconds += Number(p.replace(',', '.')) * (UNIT_SECONDS[i] as number);
  }
  return seconds;
}
