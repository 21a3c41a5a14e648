// The running collector: starts the graph downstream-first, stops it upstream-first
// within a shutdown timeout, reloads it in place, and serves self-metrics while it runs.
import type { Components, Exporter, Extension, Host, ServiceState } from '../component.js';
import type { ResolvedConfig } from '../config/types.js';
import { errorMessage, isPermanent } from '../consumer.js';
import type { Batch } from '../pdata/batch.js';
import { countItems } from '../pdata/batch.js';
import type { Signal } from '../pdata/types.js';
import type { Logger } from '../telemetry/logger.js';
import { SelfTelemetry } from '../telemetry/self.js';
import { MetricsServer } from '../telemetry/server.js';
import type { Built, Graph, GraphEnv, Reuse } from './graph.js';
import { buildGraph } from './graph.js';
import type { Step } from './lifecycle.js';
import { leftoverFields, leftovers, startAll, startOrder, stopAll } from './lifecycle.js';
import type { ReloadPlan } from './reload.js';
import { exportersOf, persistentQueue, planReload, usesExtension } from './reload.js';

export interface ServiceOptions {
  readonly components: Components;
  readonly logger: Logger;
  /** Defaults to a fresh registry with Node's process metrics. */
  readonly telemetry?: SelfTelemetry;
}

export interface ReloadOutcome {
  /** The new configuration runs. */
  readonly ok: boolean;
  /** Why not: the old graph kept running (or, when `fatal`, nothing could be restored). */
  readonly error?: string;
  /** Neither the new nor the old configuration could be started again: the service has stopped. */
  readonly fatal?: boolean;
  /** Milliseconds from stopping the first old component to starting the last new one. */
  readonly swapMs?: number;
  readonly keptReceivers?: readonly string[];
  readonly restartedReceivers?: readonly string[];
}

export class Service implements Host {
  private currentState: ServiceState = 'stopped';
  private config: ResolvedConfig;
  private graph: Graph | undefined;
  private metricsServer: MetricsServer | undefined;
  /** Batches replaced exporters' memory queues handed over, by exporter id, for their successors. */
  private readonly handOvers = new Map<string, Batch[]>();
  /** The reload in progress, if any: reloads run one at a time, and shutdown waits for it. */
  private reloading: Promise<ReloadOutcome> | undefined;
  readonly telemetry: SelfTelemetry;
  private readonly logger: Logger;

  constructor(
    config: ResolvedConfig,
    private readonly options: ServiceOptions,
  ) {
    this.config = config;
    this.logger = options.logger;
    this.telemetry = options.telemetry ?? new SelfTelemetry();
  }

  get state(): ServiceState {
    return this.currentState;
  }

  getExtension(id: string): Extension | undefined {
    return this.graph?.extensions.find((e) => e.id === id)?.instance;
  }

  /** Address the self-metrics server listens on, once started. */
  get metricsAddress(): string | undefined {
    return this.metricsServer?.address;
  }

  private get env(): GraphEnv {
    return { components: this.options.components, logger: this.logger, telemetry: this.telemetry };
  }

  /**
   * Extensions, then exporters, processors, receivers: nothing is received before it
   * can go somewhere. If any start fails, what already started is stopped again.
   */
  async start(): Promise<void> {
    this.currentState = 'starting';
    const started: Step[] = [];
    try {
      const address = this.config.telemetry.metrics.address;
      if (address !== undefined) {
        this.metricsServer = new MetricsServer(this.telemetry.registry, address);
        await this.metricsServer.start();
        this.logger.info('self-metrics served', { address: this.metricsServer.address });
      }
      this.graph = buildGraph(this.config, this.env);
      const order = startOrder(this.graph);
      await startAll([...order.inner, ...order.receivers], this, started);
    } catch (err) {
      this.currentState = 'stopping';
      await stopAll(started.reverse(), Date.now() + 5_000, this.logger);
      await this.metricsServer?.stop();
      this.currentState = 'stopped';
      throw err;
    }
    this.currentState = 'running';
    this.logger.info('Everything is ready. Begin running and processing data.', {
      pipelines: this.config.pipelines.map((p) => p.id),
    });
  }

