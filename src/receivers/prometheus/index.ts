// The `prometheus` receiver: scrapes each target on its own schedule and hands the Collector's
// OTLP translation of every scrape to the pipeline. A failing target (down, slow, 5xx, too big,
// malformed) is reported in `up` = 0 and one log line per outage; the others go on.
import { createHash } from 'node:crypto';
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { errorMessage } from '../../consumer.js';
import { makeBatch } from '../../pdata/batch.js';
import type { ResourceMetrics } from '../../pdata/types.js';
import { isOpenMetrics, parseExposition } from '../../prometheus/parse.js';
import { compileRelabel, type RelabelRule } from '../../prometheus/relabel.js';
import type { ReceiverMetrics } from '../../telemetry/self.js';
import { InFlight, consumeCounted } from '../helper.js';
import { configSchema, parsePromDuration, resolveScrape, validate, type PrometheusReceiverConfig, type ResolvedScrape, type ScrapeConfig } from './config.js';
import { readFileSd } from './file-sd.js';
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
      // One warning per outage: while the target stays down, further failures go to debug.
      if (this.lastError === undefined) this.receiver.ctx.logger.warn('Failed to scrape Prometheus endpoint', { ...this.logFields, error: message });
      else this.receiver.ctx.logger.debug('Failed to scrape Prometheus endpoint', { ...this.logFields, error: message });
      this.lastError = message;
    }
    if (this.stopped) return;
    await this.receiver.deliver(resources);
  }
}

/** One scrape config: its targets (static and from files) and a loop per target. */
class JobScraper {
  private readonly loops = new Map<string, TargetLoop>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly rules: RelabelRule[];

  constructor(
    private readonly job: ScrapeConfig,
    private readonly scrape: ResolvedScrape,
    private readonly client: ScrapeClient,
    private readonly receiver: PrometheusReceiver,
    private readonly extraMetrics: boolean,
  ) {
    this.rules = (job.relabel_configs ?? []).map(compileRelabel);
  }

  async start(): Promise<void> {
    const fileSd = this.job.file_sd_configs ?? [];
    await this.refresh();
    if (fileSd.length === 0) return;
    const everyMs = Math.min(...fileSd.map((c) => parsePromDuration(c.refresh_interval ?? '5m')));
    const tick = (): void => {
      this.refreshTimer = setTimeout(() => {
        void this.refresh().finally(() => {
          if (!this.stopped) tick();
        });
      }, everyMs);
    };
    tick();
  }

  /** Read the target groups again and start or stop loops for what changed. */
  private async refresh(): Promise<void> {
    const groups = [...(this.job.static_configs ?? [])];
    if (this.job.file_sd_configs) {
      try {
        groups.push(...(await readFileSd(this.job.file_sd_configs)));
      } catch (err) {
        // As Prometheus: keep the targets from the last good read.
        this.receiver.ctx.logger.warn('Cannot read file_sd_configs; keeping the current targets', { job: this.job.job_name, error: errorMessage(err) });
        return;
      }
    }
    if (this.stopped) return;
    const { targets, problems } = buildTargets(this.job, this.scrape, this.rules, groups);
    for (const p of problems) this.receiver.ctx.logger.warn('Target not scraped', { job: this.job.job_name, target: p.target, reason: p.message });
    const wanted = new Map(targets.map((t) => [t.key, t]));
    for (const [key, loop] of this.loops) {
      if (!wanted.has(key)) {
        loop.stop();
        this.loops.delete(key);
      }
    }
    const added: string[] = [];
    for (const [key, target] of wanted) {
      if (this.loops.has(key)) continue;
      const loop = new TargetLoop(target, this.job, { ...this.scrape, intervalMs: target.intervalMs, timeoutMs: target.timeoutMs }, this.client, this.receiver, this.extraMetrics);
      this.loops.set(key, loop);
      loop.start();
      added.push(target.url.href);
    }
    if (added.length > 0) this.receiver.ctx.logger.info('Scraping', { job: this.job.job_name, targets: added, interval_ms: this.scrape.intervalMs });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    for (const loop of this.loops.values()) loop.stop();
    this.loops.clear();
  }
}

class PrometheusReceiver implements Receiver {
  readonly inFlight = new InFlight();
  private readonly jobs: JobScraper[] = [];
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
      const client = await ScrapeClient.create(job, scrape.protocols);
      this.clients.push(client);
      this.jobs.push(new JobScraper(job, scrape, client, this, this.config.report_extra_scrape_metrics));
    }
    await Promise.all(this.jobs.map((j) => j.start()));
  }

  /** Hand a scrape's metrics to the pipeline; a refusal is counted and logged, the next scrape goes on. */
  async deliver(resources: ResourceMetrics[]): Promise<void> {
    if (!this.consumer || resources.length === 0) return;
    await consumeCounted(this.consumer, makeBatch('metrics', resources), this.metrics, this.ctx.logger);
  }

  async shutdown(): Promise<void> {
    for (const job of this.jobs) job.stop();
    // Closing the clients aborts scrapes in progress (a slow target must not hold shutdown up).
    for (const c of this.clients) c.close();
    await this.inFlight.idle(SHUTDOWN_WAIT_MS);
    this.jobs.length = 0;
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
