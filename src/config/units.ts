// Durations as the OpenTelemetry Collector writes them (Go syntax: "200ms", "1m30s")
// and the JSON Schema fragments that validate them, shared by every component.
import type { SchemaObject } from 'ajv';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration: one or more number+unit parts, or a bare 0. */
export const DURATION_PATTERN = '^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$';
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;

/**
 * Milliseconds in a Go duration string ("1m30s" → 90000). A bare number is
 * nanoseconds, as Go reads it (in practice: `timeout: 0`). Throws on a malformed one.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value / 1e6;
  if (value === '0') return 0;
  if (!new RegExp(DURATION_PATTERN).test(value)) {
    throw new Error(`invalid duration "${value}": use a number with a unit, such as 200ms, 5s or 1m30s`);
  }
  let ms = 0;
  for (const m of value.matchAll(PART)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms;
}

/**
 * Schema for a duration property: a Go duration string, or a bare integer, which Go (and so
 * the Collector) reads as nanoseconds: `flush_interval: 5` is 5ns, `timeout: 0` is none.
 */
export function durationSchema(description: string, defaultValue?: string): SchemaObject {
  const s: SchemaObject = { type: ['string', 'integer'], pattern: DURATION_PATTERN, minimum: 0, description };
  if (defaultValue !== undefined) s.default = defaultValue;
  return s;
}

const MIB = 1024 * 1024;
export const mib = (n: number): number => n * MIB;
