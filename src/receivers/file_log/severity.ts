// Severity parsing as stanza does it: a value (lowercased) is looked up in the preset mapping
// (`default`: trace…fatal4, warning, err, 1–24; `otel`; `none`) plus the user's `mapping` of a
// level to a value, a list, a {min, max} range, or an HTTP class ("2xx").

/** OTLP severity numbers of stanza's level names. */
const LEVELS: Record<string, number> = {
  trace: 1, trace2: 2, trace3: 3, trace4: 4,
  debug: 5, debug2: 6, debug3: 7, debug4: 8,
  info: 9, info2: 10, info3: 11, info4: 12,
  warn: 13, warn2: 14, warn3: 15, warn4: 16,
  error: 17, error2: 18, error3: 19, error4: 20,
  fatal: 21, fatal2: 22, fatal3: 23, fatal4: 24,
};

/** The text the OTLP data model gives each number (overwrite_text). */
export const SEVERITY_TEXT: readonly string[] = [
  '', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'INFO', 'INFO2', 'INFO3', 'INFO4',
  'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3', 'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4',
];

function preset(name: string): Map<string, number> {
  const m = new Map<string, number>();
  if (name === 'none') return m;
  for (const [k, v] of Object.entries(LEVELS)) {
    m.set(k, v);
    m.set(String(v), v);
  }
  if (name === 'default') {
    for (const n of ['', '2', '3', '4']) {
      m.set(`warning${n}`, LEVELS[`warn${n}`] as number);
      m.set(`err${n}`, LEVELS[`error${n}`] as number);
    }
  }
  return m;
}

function levelOf(key: string): number {
  const n = LEVELS[key.toLowerCase()];
  if (n !== undefined) return n;
  const asNumber = Number(key);
  if (Number.isInteger(asNumber) && asNumber >= 1 && asNumber <= 24) return asNumber;
  throw new Error(`unknown severity "${key}": use trace, debug, info, warn, error, fatal (optionally 2–4, e.g. warn2) or 1–24`);
}

function valuesOf(v: unknown): string[] {
  if (typeof v === 'number') return [String(v)];
  if (typeof v === 'string') {
    const http = /^([1-5])xx$/.exec(v);
    if (http) return range(Number(http[1]) * 100, Number(http[1]) * 100 + 99);
    return [v.toLowerCase()];
  }
  if (Array.isArray(v)) return v.flatMap(valuesOf);
  if (typeof v === 'object' && v !== null && 'min' in v && 'max' in v) {
    const { min, max } = v as { min: unknown; max: unknown };
    if (typeof min === 'number' && typeof max === 'number') return range(Math.min(min, max), Math.max(min, max));
  }
  throw new Error(`cannot map ${JSON.stringify(v)} to a severity: use a string, a number, a list or {min, max}`);
}

function range(min: number, max: number): string[] {
  const out: string[] = [];
  for (let i = min; i <= max; i++) out.push(String(i));
  return out;
}

export interface SeverityConfig {
  parse_from: string;
  preset?: string;
  mapping?: Record<string, unknown>;
  overwrite_text?: boolean;
}

export interface SeverityResult {
  readonly number: number;
  readonly text: string;
}

export interface SeverityParser {
  /** The severity of a value: unmapped values keep number 0 (unspecified) and their text. */
  parse(value: unknown): SeverityResult;
}

export function compileSeverity(config: SeverityConfig): SeverityParser {
  const name = config.preset ?? 'default';
  if (!['default', 'otel', 'aliases', 'none'].includes(name)) throw new Error(`unknown severity preset "${name}": use default, otel or none`);
  const map = preset(name);
  for (const [level, values] of Object.entries(config.mapping ?? {})) {
    const n = levelOf(level);
    for (const v of valuesOf(values)) map.set(v, n);
  }
  const overwrite = config.overwrite_text === true;
  return {
    parse(value) {
      const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
      const n = map.get(text.toLowerCase()) ?? 0;
      return { number: n, text: overwrite && n > 0 ? (SEVERITY_TEXT[n] as string) : text };
    },
  };
}
