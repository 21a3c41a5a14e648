// The `opensearch` exporter: logs and spans as documents in OpenSearch (ss4o schema by default),
// one _bulk request per batch through the code the elasticsearch exporter uses
// (../elasticsearch/bulk-sender.ts): 413 splits, per-item outcomes, only 429s retried.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { USER_AGENT, addConfiguredHeaders } from '../helper/client-config.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { ExporterHttpClient } from '../helper/http-client.js';
import { MAX_BULK_RESPONSE_BYTES, bulkSender, bulkUrl } from '../elasticsearch/bulk-sender.js';
import { configSchema, openSearchEndpoint, validate, type OpenSearchConfig } from './config.js';
import { logDocuments, spanDocuments } from './document.js';

export type { OpenSearchConfig } from './config.js';

/** Items OpenSearch refused with these statuses are retried (with the rest of the helper's retry_on_failure); others are dropped. */
const RETRY_ON_STATUS: ReadonlySet<number> = new Set([429]);

function createOpenSearchExporter(config: OpenSearchConfig, ctx: ComponentContext): Exporter {
  const gzip = config.http.compression === 'gzip';
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', accept: 'application/json', 'user-agent': USER_AGENT };
  addConfiguredHeaders(headers, config.http.headers, ['content-encoding', 'content-type']);
  if (gzip) headers['content-encoding'] = 'gzip';
  if (config.user) headers.authorization = `Basic ${Buffer.from(`${config.user}:${config.password ?? ''}`).toString('base64')}`;
  const client = new ExporterHttpClient(ctx.id, config.http, MAX_BULK_RESPONSE_BYTES);
  const endpoint = openSearchEndpoint(config) ?? '';
  const sendDocs = bulkSender({
    ctx,
    product: 'OpenSearch',
    urls: [bulkUrl(endpoint)],
    headers,
    gzip,
    client,
    action: config.bulk_action,
    retryOnStatus: RETRY_ON_STATUS,
    // retry_on_failure.max_elapsed_time bounds the retries.
    maxRetries: Infinity,
    maxRetriesKey: 'retry_on_failure',
  });

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (batch.signal === 'metrics') throw new PermanentError(`exporter ${ctx.id} exports logs and traces only`);
    const { docs, unencodable } = batch.signal === 'logs' ? logDocuments(config, batch) : spanDocuments(config, batch);
    await sendDocs(batch, docs, signal, unencodable);
  }

  return createExporter(ctx, {
    signals: ['logs', 'traces'],
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

export const opensearchExporter: ExporterFactory<OpenSearchConfig> = {
  kind: 'exporter',
  type: 'opensearch',
  description: 'Sends logs and traces to OpenSearch with the _bulk API, in the Simple Schema for Observability (ss4o) or the log data model.',
  signals: ['logs', 'traces'],
  configSchema,
  validate,
  create: createOpenSearchExporter,
};
