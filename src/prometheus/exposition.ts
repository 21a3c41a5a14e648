// The Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, written by hand:
// prom-client owns its metrics' state, has no per-sample timestamps and fixes histogram
// buckets per metric, where OTLP points carry their own (see the README).
import { formatGoG } from './float.js';
import { sortedLabels, type Labels } from './labels.js';
import { labelName } from './naming.js';
import type { FamilyType, PointExemplar } from './points.js';
import type { PromSample } from './samples.js';

export type ExpositionFormat = 'text' | 'openmetrics';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface ExpositionSample extends PromSample {
  /** Written after the value when send_timestamps is on. */
  readonly timestampMs?: number;
}

export interface ExpositionFamily {
  /** The family name; for a counter, the name of its samples (with `_total` when suffixes are on). */
  readonly name: string;
  readonly type: FamilyType;
  readonly help: string;
  readonly samples: readonly ExpositionSample[];
}

/** HELP text: `\` and newline escaped (0.0.4); OpenMetrics escapes `"` too. */
export function escapeHelp(help: string, format: ExpositionFormat): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? escaped.replace(/"/g, '\\"') : escaped;
}

/** A label value inside double quotes: `\`, `"` and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelSet(labels: Iterable<readonly [string, string]>): string {
  const parts: string[] = [];
  for (const [name, value] of labels) parts.push(`${name}="${escapeLabelValue(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function seconds(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const frac = ms - whole * 1000;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}

/** OpenMetrics caps an exemplar's label names and values at 128 characters together. */
const MAX_EXEMPLAR_RUNES = 128;

/** An exemplar's labels: trace_id and span_id, then its filtered attributes when they fit in the limit. */
export function exemplarLabels(e: PointExemplar): Array<[string, string]> {
  const labels: Array<[string, string]> = [];
  if (e.traceId) labels.push(['trace_id', e.traceId]);
  if (e.spanId) labels.push(['span_id', e.spanId]);
  const runes = (s: string): number => [...s].length;
  let used = labels.reduce((n, [k, v]) => n + runes(k) + runes(v), 0);
  const extra: Array<[string, string]> = [];
  for (const [key, value] of e.attributes) {
    const name = labelName(key);
    if (name === '' || name === 'trace_id' || name === 'span_id') continue;
    used += runes(name) + runes(value);
    extra.push([name, value]);
  }
  return used <= MAX_EXEMPLAR_RUNES ? [...labels, ...extra] : labels;
}

function latest(exemplars: readonly PointExemplar[]): PointExemplar | undefined {
  let best: PointExemplar | undefined;
  for (const e of exemplars) if (!best || (e.timeMs ?? 0) >= (best.timeMs ?? 0)) best = e;
  return best;
}

function largest(exemplars: readonly PointExemplar[]): PointExemplar | undefined {
  let best: PointExemplar | undefined;
  for (const e of exemplars) if (!best || e.value >= best.value) best = e;
  return best;
}

/**
 * The one exemplar a pull endpoint may show per sample, by the spec: a counter's latest; a
 * bucket's largest, or, for a bucket without any, the one shown on the bucket below it.
 */
function chooseExemplars(family: ExpositionFamily): Map<ExpositionSample, PointExemplar> {
  const chosen = new Map<ExpositionSample, PointExemplar>();
  if (family.type === 'counter') {
    for (const s of family.samples) {
      const e = latest(s.exemplars);
      if (e) chosen.set(s, e);
    }
    return chosen;
  }
  if (family.type !== 'histogram') return chosen;
  // Buckets of one series are consecutive, ascending; a new series restarts at its first bucket.
  let below: PointExemplar | undefined;
  let seriesKey = '';
  for (const s of family.samples) {
    if (!s.name.endsWith('_bucket')) continue;
    const key = [...s.labels].filter(([k]) => k !== 'le').map(([k, v]) => `${k}=${v}`).join(',');
    if (key !== seriesKey) {
      seriesKey = key;
      below = undefined;
    }
    const e = largest(s.exemplars) ?? below;
    if (e) chosen.set(s, e);
    below = e;
  }
  return chosen;
}

function openMetricsFamilyName(family: ExpositionFamily): string {
  return family.type === 'counter' && family.name.endsWith('_total') ? family.name.slice(0, -'_total'.length) : family.name;
}

/** Families (each name once, samples grouped under it) as exposition text. */
export function renderExposition(families: readonly ExpositionFamily[], format: ExpositionFormat): string {
  const lines: string[] = [];
  for (const family of families) {
    const om = format === 'openmetrics';
    const name = om ? openMetricsFamilyName(family) : family.name;
    const type = family.type === 'unknown' ? (om ? 'unknown' : 'untyped') : family.type;
    if (family.help !== '') lines.push(`# HELP ${name} ${escapeHelp(family.help, format)}`);
    lines.push(`# TYPE ${name} ${type}`);
    const exemplars = om ? chooseExemplars(family) : undefined;
    for (const s of family.samples) {
      const sampleName = om && family.type === 'counter' ? `${name}_total` : s.name;
      let line = `${sampleName}${labelSet(s.labels)} ${formatGoG(s.value)}`;
      if (s.timestampMs !== undefined) line += ` ${om ? seconds(s.timestampMs) : String(s.timestampMs)}`;
      const e = exemplars?.get(s);
      if (e) line += ` # ${labelSet(exemplarLabels(e))} ${formatGoG(e.value)}${e.timeMs === undefined ? '' : ` ${seconds(e.timeMs)}`}`;
      lines.push(line);
    }
  }
  if (format === 'openmetrics') lines.push('# EOF');
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/** Labels sorted by name, for stable output. */
export function orderedLabels(labels: Labels): Labels {
  return new Map(sortedLabels(labels));
}
