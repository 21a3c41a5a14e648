// The `http_check` receiver (the Collector's httpcheckreceiver): requests every endpoint each
// collection_interval and emits httpcheck.status (one point per status class, 1 for the one
// that matched), httpcheck.duration and httpcheck.error, with the Collector's names and attributes.
import http from 'node:http';
import https from 'node:https';
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { errorMessage } from '../../consumer.js';
import { loadTlsClient } from '../../config/tls-client.js';
import { parseDuration } from '../../config/units.js';
import { makeBatch } from '../../pdata/batch.js';
import type { KeyValue, Metric, NumberDataPoint } from '../../pdata/types.js';
import type { ReceiverMetrics } from '../../telemetry/self.js';
import { VERSION } from '../../version.js';
import { InFlight, consumeCounted } from '../helper.js';
import { configSchema, validate, type HttpCheckConfig, type HttpCheckMetric } from './config.js';

export type { HttpCheckConfig } from './config.js';

export const SCOPE_NAME = 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/httpcheckreceiver';
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const AGGREGATION_CUMULATIVE = 2;

interface Check {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly agent: http.Agent;
  readonly timeoutMs: number;
}

interface CheckResult {
  readonly url: string;
  readonly method: string;
  readonly durationMs: number;
  /** 0 when no response came. */
  readonly statusCode: number;
  readonly error?: string;
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: value } });

