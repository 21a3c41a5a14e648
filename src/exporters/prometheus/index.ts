// The `prometheus` exporter: a pull endpoint. consume() folds points into the in-memory
// state (no sending queue: nothing is sent); GET /metrics renders it for Prometheus to scrape.
import http from 'node:http';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { httpsServerOptions, loadTlsServer } from '../../config/tls-server.js';
import { parseDuration } from '../../config/units.js';
import { PermanentError, RetryableError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { listen, splitHostPort } from '../../net.js';
import { Accumulator } from '../../prometheus/accumulator.js';
import { labelOptions, namingOptions } from '../../prometheus/config.js';
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, renderExposition, type ExpositionFormat } from '../../prometheus/exposition.js';
import { configuredLabels } from '../../prometheus/labels.js';
import { configSchema, DEFAULT_PORT, validate, type PrometheusExporterConfig } from './config.js';
import { scrapeFamilies } from './scrape.js';

export type { PrometheusExporterConfig } from './config.js';

export interface PrometheusExporterOptions {
  /** Clock in ms for metric_expiration; injected by tests. */
  readonly now?: () => number;
}

/** Bodies below this go out uncompressed: gzip would cost more than it saves. */
const GZIP_MIN_BYTES = 1024;

function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/openmetrics-text');
}

export function createPrometheusExporter(config: PrometheusExporterConfig, ctx: ComponentContext, options: PrometheusExporterOptions = {}): Exporter {
  const naming = namingOptions(config);
  const accumulator = new Accumulator({
    expirationMs: parseDuration(config.metric_expiration),
    naming,
    labels: labelOptions(config.resource_to_telemetry_conversion, !config.without_scope_info),
    now: options.now,
  });
  const scrape = { namespace: naming.namespace, constLabels: configuredLabels(config.const_labels), sendTimestamps: config.send_timestamps, logger: ctx.logger, warned: new Set<string>() };
  const metrics = ctx.telemetry.forExporter(ctx.id);
  const warnedDrops = new Set<string>();
  let server: http.Server | undefined;
  let stopped = false;

  function render(format: ExpositionFormat): string {
    return renderExposition(scrapeFamilies(accumulator.collect(), scrape), format);
  }

  const handler: http.RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are on /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const format: ExpositionFormat = config.enable_open_metrics && wantsOpenMetrics(req.headers.accept) ? 'openmetrics' : 'text';
    let body: Buffer;
    try {
      body = Buffer.from(render(format));
    } catch (err) {
      ctx.logger.error('Rendering the scrape failed.', { error: err });
      res.writeHead(500, { 'content-type': 'text/plain' }).end('rendering metrics failed\n');
      return;
    }
    const headers: Record<string, string> = { 'content-type': format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE, vary: 'Accept, Accept-Encoding' };
    if (body.byteLength >= GZIP_MIN_BYTES && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      body = gzipSync(body, { level: 1 });
      headers['content-encoding'] = 'gzip';
    }
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
  };

  return {
    mutatesData: false,

    async consume(batch: Batch): Promise<void> {
      if (batch.signal !== 'metrics') throw new PermanentError(`exporter ${ctx.id} exports metrics only`);
      if (stopped) throw new RetryableError(`exporter ${ctx.id} is shut down`);
      const result = accumulator.accumulate(batch.resources);
      if (result.accepted > 0) metrics.sent('metrics', result.accepted);
      if (result.dropped > 0) {
        // Not the sender's fault that Prometheus has no delta up-down counter: counted, not refused.
        metrics.sendFailed('metrics', result.dropped);
        for (const [metric, reason] of result.reasons) {
          if (warnedDrops.has(`${metric}\u0000${reason}`)) continue;
          warnedDrops.add(`${metric}\u0000${reason}`);
          ctx.logger.warn('Dropping data points Prometheus cannot represent.', { metric, reason });
        }
      }
    },

    async start(): Promise<void> {
      const { host, port } = splitHostPort(config.endpoint, DEFAULT_PORT);
      if (config.tls) {
        const tls = await loadTlsServer(config.tls);
        server = https.createServer(httpsServerOptions(tls), handler);
      } else {
        server = http.createServer(handler);
      }
      const bound = await listen(server, host, port, `exporter ${ctx.id}`);
      ctx.logger.info('Prometheus scrape endpoint is listening.', { endpoint: `${config.tls ? 'https' : 'http'}://${bound}/metrics` });
    },

    async shutdown(): Promise<void> {
      stopped = true;
      const s = server;
      server = undefined;
      if (!s) return;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}

export const prometheusExporter: ExporterFactory<PrometheusExporterConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  description: 'Serves metrics on a /metrics endpoint for Prometheus to scrape (text 0.0.4 or OpenMetrics), deltas accumulated.',
  signals: ['metrics'],
  configSchema,
  validate,
  create: (config, ctx) => createPrometheusExporter(config, ctx),
};
