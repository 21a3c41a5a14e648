// `ferry top`: a live view of a running Ferry, from its self-metrics endpoint (Prometheus
// text): per receiver, processor and exporter, items in and out per second, refused,
// dropped or failed, queue fill and export errors. Plain ANSI, so it works over SSH.
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/units.js';
import { errorMessage } from '../consumer.js';

export const TOP_HELP = `Usage: ferry top [--metrics-url URL] [--interval D] [--once] [--json]

Shows what flows through a running Ferry, read from its self-metrics endpoint
(service.telemetry.metrics, level basic or more), refreshed every --interval:
one row per receiver, processor and exporter with items in and out per second,
refused (sent back to the sender), dropped or failed, queue fill (exporters'
sending_queue) and export errors per second. q or Ctrl-C quits.

Options:
      --metrics-url URL  the self-metrics endpoint (default http://127.0.0.1:8888/metrics)
      --interval D       time between two readings (default 2s)
      --once             read twice, --interval apart, print one table and exit
      --json             with --once: the same as JSON, for scripts
  -h, --help             this help
`;

export type Kind = 'receiver' | 'processor' | 'exporter';

/** One component's totals (since Ferry started) and gauges, summed over signals and transports. */
export interface Totals {
  kind: Kind;
  id: string;
  /** Receivers: accepted; exporters: sent + failed + dropped (what reached the exporter). */
  in: number;
  /** Receivers: accepted (passed on); exporters: sent. */
  out: number;
  refused: number;
  dropped: number;
  failed: number;
  queueSize: number | undefined;
  queueCapacity: number | undefined;
}

export interface Row extends Totals {
  inPerSec: number;
  outPerSec: number;
  refusedPerSec: number;
  droppedPerSec: number;
  failedPerSec: number;
  /** queue_size / queue_capacity, 0…1; undefined without a queue. */
  queueFill: number | undefined;
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Prometheus text exposition → samples (comments and malformed lines skipped). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(m[3]);
    if (!Number.isNaN(value)) out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

const COUNTER = /_total$/;

/** Samples → one Totals per component, from the Collector's metric names. */
export function totals(samples: readonly Sample[]): Map<string, Totals> {
  const byId = new Map<string, Totals>();
  const get = (kind: Kind, id: string): Totals => {
    const key = `${kind}\u0000${id}`;
    let t = byId.get(key);
    if (t === undefined) {
      t = { kind, id, in: 0, out: 0, refused: 0, dropped: 0, failed: 0, queueSize: undefined, queueCapacity: undefined };
      byId.set(key, t);
    }
    return t;
  };
  for (const s of samples) {
    const { name, labels, value } = s;
    if (labels.receiver !== undefined && name.startsWith('otelcol_receiver_') && COUNTER.test(name)) {
      const t = get('receiver', labels.receiver);
      if (name.startsWith('otelcol_receiver_accepted_')) {
        t.in += value;
        t.out += value;
      } else if (name.startsWith('otelcol_receiver_refused_')) {
        t.in += value;
        t.refused += value;
      }
    } else if (labels.exporter !== undefined && name.startsWith('otelcol_exporter_')) {
      const t = get('exporter', labels.exporter);
      if (name === 'otelcol_exporter_queue_size') t.queueSize = (t.queueSize ?? 0) + value;
      else if (name === 'otelcol_exporter_queue_capacity') t.queueCapacity = (t.queueCapacity ?? 0) + value;
      else if (!COUNTER.test(name)) continue;
      else if (name.startsWith('otelcol_exporter_sent_')) {
        t.in += value;
        t.out += value;
      } else if (name.startsWith('otelcol_exporter_send_failed_')) {
        t.in += value;
        t.failed += value;
      } else if (name.startsWith('otelcol_exporter_enqueue_failed_')) {
        t.in += value;
        t.dropped += value;
      }
    } else if (labels.processor !== undefined && name.startsWith('otelcol_processor_') && COUNTER.test(name)) {
      // Processors report what they refuse, drop or filter (the Collector has no generic in/out for them).
      const t = get('processor', labels.processor);
      if (/_refused_/.test(name)) t.refused += value;
      else if (/_dropped_|_filtered_/.test(name)) t.dropped += value;
    }
  }
  return byId;
}

const KIND_ORDER: Readonly<Record<Kind, number>> = { receiver: 0, processor: 1, exporter: 2 };

/** Rates between two readings `seconds` apart, sorted: receivers, processors, exporters; busiest first. */
export function rows(before: Map<string, Totals>, after: Map<string, Totals>, seconds: number): Row[] {
  const rate = (a: number, b: number | undefined): number => (seconds > 0 ? Math.max(0, a - (b ?? 0)) / seconds : 0);
  const out: Row[] = [];
  for (const [key, t] of after) {
    const b = before.get(key);
    out.push({
      ...t,
      inPerSec: rate(t.in, b?.in ?? t.in),
      outPerSec: rate(t.out, b?.out ?? t.out),
      refusedPerSec: rate(t.refused, b?.refused ?? t.refused),
      droppedPerSec: rate(t.dropped, b?.dropped ?? t.dropped),
      failedPerSec: rate(t.failed, b?.failed ?? t.failed),
      queueFill: t.queueSize !== undefined && t.queueCapacity !== undefined && t.queueCapacity > 0 ? t.queueSize / t.queueCapacity : undefined,
    });
  }
  return out.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.inPerSec - a.inPerSec || a.id.localeCompare(b.id));
}

