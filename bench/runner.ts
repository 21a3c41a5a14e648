// Runs one scenario: sink, Ferry and load generator as three processes; measures Ferry's
// CPU, memory, throughput and added latency over a window after warm-up; checks nothing was lost.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FERRY_CLI, REPO_ROOT, ferryLaunch } from './ferry.js';
import type { LoadCommand, LoadMessage, LoadSpec, LoadStats } from './loadgen.js';
import type { SdkAppCommand, SdkAppMessage, SdkAppSpec, SdkAppStats } from './sdkapp.js';
import type { CpuSample } from './proc.js';
import { IpcChild, cpuPercent, cpuSample, memorySample, threadCpuPercent, threadCpuSeconds } from './proc.js';
import type { Scenario } from './scenarios.js';
import { NEEDS_QUEUE_BATCH, ferryLaunchConfig } from './scenarios.js';
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
  /** The Ferry configuration it ran. */
  readonly ferrySetup: string;
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
  /**
   * Answer time over the window: each request's (SDK apps: each export call's) time from send to
   * response as the sender sees it, ms; unweighted, one value per request.
   */
  readonly answerP50Ms: number;
  readonly answerP99Ms: number;
  readonly answerMaxMs: number;
  readonly answers: number;
  /** SDK apps only (undefined for the load generator). */
  readonly sdk?: SdkFigures;
  readonly sinkCpuPercent: number;
  /** The load generator's CPU, or all SDK apps' together, % of one core. */
  readonly loadgenCpuPercent: number;
  readonly exportRequests: number;
  readonly exportBytesPerItem: number;
  /** Ferry's own view of its memory at the end of the window (prom-client's nodejs_* gauges), MiB. */
  readonly heapMiB: Readonly<Record<string, number>>;
  readonly profile?: string;
}

/** What the SDK apps saw, whole run (warm-up included) unless said otherwise. */
export interface SdkFigures {
  readonly apps: number;
  /** Items emitted per second in the window. */
  readonly emittedPerSecond: number;
  readonly emittedTotal: number;
  /** Emitted but never handed to the exporter: dropped in the SDK's own queue (after its final flush). */
  readonly droppedInAppTotal: number;
  /** Handed to the exporter but its export failed (after the exporter's retries). */
  readonly failedTotal: number;
  /** Emitted − delivered: every loss, wherever it happened. */
  readonly lostTotal: number;
  readonly exports: number;
  /** Answer time less the exporter's synchronous part (its protobuf encoding): transport and Ferry, ms. */
  readonly afterEncodeP50Ms: number;
  readonly afterEncodeP99Ms: number;
}

/** A scenario not run, and why (its configuration needs what this build does not have). */
export interface SkippedResult {
  readonly scenario: string;
  readonly skipped: string;
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

interface FerryStart {
  /** Arguments after dist/cli.js (`--config …`, `--set …`). */
  readonly args: readonly string[];
  /** Environment for the config (`${env:…}`) and of ferry's `#!` line. */
  readonly env: Readonly<Record<string, string>>;
  readonly nodeArgs: readonly string[];
}

async function startFerry(start: FerryStart, profileDir: string | undefined): Promise<Ferry> {
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  // FERRY_BENCH_NODE_ARGS: extra node flags for the Ferry process (e.g. --trace-gc), for experiments.
  const extra = (process.env.FERRY_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...start.nodeArgs, ...extra, ...prof, FERRY_CLI, ...start.args], {
    stdio: ['ignore', process.env.FERRY_BENCH_STDOUT ? 'inherit' : 'ignore', 'pipe'],
    env: { ...process.env, ...start.env },
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

/** `ferry validate` with the scenario's arguments: undefined when valid, else what it said. */
function validateFerry(start: FerryStart): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FERRY_CLI, 'validate', ...start.args], { env: { ...process.env, ...start.env }, encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve(err ? `${stderr}${stdout}`.trim() || String(err) : undefined),
    );
  });
}

