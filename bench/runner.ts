// Runs one scenario: sink, Ferry and load generator as three processes; measures Ferry's
// CPU, memory, throughput and added latency over a window after warm-up; checks nothing was lost.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FERRY_CLI, ferryLaunch } from './ferry.js';
import type { LoadCommand, LoadMessage, LoadSpec, LoadStats } from './loadgen.js';
import type { CpuSample } from './proc.js';
import { IpcChild, cpuPercent, cpuSample, memorySample, threadCpuPercent, threadCpuSeconds } from './proc.js';
import type { Scenario } from './scenarios.js';
import { ferryConfig } from './scenarios.js';
import type { SinkCommand, SinkMessage, SinkStats } from './sink.js';

export interface RunOptions {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly itemsPerRequest: number;
  readonly withResource: boolean;
  /** Write Ferry's CPU profile (node --cpu-prof) into this directory. */
  readonly profileDir?: string;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly seconds: number;
  readonly acceptedPerSecond: number;
  readonly deliveredPerSecond: number;
  /** Whole run, warm-up included: what the load generator got a 200 for, and what reached the sink. */
  readonly acceptedTotal: number;
  readonly deliveredTotal: number;
  readonly failedRequests: number;
  readonly skippedSends: number;
  readonly errors: readonly string[];
  readonly ferryCpuPercent: number;
  /** The kernel's share of it (system time), % of one core. */
  readonly ferrySystemPercent: number;
  /** Ferry's CPU by thread: the JS main thread, V8's helpers (GC, compiler), libuv's pool (zlib). */
  readonly ferryThreadsPercent: Readonly<Record<string, number>>;
  readonly perCpuSecond: number;
  readonly rssSteadyMiB: number;
  readonly rssWindowMaxMiB: number;
  readonly rssPeakMiB: number;
  /** RSS every sample of the window, MiB (the soak's trend). */
  readonly rssSeriesMiB: readonly number[];
  readonly rssSampleSeconds: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly sinkCpuPercent: number;
  readonly loadgenCpuPercent: number;
  readonly exportRequests: number;
  readonly exportBytesPerItem: number;
  /** Ferry's own view of its memory at the end of the window (prom-client's nodejs_* gauges), MiB. */
  readonly heapMiB: Readonly<Record<string, number>>;
  readonly profile?: string;
}

/** V8 heap and external memory from Ferry's self-metrics: where its RSS goes. */
async function heapBreakdown(metricsPort: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^(nodejs_heap_size_total_bytes|nodejs_heap_size_used_bytes|nodejs_external_memory_bytes|nodejs_heap_space_size_used_bytes\{space="([a-z_]+)"\}) (\S+)/.exec(line);
      if (m) out[m[2] ?? (m[1] as string).replace(/^nodejs_|_bytes$/g, '')] = Math.round((Number(m[3]) / MiB) * 10) / 10;
    }
  } catch {
    // Self-metrics are a bonus for the report; the measurement stands without them.
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Script of a bench child, beside this module (bench/*.ts under vitest, dist/bench/*.js when built). */
function sibling(name: string): string {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), name + path.extname(here));
}

/** Weighted percentile: each latency counts as many times as the items it stands for. */
export function percentile(latencies: readonly number[], weights: readonly number[], q: number): number {
  if (latencies.length === 0) return NaN;
  const order = latencies.map((_, i) => i).sort((a, b) => (latencies[a] as number) - (latencies[b] as number));
  const total = weights.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (const i of order) {
    seen += weights[i] as number;
    if (seen >= q * total) return latencies[i] as number;
  }
  return latencies[order[order.length - 1] as number] as number;
}

interface Ferry {
  readonly child: ChildProcess;
  stderr(): string;
  readonly exited: Promise<unknown>;
}

async function startFerry(configPath: string, profileDir: string | undefined, launch: { env: Record<string, string>; nodeArgs: readonly string[] }): Promise<Ferry> {
  const { nodeArgs } = launch;
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  // FERRY_BENCH_NODE_ARGS: extra node flags for the Ferry process (e.g. --trace-gc), for experiments.
  const extra = (process.env.FERRY_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, ...extra, ...prof, FERRY_CLI, '--config', configPath], {
    stdio: ['ignore', process.env.FERRY_BENCH_STDOUT ? 'inherit' : 'ignore', 'pipe'],
    env: { ...process.env, ...launch.env },
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-20_000)));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 20_000;
  while (!err.includes('Everything is ready')) {
    if (child.exitCode !== null) throw new Error(`bench: ferry exited (${child.exitCode}) before it was ready:\n${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bench: ferry was not ready within 20 s:\n${err}`);
    }
    await sleep(25);
  }
  return { child, stderr: () => err, exited };
}

async function stopFerry(ferry: Ferry): Promise<void> {
  if (ferry.child.exitCode !== null) return;
  ferry.child.kill('SIGTERM');
  const timer = setTimeout(() => ferry.child.kill('SIGKILL'), 15_000);
  await ferry.exited;
  clearTimeout(timer);
}

type Sink = IpcChild<SinkCommand, SinkMessage>;
type Load = IpcChild<LoadCommand, LoadMessage>;

const sinkStats = async (sink: Sink): Promise<SinkStats> => (await sink.request({ type: 'stats' })) as SinkStats & { type: 'stats' };
const loadStats = async (load: Load, type: 'stats' | 'stop' = 'stats'): Promise<LoadStats> =>
  (await load.request({ type }, type === 'stop' ? 30_000 : 10_000)) as LoadStats & { type: 'stats' };