function num(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

const COLUMNS = ['KIND', 'COMPONENT', 'IN/s', 'OUT/s', 'REFUSED', 'DROPPED', 'FAILED', 'ERR/s', 'QUEUE'] as const;

/** The table as plain text lines (no colour, so it reads anywhere). */
export function table(list: readonly Row[]): string[] {
  const cells = list.map((r) => [
    r.kind,
    r.id,
    num(r.inPerSec),
    num(r.outPerSec),
    num(r.refused),
    num(r.dropped),
    num(r.failed),
    num(r.failedPerSec),
    r.queueFill === undefined ? '-' : `${num(r.queueSize ?? 0)}/${num(r.queueCapacity ?? 0)} ${Math.round(r.queueFill * 100)}%`,
  ]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const fmt = (c: readonly string[]): string => c.map((v, i) => (i < 2 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number))).join('  ').trimEnd();
  return [fmt(COLUMNS), ...cells.map(fmt)];
}

async function read(url: string): Promise<Map<string, Totals>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status} ${res.statusText}`);
  return totals(parsePrometheus(await res.text()));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** JSON of a row: totals and rates, named as in the table. */
function jsonRow(r: Row): Record<string, unknown> {
  return {
    kind: r.kind,
    id: r.id,
    in_per_sec: r.inPerSec,
    out_per_sec: r.outPerSec,
    refused_per_sec: r.refusedPerSec,
    dropped_per_sec: r.droppedPerSec,
    failed_per_sec: r.failedPerSec,
    in_total: r.in,
    out_total: r.out,
    refused_total: r.refused,
    dropped_total: r.dropped,
    failed_total: r.failed,
    queue_size: r.queueSize ?? null,
    queue_capacity: r.queueCapacity ?? null,
    queue_fill: r.queueFill ?? null,
  };
}

export async function runTop(argv: readonly string[]): Promise<number> {
  let opts: { url: string; intervalMs: number; once: boolean; json: boolean };
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'metrics-url': { type: 'string', default: 'http://127.0.0.1:8888/metrics' },
        interval: { type: 'string', default: '2s' },
        once: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(TOP_HELP);
      return 0;
    }
    opts = { url: values['metrics-url'], intervalMs: parseDuration(values.interval), once: values.once, json: values.json };
    if (opts.json && !opts.once) throw new Error('--json goes with --once');
    if (opts.intervalMs <= 0) throw new Error('--interval must be greater than 0, e.g. --interval 2s');
  } catch (err) {
    process.stderr.write(`ferry top: ${errorMessage(err)}\nRun "ferry top --help" for usage.\n`);
    return 2;
  }
  const reading = async (): Promise<Map<string, Totals>> => {
    try {
      return await read(opts.url);
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new Error(`cannot read ${opts.url}: ${errorMessage(err)}${cause} (is Ferry running with service.telemetry.metrics on that address? set --metrics-url)`);
    }
  };
  try {
    let before = await reading();
    let at = Date.now();
    if (opts.once) {
      await sleep(opts.intervalMs);
      const list = rows(before, await reading(), (Date.now() - at) / 1000);
      process.stdout.write(opts.json ? JSON.stringify({ metrics_url: opts.url, interval_seconds: opts.intervalMs / 1000, components: list.map(jsonRow) }, null, 2) + '\n' : table(list).join('\n') + '\n');
      return 0;
    }
    let stop = false;
    const quit = (): void => {
      stop = true;
    };
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      process.stdin.resume();
      process.stdin.on('data', (d: Buffer) => {
        if (d.includes(0x71 /* q */) || d.includes(0x03 /* Ctrl-C */)) quit();
      });
    }
    process.stdout.write('\x1b[?25l'); // hide the cursor
    try {
      while (!stop) {
        for (let waited = 0; waited < opts.intervalMs && !stop; waited += 100) await sleep(Math.min(100, opts.intervalMs - waited));
        if (stop) break;
        let screen: string[];
        try {
          const after = await reading();
          const now = Date.now();
          screen = table(rows(before, after, (now - at) / 1000));
          before = after;
          at = now;
        } catch (err) {
          screen = [errorMessage(err)];
        }
        const head = `ferry top — ${opts.url} — every ${opts.intervalMs / 1000}s — ${new Date().toISOString().slice(11, 19)} UTC — q quits`;
        process.stdout.write(`\x1b[H\x1b[2J${[head, '', ...screen].join('\r\n')}\r\n`);
      }
    } finally {
      process.stdout.write('\x1b[?25h\n');
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    return 0;
  } catch (err) {
    process.stderr.write(`ferry top: ${errorMessage(err)}\n`);
    return 1;
  }
}