async function stopFerry(ferry: Ferry): Promise<void> {
  if (ferry.child.exitCode !== null) return;
  ferry.child.kill('SIGTERM');
  const timer = setTimeout(() => ferry.child.kill('SIGKILL'), 15_000);
  await ferry.exited;
  clearTimeout(timer);
}

type Sink = IpcChild<SinkCommand, SinkMessage>;
type LoadChild = IpcChild<LoadCommand, LoadMessage>;
type AppChild = IpcChild<SdkAppCommand, SdkAppMessage>;

const sinkStats = async (sink: Sink): Promise<SinkStats> => (await sink.request({ type: 'stats' })) as SinkStats & { type: 'stats' };

/** What a load (the load generator, or N SDK apps together) reports, cumulative except answerMs. */
interface LoadCounters {
  /** Items the load's sender saw accepted (200 / OK; SDK: exports whose result was SUCCESS). */
  readonly accepted: number;
  readonly failedRequests: number;
  readonly skippedSends: number;
  /** Since mark(). */
  readonly answerMs: number[];
  readonly errors: readonly string[];
  /** SDK apps: since mark(), each export's time after encoding. */
  readonly afterEncodeMs?: number[];
  readonly sdk?: { readonly emitted: number; readonly handed: number; readonly failed: number; readonly exports: number; readonly perApp: readonly SdkAppStats[] };
}

interface LoadDriver {
  readonly pids: readonly number[];
  mark(): void;
  stats(): Promise<LoadCounters>;
  /** Stop sending, wait for the answers (SDK apps: flush their queues), final counters. */
  stop(): Promise<LoadCounters>;
  close(): Promise<void>;
}

/** The load generator (one child): stamped OTLP requests at a fixed rate or closed loop. */
async function startLoadgen(spec: LoadSpec): Promise<LoadDriver> {
  const load: LoadChild = new IpcChild(sibling('loadgen'));
  load.send({ type: 'start', spec });
  await load.next('ready');
  const counters = (s: LoadStats): LoadCounters => ({ accepted: s.acceptedItems, failedRequests: s.failedRequests, skippedSends: s.skipped, answerMs: s.answerMs, errors: s.errors });
  return {
    pids: [load.pid],
    mark: () => load.send({ type: 'mark' }),
    stats: async () => counters((await load.request({ type: 'stats' }, 10_000)) as LoadStats & { type: 'stats' }),
    stop: async () => counters((await load.request({ type: 'stop' }, 30_000)) as LoadStats & { type: 'stats' }),
    close: () => load.stop(),
  };
}

/** The environment of an SDK app: no OTEL_* variables, so the SDK runs at its defaults. */
function sdkEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
}

/** N OpenTelemetry SDK apps (one child each), `itemsPerSecond` shared among them. */
async function startSdkApps(specs: readonly SdkAppSpec[]): Promise<LoadDriver> {
  const apps: AppChild[] = specs.map(() => new IpcChild(sibling('sdkapp'), [], sdkEnv()));
  try {
    await Promise.all(
      apps.map((app, i) => {
        app.send({ type: 'start', spec: specs[i] as SdkAppSpec });
        return app.next('ready');
      }),
    );
  } catch (err) {
    await Promise.all(apps.map((a) => a.stop()));
    throw err;
  }
  const sum = (all: SdkAppStats[]): LoadCounters => {
    const total = (k: 'emitted' | 'handed' | 'exported' | 'failed' | 'exports'): number => all.reduce((a, s) => a + s[k], 0);
    return {
      accepted: total('exported'),
      failedRequests: 0,
      skippedSends: 0,
      answerMs: all.flatMap((s) => s.answerMs),
      afterEncodeMs: all.flatMap((s) => s.afterEncodeMs).filter((x) => !Number.isNaN(x)),
      errors: all.flatMap((s) => s.errors).slice(0, 5),
      sdk: { emitted: total('emitted'), handed: total('handed'), failed: total('failed'), exports: total('exports'), perApp: all.map((s) => ({ ...s, answerMs: [], afterEncodeMs: [] })) },
    };
  };
  const ask = async (type: 'stats' | 'stop', timeoutMs: number): Promise<LoadCounters> =>
    sum((await Promise.all(apps.map((a) => a.request({ type }, timeoutMs)))) as (SdkAppStats & { type: 'stats' })[]);
  return {
    pids: apps.map((a) => a.pid),
    mark: () => apps.forEach((a) => a.send({ type: 'mark' })),
    stats: () => ask('stats', 10_000),
    // The SDK's final flush exports its whole queue, one batch at a time.
    stop: () => ask('stop', 60_000),
    close: async () => void (await Promise.all(apps.map((a) => a.stop()))),
  };
}