  /**
   * Receivers first (no new data), then processors in pipeline order (their flush
   * still has somewhere to go), then exporters (drain until the deadline), then
   * extensions. The last log line says what exporters' queues still held.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    // A reload in progress finishes first (it is bounded by its own timeout).
    if (this.reloading) await this.reloading;
    await this.stopGraph(timeoutMs);
  }

  private async stopGraph(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.currentState === 'stopped' || this.currentState === 'stopping' || !this.graph) return;
    this.currentState = 'stopping';
    this.logger.info('shutting down', { timeout_ms: timeoutMs });
    const g = this.graph;
    const log = this.logger;
    await stopAll(g.receivers.map((r) => ({ id: r.id, kind: 'receiver', instance: r.instance })), deadline, log);
    await stopAll(g.pipelines.flatMap((p) => p.processors.map((x): Step => ({ id: x.id, kind: 'processor', instance: x.instance }))), deadline, log);
    await stopAll(g.exporters.map((e) => ({ id: e.id, kind: 'exporter', instance: e.instance })), deadline, log);
    const left = await leftovers(g.exporters, this.config, this.telemetry);
    await stopAll([...g.extensions].reverse().map((e) => ({ id: e.id, kind: 'extension', instance: e.instance })), deadline, log);
    await this.metricsServer?.stop();
    this.currentState = 'stopped';
    this.logger.info('shutdown complete', leftoverFields(left));
  }

  /**
   * Replace the running graph with one built from `next`, keeping what did not change.
   * Rejected (the old graph keeps running) when the service is not running or the new
   * graph cannot be built; if the new graph fails to start, the old configuration is
   * started again in its place.
   */
  reload(next: ResolvedConfig, timeoutMs = 10_000): Promise<ReloadOutcome> {
    const previous = (this.reloading ?? Promise.resolve(undefined)).catch(() => undefined);
    const run = previous.then(() => this.swap(next, timeoutMs));
    this.reloading = run;
    void run.finally(() => {
      if (this.reloading === run) this.reloading = undefined;
    });
    return run;
  }

  private async swap(next: ResolvedConfig, timeoutMs: number): Promise<ReloadOutcome> {
    const old = this.graph;
    if (this.currentState !== 'running' || old === undefined) return { ok: false, error: `cannot reload while ${this.currentState}` };
    const before = this.config;
    const plan = planReload(before, next, this.options.components);
    let graph: Graph;
    try {
      graph = buildGraph(next, this.env, reuseFrom(old, plan));
    } catch (err) {
      return { ok: false, error: `cannot build the new graph: ${errorMessage(err)}` };
    }
    const metricsError = await this.moveMetricsServer(before, next);
    if (metricsError !== undefined) return { ok: false, error: metricsError };
    if (JSON.stringify(before.telemetry.logs) !== JSON.stringify(next.telemetry.logs)) {
      this.logger.warn('service.telemetry.logs changed: the new level and encoding take effect on restart');
    }

    const startedAt = Date.now();
    const deadline = startedAt + timeoutMs;
    const late = await this.retire(old, before, keptBy(graph), exportersOf(next), deadline);
    try {
      await this.bringUp(graph);
    } catch (err) {
      const error = errorMessage(err);
      this.logger.error('the new configuration failed to start; restoring the previous one', { error });
      // What the new graph carried over stays (the restore keeps exactly the same set).
      late.push(...(await this.retire(graph, next, keptBy(graph), exportersOf(before), Date.now() + timeoutMs)));
      try {
        await this.bringUp(buildGraph(before, this.env, reuseFrom(graph, planReload(next, before, this.options.components))));
      } catch (restoreErr) {
        this.logger.error('the previous configuration failed to start again; stopping', { error: errorMessage(restoreErr) });
        await Promise.all([this.stopGraph(timeoutMs), this.drainReplaced(late, before, deadline), this.passHandOvers(undefined, deadline)]);
        return { ok: false, error, fatal: true };
      }
      await Promise.all([this.passHandOvers(this.graph ?? graph, deadline), this.drainReplaced(late, before, deadline)]);
      return { ok: false, error };
    }
    this.config = next;
    const swapMs = Date.now() - startedAt;
    await this.passHandOvers(graph, deadline);
    const keptReceivers = graph.receivers.filter((r) => r.reused).map((r) => r.id);
    const restartedReceivers = graph.receivers.filter((r) => !r.reused).map((r) => r.id);
    this.logger.info('configuration reloaded', {
      swap_ms: swapMs,
      kept: [...graph.extensions, ...graph.exporters, ...graph.receivers].filter((b) => b.reused).map((b) => b.id),
      restarted_receivers: restartedReceivers,
    });
    // Exporters gone from the configuration drain while the new graph already runs.
    await this.drainReplaced(late, before, deadline);
    return { ok: true, swapMs, keptReceivers, restartedReceivers };
  }

