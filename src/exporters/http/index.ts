// The `http` exporter: logs to any HTTP endpoint (a generic sink, as Vector's `http` sink),
// packed into requests within batch.max_bytes / batch.max_events; a 413 halves a request.
// 408, 429 and 5xx are retried (Retry-After honoured); 401/403 end the batch for good; any
// other 4xx drops that request's records, counted.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError } from '../../consumer.js';
import type { Batch, LogsBatch } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { USER_AGENT, addConfiguredHeaders, redactUrl } from '../helper/client-config.js';
import { httpStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { DEFAULT_GZIP_LEVEL, ExporterHttpClient, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { packEntries, sendRequests, type Entry, type PostOutcome, type RequestLimits } from '../helper/payloads.js';
import { configSchema, validate, type HttpSinkConfig } from './config.js';
import { CONTENT_TYPE, body, encodeEntries } from './encode.js';

export type { HttpSinkConfig } from './config.js';

const MAX_RESPONSE_BYTES = 16 * 1024;
const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** The secrets of a config, to keep them out of messages a server may echo. */
function secretsOf(config: HttpSinkConfig): string[] {
  return [config.auth?.password, config.auth?.token].filter((s): s is string => typeof s === 'string' && s.length >= 4);
}

function createHttpExporter(config: HttpSinkConfig, ctx: ComponentContext): Exporter {
  const url = new URL(config.endpoint);
  const where = redactUrl(url);
  const gzip = config.compression === 'gzip';
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPE[config.format], 'user-agent': USER_AGENT };
  addConfiguredHeaders(headers, config.headers, ['content-encoding']);
  if (gzip) headers['content-encoding'] = 'gzip';
  if (config.auth?.strategy === 'basic') headers.authorization = `Basic ${Buffer.from(`${config.auth.user ?? ''}:${config.auth.password ?? ''}`).toString('base64')}`;
  else if (config.auth?.strategy === 'bearer') headers.authorization = `Bearer ${config.auth.token ?? ''}`;
  else if (url.username || url.password) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  const target = new URL(where);
  // Framing bytes: "[" "]" and "," of a JSON array; a newline after each line; {"text":""} and a
  // newline between lines of text_json (its JSON escaping is not counted).
  const limits: RequestLimits = {
    maxBytes: config.batch.max_bytes,
    maxEntries: config.batch.max_events,
    overhead: config.format === 'json' ? 2 : config.format === 'text_json' ? 11 : 0,
    separator: config.format === 'json' || config.format === 'text_json' ? 1 : 0,
  };
  const lineBytes = config.format === 'text' || config.format === 'ndjson' ? 1 : 0;
  const secrets = secretsOf(config);
  const scrub = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const client = new ExporterHttpClient(ctx.id, config, MAX_RESPONSE_BYTES);

  function classify(res: HttpResponse): PostOutcome {
    if (res.status >= 200 && res.status <= 299) return { kind: 'accepted' };
    const detail = scrub(res.body.toString('utf8', 0, Math.min(res.body.byteLength, 512)).replace(/\s+/g, ' ').trim());
    const message = `request to ${where} responded with HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
    if (res.status === 413) return { kind: 'too-large', message };
    if (res.status === 401 || res.status === 403) {
      return { kind: 'refused', error: new PermanentError(`${message} (check the credentials of exporter ${ctx.id}: auth, headers)`), scope: 'all' };
    }
    return { kind: 'refused', error: httpStatusError(res.status, res.headers, detail, `request to ${where}`, retryable), scope: 'request' };
  }

  async function post(entries: readonly Entry[], signal: AbortSignal): Promise<PostOutcome> {
    let payload: Uint8Array = body(entries, config.format);
    if (gzip) payload = await gzipBody(payload, DEFAULT_GZIP_LEVEL);
    let res: HttpResponse;
    try {
      res = await client.post(target, payload, headers, signal, config.method);
    } catch (err) {
      throw networkError(err);
    }
    return classify(res);
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    const logs = batch as LogsBatch;
    const all = encodeEntries(logs, config.format);
    // With newline framing each line's newline counts towards max_bytes.
    const sized = lineBytes === 0 ? all : all.map((e) => ({ ...e, bytes: e.bytes + lineBytes }));
    const max = config.batch.max_bytes;
    const fits = max === 0 ? sized : sized.filter((e) => e.bytes + limits.overhead <= max);
    const tooLarge = sized.length - fits.length;
    await sendRequests({
      batch,
      total: countItems(batch),
      requests: packEntries(fits, limits),
      refusedBeforeSending: tooLarge,
      refusedReason: tooLarge > 0 ? `${tooLarge} records are each larger than batch.max_bytes (${max})` : undefined,
      post: (request) => post(request, signal),
      select: (keep) => selectItems(logs, keep),
      logger: ctx.logger,
      backend: `HTTP endpoint ${where}`,
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

export const httpExporter: ExporterFactory<HttpSinkConfig> = {
  kind: 'exporter',
  type: 'http',
  description: 'Sends logs to any HTTP endpoint as a JSON array, NDJSON or text lines, with gzip, headers, Basic or Bearer auth and per-request limits.',
  signals: ['logs'],
  configSchema,
  validate,
  create: createHttpExporter,
};