/** CPU of several processes together (the SDK apps). */
function cpuSum(pids: readonly number[]): CpuSample {
  const all = pids.map(cpuSample);
  return { cpuSeconds: all.reduce((a, s) => a + s.cpuSeconds, 0), systemSeconds: all.reduce((a, s) => a + s.systemSeconds, 0), at: all[0]?.at ?? 0 };
}

/** Items/s between two stats of the same apps, each app on its own clock, summed. */
function sdkRate(a: readonly SdkAppStats[], b: readonly SdkAppStats[], k: 'emitted' | 'exported'): number {
  return b.reduce((sum, s, i) => {
    const s0 = a[i];
    return s0 && s.at > s0.at ? sum + ((s[k] - s0[k]) / (s.at - s0.at)) * 1000 : sum;
  }, 0);
}

const unweighted = (xs: readonly number[], q: number): number => percentile(xs, xs.map(() => 1), q);

/** Run `scenario` once and measure it. Every process it started is stopped before it returns. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult | SkippedResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bench-'));
  const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort(), health: await freePort(), sink: 0 };
  const setup = scenario.ferry ?? 'bench';
  const sink: Sink = new IpcChild(sibling('sink'));
  let ferry: Ferry | undefined;
  let load: LoadDriver | undefined;
  try {
    ports.sink = ((await sink.next('ready')) as { port: number }).port;
    const launchOf = (): FerryStart & { describe: string } => {
      const c = ferryLaunchConfig(setup, ports, dir, REPO_ROOT, options.withResource, scenario.load.kind === 'max', scenario.transform ?? false);
      if (c.write) writeFileSync(c.write.path, c.write.text);
      const node = scenario.nodeArgs ? { env: {}, nodeArgs: scenario.nodeArgs } : ferryLaunch();
      return { args: c.args, env: { ...node.env, ...c.env }, nodeArgs: node.nodeArgs, describe: c.describe };
    };
    let launch = launchOf();
    if (NEEDS_QUEUE_BATCH.has(setup)) {
      // A template until the build has `sending_queue.batch`: say so instead of failing the run.
      const problem = await validateFerry(launch);
      if (problem !== undefined) return { scenario: scenario.name, skipped: `this build's config validation refuses it: ${problem.split('\n').slice(0, 3).join(' ')}` };
    }
    // A free port can be taken by another process before Ferry binds it: try fresh ones.
    for (let attempt = 1; ; attempt++) {
      try {
        ferry = await startFerry(launch, options.profileDir);
        break;
      } catch (err) {
        if (attempt >= 3 || !String(err).includes('address already in use')) throw err;
        Object.assign(ports, { grpc: await freePort(), http: await freePort(), metrics: await freePort(), health: await freePort() });
        launch = launchOf();
      }
    }
    const pid = ferry.child.pid as number;
    const port = scenario.protocol === 'grpc' ? ports.grpc : ports.http;

    const l = scenario.load;
    if (l.kind === 'sdk') {
      if (scenario.signal === 'metrics') throw new Error(`bench: ${scenario.name}: SDK apps emit logs or traces`);
      const signal = scenario.signal;
      const specs: SdkAppSpec[] = Array.from({ length: l.apps }, (_, app) => ({ signal, protocol: scenario.protocol, itemsPerSecond: l.itemsPerSecond / l.apps, app, host: '127.0.0.1', port }));
      load = await startSdkApps(specs);
    } else {
      load = await startLoadgen({
        signal: scenario.signal,
        protocol: scenario.protocol,
        encoding: scenario.encoding,
        gzip: scenario.gzip,
        itemsPerRequest: options.itemsPerRequest,
        variants: 16,
        mode: l,
        host: '127.0.0.1',
        port,
      });
    }
    await sleep(options.warmupSeconds * 1000);

    // The window: everything below is measured between these two points.
    sink.send({ type: 'mark' });
    load.mark();
    const [ferry0, sink0, load0] = [cpuSample(pid), cpuSample(sink.pid), cpuSum(load.pids)];
    const threads0 = threadCpuSeconds(pid);
    const [s0, l0] = await Promise.all([sinkStats(sink), load.stats()]);
    const rss: number[] = [];
    const sampleMs = options.seconds > 60 ? 1000 : 250;
    const end = Date.now() + options.seconds * 1000;
    while (Date.now() < end) {
      await sleep(Math.min(sampleMs, Math.max(0, end - Date.now())));
      rss.push(memorySample(pid).rss / MiB);
    }
    const [ferry1, sink1, load1]: CpuSample[] = [cpuSample(pid), cpuSample(sink.pid), cpuSum(load.pids)];
    const threads1 = threadCpuSeconds(pid);
    const [s1, l1] = await Promise.all([sinkStats(sink), load.stats()]);
    const heapMiB = await heapBreakdown(ports.metrics);
    const windowSeconds = ferry1.at - ferry0.at;

    // Drain: stop sending (SDK apps flush their queues), then everything accepted must have arrived.
    const final = await load.stop();
    let delivered = s1;
    const deadline = Date.now() + 15_000;
    for (;;) {
      delivered = await sinkStats(sink);
      if (delivered.items >= final.accepted || Date.now() > deadline) break;
      await sleep(50);
    }
    const peak = memorySample(pid).peakRss / MiB;

    const items = s1.items - s0.items;
    const ferryCpuSeconds = ferry1.cpuSeconds - ferry0.cpuSeconds;
    const sorted = [...rss].sort((a, b) => a - b);
    const answers = l1.answerMs;
    const sdk: SdkFigures | undefined =
      l.kind === 'sdk' && final.sdk && l0.sdk && l1.sdk
        ? {
            apps: l.apps,
            emittedPerSecond: sdkRate(l0.sdk.perApp, l1.sdk.perApp, 'emitted'),
            emittedTotal: final.sdk.emitted,
            droppedInAppTotal: final.sdk.emitted - final.sdk.handed,
            failedTotal: final.sdk.failed,
            lostTotal: final.sdk.emitted - delivered.items,
            exports: final.sdk.exports,
            afterEncodeP50Ms: unweighted(l1.afterEncodeMs ?? [], 0.5),
            afterEncodeP99Ms: unweighted(l1.afterEncodeMs ?? [], 0.99),
          }
        : undefined;
    return {
      scenario: scenario.name,
      ferrySetup: launch.describe,
      seconds: windowSeconds,
      acceptedPerSecond: l0.sdk && l1.sdk ? sdkRate(l0.sdk.perApp, l1.sdk.perApp, 'exported') : (l1.accepted - l0.accepted) / windowSeconds,
      deliveredPerSecond: items / windowSeconds,
      acceptedTotal: final.accepted,
      deliveredTotal: delivered.items,
      failedRequests: final.failedRequests,
      skippedSends: final.skippedSends,
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
      answerP50Ms: unweighted(answers, 0.5),
      answerP99Ms: unweighted(answers, 0.99),
      answerMaxMs: unweighted(answers, 1),
      answers: answers.length,
      ...(sdk ? { sdk } : {}),
      sinkCpuPercent: cpuPercent(sink0, sink1),
      loadgenCpuPercent: cpuPercent(load0, load1),
      exportRequests: s1.requests - s0.requests,
      exportBytesPerItem: items > 0 ? (s1.bytes - s0.bytes) / items : NaN,
      heapMiB,
      profile: options.profileDir,
    };
  } finally {
    await load?.close();
    if (ferry) await stopFerry(ferry);
    await sink.stop();
    // The config, and a persistent queue's files (up to file_storage's max_size_mib).
    rmSync(dir, { recursive: true, force: true });
  }
}