/** Run `scenario` once and measure it. Every process it started is stopped before it returns. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bench-'));
  const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort(), sink: 0 };
  const sink: Sink = new IpcChild(sibling('sink'));
  let ferry: Ferry | undefined;
  let load: Load | undefined;
  try {
    ports.sink = ((await sink.next('ready')) as { port: number }).port;
    const configPath = path.join(dir, 'config.yaml');
    // A free port can be taken by another process before Ferry binds it: try fresh ones.
    for (let attempt = 1; ; attempt++) {
      writeFileSync(configPath, ferryConfig(ports, options.withResource, scenario.load.kind === 'max', scenario.transform ?? false));
      try {
        ferry = await startFerry(configPath, options.profileDir, scenario.nodeArgs ? { env: {}, nodeArgs: scenario.nodeArgs } : ferryLaunch());
        break;
      } catch (err) {
        if (attempt >= 3 || !String(err).includes('address already in use')) throw err;
        Object.assign(ports, { grpc: await freePort(), http: await freePort(), metrics: await freePort() });
      }
    }
    const pid = ferry.child.pid as number;

    const spec: LoadSpec = {
      signal: scenario.signal,
      protocol: scenario.protocol,
      encoding: scenario.encoding,
      gzip: scenario.gzip,
      itemsPerRequest: options.itemsPerRequest,
      variants: 16,
      mode: scenario.load,
      host: '127.0.0.1',
      port: scenario.protocol === 'grpc' ? ports.grpc : ports.http,
    };
    load = new IpcChild(sibling('loadgen'));
    load.send({ type: 'start', spec });
    await load.next('ready');
    await sleep(options.warmupSeconds * 1000);

    // The window: everything below is measured between these two points.
    sink.send({ type: 'mark' });
    const [ferry0, sink0, load0] = [cpuSample(pid), cpuSample(sink.pid), cpuSample(load.pid)];
    const threads0 = threadCpuSeconds(pid);
    const [s0, l0] = await Promise.all([sinkStats(sink), loadStats(load)]);
    const rss: number[] = [];
    const sampleMs = options.seconds > 60 ? 1000 : 250;
    const end = Date.now() + options.seconds * 1000;
    while (Date.now() < end) {
      await sleep(Math.min(sampleMs, Math.max(0, end - Date.now())));
      rss.push(memorySample(pid).rss / MiB);
    }
    const [ferry1, sink1, load1]: CpuSample[] = [cpuSample(pid), cpuSample(sink.pid), cpuSample(load.pid)];
    const threads1 = threadCpuSeconds(pid);
    const [s1, l1] = await Promise.all([sinkStats(sink), loadStats(load)]);
    const heapMiB = await heapBreakdown(ports.metrics);
    const windowSeconds = ferry1.at - ferry0.at;

    // Drain: stop sending, let the last batch go out, then everything accepted must have arrived.
    const final = await loadStats(load, 'stop');
    let delivered = s1;
    const deadline = Date.now() + 15_000;
    for (;;) {
      delivered = await sinkStats(sink);
      if (delivered.items >= final.acceptedItems || Date.now() > deadline) break;
      await sleep(50);
    }
    const peak = memorySample(pid).peakRss / MiB;

    const items = s1.items - s0.items;
    const ferryCpuSeconds = ferry1.cpuSeconds - ferry0.cpuSeconds;
    const sorted = [...rss].sort((a, b) => a - b);
    return {
      scenario: scenario.name,
      seconds: windowSeconds,
      acceptedPerSecond: (l1.acceptedItems - l0.acceptedItems) / windowSeconds,
      deliveredPerSecond: items / windowSeconds,
      acceptedTotal: final.acceptedItems,
      deliveredTotal: delivered.items,
      failedRequests: final.failedRequests,
      skippedSends: final.skipped,
      errors: final.errors,
      ferryCpuPercent: cpuPercent(ferry0, ferry1),
      ferrySystemPercent: ((ferry1.systemSeconds - ferry0.systemSeconds) / windowSeconds) * 100,
      ferryThreadsPercent: threadCpuPercent(threads0, threads1, windowSeconds),
      perCpuSecond: ferryCpuSeconds > 0 ? items / ferryCpuSeconds : NaN,
      rssSteadyMiB: sorted[Math.floor(sorted.length / 2)] ?? NaN,
      rssWindowMaxMiB: sorted[sorted.length - 1] ?? NaN,
      rssPeakMiB: peak,
      rssSeriesMiB: rss.map((x) => Math.round(x * 10) / 10),
      rssSampleSeconds: sampleMs / 1000,
      latencyP50Ms: percentile(s1.latencyMs, s1.latencyItems, 0.5),
      latencyP99Ms: percentile(s1.latencyMs, s1.latencyItems, 0.99),
      latencyMaxMs: percentile(s1.latencyMs, s1.latencyItems, 1),
      sinkCpuPercent: cpuPercent(sink0, sink1),
      loadgenCpuPercent: cpuPercent(load0, load1),
      exportRequests: s1.requests - s0.requests,
      exportBytesPerItem: items > 0 ? (s1.bytes - s0.bytes) / items : NaN,
      heapMiB,
      profile: options.profileDir,
    };
  } finally {
    await load?.stop();
    if (ferry) await stopFerry(ferry);
    await sink.stop();
  }
}
