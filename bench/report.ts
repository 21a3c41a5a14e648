// The bench's report: each scenario's figures checked against issue 8's targets, as a
// table for stdout (and the README) and as one JSON file per scenario.
import type { Ceiling } from './ceiling.js';
import type { ScenarioResult } from './runner.js';
import type { Scenario, Targets } from './scenarios.js';
import { describeLoad } from './scenarios.js';

export interface TargetCheck {
  readonly target: string;
  readonly value: number;
  readonly met: boolean;
}

/** RSS growth across the window: mean of the last minute minus mean of the first (or of the first and last fifth). */
export function rssGrowthMiB(r: ScenarioResult): number {
  const s = r.rssSeriesMiB;
  const n = Math.max(1, Math.min(Math.floor(60 / r.rssSampleSeconds), Math.floor(s.length / 5)));
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return mean(s.slice(-n)) - mean(s.slice(0, n));
}

export function checkTargets(t: Targets, r: ScenarioResult, ceiling: Ceiling | undefined): TargetCheck[] {
  const out: TargetCheck[] = [];
  if (t.minPerCpuSecond !== undefined) out.push({ target: `≥ ${t.minPerCpuSecond.toLocaleString('en-US')} items per CPU-second`, value: r.perCpuSecond, met: r.perCpuSecond >= t.minPerCpuSecond });
  if (t.minCeilingFraction !== undefined && ceiling) {
    const f = r.perCpuSecond / ceiling.withGzipPerCpuSecond;
    out.push({ target: `≥ ${t.minCeilingFraction * 100} % of the decode+encode+gzip ceiling`, value: f, met: f >= t.minCeilingFraction });
    const g = r.perCpuSecond / ceiling.decodeEncodePerCpuSecond;
    out.push({ target: `≥ ${t.minCeilingFraction * 100} % of the decode+encode ceiling (no gzip)`, value: g, met: g >= t.minCeilingFraction });
  }
  if (t.maxCpuPercent !== undefined) out.push({ target: `≤ ${t.maxCpuPercent} % of one core`, value: r.ferryCpuPercent, met: r.ferryCpuPercent <= t.maxCpuPercent });
  if (t.maxRssMiB !== undefined) out.push({ target: `≤ ${t.maxRssMiB} MiB RSS (peak)`, value: r.rssPeakMiB, met: r.rssPeakMiB <= t.maxRssMiB });
  if (t.maxP99Ms !== undefined) out.push({ target: `p99 added latency ≤ ${t.maxP99Ms} ms`, value: r.latencyP99Ms, met: r.latencyP99Ms <= t.maxP99Ms });
  if (t.maxAnswerP99Ms !== undefined) out.push({ target: `answer time p99 ≤ ${t.maxAnswerP99Ms} ms`, value: r.answerP99Ms, met: r.answerP99Ms <= t.maxAnswerP99Ms });
  if (t.minDeliveredPerSecond !== undefined) {
    out.push({ target: `≥ ${t.minDeliveredPerSecond.toLocaleString('en-US')} items delivered per second`, value: r.deliveredPerSecond, met: r.deliveredPerSecond >= t.minDeliveredPerSecond });
  }
  if (t.nothingLost && r.sdk) {
    out.push({ target: 'nothing lost: delivered = emitted (no drop in the app, no failed export)', value: r.sdk.lostTotal, met: r.sdk.lostTotal === 0 && r.sdk.emittedTotal > 0 });
  }
  if (t.maxRssGrowthMiB !== undefined) {
    const g = rssGrowthMiB(r);
    out.push({ target: `RSS growth ≤ ${t.maxRssGrowthMiB} MiB over the run`, value: g, met: g <= t.maxRssGrowthMiB });
  }
  // Always: nothing lost.
  out.push({ target: 'delivered = accepted', value: r.deliveredTotal - r.acceptedTotal, met: r.deliveredTotal === r.acceptedTotal && r.acceptedTotal > 0 });
  return out;
}

const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const fixed = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

export interface Row {
  readonly scenario: Scenario;
  readonly result: ScenarioResult;
  readonly ceiling: Ceiling | undefined;
  readonly checks: readonly TargetCheck[];
}

/** The table of the load generator's scenarios, then (if any) the SDK apps' table. */
export function tables(rows: readonly Row[]): string {
  const raw = rows.filter((r) => !r.result.sdk);
  const sdk = rows.filter((r) => r.result.sdk);
  return [
    ...(raw.length > 0 ? ['Load generator (stamped OTLP requests):', '', table(raw)] : []),
    ...(raw.length > 0 && sdk.length > 0 ? [''] : []),
    ...(sdk.length > 0 ? ['OpenTelemetry JS SDK apps at their default settings:', '', sdkTable(sdk)] : []),
  ].join('\n');
}

