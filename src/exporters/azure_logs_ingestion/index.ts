// The `azure_logs_ingestion` exporter: log records as rows of a DCR stream, posted to Azure
// Monitor's Logs ingestion API (https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview)
// as JSON arrays of at most 1 MB, gzipped, with an Entra ID bearer token. 204 is success; 413 halves a
// request; 429 and 5xx are retried (Retry-After honoured); 401 fetches a new token and retries;
// 403 and other 4xx are permanent.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError } from '../../consumer.js';
import type { Batch, LogsBatch } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { idHex, int64BigInt, kvlistJson, valueAsString } from '../../pdata/value.js';
import { USER_AGENT, redactUrl } from '../helper/client-config.js';
import { httpStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { DEFAULT_GZIP_LEVEL, ExporterHttpClient, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { entraClientCredentialsTokens, type TokenSource } from '../helper/oauth.js';
import { entry, packEntries, sendRequests, type Entry, type PostOutcome } from '../helper/payloads.js';
import { isoNanos } from '../elasticsearch/document.js';
import { configSchema, uploadUrl, validate, type AzureLogsIngestionConfig } from './config.js';

export type { AzureLogsIngestionConfig } from './config.js';

const SCOPE = 'https://monitor.azure.com//.default';
/** The API's limit per call: 1 MB. */
const LIMITS = { maxBytes: 1_000_000, maxEntries: 0, overhead: 2, separator: 1 };
const retryable = (status: number): boolean => status === 401 || status === 408 || status === 429 || status >= 500;

/** One row: TimeGenerated and the record's fields, as the custom table's columns. */
export function rows(batch: LogsBatch, now: bigint): Entry[] {
  const out: Entry[] = [];
  let item = 0;
  for (const rl of batch.resources) {
    const resource = kvlistJson(rl.resource?.attributes ?? []);
    for (const sl of rl.scopeLogs) {
      for (const r of sl.logRecords) {
        const ts = int64BigInt(r.timeUnixNano);
        const observed = int64BigInt(r.observedTimeUnixNano);
        const parts = [`"TimeGenerated":${JSON.stringify(isoNanos(ts !== 0n ? ts : observed !== 0n ? observed : now))}`];
        if (observed !== 0n) parts.push(`"ObservedTime":${JSON.stringify(isoNanos(observed))}`);
        parts.push(`"SeverityText":${JSON.stringify(r.severityText ?? '')}`, `"SeverityNumber":${r.severityNumber ?? 0}`, `"Body":${JSON.stringify(valueAsString(r.body))}`);
        parts.push(`"Attributes":${kvlistJson(r.attributes)}`, `"Resource":${resource}`);
        parts.push(`"TraceId":${JSON.stringify(idHex(r.traceId))}`, `"SpanId":${JSON.stringify(idHex(r.spanId))}`, `"ScopeName":${JSON.stringify(sl.scope?.name ?? '')}`);
        out.push(entry(item++, `{${parts.join(',')}}`));
      }
    }
  }
  return out;
}

function createAzureLogsIngestionExporter(config: AzureLogsIngestionConfig, ctx: ComponentContext): Exporter {
  const url = uploadUrl(config);
  const where = redactUrl(url).split('?')[0] ?? '';
  const gzip = config.compression === 'gzip';
  const client = new ExporterHttpClient(ctx.id, config, 16 * 1024);
  const tokens: TokenSource = entraClientCredentialsTokens(client, config.auth, SCOPE);

  function classify(res: HttpResponse): PostOutcome {
    if (res.status >= 200 && res.status <= 299) return { kind: 'accepted' };
    let detail = res.body.toString('utf8', 0, Math.min(400, res.body.byteLength));
    try {
      const e = (JSON.parse(detail) as { error?: { code?: string; message?: string } }).error;
      if (e) detail = [e.code, e.message].filter(Boolean).join(': ');
    } catch {
      // Not JSON.
    }
    detail = detail.split(config.auth.client_secret).join('***').replace(/\s+/g, ' ').trim();
    const message = `request to ${where} responded with HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
    if (res.status === 413) return { kind: 'too-large', message };
    if (res.status === 401) tokens.invalidate();
    if (res.status === 403) return { kind: 'refused', error: new PermanentError(`${message} (the application needs the Monitoring Metrics Publisher role on the data collection rule)`), scope: 'all' };
    if (res.status === 404) return { kind: 'refused', error: new PermanentError(`${message} (check endpoint, dcr_immutable_id and stream_name)`), scope: 'all' };
    return { kind: 'refused', error: httpStatusError(res.status, res.headers, detail, `request to ${where}`, retryable), scope: 'request' };
  }

  async function post(entries: readonly Entry[], signal: AbortSignal): Promise<PostOutcome> {
    const token = await tokens.token(signal);
    let body: Uint8Array = Buffer.from(`[${entries.map((e) => e.text).join(',')}]`);
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'user-agent': USER_AGENT };
    if (gzip) {
      body = await gzipBody(body, DEFAULT_GZIP_LEVEL);
      headers['content-encoding'] = 'gzip';
    }
    let res: HttpResponse;
    try {
      res = await client.post(url, body, headers, signal);
    } catch (err) {
      throw networkError(err);
    }
    return classify(res);
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (batch.signal !== 'logs') throw new PermanentError(`exporter ${ctx.id} exports logs only`);
    const all = rows(batch, BigInt(Date.now()) * 1_000_000n);
    const fits = all.filter((e) => e.bytes + 2 <= LIMITS.maxBytes);
    await sendRequests({
      batch,
      total: countItems(batch),
      requests: packEntries(fits, LIMITS),
      refusedBeforeSending: all.length - fits.length,
      refusedReason: all.length > fits.length ? 'records larger than the API\'s 1 MB per call' : undefined,
      post: (request) => post(request, signal).catch((err: unknown) => {
        throw err instanceof RetryableError || err instanceof PermanentError ? err : networkError(err);
      }),
      select: (keep) => selectItems(batch, keep),
      logger: ctx.logger,
      backend: 'Azure Monitor Logs ingestion',
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

export const azureLogsIngestionExporter: ExporterFactory<AzureLogsIngestionConfig> = {
  kind: 'exporter',
  type: 'azure_logs_ingestion',
  description: 'Sends logs to a Log Analytics table through Azure Monitor\'s Logs ingestion API (data collection rules), with a Microsoft Entra application\'s token.',
  signals: ['logs'],
  configSchema,
  validate,
  create: createAzureLogsIngestionExporter,
};
