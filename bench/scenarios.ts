// The bench's scenarios (signal × transport × encoding × gzip × load) and the Ferry
// configuration each runs: otlp → batch → resource → otlphttp into the sink.
import path from 'node:path';
import type { Signal } from '../src/pdata/types.js';
import type { WireEncoding } from './payloads.js';

/** Targets of issues 8 and 13, checked per scenario in the report. */
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
  /** Maximum answer time p99, ms: a request's send → its response, as the sender sees it. */
  readonly maxAnswerP99Ms?: number;
  /** Minimum items delivered per second (the persistent queue). */
  readonly minDeliveredPerSecond?: number;
  /** SDK apps: every item emitted reaches the sink (nothing dropped in the app, refused or lost). */
  readonly nothingLost?: boolean;
}

/**
 * The Ferry configuration a scenario runs (see `ferryLaunchConfig`):
 * - `bench`: otlp → batch → [resource] → otlphttp, generated; the sending queue off at saturation.
 * - `sidecar`: the shipped `configs/sidecar.yaml` as a user runs it, only its addresses moved to
 *   free ports with `--set` and `FERRY_BACKEND_ENDPOINT`.
 * - `queue-batch`: otlp → otlphttp, batching inside the exporter's queue (`sending_queue.batch: {}`).
 * - `persistent`: the same with the queue on disk: `file_storage` (fsync on) and
 *   `sending_queue: {storage: file_storage/queue, batch: {}}`.
 */
export type FerrySetup = 'bench' | 'sidecar' | 'queue-batch' | 'persistent';

/** Setups that need `sending_queue.batch`; skipped (and said so) on a build whose config validation refuses it. */
export const NEEDS_QUEUE_BATCH: ReadonlySet<FerrySetup> = new Set(['queue-batch', 'persistent']);

export type Load =
  | { readonly kind: 'rate'; readonly itemsPerSecond: number }
  | { readonly kind: 'max'; readonly concurrency: number }
  /** OpenTelemetry JS SDK apps at their default settings, `itemsPerSecond` in total shared by `apps` processes. */
  | { readonly kind: 'sdk'; readonly apps: number; readonly itemsPerSecond: number };

