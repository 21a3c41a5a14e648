// The debug exporter: prints each batch to stdout, as a count line (basic), one line
// per item (normal) or every field (detailed), in the OpenTelemetry Collector's formats.
import { createWriteStream } from 'node:fs';
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import type { Batch } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/types.js';
import type { DebugConfig } from './config.js';
import { DEFAULT_DEBUG_CONFIG, VERBOSITY_OF_LOGLEVEL, configSchema } from './config.js';
import { detailedText } from './detailed.js';
import { normalText } from './normal.js';

export type { DebugConfig, Verbosity } from './config.js';

/** Where the output goes: process.stdout, or a stand-in in tests. */
export interface DebugOutput {
  write(text: string): unknown;
}

const MESSAGE: Readonly<Record<Signal, string>> = { logs: 'Logs', traces: 'Traces', metrics: 'Metrics' };

/** The counts of the summary line, with the Collector's field names. */
function counts(batch: Batch): [string, number][] {
  switch (batch.signal) {
    case 'logs':
      return [
        ['resource logs', batch.resources.length],
        ['log records', countItems(batch)],
      ];
    case 'traces':
      return [
        ['resource spans', batch.resources.length],
        ['spans', countItems(batch)],
      ];
    case 'metrics': {
      let metrics = 0;
      for (const r of batch.resources) for (const s of r.scopeMetrics) metrics += s.metrics.length;
      return [
        ['resource metrics', batch.resources.length],
        ['metrics', metrics],
        ['data points', countItems(batch)],
      ];
    }
  }
}

/** Fields as zap's console encoder writes them: `{"key": value, "key2": "text"}`. */
function zapFields(fields: readonly [string, string | number][]): string {
  return '{' + fields.map(([k, v]) => `${JSON.stringify(k)}: ${typeof v === 'number' ? v : JSON.stringify(v)}`).join(', ') + '}';
}

/**
 * zap's sampler, per signal: in each one-second window the first `initial` batches
 * are printed, then every `thereafter`-th.
 */
class Sampler {
  private windowStart = 0;
  private readonly seen = new Map<Signal, number>();

  constructor(
    private readonly initial: number,
    private readonly thereafter: number,
    private readonly now: () => number,
  ) {}

  allow(signal: Signal): boolean {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.seen.clear();
    }
    const n = (this.seen.get(signal) ?? 0) + 1;
    this.seen.set(signal, n);
    return n <= this.initial || (n - this.initial) % this.thereafter === 0;
  }
}

/** The Collector's output_paths (only without the internal logger): stdout, stderr, or files appended to. */
function outputFor(config: DebugConfig): { out: DebugOutput; close(): Promise<void> } {
  const paths = config.use_internal_logger ? ['stdout'] : (config.output_paths ?? ['stdout']);
  const files = paths.filter((p) => p !== 'stdout' && p !== 'stderr').map((p) => ({ p, stream: createWriteStream(p, { flags: 'a' }) }));
  const sinks: DebugOutput[] = paths.map((p) => (p === 'stdout' ? process.stdout : p === 'stderr' ? process.stderr : (files.find((f) => f.p === p)?.stream as DebugOutput)));
  return {
    out: sinks.length === 1 ? (sinks[0] as DebugOutput) : { write: (text: string) => sinks.forEach((s) => s.write(text)) },
    close: () => Promise.all(files.map((f) => new Promise<void>((resolve) => f.stream.end(() => resolve())))).then(() => undefined),
  };
}

export interface DebugExporterOptions {
  /** Defaults to process.stdout. */
  readonly out?: DebugOutput;
  /** Clock for the sampler and timestamps; defaults to Date.now. */
  readonly now?: () => number;
}

export function createDebugExporter(partial: Partial<DebugConfig>, ctx: ComponentContext, options: DebugExporterOptions = {}): Exporter {
  const config: DebugConfig = { ...DEFAULT_DEBUG_CONFIG, ...partial };
  if (config.loglevel !== undefined) config.verbosity = VERBOSITY_OF_LOGLEVEL[config.loglevel];
  const output = options.out === undefined ? outputFor(config) : { out: options.out, close: async () => undefined };
  const out = output.out;
  const now = options.now ?? Date.now;
  const sampler = new Sampler(config.sampling_initial, config.sampling_thereafter, now);
  const metrics = ctx.telemetry.forExporter(ctx.id);

  /** One log entry: with the collector log's prefix and component fields, or bare. */
  const entry = (signal: Signal, message: string, fields: [string, number][]): string => {
    if (!config.use_internal_logger) return fields.length > 0 ? `${message}\t${zapFields(fields)}\n` : `${message}\n`;
    const component: [string, string][] = [
      ['otelcol.component.id', ctx.id],
      ['otelcol.component.kind', 'exporter'],
      ['otelcol.signal', signal],
    ];
    return `${new Date(now()).toISOString()}\tinfo\t${message}\t${zapFields([...component, ...fields])}\n`;
  };

  return {
    mutatesData: false,
    async start() {},
    async consume(batch: Batch): Promise<void> {
      const items = countItems(batch);
      if (sampler.allow(batch.signal)) {
        let text = entry(batch.signal, MESSAGE[batch.signal], counts(batch));
        if (config.verbosity !== 'basic') {
          const body = config.verbosity === 'detailed' ? detailedText(batch) : normalText(batch);
          text += entry(batch.signal, body, []);
        }
        // One write per batch, so concurrent pipelines never interleave inside a batch's output.
        out.write(text);
      }
      metrics.sent(batch.signal, items);
    },
    async shutdown() {
      await output.close();
    },
  };
}

export const debugExporter: ExporterFactory<DebugConfig> = {
  kind: 'exporter',
  type: 'debug',
  deprecatedTypes: ['logging'],
  description: 'Prints telemetry to stdout (verbosity basic, normal or detailed), for debugging.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  create: (config, ctx) => createDebugExporter(config, ctx),
};