/** An error worded as Go's net/http words it (`Get "url": dial tcp host:port: connect: connection refused`), as the Collector reports it. */
export function goStyleError(method: string, url: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const verb = method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
  const where = e.address !== undefined ? `${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port ?? ''}` : new URL(url).host;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `${verb} "${url}": dial tcp ${where}: connect: connection refused`;
    case 'ECONNRESET':
      return `${verb} "${url}": read tcp ${where}: connection reset by peer`;
    case 'ENOTFOUND':
      return `${verb} "${url}": dial tcp: lookup ${new URL(url).hostname}: no such host`;
    case 'ETIMEDOUT':
      return `${verb} "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
    default:
      return `${verb} "${url}": ${errorMessage(err)}`;
  }
}

/** One request; resolves with the status or the error, never rejects. The body is read and discarded. */
function runCheck(c: Check): Promise<CheckResult> {
  const started = performance.now();
  const lib = c.url.startsWith('https:') ? https : http;
  return new Promise<CheckResult>((resolve) => {
    let done = false;
    const finish = (statusCode: number, error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const durationMs = Math.round(performance.now() - started);
      resolve(error === undefined ? { url: c.url, method: c.method, durationMs, statusCode } : { url: c.url, method: c.method, durationMs, statusCode, error });
    };
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    }, c.timeoutMs);
    const req = lib.request(c.url, { method: c.method, headers: c.headers, agent: c.agent }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode ?? 0));
      res.on('error', () => finish(res.statusCode ?? 0));
    });
    req.on('error', (err) => finish(0, goStyleError(c.method, c.url, err)));
    req.end();
  });
}

class HttpCheckReceiver implements Receiver {
  private readonly inFlight = new InFlight();
  private checks: Check[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly startNs = (BigInt(Date.now()) * 1_000_000n).toString();
  private readonly metrics: ReceiverMetrics;

  constructor(
    private readonly config: HttpCheckConfig,
    private readonly ctx: ComponentContext,
    private readonly consumer: Consumer | undefined,
  ) {
    this.metrics = ctx.telemetry.forReceiver(ctx.id, 'http');
  }

  async start(_host: Host): Promise<void> {
    const intervalMs = parseDuration(this.config.collection_interval);
    for (const t of this.config.targets) {
      const tls = await loadTlsClient(t.tls);
      const urls = [...(t.endpoint ? [t.endpoint] : []), ...(t.endpoints ?? [])];
      const timeout = parseDuration(t.timeout);
      const agent = urls.some((u) => u.startsWith('https:')) ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
      for (const url of urls) this.checks.push({ url, method: t.method.toUpperCase(), headers: t.headers, agent, timeoutMs: timeout > 0 ? timeout : intervalMs });
    }
    const tick = (): void => {
      if (this.stopped) return;
      const started = Date.now();
      void this.inFlight
        .run(() => this.collect())
        .catch((err: unknown) => this.ctx.logger.error('HTTP check round failed', { error: errorMessage(err) }))
        .finally(() => {
          if (this.stopped) return;
          this.timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started)));
        });
    };
    this.timer = setTimeout(tick, parseDuration(this.config.initial_delay));
  }

  private enabled(m: HttpCheckMetric): boolean {
    return this.config.metrics[m]?.enabled ?? true;
  }

  private async collect(): Promise<void> {
    const results = await Promise.all(this.checks.map(runCheck));
    if (this.stopped || !this.consumer) return;
    const time = (BigInt(Date.now()) * 1_000_000n).toString();
    const status: NumberDataPoint[] = [];
    const duration: NumberDataPoint[] = [];
    const errors: NumberDataPoint[] = [];
    for (const r of results) {
      duration.push({ attributes: [str('http.url', r.url)], startTimeUnixNano: this.startNs, timeUnixNano: time, asInt: r.durationMs, exemplars: [] });
      if (r.error !== undefined) {
        errors.push({ attributes: [str('http.url', r.url), str('error.message', r.error)], startTimeUnixNano: this.startNs, timeUnixNano: time, asInt: 1, exemplars: [] });
        this.ctx.logger.debug('HTTP check failed', { url: r.url, error: r.error });
      }
      for (const [i, cls] of STATUS_CLASSES.entries()) {
        const matched = r.statusCode !== 0 && Math.floor(r.statusCode / 100) === i + 1;
        status.push({
          attributes: [str('http.url', r.url), int('http.status_code', r.statusCode), str('http.method', r.method), str('http.status_class', cls)],
          startTimeUnixNano: this.startNs,
          timeUnixNano: time,
          asInt: matched ? 1 : 0,
          exemplars: [],
        });
      }
    }
    const metrics: Metric[] = [];
    if (this.enabled('httpcheck.duration')) metrics.push({ name: 'httpcheck.duration', description: 'Measures the duration of the HTTP check.', unit: 'ms', gauge: { dataPoints: duration } });
    if (this.enabled('httpcheck.error') && errors.length > 0) {
      metrics.push({ name: 'httpcheck.error', description: 'Records errors occurring during HTTP check.', unit: '{error}', sum: { dataPoints: errors, aggregationTemporality: AGGREGATION_CUMULATIVE, isMonotonic: false } });
    }
    if (this.enabled('httpcheck.status')) {
      metrics.push({
        name: 'httpcheck.status',
        description: '1 if the check resulted in status_code matching the status_class, otherwise 0.',
        unit: '1',
        sum: { dataPoints: status, aggregationTemporality: AGGREGATION_CUMULATIVE, isMonotonic: false },
      });
    }
    if (metrics.length === 0) return;
    const batch = makeBatch('metrics', [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: SCOPE_NAME, version: VERSION, attributes: [] }, metrics }] }]);
    await consumeCounted(this.consumer, batch, this.metrics, this.ctx.logger);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight.idle(5_000);
    for (const agent of new Set(this.checks.map((c) => c.agent))) agent.destroy();
    this.checks = [];
  }
}

export const httpCheckReceiver: ReceiverFactory<HttpCheckConfig> = {
  kind: 'receiver',
  type: 'http_check',
  deprecatedTypes: ['httpcheck'],
  description: 'Synthetic HTTP checks: requests endpoints on an interval and emits httpcheck.status, httpcheck.duration and httpcheck.error.',
  signals: ['metrics'],
  configSchema,
  validate,
  create: (config, ctx, next: SignalConsumers) => new HttpCheckReceiver(config, ctx, next.metrics),
};
