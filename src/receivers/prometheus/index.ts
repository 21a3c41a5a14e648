// The `prometheus` receiver: scrapes each target on its own schedule and hands the Collector's
// OTLP translation of every scrape to the pipeline. A failing target (down, slow, 5xx, too big,
// malformed) is reported in `up` = 0 and one log line per change of its error; the others go on.
import { createHash } from 'node:crypto';
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { errorMessage } from '../../consumer.js';
import { makeBatch } from '../../pdata/batch.js';
import type { ResourceMetrics } from '../../pdata/types.js';
import { isOpenMetrics, parseExposition } from '../../prometheus/parse.js';
import { compileRelabel } from '../../prometheus/relabel.js';
import type { ReceiverMetrics } from '../../telemetry/self.js';
import { InFlight, consumeCounted } from '../helper.js';
import { configSchema, resolveScrape, validate, type PrometheusReceiverConfig, type ResolvedScrape, type ScrapeConfig } from './config.js';
import { ScrapeClient } from './scrape.js';
import { buildTargets, type Target } from './targets.js';
import { TargetTranslator } from './translate.js';

export type { PrometheusReceiverConfig } from './config.js';

const SHUTDOWN_WAIT_MS = 5_000;

/** Where in its interval a target is scraped: a stable offset from its identity, as Prometheus spreads load. */
function offsetMs(target: Target, intervalMs: number): number {
  const h = createHash('sha256').update(target.url.href + [...target.labels].join(',')).digest();
  return h.readUInt32BE(0) % Math.max(1, intervalMs);
}

/** One target's scrape loop. */
class TargetLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError: string | undefined;
  private readonly translator: TargetTranslator;
  private readonly logFields: Record<string, string>;
  private readonly fallback: string | undefined;

  constructor(
    private readonly target: Target,
    job: ScrapeConfig,
    private readonly scrape: ResolvedScrape,
    private readonly client: ScrapeClient,
    private readonly receiver: PrometheusReceiver,
    extraMetrics: boolean,
  ) {
    this.translator = new TargetTranslator({
      targetLabels: target.labels,
      scheme: target.scheme,
      honorLabels: job.honor_labels ?? false,
      honorTimestamps: job.honor_timestamps ?? true,
      metricRelabel: (job.metric_relabel_configs ?? []).map(compileRelabel),
      sampleLimit: scrape.sampleLimit,
      labelLimit: scrape.labelLimit,
      ...(extraMetrics ? { extraMetrics: { timeoutSeconds: target.timeoutMs / 1000 } } : {}),
    });
    this.logFields = { job: job.job_name, target: target.url.href };
    this.fallback = job.fallback_scrape_protocol;
  }

  start(): void {
    this.schedule(offsetMs(this.target, this.target.intervalMs));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.receiver.inFlight
        .run(() => this.scrapeOnce(started))
        .catch((err: unknown) => this.receiver.ctx.logger.error('Scrape loop failed', { ...this.logFields, error: errorMessage(err) }))
        .finally(() => {
          // The next tick on the grid; ticks missed while a scrape ran are skipped.
          const interval = this.target.intervalMs;
          const elapsed = Date.now() - started;
          this.schedule(interval - (elapsed % interval));
        });
    }, delayMs);
  }

  /** The format of a body: its Content-Type, else fallback_scrape_protocol (Prometheus text by default). */
  private openMetrics(contentType: string | undefined): boolean {
    if (contentType !== undefined && (isOpenMetrics(contentType) || contentType.toLowerCase().startsWith('text/plain'))) return isOpenMetrics(contentType);
    return this.fallback?.startsWith('OpenMetrics') ?? false;
  }

  private async scrapeOnce(startedMs: number): Promise<void> {
    let resources: ResourceMetrics[];
    try {
      const res = await this.client.scrape(this.target.url, this.scrape.bodySizeLimit, this.target.timeoutMs);
      const parsed = parseExposition(res.body, this.openMetrics(res.contentType));
      resources = this.translator.translate(parsed, startedMs, (Date.now() - startedMs) / 1000).resources;
      if (this.lastError !== undefined) this.receiver.ctx.logger.info('Scrape succeeds again', this.logFields);
      this.lastError = undefined;
    } catch (err) {
      if (this.stopped) return;
      const message = errorMessage(err);
      resources = this.translator.failed(startedMs, (Date.now() - startedMs) / 1000);
      if (message !== this.lastError) this.receiver.ctx.logger.warn('Failed to scrape Prometheus endpoint', { ...this.logFields, error: message });
      else this.receiver.ctx.logger.debug('Failed to scrape Prometheus endpoint', { ...this.logFields, error: message });
      this.lastError = message;
    }
    if (this.stopped) return;
    await this.receiver.deliver(resources);
  }
}

class PrometheusReceiver implements Receiver {
  readonly inFlight = new InFlight();
  private readonly loops: TargetLoop[] = [];
  private readonly clients: ScrapeClient[] = [];
  private readonly metrics: ReceiverMetrics;

  constructor(
    private readonly config: PrometheusReceiverConfig,
    readonly ctx: ComponentContext,
    private readonly consumer: Consumer | undefined,
  ) {
    this.metrics = ctx.telemetry.forReceiver(ctx.id, 'http');
  }

  async start(_host: Host): Promise<void> {
    const global = this.config.config.global;
    for (const job of this.config.config.scrape_configs) {
      const scrape = resolveScrape(global, job);
      const { targets, problems } = buildTargets(job, scrape, (job.relabel_configs ?? []).map(compileRelabel));
      for (const p of problems) this.ctx.logger.warn('Target not scraped', { job: job.job_name, target: p.target, reason: p.message });
      if (targets.length === 0) continue;
      const client = await ScrapeClient.create(job, scrape.protocols);
      this.clients.push(client);
      for (const target of targets) {
        const loop = new TargetLoop(target, job, { ...scrape, intervalMs: target.intervalMs, timeoutMs: target.timeoutMs }, client, this, this.config.report_extra_scrape_metrics);
        this.loops.push(loop);
      }
      this.ctx.logger.info('Scraping', { job: job.job_name, targets: targets.map((t) => t.url.href), interval_ms: scrape.intervalMs });
    }
    for (const loop of this.loops) loop.start();
  }

  /** Hand a scrape's metrics to the pipeline; a refusal is counted and logged, the next scrape goes on. */
  async deliver(resources: ResourceMetrics[]): Promise<void> {
    if (!this.consumer || resources.length === 0) return;
    await consumeCounted(this.consumer, makeBatch('metrics', resources), this.metrics, this.ctx.logger);
  }

  async shutdown(): Promise<void> {
    for (const loop of this.loops) loop.stop();
    // Closing the clients aborts scrapes in progress (a slow target must not hold shutdown up).
    for (const c of this.clients) c.close();
    await this.inFlight.idle(SHUTDOWN_WAIT_MS);
    this.loops.length = 0;
    this.clients.length = 0;
  }
}

export const prometheusReceiver: ReceiverFactory<PrometheusReceiverConfig> = {
  kind: 'receiver',
  type: 'prometheus',
  description: 'Scrapes Prometheus targets (text format, OpenMetrics) on a schedule and translates the samples to OTLP metrics as the Collector does.',
  signals: ['metrics'],
  configSchema,
  validate,
  create: (config, ctx, next: SignalConsumers) => new PrometheusReceiver(config, ctx, next.metrics),
};