  /**
   * Take a graph out of service without losing what is in flight: the receivers in `keep`
   * are held (new requests wait, they are not refused), the others stop (draining their
   * requests); processors flush. An exporter with a successor of the same id (which may
   * open the same storage, file or port), or that uses an extension being replaced, stops
   * now: a persistent queue at once, its data left on disk for the successor; a memory
   * queue at once too when it can hand its batches over (passHandOvers gives them to the
   * successor), else after draining until the deadline. Replaced extensions stop next.
   * The other replaced exporters are returned, to drain once the new graph runs.
   */
  private async retire(g: Graph, config: ResolvedConfig, keep: Kept, successors: ReadonlySet<string>, deadline: number): Promise<Built<Exporter>[]> {
    const log = this.logger;
    const held = g.receivers.filter((r) => keep.receivers.has(r.id)).flatMap((r) => Object.values(r.switches));
    for (const s of held) s.hold();
    await stopAll(g.receivers.filter((r) => !keep.receivers.has(r.id)).map((r) => ({ id: r.id, kind: 'receiver', instance: r.instance })), deadline, log);
    await stopAll(g.pipelines.flatMap((p) => p.processors.map((x): Step => ({ id: x.id, kind: 'processor', instance: x.instance }))), deadline, log);
    const replacedExtensions = new Set(g.extensions.filter((e) => !keep.extensions.has(e.id)).map((e) => e.id));
    const going = g.exporters.filter((e) => !keep.exporters.has(e.id));
    const first = going.filter((e) => successors.has(e.id) || usesExtension(config.exporters.get(e.id), replacedExtensions));
    if (first.length > 0) {
      // Requests that passed a held receiver before the hold settle before these stop.
      await Promise.all(held.map((s) => s.idle(Math.max(0, deadline - Date.now()))));
      for (const e of first) {
        if (persistentQueue(config.exporters.get(e.id))) {
          // What it holds is on disk, where its successor reads it: no need to wait.
          await stopAll([{ id: e.id, kind: 'exporter', instance: e.instance }], Date.now(), log);
        } else if (e.instance.takeLeftover && successors.has(e.id)) {
          // Up to the deadline: sends already on the wire finish (an aborted one would reach the
          // successor too, a duplicate); waits between retries end at once and the batch is handed over.
          await stopAll([{ id: e.id, kind: 'exporter', instance: { start: async () => undefined, shutdown: (d) => e.instance.shutdown(d, { handOver: true }) } }], deadline, log);
          this.handOvers.set(e.id, [...(this.handOvers.get(e.id) ?? []), ...e.instance.takeLeftover()]);
        } else {
          await stopAll([{ id: e.id, kind: 'exporter', instance: e.instance }], deadline, log);
        }
      }
      log.info('replaced exporters stopped', { replaced: first.map((e) => e.id), ...leftoverFields(await leftovers(first, config, this.telemetry)) });
    }
    const extensions = g.extensions.filter((e) => replacedExtensions.has(e.id));
    await stopAll([...extensions].reverse().map((e) => ({ id: e.id, kind: 'extension', instance: e.instance })), deadline, log);
    return going.filter((e) => !first.includes(e));
  }

  /** Stop exporters the new graph no longer has, draining their queues until the deadline. */
  private async drainReplaced(exporters: readonly Built<Exporter>[], config: ResolvedConfig, deadline: number): Promise<void> {
    if (exporters.length === 0) return;
    await stopAll(exporters.map((e) => ({ id: e.id, kind: 'exporter', instance: e.instance })), deadline, this.logger);
    this.logger.info('removed exporters stopped', { removed: exporters.map((e) => e.id), ...leftoverFields(await leftovers(exporters, config, this.telemetry)) });
  }

