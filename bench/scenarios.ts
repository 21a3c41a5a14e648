// The bench's scenarios (signal × transport × encoding × gzip × load) and the Ferry
// configuration each runs: otlp → batch → resource → otlphttp into the sink.
import type { Signal } from '../src/pdata/types.js';
import type { WireEncoding } from './payloads.js';

/** Targets of issue 8, checked per scenario in the report. */
export interface Targets {
  /** Minimum items delivered per CPU-second of Ferry. */
  readonly minPerCpuSecond?: number;
  /** Minimum fraction of the decode+encode ceiling, per CPU-second. */
  readonly minCeilingFraction?: number;
  /** Maximum Ferry CPU, % of one core. */
  readonly maxCpuPercent?: number;
  /** Maximum steady and peak RSS, MiB. */
  readonly maxRssMiB?: number;
  /** Maximum added p99 latency, ms (batch timeout + 5 ms). */
  readonly maxP99Ms?: number;
  /** Maximum RSS growth from the first to the last minute, MiB. */
  readonly maxRssGrowthMiB?: number;
}

export interface Scenario {
  readonly name: string;
  readonly signal: Signal;
  readonly protocol: 'http' | 'grpc';
  readonly encoding: WireEncoding;
  readonly gzip: boolean;
  readonly load: { readonly kind: 'rate'; readonly itemsPerSecond: number } | { readonly kind: 'max'; readonly concurrency: number };
  /** Part of `--quick`. */
  readonly quick: boolean;
  /** Measured seconds in full mode when not the default (the soak). */
  readonly fullSeconds?: number;
  /** Only run when asked for by name (long runs). */
  readonly soak?: boolean;
  /** Node flags for the Ferry process instead of the environment and node flags of ferry's `#!` line (a deployment knob measured on its own). */
  readonly nodeArgs?: readonly string[];
  /** Put a transform processor with three OTTL statements in the pipeline (records per CPU-second through OTTL). */
  readonly transform?: boolean;
  readonly targets: Targets;
}

/** Batch timeout of the bench config (the Collector's default), for the latency target. */
export const BATCH_TIMEOUT_MS = 200;

/**
 * Closed-loop senders: Ferry answers a request once its batch is exported, so filling an
 * 8192-item batch (send_batch_size) needs more than 82 requests of 100 items in flight.
 */
const SATURATE = { kind: 'max', concurrency: 256 } as const;
const STEADY = { kind: 'rate', itemsPerSecond: 10_000 } as const;
const steadyTargets: Targets = { maxCpuPercent: 8, maxRssMiB: 100, maxP99Ms: BATCH_TIMEOUT_MS + 5 };