export interface Scenario {
  readonly name: string;
  readonly signal: Signal;
  readonly protocol: 'http' | 'grpc';
  readonly encoding: WireEncoding;
  readonly gzip: boolean;
  readonly load: Load;
  /** Which Ferry configuration (default `bench`). */
  readonly ferry?: FerrySetup;
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
 * Closed-loop senders at saturation: 16, as many as a busy gateway's clients keep in flight,
 * not more (issue 13). A receiver that answers once the data is handed over (the batch
 * processor's buffer or the sending queue) stays busy with 16; one that answers after the
 * export would wait out the batch window instead, and this shows it.
 */
const SATURATE = { kind: 'max', concurrency: 16 } as const;
const STEADY = { kind: 'rate', itemsPerSecond: 10_000 } as const;
/** Answer time (send → response, as the sender sees it) below saturation, issue 13. */
const MAX_ANSWER_P99_MS = 5;
const steadyTargets: Targets = { maxCpuPercent: 8, maxRssMiB: 100, maxP99Ms: BATCH_TIMEOUT_MS + 5, maxAnswerP99Ms: MAX_ANSWER_P99_MS };

/** One SDK-app scenario: `sdk-<signal>-<protocol>-<N>app(s)-<rate>k-<setup name>`. */
function sdkScenario(signal: 'logs' | 'traces', protocol: 'http' | 'grpc', apps: number, itemsPerSecond: number, ferry: FerrySetup, suffix: string, quick = false): Scenario {
  const rate = itemsPerSecond >= 1000 ? `${itemsPerSecond / 1000}k` : String(itemsPerSecond);
  const steady = itemsPerSecond <= 10_000;
  return {
    name: `sdk-${signal}-${protocol}-${apps}app${apps > 1 ? 's' : ''}-${rate}-${suffix}`,
    signal,
    protocol,
    encoding: 'protobuf',
    gzip: false,
    load: { kind: 'sdk', apps, itemsPerSecond },
    ferry,
    quick,
    fullSeconds: 15,
    targets: steady ? { nothingLost: true, maxCpuPercent: 8, maxRssMiB: 100, maxAnswerP99Ms: MAX_ANSWER_P99_MS } : { nothingLost: true, maxAnswerP99Ms: MAX_ANSWER_P99_MS },
  };
}

/**
 * SDK apps: 1 and 4 processes, logs and traces, OTLP/HTTP (protobuf) and gRPC, 10,000 and
 * 50,000 items/s in total, through the batch processor (the bench's `otlp → batch →
 * otlphttp`, as configs/sidecar.yaml was) and through batching in the queue; and a few through
 * the shipped configs/sidecar.yaml as it is.
 */
function sdkScenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const [ferry, suffix] of [
    ['bench', 'batch-processor'],
    ['queue-batch', 'queue-batch'],
  ] as const) {
    for (const signal of ['logs', 'traces'] as const) {
      for (const protocol of ['http', 'grpc'] as const) {
        for (const apps of [1, 4]) {
          for (const itemsPerSecond of [10_000, 50_000]) {
            out.push(sdkScenario(signal, protocol, apps, itemsPerSecond, ferry, suffix, signal === 'logs' && protocol === 'http' && apps === 1 && itemsPerSecond === 10_000));
          }
        }
      }
    }
  }
  out.push(
    sdkScenario('logs', 'http', 4, 10_000, 'sidecar', 'sidecar'),
    sdkScenario('logs', 'http', 4, 50_000, 'sidecar', 'sidecar'),
    sdkScenario('traces', 'grpc', 4, 10_000, 'sidecar', 'sidecar'),
    // 1,000 logs/s: the harness test's scenario (short enough that the SDK's queue holds all it emits).
    { ...sdkScenario('logs', 'http', 1, 1_000, 'sidecar', 'sidecar'), targets: { nothingLost: true } },
  );
  return out;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'logs-http-protobuf-max', signal: 'logs', protocol: 'http', encoding: 'protobuf', gzip: false, load: SATURATE, quick: true, targets: { minPerCpuSecond: 150_000, minCeilingFraction: 0.7 } },
  { name: 'logs-http-protobuf-transform-max', signal: 'logs', protocol: 'http', encoding: 'protobuf', gzip: false, load: SATURATE, quick: false, transform: true, targets: {} },
  { name: 'logs-http-protobuf-gzip-max', signal: 'logs', protocol: 'http', encoding: 'protobuf', gzip: true, load: SATURATE, quick: false, targets: {} },
  { name: 'logs-http-json-max', signal: 'logs', protocol: 'http', encoding: 'json', gzip: false, load: SATURATE, quick: false, targets: {} },
  { name: 'logs-grpc-max', signal: 'logs', protocol: 'grpc', encoding: 'protobuf', gzip: false, load: SATURATE, quick: false, targets: {} },
  { name: 'logs-grpc-gzip-max', signal: 'logs', protocol: 'grpc', encoding: 'protobuf', gzip: true, load: SATURATE, quick: false, targets: {} },
  { name: 'traces-http-protobuf-max', signal: 'traces', protocol: 'http', encoding: 'protobuf', gzip: false, load: SATURATE, quick: false, targets: {} },
  { name: 'metrics-http-protobuf-max', signal: 'metrics', protocol: 'http', encoding: 'protobuf', gzip: false, load: SATURATE, quick: false, targets: {} },
  {
    // Batching in the sending queue instead of the batch processor (the Collector's new way).
    name: 'logs-http-protobuf-max-queue-batch',
    signal: 'logs',
    protocol: 'http',
    encoding: 'protobuf',
    gzip: false,
    load: SATURATE,
    ferry: 'queue-batch',
    quick: false,
    targets: { minPerCpuSecond: 150_000 },
  },
  {
    // The queue on disk, fsync on: what a durable 200 costs.
    name: 'logs-http-protobuf-max-persistent',
    signal: 'logs',
    protocol: 'http',
    encoding: 'protobuf',
    gzip: false,
    load: SATURATE,
    ferry: 'persistent',
    quick: false,
    targets: { minDeliveredPerSecond: 50_000 },
  },
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
  ...sdkScenarios(),
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
  /** health_check's endpoint (configs/sidecar.yaml has one). */
  readonly health: number;
  readonly sink: number;
}

