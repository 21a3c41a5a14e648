// The `datadog` exporter: logs to the Datadog Logs intake v2 as JSON arrays of log entries,
// gzipped, split to the intake's limits (1000 logs, 5 MB per request); a 413 halves a request.
import { hostname as machineHostname } from 'node:os';
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError } from '../../consumer.js';
import type { Batch, LogsBatch } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { USER_AGENT, redactUrl } from '../helper/client-config.js';
import { httpStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { ExporterHttpClient, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { configSchema, logsUrl, validate, type DatadogConfig } from './config.js';
import { encodeLogs, type DatadogLogOptions } from './mapping.js';
import { packEntries, sendRequests, type Entry, type PostOutcome, type RequestLimits } from '../helper/payloads.js';

export type { DatadogConfig } from './config.js';

/** The intake's limits per request (https://docs.datadoghq.com/api/latest/logs/#send-logs): 5 MB uncompressed, 1000 logs. */
const DATADOG_LIMITS: RequestLimits = { maxBytes: 5_000_000, maxEntries: 1000, overhead: 2, separator: 1 };
const MAX_RESPONSE_BYTES = 64 * 1024;
/** What the intake documents as "retry after some time": 408, 429 and every 5xx. */
const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** The message of an intake error body: {"errors":[{"status","title","detail"}]} or {"errors":["…"]}; else the text. */
function intakeMessage(res: HttpResponse): string {
  const text = res.body.toString('utf8', 0, Math.min(res.body.byteLength, 1024));
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      return parsed.errors
        .map((e) => {
          if (typeof e === 'string') return e;
          const o = (e ?? {}) as { title?: unknown; detail?: unknown };
          return [o.title, o.detail].filter((x) => typeof x === 'string' && x !== '').join(': ');
        })
        .filter((s) => s !== '')
        .join('; ');
    }
  } catch {
    // Not JSON: the raw text says it.
  }
  return text.replace(/\s+/g, ' ').trim();
}

function createDatadogExporter(config: DatadogConfig, ctx: ComponentContext): Exporter {
  const url = new URL(logsUrl(config));
  const where = redactUrl(url);
  const apiKey = (config.api.key ?? '').trim();
  const compress = config.logs.use_compression && config.logs.compression_level > 0;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'dd-api-key': apiKey, 'user-agent': USER_AGENT };
  if (compress) headers['content-encoding'] = 'gzip';
  const options: DatadogLogOptions = {
    ddsource: config.logs.ddsource,
    tags: (config.logs.ddtags ?? '').split(',').map((t) => t.trim()).filter((t) => t !== ''),
    service: config.logs.service,
    hostname: config.hostname ?? machineHostname(),
  };
  /** A server message never carries the key back into our logs. */
  const scrub = (text: string): string => (apiKey === '' ? text : text.split(apiKey).join('***'));
  const client = new ExporterHttpClient(ctx.id, config, MAX_RESPONSE_BYTES);

  function classify(res: HttpResponse): PostOutcome {
    if (res.status >= 200 && res.status <= 299) return { kind: 'accepted' };
    const detail = scrub(intakeMessage(res));
    const message = `request to ${where} responded with HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
    if (res.status === 413) return { kind: 'too-large', message };
    if (res.status === 401 || res.status === 403) {
      const why = res.status === 401 ? 'is missing or not accepted' : 'is not valid for this site';
      const error = new PermanentError(`${message} (the Datadog API key ${why}: check api.key and api.site of exporter ${ctx.id})`);
      return { kind: 'refused', error, scope: 'all' };
    }
    return { kind: 'refused', error: httpStatusError(res.status, res.headers, detail, `request to ${where}`, retryable), scope: 'request' };
  }

  async function post(entries: readonly Entry[], signal: AbortSignal): Promise<PostOutcome> {
    let body: Uint8Array = Buffer.from(`[${entries.map((e) => e.text).join(',')}]`);
    if (compress) body = await gzipBody(body, config.logs.compression_level);
    let res: HttpResponse;
    try {
      res = await client.post(url, body, headers, signal);
    } catch (err) {
      throw networkError(err);
    }
    return classify(res);
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    const logs = batch as LogsBatch;
    const { entries, truncated } = encodeLogs(logs, options);
    if (truncated > 0) ctx.logger.warn('Logs larger than the Datadog limit of 1 MB were truncated.', { logs: truncated });
    await sendRequests({
      batch,
      total: countItems(batch),
      requests: packEntries(entries, DATADOG_LIMITS),
      refusedBeforeSending: 0,
      post: (request) => post(request, signal),
      select: (keep) => selectItems(logs, keep),
      logger: ctx.logger,
      backend: 'Datadog',
    });
  }

  return createExporter(ctx, {
    signals: ['logs'],
    send,
    ...helperSettings(config),
    async start() {
      await client.open();
    },
    async shutdown() {
      client.close();
    },
  });
}

export const datadogExporter: ExporterFactory<DatadogConfig> = {
  kind: 'exporter',
  type: 'datadog',
  description: 'Sends logs to Datadog (Logs intake v2: gzip, 1000 logs / 5 MB per request, Datadog\'s OTLP attribute mapping).',
  signals: ['logs'],
  configSchema,
  validate,
  create: createDatadogExporter,
};
