// Log severities as configurations write them ("INFO", "warn", "ERROR2", 17) and the
// OTLP SeverityNumber each one means: TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24.
import type { SchemaObject } from 'ajv';

export const SEVERITY_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

/** Every name the Collector's filter processor accepts: TRACE…FATAL, each with 2–4 variants. */
export const SEVERITY_NAMES: readonly string[] = SEVERITY_LEVELS.flatMap((l) => [l, `${l}2`, `${l}3`, `${l}4`]);

// Other spellings log shippers use for the same levels, so `min_severity: warning` works.
const ALIASES: Readonly<Record<string, string>> = { WARNING: 'WARN', ERR: 'ERROR', CRITICAL: 'FATAL', CRIT: 'FATAL', PANIC: 'FATAL' };

/**
 * The SeverityNumber for a configured severity: a name (case-insensitive, TRACE … FATAL4)
 * or a number 1–24 (as an integer or a string). Undefined when it is neither.
 */
export function parseSeverity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= 24 ? value : undefined;
  const text = value.trim().toUpperCase();
  if (/^\d+$/.test(text)) return parseSeverity(Number(text));
  const name = ALIASES[text] ?? text;
  const i = SEVERITY_NAMES.indexOf(name);
  return i < 0 ? undefined : i + 1;
}

/** A schema for a severity given by name or number. */
export function severitySchema(description: string): SchemaObject {
  return {
    type: ['string', 'integer'],
    description: `${description} A name (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, or a numbered variant such as INFO2; case-insensitive) or a SeverityNumber 1–24.`,
  };
}

/** The fix for an unknown severity. */
export const SEVERITY_FIX = `use one of ${SEVERITY_LEVELS.join(', ')} (or a numbered variant such as WARN2, or a number 1–24)`;
