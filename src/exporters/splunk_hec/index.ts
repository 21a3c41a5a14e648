// The `splunk_hec` exporter: logs and metrics to a Splunk HTTP Event Collector as concatenated
// JSON events, gzipped, split at max_content_length_*; HEC status codes decide what is retried.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError } from '../../consumer.js';
import type { Batch, LogsBatch, MetricsBatch } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { DEFAULT_GZIP_LEVEL, ExporterHttpClient, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { addConfiguredHeaders, redactUrl } from '../helper/client-config.js';
import { networkError, parseRetryAfter } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { packEntries, sendRequests, type Entry, type PostOutcome, type RequestLimits } from '../helper/payloads.js';
import { configSchema, hecUrl, metadataKeys, validate, type SplunkHecConfig } from './config.js';
import { encodeLogs, encodeMetrics, type Encoded, type EventOptions } from './events.js';
import { selectDataPoints } from '../../pdata/select.js';
import { VERSION } from '../../version.js';

export type { SplunkHecConfig } from './config.js';

const MAX_RESPONSE_BYTES = 64 * 1024;
/**
 * HEC status codes (Splunk, "Troubleshoot HTTP Event Collector"): 1-4 are token problems,
 * 8 an internal error, 9 and 18-20 a busy or unhealthy server (all three worth a retry).
 */
const TOKEN_CODES = new Set([1, 2, 3, 4]);
const RETRYABLE_CODES = new Set([8, 9, 18, 19, 20]);
/** HTTP statuses worth a retry: timeout, throttling, and the server errors HEC answers when busy. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** A HEC reply: {"text":"Invalid data format","code":6,"invalid-event-number":0}. */
interface HecReply {
  readonly text?: string;
  readonly code?: number;
  readonly invalidEvent?: number;
}

function parseHecReply(res: HttpResponse): HecReply {
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    return {
      text: typeof parsed.text === 'string' ? parsed.text : undefined,
      code: typeof parsed.code === 'number' ? parsed.code : undefined,
      invalidEvent: typeof parsed['invalid-event-number'] === 'number' ? parsed['invalid-event-number'] : undefined,
    };
  } catch {
    const text = res.body.toString('utf8', 0, Math.min(res.body.byteLength, 512)).replace(/\s+/g, ' ').trim();
    return { text: text === '' ? undefined : text };
  }
}

function createSplunkHecExporter(config: SplunkHecConfig, ctx: ComponentContext): Exporter {
  const url = hecUrl(config.endpoint ?? '');
  const where = redactUrl(url);
  const token = (config.token ?? '').trim();
  const compress = !config.disable_compression;
  const appVersion = config.splunk_app_version ?? VERSION;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': `${config.splunk_app_name}/${appVersion}`,
    authorization: `Splunk ${token}`,
    __splunk_app_name: config.splunk_app_name,
    __splunk_app_version: appVersion,
  };
  // As in the Collector, configured headers are applied last (e.g. __splunk_app_name: soc4kafka).
  addConfiguredHeaders(headers, config.headers, ['content-encoding']);
  if (compress) headers['content-encoding'] = 'gzip';
  const events: EventOptions = {
    source: config.source,
    sourcetype: config.sourcetype,
    index: config.index,
    keys: metadataKeys(config),
    severityTextField: config.otel_to_hec_fields.severity_text,
    severityNumberField: config.otel_to_hec_fields.severity_number,
    maxEventSize: config.max_event_size,
  };
  // Events are concatenated: no framing around or between them.
  const limits = (maxBytes: number): RequestLimits => ({ maxBytes, maxEntries: 0, overhead: 0, separator: 0 });
  const logLimits = limits(config.max_content_length_logs);
  const metricLimits = limits(config.max_content_length_metrics);
  /** Whatever a server says, the token never reaches a log line. */
  const scrub = (text: string): string => (token === '' ? text : text.split(token).join('***'));
  const client = new ExporterHttpClient(ctx.id, config, MAX_RESPONSE_BYTES);

  function classify(res: HttpResponse): PostOutcome {
    if (res.status >= 200 && res.status <= 299) return { kind: 'accepted' };
    const reply = parseHecReply(res);
    const said = [reply.text ? scrub(reply.text) : undefined, reply.code !== undefined ? `code ${reply.code}` : undefined, reply.invalidEvent !== undefined ? `invalid event number ${reply.invalidEvent}` : undefined]
      .filter((s) => s !== undefined)
      .join(', ');
    const message = `request to ${where} responded with HTTP ${res.status}${said ? ` (${said})` : ''}`;
    if (res.status === 413) return { kind: 'too-large', message };
    if (res.status === 401 || res.status === 403 || (reply.code !== undefined && TOKEN_CODES.has(reply.code))) {
      return { kind: 'refused', error: new PermanentError(`${message}: the HEC token was refused; check token of exporter ${ctx.id}`), scope: 'all' };
    }
    if (RETRYABLE_STATUS.has(res.status) || (reply.code !== undefined && RETRYABLE_CODES.has(reply.code))) {
      const error = new RetryableError(message, { retryAfterMs: parseRetryAfter(res.headers['retry-after']), reason: res.status === 429 || reply.code === 9 ? 'throttled' : 'unavailable' });
      return { kind: 'refused', error, scope: 'request' };
    }
    return { kind: 'refused', error: new PermanentError(message), scope: 'request' };
  }

  async function post(entries: readonly Entry[], signal: AbortSignal): Promise<PostOutcome> {
    let body: Uint8Array = Buffer.from(entries.map((e) => e.text).join(''));
    if (compress) body = await gzipBody(body, DEFAULT_GZIP_LEVEL);
    let res: HttpResponse;
    try {
      res = await client.post(url, body, headers, signal);
    } catch (err) {
      throw networkError(err);
    }
    return classify(res);
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    let encoded: Encoded;
    let select: (keep: (item: number) => boolean) => Batch;
    let requestLimits: RequestLimits;
    if (batch.signal === 'logs') {
      encoded = encodeLogs(batch, events);
      select = (keep) => selectItems(batch as LogsBatch, keep);
      requestLimits = logLimits;
    } else if (batch.signal === 'metrics') {
      encoded = encodeMetrics(batch, events);
      select = (keep) => selectDataPoints(batch as MetricsBatch, keep);
      requestLimits = metricLimits;
    } else {
      throw new PermanentError(`exporter ${ctx.id} does not export ${batch.signal}`);
    }
    // As the contrib exporter: an event that alone exceeds the content length is dropped, not sent.
    const fits = requestLimits.maxBytes > 0 ? encoded.entries.filter((e) => e.bytes <= requestLimits.maxBytes) : encoded.entries;
    const tooLong = encoded.entries.length - fits.length;
    await sendRequests({
      batch,
      total: countItems(batch),
      requests: packEntries(fits, requestLimits),
      refusedBeforeSending: encoded.refused + tooLong,
      refusedReason: encoded.refusedReason ?? (tooLong > 0 ? `an event is larger than max_content_length_${batch.signal} (${requestLimits.maxBytes})` : undefined),
      post: (request) => post(request, signal),
      select,
      logger: ctx.logger,
      backend: 'Splunk HEC',
    });
  }

  return createExporter(ctx, {
    signals: ['logs', 'metrics'],
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

export const splunkHecExporter: ExporterFactory<SplunkHecConfig> = {
  kind: 'exporter',
  type: 'splunk_hec',
  description: 'Sends logs and metrics to a Splunk HTTP Event Collector (JSON events and HEC metrics, gzip, split at max_content_length).',
  signals: ['logs', 'metrics'],
  configSchema,
  validate,
  create: createSplunkHecExporter,
};