const pct = (part: number, whole: number): string => (whole > 0 ? `${((part / whole) * 100).toFixed(part > 0 && part / whole < 0.001 ? 2 : 1)} %` : '–');

/**
 * SDK apps: emitted, accepted (exported OK as the SDK saw it) and delivered (at the sink) per
 * second of the window; losses over the whole run: dropped in the app's queue, failed exports, all.
 */
export function sdkTable(rows: readonly Row[]): string {
  const head = [
    'scenario',
    'Ferry config',
    'load',
    'emitted/s',
    'accepted/s',
    'delivered/s',
    'lost in app',
    'export failed',
    'lost of emitted',
    'Ferry CPU %',
    'RSS steady/peak MiB',
    'answer p50/p99 ms',
    'after encoding p50/p99 ms',
    'latency p50/p99 ms',
    'targets',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const { scenario: s, result: r, checks } of rows) {
    const k = r.sdk;
    if (!k) continue;
    const missed = checks.filter((x) => !x.met).length;
    lines.push(
      `| ${[
        s.name,
        r.ferrySetup,
        describeLoad(s),
        int(k.emittedPerSecond),
        int(r.acceptedPerSecond),
        int(r.deliveredPerSecond),
        int(k.droppedInAppTotal),
        int(k.failedTotal),
        `${int(k.lostTotal)} of ${int(k.emittedTotal)} (${pct(k.lostTotal, k.emittedTotal)})`,
        fixed(r.ferryCpuPercent),
        `${fixed(r.rssSteadyMiB, 0)} / ${fixed(r.rssPeakMiB, 0)}`,
        `${fixed(r.answerP50Ms)} / ${fixed(r.answerP99Ms)}`,
        `${fixed(k.afterEncodeP50Ms)} / ${fixed(k.afterEncodeP99Ms)}`,
        `${fixed(r.latencyP50Ms)} / ${fixed(r.latencyP99Ms)}`,
        missed === 0 ? 'met' : `${missed} missed`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** A Markdown table (it reads as a table on a terminal too). */
export function table(rows: readonly Row[]): string {
  const head = [
    'scenario',
    'load',
    'accepted/s',
    'delivered/s',
    'lost',
    'Ferry CPU %',
    'items/CPU-s',
    '% of ceiling (with gzip)',
    'RSS steady/peak MiB',
    'answer p50/p99 ms',
    'latency p50/p99 ms',
    'sink CPU %',
    'targets',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const { scenario: s, result: r, ceiling: c, checks } of rows) {
    const missed = checks.filter((x) => !x.met).length;
    lines.push(
      `| ${[
        s.name,
        describeLoad(s),
        int(r.acceptedPerSecond),
        int(r.deliveredPerSecond),
        int(r.acceptedTotal - r.deliveredTotal),
        fixed(r.ferryCpuPercent),
        int(r.perCpuSecond),
        c ? `${fixed((r.perCpuSecond / c.withGzipPerCpuSecond) * 100, 0)} %` : '–',
        `${fixed(r.rssSteadyMiB, 0)} / ${fixed(r.rssPeakMiB, 0)}`,
        `${fixed(r.answerP50Ms)} / ${fixed(r.answerP99Ms)}`,
        `${fixed(r.latencyP50Ms)} / ${fixed(r.latencyP99Ms)}`,
        fixed(r.sinkCpuPercent),
        missed === 0 ? 'met' : `${missed} missed`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export function ceilingTable(ceilings: readonly Ceiling[]): string {
  const lines = [
    '| signal | input | decode + encode (Ferry\'s codec) | + gzip of each batch | every item decoded and re-encoded |',
    '|---|---|---|---|---|',
  ];
  for (const c of ceilings) {
    lines.push(`| ${c.signal} | ${c.encoding} | ${int(c.decodeEncodePerCpuSecond)} | ${int(c.withGzipPerCpuSecond)} (level ${c.gzipLevel}) | ${int(c.materializedPerCpuSecond)} |`);
  }
  return lines.join('\n');
}

/** Each missed target, with its figure, for the text under the table. */
export function misses(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const { scenario, checks } of rows) {
    for (const c of checks) {
      if (!c.met) out.push(`${scenario.name}: missed "${c.target}" (measured ${c.value < 1 && c.value > 0 ? (c.value * 100).toFixed(1) + ' %' : fixed(c.value)})`);
    }
  }
  return out;
}
