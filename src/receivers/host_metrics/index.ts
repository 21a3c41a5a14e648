// The host_metrics receiver (the Collector's hostmetrics): every collection_interval, each
// configured scraper reads /proc (under root_path) and its metrics go down the pipeline as one batch.
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import { parseDuration } from '../../config/units.js';
import type { MetricsBatch } from '../../pdata/batch.js';
import { makeBatch } from '../../pdata/batch.js';
import type { ResourceMetrics } from '../../pdata/types.js';
import type { Logger } from '../../telemetry/logger.js';
import { consumeCounted } from '../helper.js';
import type { HostMetricsConfig } from './config.js';
import { configSchema, enabledMetrics, resolveConfig, validate } from './config.js';
import type { ScraperName } from './metadata.js';
import { MetricBuilder, scopeName } from './metadata.js';
import { Proc } from './proc.js';
import type { ScrapeEnv } from './scrapers.js';
import {
  CpuState,
  makeFilter,
  readUsers,
  scrapeCpu,
  scrapeDisk,
  scrapeFilesystem,
  scrapeLoad,
  scrapeMemory,
  scrapeNetwork,
  scrapePaging,
  scrapeProcess,
  scrapeProcesses,
} from './scrapers.js';

export type { HostMetricsConfig } from './config.js';

const msToNs = (ms: number): string => (BigInt(Math.round(ms)) * 1_000_000n).toString();

export class HostMetricsReceiver implements Receiver {
  private readonly config: HostMetricsConfig;
  private readonly logger: Logger;
  private readonly proc: Proc;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly cpuState = new CpuState();
  private readonly warned = new Set<string>();

  constructor(
    config: Partial<HostMetricsConfig>,
    private readonly ctx: ComponentContext,
    private readonly next: SignalConsumers,
  ) {
    this.config = resolveConfig(config);
    this.logger = ctx.logger;
    this.proc = new Proc(this.config.root_path);
  }

  async start(_host: Host): Promise<void> {
    if (process.platform !== 'linux') {
      this.logger.error('host_metrics: no scraper is available on this system (they read /proc and /sys, Linux only); collecting nothing', { platform: process.platform });
      return;
    }
    const interval = parseDuration(this.config.collection_interval);
    const tick = (): void => {
      if (this.stopped) return;
      const run = this.collect().then(
        () => undefined,
        (err: unknown) => this.logger.warn('host_metrics: a collection failed', { error: err instanceof Error ? err.message : String(err) }),
      );
      this.running = run;
      void run.then(() => {
        if (!this.stopped) this.timer = setTimeout(tick, interval);
      });
    };
    this.timer = setTimeout(tick, parseDuration(this.config.initial_delay));
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One collection of every configured scraper, delivered as one batch (exposed for tests). */
  async collect(): Promise<MetricsBatch | undefined> {
    const batch = await this.scrape();
    const consumer = this.next.metrics;
    if (consumer === undefined || batch.resources.length === 0) return batch;
    const err = await consumeCounted(consumer, batch, this.ctx.telemetry.forReceiver(this.ctx.id, ''), this.logger);
    if (err !== undefined) this.logger.warn('host_metrics: the pipeline refused a collection; it is dropped (the next one follows)', { error: err.message });
    return batch;
  }

  async scrape(): Promise<MetricsBatch> {
    const nowMs = Date.now();
    const { bootTime } = await this.proc.stat();
    const env: ScrapeEnv = { proc: this.proc, bootNs: msToNs(bootTime * 1000), nowMs };
    const timeNs = msToNs(nowMs);
    const hostResource: ResourceMetrics = { resource: { attributes: [] }, scopeMetrics: [] };
    const out: ResourceMetrics[] = [];
    for (const [name, sc] of Object.entries(this.config.scrapers) as [ScraperName, HostMetricsConfig['scrapers'][ScraperName]][]) {
      const enabled = enabledMetrics(name, sc);
      const builder = (): MetricBuilder => new MetricBuilder(name, enabled, timeNs, env.bootNs);
      const b = builder();
      try {
        switch (name) {
          case 'cpu':
            await scrapeCpu(env, b, this.cpuState);
            break;
          case 'memory':
            await scrapeMemory(env, b);
            break;
          case 'load':
            await scrapeLoad(env, b, sc?.cpu_average === true);
            break;
          case 'disk':
            await scrapeDisk(env, b, makeFilter(sc?.include, sc?.exclude, 'devices'));
            break;
          case 'filesystem': {
            const errors = await scrapeFilesystem(env, b, {
              device: makeFilter(sc?.include_devices, sc?.exclude_devices, 'devices'),
              fsType: makeFilter(sc?.include_fs_types, sc?.exclude_fs_types, 'fs_types'),
              mountPoint: makeFilter(sc?.include_mount_points, sc?.exclude_mount_points, 'mount_points'),
              includeVirtual: sc?.include_virtual_filesystems === true,
            });
            for (const e of errors) this.warnOnce(`fs:${e}`, 'host_metrics: could not read a filesystem', { error: e });
            break;
          }
          case 'network':
            await scrapeNetwork(env, b, makeFilter(sc?.include, sc?.exclude, 'interfaces'));
            break;
          case 'paging':
            await scrapePaging(env, b);
            break;
          case 'processes':
            await scrapeProcesses(env, b);
            break;
          case 'process': {
            const memTotal = (await this.proc.meminfo()).get('MemTotal') ?? 0;
            const { out: perProcess, skipped } = await scrapeProcess(env, builder, { keep: makeFilter(sc?.include, sc?.exclude, 'names'), users: await readUsers(this.proc), memTotal });
            if (skipped > 0 && !(sc?.mute_process_exe_error || sc?.mute_process_all_errors)) {
              this.warnOnce('process:exe', 'host_metrics: processes without a readable executable (kernel threads, or not permitted) are skipped; mute with mute_process_exe_error', { skipped });
            }
            for (const p of perProcess) out.push({ resource: { attributes: p.resource }, scopeMetrics: [{ scope: { name: scopeName('process'), attributes: [] }, metrics: p.metrics }] });
            continue;
          }
        }
      } catch (err) {
        this.warnOnce(`scraper:${name}`, `host_metrics: the ${name} scraper failed`, { error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const metrics = b.build();
      if (metrics.length > 0) hostResource.scopeMetrics.push({ scope: { name: scopeName(name), attributes: [] }, metrics });
    }
    if (hostResource.scopeMetrics.length > 0) out.unshift(hostResource);
    return makeBatch('metrics', out);
  }

  private warnOnce(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message, fields);
  }
}

export const hostMetricsReceiver: ReceiverFactory<HostMetricsConfig> = {
  kind: 'receiver',
  type: 'host_metrics',
  deprecatedTypes: ['hostmetrics'],
  description: 'Host metrics from /proc and /sys (Linux): cpu, memory, load, disk, filesystem, network, paging, processes, process.',
  signals: ['metrics'],
  configSchema,
  validate: (config) => validate(resolveConfig(config)),
  create(config, ctx, next) {
    return new HostMetricsReceiver(config, ctx, next);
  },
};
