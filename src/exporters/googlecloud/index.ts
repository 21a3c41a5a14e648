// The `googlecloud` exporter: logs to Cloud Logging (POST /v2/entries:write, partialSuccess, at
// most 1000 entries per request) and spans to Cloud Trace (POST /v2/projects/{project}/traces:batchWrite),
// with an OAuth 2.0 token from Google's credential chain (a service account key file, else the
// metadata server). Per-entry errors of a partial success drop only those entries; 429/500/503/504
// are retried; 401 fetches a new token; 403 and other 4xx are permanent.
import { readFile } from 'node:fs/promises';
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError } from '../../consumer.js';
import { countItems, type Batch, type LogsBatch } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { USER_AGENT } from '../helper/client-config.js';
import { httpStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { DEFAULT_GZIP_LEVEL, ExporterHttpClient, gzipBody, type HttpResponse } from '../helper/http-client.js';
import { googleMetadataTokens, googleServiceAccountTokens, type GoogleServiceAccount, type TokenSource } from '../helper/oauth.js';
import { baseUrl, configSchema, validate, type GoogleCloudConfig } from './config.js';
import { logEntries, traceSpans } from './mapping.js';

export type { GoogleCloudConfig } from './config.js';

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const MAX_ENTRIES = 1000;
const MAX_RESPONSE_BYTES = 256 * 1024;
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

interface GoogleError {
  readonly error?: { readonly code?: number; readonly message?: string; readonly status?: string; readonly details?: ReadonlyArray<{ readonly '@type'?: string; readonly logEntryErrors?: Readonly<Record<string, { readonly code?: number; readonly message?: string }>> }> };
}

function parseError(body: Buffer): GoogleError['error'] {
  try {
    return (JSON.parse(body.toString('utf8')) as GoogleError).error;
  } catch {
    return undefined;
  }
}

function createGoogleCloudExporter(config: GoogleCloudConfig, ctx: ComponentContext): Exporter {
  const client = new ExporterHttpClient(ctx.id, { disable_keep_alives: false }, MAX_RESPONSE_BYTES);
  const logUrl = new URL('v2/entries:write', baseUrl(config.log.endpoint, config.log.use_insecure));
  const traceBase = baseUrl(config.trace.endpoint, config.trace.use_insecure);
  const gzip = config.log.compression === 'gzip';
  let tokens: TokenSource | undefined;
  let project = config.project;

  async function post(url: URL, body: Buffer, signal: AbortSignal, compress: boolean): Promise<HttpResponse> {
    if (!tokens) throw new RetryableError(`exporter ${ctx.id} is not started`);
    const token = await tokens.token(signal);
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'user-agent': config.user_agent ?? USER_AGENT };
    if (project) headers['x-goog-user-project'] = project;
    let payload: Uint8Array = body;
    if (compress) {
      payload = await gzipBody(body, DEFAULT_GZIP_LEVEL);
      headers['content-encoding'] = 'gzip';
    }
    try {
      const res = await client.post(url, payload, headers, signal);
      if (res.status === 401) tokens.invalidate();
      return res;
    } catch (err) {
      throw networkError(err);
    }
  }

  /** A refused request as an error: 401 retried with a new token, 429/5xx retried, the rest permanent. */
  function refusal(res: HttpResponse, what: string): PermanentError | RetryableError {
    const e = parseError(res.body);
    const detail = e ? `${e.status ?? ''}${e.message ? `: ${e.message}` : ''}`.slice(0, 400) : res.body.toString('utf8', 0, Math.min(200, res.body.byteLength));
    const error = httpStatusError(res.status, res.headers, detail, what, (s) => s === 401 || RETRYABLE.has(s));
    if (res.status === 403) return new PermanentError(`${error.message} (the service account needs roles/logging.logWriter and roles/cloudtrace.agent on project ${project ?? ''})`);
    return error as PermanentError | RetryableError;
  }

  async function sendLogs(batch: LogsBatch, signal: AbortSignal): Promise<void> {
    const entries = logEntries(batch, project ?? '', config.log.default_log_name, BigInt(Date.now()) * 1_000_000n);
    const total = countItems(batch);
    const dropped = new Map<number, string>();
    for (let start = 0; start < entries.length; start += MAX_ENTRIES) {
      const chunk = entries.slice(start, start + MAX_ENTRIES);
      const res = await post(logUrl, Buffer.from(`{"entries":[${chunk.join(',')}],"partialSuccess":true}`), signal, gzip).catch((err: unknown) => {
        throw start === 0 ? err : partial(batch, start, total, dropped, err as RetryableError);
      });
      if (res.status >= 200 && res.status <= 299) continue;
      const e = parseError(res.body);
      const perEntry = e?.details?.find((d) => d['@type']?.endsWith('WriteLogEntriesPartialErrors'))?.logEntryErrors;
      if (res.status === 400 && perEntry) {
        // partialSuccess: the valid entries were written; the listed ones were not.
        for (const [index, err] of Object.entries(perEntry)) dropped.set(start + Number(index), `${err.code ?? ''} ${err.message ?? ''}`.trim());
        continue;
      }
      const error = refusal(res, `entries.write to ${logUrl.origin}`);
      if (error instanceof RetryableError) throw start === 0 && dropped.size === 0 ? error : partial(batch, start, total, dropped, error);
      if (res.status === 403 || res.status === 404) throw new PermanentError(error.message, start === 0 ? undefined : { failedItems: total - start + dropped.size });
      for (let i = start; i < start + chunk.length; i++) dropped.set(i, error.message);
    }
    if (dropped.size === 0) return;
    const why = [...new Set(dropped.values())].slice(0, 3).join('; ');
    throw new PermanentError(`Cloud Logging refused ${dropped.size} of ${total} entries: ${why}`, dropped.size >= total ? undefined : { failedItems: dropped.size });
  }

  /** Entries from `start` on were not written (a retryable failure): retry only them; what was refused stays dropped. */
  function partial(batch: LogsBatch, start: number, total: number, dropped: ReadonlyMap<number, string>, error: RetryableError): RetryableError {
    return new RetryableError(`${total - start} of ${total} log entries not written yet: ${error.message}`, {
      retryAfterMs: error.retryAfterMs,
      reason: error.reason,
      failed: selectItems(batch, (i) => i >= start),
      droppedItems: dropped.size,
    });
  }

  async function sendTraces(batch: Batch & { signal: 'traces' }, signal: AbortSignal): Promise<void> {
    const url = new URL(`v2/projects/${encodeURIComponent(project ?? '')}/traces:batchWrite`, traceBase);
    const res = await post(url, Buffer.from(`{"spans":[${traceSpans(batch, project ?? '').join(',')}]}`), signal, false);
    if (res.status >= 200 && res.status <= 299) return;
    throw refusal(res, `traces.batchWrite to ${traceBase.origin}`);
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (batch.signal === 'logs') return sendLogs(batch, signal);
    if (batch.signal === 'traces') return sendTraces(batch, signal);
    throw new PermanentError(`exporter ${ctx.id} exports logs and traces only`);
  }

  return createExporter(ctx, {
    signals: ['logs', 'traces'],
    send,
    ...helperSettings(config),
    async start() {
      await client.open();
      const file = config.credentials_file ?? process.env.GOOGLE_APPLICATION_CREDENTIALS;
      if (file) {
        let key: GoogleServiceAccount & { type?: string };
        try {
          key = JSON.parse(await readFile(file, 'utf8')) as GoogleServiceAccount & { type?: string };
        } catch (err) {
          throw new Error(`exporter ${ctx.id}: cannot read the service account key file ${file}: ${(err as Error).message}`);
        }
        if (key.type !== 'service_account' || !key.client_email || !key.private_key) {
          throw new Error(`exporter ${ctx.id}: ${file} is not a service account key (type service_account with client_email and private_key)`);
        }
        tokens = googleServiceAccountTokens(client, key, SCOPE);
        project ??= key.project_id;
      } else tokens = googleMetadataTokens(client);
      project ??= process.env.GOOGLE_CLOUD_PROJECT;
      if (!project) throw new Error(`exporter ${ctx.id}: no project: set project (or GOOGLE_CLOUD_PROJECT, or use a key file with project_id)`);
    },
    async shutdown() {
      client.close();
    },
  });
}

export const googleCloudExporter: ExporterFactory<GoogleCloudConfig> = {
  kind: 'exporter',
  type: 'googlecloud',
  description: 'Sends logs to Google Cloud Logging (entries.write) and traces to Cloud Trace (batchWrite), with a service account key or the metadata server\'s credentials.',
  signals: ['logs', 'traces'],
  configSchema,
  validate,
  create: createGoogleCloudExporter,
};