/** How Ferry is started for a scenario: `--config` (and `--set`) arguments, environment, and a config file to write first. */
export interface FerryLaunchConfig {
  /** Arguments after `dist/cli.js`. */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Generated configuration to write to `configPath` first (none for a shipped config). */
  readonly write?: { readonly path: string; readonly text: string };
  /** What the report says Ferry ran. */
  readonly describe: string;
}

/**
 * The Ferry configuration of `setup`. `dir` holds the generated config file and the persistent
 * queue's directory (on the real disk: fsync means something there, unlike on a tmpfs).
 */
export function ferryLaunchConfig(setup: FerrySetup, ports: FerryPorts, dir: string, repoRoot: string, withResource: boolean, saturating: boolean, transform = false): FerryLaunchConfig {
  const configPath = path.join(dir, 'config.yaml');
  if (setup === 'sidecar') {
    return {
      args: [
        '--config',
        path.join(repoRoot, 'configs', 'sidecar.yaml'),
        '--set',
        `receivers::otlp::protocols::grpc::endpoint=127.0.0.1:${ports.grpc}`,
        '--set',
        `receivers::otlp::protocols::http::endpoint=127.0.0.1:${ports.http}`,
        '--set',
        `extensions::health_check::endpoint=127.0.0.1:${ports.health}`,
        '--set',
        `service::telemetry::metrics::address=127.0.0.1:${ports.metrics}`,
      ],
      env: { FERRY_BACKEND_ENDPOINT: `http://127.0.0.1:${ports.sink}`, FERRY_BACKEND_TOKEN: 'bench' },
      describe: 'configs/sidecar.yaml as shipped',
    };
  }
  if (setup === 'bench') {
    return { args: ['--config', configPath], env: {}, write: { path: configPath, text: ferryConfig(ports, withResource, saturating, transform) }, describe: `otlp → batch${withResource ? ' → resource' : ''}${transform ? ' → transform' : ''} → otlphttp` };
  }
  const persistent = setup === 'persistent';
  const pipeline = (signal: string): string => `    ${signal}:
      receivers: [otlp]
      exporters: [otlphttp]
`;
  const text = [
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      grpc:',
    `        endpoint: 127.0.0.1:${ports.grpc}`,
    '      http:',
    `        endpoint: 127.0.0.1:${ports.http}`,
    ...(persistent ? ['extensions:', '  file_storage/queue:', `    directory: ${JSON.stringify(path.join(dir, 'queue'))}`, '    create_directory: true', '    fsync: true'] : []),
    'exporters:',
    '  otlphttp:',
    `    endpoint: http://127.0.0.1:${ports.sink}`,
    '    sending_queue:',
    ...(persistent ? ['      storage: file_storage/queue'] : []),
    '      batch: {}',
    'service:',
    ...(persistent ? ['  extensions: [file_storage/queue]'] : []),
    '  telemetry:',
    '    metrics:',
    `      address: 127.0.0.1:${ports.metrics}`,
    '  pipelines:',
    pipeline('logs') + pipeline('traces') + pipeline('metrics'),
  ].join('\n');
  return {
    args: ['--config', configPath],
    env: {},
    write: { path: configPath, text },
    describe: persistent ? 'otlp → otlphttp, sending_queue {storage: file_storage (fsync), batch: {}}' : 'otlp → otlphttp, sending_queue {batch: {}}',
  };
}

/**
 * The bench's own configuration (`bench` setup); `withResource` once the resource processor
 * exists. At saturation the exporter's sending queue is off: with it, a sender's request is
 * answered once its batch is queued, and a closed loop measures how fast 1000 queued batches
 * of 8192 items fill memory, not what Ferry delivers. At a steady rate the queue keeps its defaults.
 */
export function ferryConfig(ports: Omit<FerryPorts, 'health'>, withResource: boolean, saturating: boolean, transform = false): string {
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

/** Human-readable load: "max, 16 senders", "10,000/s" or "4 SDK apps, 10,000/s". */
export function describeLoad(s: Scenario): string {
  const l = s.load;
  if (l.kind === 'max') return `max, ${l.concurrency} senders`;
  const rate = `${l.itemsPerSecond.toLocaleString('en-US')}/s`;
  return l.kind === 'sdk' ? `${l.apps} SDK app${l.apps > 1 ? 's' : ''}, ${rate}` : rate;
}