export const SCENARIOS: readonly Scenario[] = [
  { name: 'logs-http-protobuf-max', signal: 'logs', protocol: 'http', encoding: 'protobuf', gzip: false, load: SATURATE, quick: true, targets: { minPerCpuSecond: 150_000, minCeilingFraction: 0.7 } },
  { name: 'logs-http-protobuf-transform-max', signal: 'logs', protocol: 'http', encoding: 'protobuf', gzip: false, load: SATURATE, quick: false, transform: true, targets: {} },
  { name: 'logs-http-protobuf-gzip-max', signal: 'logs', protocol: 'http', encoding: 'protobuf', gzip: true, load: SATURATE, quick: false, targets: {} },
  { name: 'logs-http-json-max', signal: 'logs', protocol: 'http', encoding: 'json', gzip: false, load: SATURATE, quick: false, targets: {} },
  { name: 'logs-grpc-max', signal: 'logs', protocol: 'grpc', encoding: 'protobuf', gzip: false, load: SATURATE, quick: false, targets: {} },
  { name: 'logs-grpc-gzip-max', signal: 'logs', protocol: 'grpc', encoding: 'protobuf', gzip: true, load: SATURATE, quick: false, targets: {} },
  { name: 'traces-http-protobuf-max', signal: 'traces', protocol: 'http', encoding: 'protobuf', gzip: false, load: SATURATE, quick: false, targets: {} },
  { name: 'metrics-http-protobuf-max', signal: 'metrics', protocol: 'http', encoding: 'protobuf', gzip: false, load: SATURATE, quick: false, targets: {} },
  { name: 'logs-http-protobuf-10k', signal: 'logs', protocol: 'http', encoding: 'protobuf', gzip: false, load: STEADY, quick: true, targets: steadyTargets },
  {
    // The same as plain `node dist/cli.js`, without the tuning of ferry's `#!` line (V8's young
    // generation capped at 1 MiB per semi-space, glibc's malloc held to 2 arenas).
    name: 'logs-http-protobuf-10k-v8-defaults',
    signal: 'logs',
    protocol: 'http',
    encoding: 'protobuf',
    gzip: false,
    load: STEADY,
    quick: false,
    nodeArgs: [],
    targets: steadyTargets,
  },
  { name: 'logs-grpc-gzip-10k', signal: 'logs', protocol: 'grpc', encoding: 'protobuf', gzip: true, load: STEADY, quick: false, targets: steadyTargets },
  { name: 'traces-http-protobuf-10k', signal: 'traces', protocol: 'http', encoding: 'protobuf', gzip: false, load: STEADY, quick: true, targets: steadyTargets },
  { name: 'metrics-http-protobuf-10k', signal: 'metrics', protocol: 'http', encoding: 'protobuf', gzip: false, load: STEADY, quick: false, targets: steadyTargets },
  {
    name: 'logs-http-protobuf-10k-soak',
    signal: 'logs',
    protocol: 'http',
    encoding: 'protobuf',
    gzip: false,
    load: STEADY,
    quick: false,
    fullSeconds: 300,
    soak: true,
    targets: { ...steadyTargets, maxRssGrowthMiB: 5 },
  },
];

export interface FerryPorts {
  readonly grpc: number;
  readonly http: number;
  readonly metrics: number;
  readonly sink: number;
}

/**
 * The Ferry configuration under test; `withResource` once the resource processor exists.
 * At saturation the exporter's sending queue is off: with it, a sender's request is answered
 * once its batch is queued, and a closed loop measures how fast 1000 queued batches of 8192
 * items fill memory, not what Ferry delivers. At a steady rate the queue keeps its defaults.
 */
export function ferryConfig(ports: FerryPorts, withResource: boolean, saturating: boolean, transform = false): string {
  const processors = `[batch${withResource ? ', resource' : ''}${transform ? ', transform' : ''}]`;
  const pipeline = (signal: string): string => `    ${signal}:\n      receivers: [otlp]\n      processors: ${processors}\n      exporters: [otlphttp]\n`;
  return [
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      grpc:',
    `        endpoint: 127.0.0.1:${ports.grpc}`,
    '      http:',
    `        endpoint: 127.0.0.1:${ports.http}`,
    'processors:',
    '  batch: {}',
    ...(withResource ? ['  resource:', '    attributes:', '      - key: deployment.environment.name', '        value: bench', '        action: upsert'] : []),
    // Three OTTL statements touching every log record: set, replace_pattern, delete_key.
    ...(transform
      ? ['  transform:', '    log_statements:', '      - set(log.attributes["bench.stage"], "transformed")', '      - replace_pattern(log.body, "[0-9]+", "N")', '      - delete_key(log.attributes, "http.user_agent")']
      : []),
    'exporters:',
    '  otlphttp:',
    `    endpoint: http://127.0.0.1:${ports.sink}`,
    ...(saturating ? ['    sending_queue:', '      enabled: false'] : []),
    'service:',
    '  telemetry:',
    '    metrics:',
    `      address: 127.0.0.1:${ports.metrics}`,
    '  pipelines:',
    pipeline('logs') + pipeline('traces') + pipeline('metrics'),
  ].join('\n');
}

/** Human-readable load: "max (256 senders)" or "10,000 items/s". */
export function describeLoad(s: Scenario): string {
  return s.load.kind === 'max' ? `max, ${s.load.concurrency} senders` : `${s.load.itemsPerSecond.toLocaleString('en-US')}/s`;
}
