// The `elasticsearch` exporter: each batch becomes one _bulk request of create actions
// (split when the server answers 413), sent round-robin over the endpoints with fail-over;
// only the documents Elasticsearch refused with a retryable status are retried, the others
// are dropped and counted, with their error type and reason logged (never the document).
// The sending itself is bulk-sender.ts, shared with the opensearch exporter.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { USER_AGENT, addConfiguredHeaders } from '../helper/client-config.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { ExporterHttpClient } from '../helper/http-client.js';
import { MAX_BULK_RESPONSE_BYTES, bulkSender, bulkUrl } from './bulk-sender.js';
import { configSchema, endpointList, esRetrySettings, validate, type ElasticsearchConfig } from './config.js';
import { logDocuments, spanDocuments } from './document.js';

export type { ElasticsearchConfig } from './config.js';
export { bulkUrl } from './bulk-sender.js';

function createElasticsearchExporter(config: ElasticsearchConfig, ctx: ComponentContext): Exporter {
  const retry = esRetrySettings(config.retry);
  const gzip = config.compression === 'gzip';
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', accept: 'application/json', 'user-agent': USER_AGENT };
  addConfiguredHeaders(headers, config.headers, ['content-encoding', 'content-type']);
  if (gzip) headers['content-encoding'] = 'gzip';
  if (config.api_key) headers.authorization = `ApiKey ${config.api_key}`;
  else if (config.user) headers.authorization = `Basic ${Buffer.from(`${config.user}:${config.password ?? ''}`).toString('base64')}`;
  const client = new ExporterHttpClient(ctx.id, config, MAX_BULK_RESPONSE_BYTES);
  const sendDocs = bulkSender({
    ctx,
    product: 'Elasticsearch',
    urls: endpointList(config).map((e) => bulkUrl(e, config.pipeline)),
    headers,
    gzip,
    client,
    action: 'create',
    retryOnStatus: retry.retryOnStatus,
    maxRetries: retry.maxRetries,
    maxRetriesKey: 'retry.max_retries',
  });

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (batch.signal === 'metrics') throw new PermanentError(`exporter ${ctx.id} exports logs and traces only`);
    const docs = batch.signal === 'logs' ? logDocuments(config, batch) : spanDocuments(config, batch);
    await sendDocs(batch, docs, signal);
  }

  return createExporter(ctx, {
    signals: ['logs', 'traces'],
    send,
    ...helperSettings(config),
    retry,
    async start() {
      await client.open();
    },
    async shutdown() {
      client.close();
    },
  });
}

export const elasticsearchExporter: ExporterFactory<ElasticsearchConfig> = {
  kind: 'exporter',
  type: 'elasticsearch',
  description: 'Sends logs and traces to Elasticsearch with the _bulk API (data-stream friendly create actions), retrying only the refused documents.',
  signals: ['logs', 'traces'],
  configSchema,
  validate,
  create: createElasticsearchExporter,
};