  /**
   * Give the batches a replaced exporter's memory queue handed over to its successor (same
   * id). Only what the successor refuses, or cannot take before the deadline, is dropped.
   */
  private async passHandOvers(g: Graph | undefined, deadline: number): Promise<void> {
    const handOvers = [...this.handOvers];
    this.handOvers.clear();
    for (const [id, batches] of handOvers) {
      const successor = g?.exporters.find((e) => e.id === id)?.instance;
      let dropped = 0;
      for (const batch of batches) {
        const items = countItems(batch);
        const taken = successor === undefined ? false : await acceptBefore(successor, batch, deadline);
        if (!taken) {
          dropped += items;
          this.telemetry.forExporter(id).sendFailed(batch.signal, items);
        }
      }
      const items = batches.reduce((n, b) => n + countItems(b), 0);
      if (dropped > 0) this.logger.warn('a replaced exporter\'s queue could not all be handed over; dropped the rest', { exporter: id, items, items_dropped: dropped });
      else if (items > 0) this.logger.info('handed a replaced exporter\'s queue over to its successor', { exporter: id, items });
    }
  }

  /** Start what a graph did not carry over, downstream first; then point the kept receivers at it and start the new ones. */
  private async bringUp(g: Graph): Promise<void> {
    this.graph = g;
    const order = startOrder(g, (b) => !b.reused);
    await startAll(order.inner, this, []);
    for (const r of g.receivers) {
      if (!r.reused) continue;
      for (const signal of Object.keys(r.switches) as Signal[]) {
        const target = r.targets[signal];
        if (target) r.switches[signal]?.switchTo(target);
      }
    }
    await startAll(order.receivers, this, []);
  }

  /** A new self-metrics address binds before the old one is let go; a failure rejects the reload. */
  private async moveMetricsServer(before: ResolvedConfig, next: ResolvedConfig): Promise<string | undefined> {
    const address = next.telemetry.metrics.address;
    if (address === before.telemetry.metrics.address) return undefined;
    let server: MetricsServer | undefined;
    if (address !== undefined) {
      server = new MetricsServer(this.telemetry.registry, address);
      try {
        await server.start();
      } catch (err) {
        return `self-metrics: ${errorMessage(err)}`;
      }
    }
    await this.metricsServer?.stop();
    this.metricsServer = server;
    if (server) this.logger.info('self-metrics served', { address: server.address });
    return undefined;
  }
}

interface Kept {
  readonly receivers: ReadonlySet<string>;
  readonly exporters: ReadonlySet<string>;
  readonly extensions: ReadonlySet<string>;
}

/** The ids a graph carried over from its predecessor. */
function keptBy(g: Graph): Kept {
  const ids = (items: readonly Built<unknown>[]) => new Set(items.filter((b) => b.reused).map((b) => b.id));
  return { receivers: ids(g.receivers), exporters: ids(g.exporters), extensions: ids(g.extensions) };
}

/** Resolves whether `exporter` accepted the batch before the deadline (a full queue is retried until then). */
async function acceptBefore(exporter: Exporter, batch: Batch, deadline: number): Promise<boolean> {
  for (;;) {
    try {
      await exporter.consume(batch);
      return true;
    } catch (err) {
      const wait = Math.min(100, deadline - Date.now());
      if (isPermanent(err) || wait <= 0) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** The instances of `g` that the plan keeps, for buildGraph. */
function reuseFrom(g: Graph, plan: ReloadPlan): Reuse {
  return {
    extensions: new Map(g.extensions.filter((e) => plan.keepExtensions.has(e.id)).map((e) => [e.id, e.instance])),
    exporters: new Map(g.exporters.filter((e) => plan.keepExporters.has(e.id)).map((e) => [e.id, e.instance])),
    receivers: new Map(g.receivers.filter((r) => plan.keepReceivers.has(r.id)).map((r) => [r.id, r])),
  };
}
