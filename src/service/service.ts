// The running collector: starts the graph downstream-first, stops it upstream-first
// within a shutdown timeout, and serves self-metrics while it runs.
import type { Components, Extension, Host, ServiceState } from '../component.js';
import type { ResolvedConfig } from '../config/types.js';
import { errorMessage } from '../consumer.js';
import type { Logger } from '../telemetry/logger.js';
import { SelfTelemetry } from '../telemetry/self.js';
import { MetricsServer } from '../telemetry/server.js';
import type { Graph } from './graph.js';
import { buildGraph } from './graph.js';

export interface ServiceOptions {
  readonly components: Components;
  readonly logger: Logger;
  /** Defaults to a fresh registry with Node's process metrics. */
  readonly telemetry?: SelfTelemetry;
}

type Stoppable = { id: string; kind: string; instance: { shutdown(): Promise<void> } };

export class Service implements Host {
  private currentState: ServiceState = 'stopped';
  private graph: Graph | undefined;
  private metricsServer: MetricsServer | undefined;
  readonly telemetry: SelfTelemetry;
  private readonly logger: Logger;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly options: ServiceOptions,
  ) {
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

  /**
   * Extensions, then exporters, processors, receivers: nothing is received before it
   * can go somewhere. If any start fails, what already started is stopped again.
   */
  async start(): Promise<void> {
    this.currentState = 'starting';
    const started: Stoppable[] = [];
    try {
      const address = this.config.telemetry.metrics.address;
      if (address !== undefined) {
        this.metricsServer = new MetricsServer(this.telemetry.registry, address);
        await this.metricsServer.start();
        this.logger.info('self-metrics served', { address: this.metricsServer.address });
      }
      this.graph = buildGraph(this.config, { components: this.options.components, logger: this.logger, telemetry: this.telemetry });
      const g = this.graph;
      const steps: Stoppable[] = [
        ...g.extensions.map((e) => ({ ...e, kind: 'extension' })),
        ...g.exporters.map((e) => ({ ...e, kind: 'exporter' })),
        ...[...g.pipelines].flatMap((p) => [...p.processors].reverse().map((x) => ({ ...x, kind: 'processor' }))),
        ...g.receivers.map((r) => ({ ...r, kind: 'receiver' })),
      ];
      for (const s of steps) {
        try {
          await (s.instance as unknown as { start(h: Host): Promise<void> }).start(this);
        } catch (err) {
          throw new Error(`${s.kind} "${s.id}" failed to start: ${errorMessage(err)}`, { cause: err });
        }
        started.push(s);
      }
    } catch (err) {
      this.currentState = 'stopping';
      await this.stopAll(started.reverse(), 5_000);
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
   * still has somewhere to go), then exporters (drain), then extensions.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    if (this.currentState === 'stopped' || this.currentState === 'stopping' || !this.graph) return;
    this.currentState = 'stopping';
    this.logger.info('shutting down', { timeout_ms: timeoutMs });
    const g = this.graph;
    const deadline = Date.now() + timeoutMs;
    const remaining = () => Math.max(0, deadline - Date.now());
    await this.stopAll(g.receivers.map((r) => ({ ...r, kind: 'receiver' })), remaining());
    await this.stopAll(g.pipelines.flatMap((p) => p.processors.map((x) => ({ ...x, kind: 'processor' }))), remaining());
    await this.stopAll(g.exporters.map((e) => ({ ...e, kind: 'exporter' })), remaining());
    await this.stopAll([...g.extensions].reverse().map((e) => ({ ...e, kind: 'extension' })), remaining());
    await this.metricsServer?.stop();
    this.currentState = 'stopped';
    this.logger.info('shutdown complete');
  }

  /** Stop each in order; one that fails or overruns is logged, and the rest still stop. */
  private async stopAll(items: readonly Stoppable[], budgetMs: number): Promise<void> {
    for (const s of items) {
      let timer: NodeJS.Timeout | undefined;
      const overrun = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), budgetMs);
      });
      try {
        const outcome = await Promise.race([s.instance.shutdown().then(() => 'done' as const), overrun]);
        if (outcome === 'timeout') this.logger.error('shutdown timed out', { kind: s.kind, id: s.id });
      } catch (err) {
        this.logger.error('shutdown failed', { kind: s.kind, id: s.id, error: errorMessage(err) });
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
