// Configuration of the `azure_logs_ingestion` exporter: Azure Monitor's Logs ingestion API
// (data collection rules): the endpoint (a data collection endpoint, or the DCR's own logs
// ingestion endpoint), dcr_immutable_id, stream_name, and a Microsoft Entra application's client
// credentials for the bearer token.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { compressionSchema, urlProblem } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export interface AzureLogsIngestionConfig {
  endpoint: string;
  dcr_immutable_id: string;
  stream_name: string;
  api_version: string;
  auth: { tenant_id: string; client_id: string; client_secret: string; authority_host: string };
  compression: 'gzip' | 'none' | '';
  tls: TlsClientConfig;
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
  max_conns_per_host: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
}

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs to a Log Analytics table through Azure Monitor\'s Logs ingestion API (a data collection rule\'s stream), with a Microsoft Entra application\'s token.',
  additionalProperties: false,
  required: ['endpoint', 'dcr_immutable_id', 'stream_name', 'auth'],
  properties: {
    endpoint: { type: 'string', description: 'The logs ingestion endpoint: a data collection endpoint (https://<dce>.<region>.ingest.monitor.azure.com) or the DCR\'s own.' },
    dcr_immutable_id: { type: 'string', minLength: 1, description: 'The data collection rule\'s immutable id (dcr-…).' },
    stream_name: { type: 'string', minLength: 1, description: 'The DCR stream, e.g. Custom-FerryLogs_CL.' },
    api_version: { type: 'string', default: '2023-01-01', description: 'The api-version query parameter.' },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['tenant_id', 'client_id', 'client_secret'],
      description: 'A Microsoft Entra application (with the Monitoring Metrics Publisher role on the DCR): client credentials for a token of scope https://monitor.azure.com//.default. The secret is never logged.',
      properties: {
        tenant_id: { type: 'string', minLength: 1, description: 'The directory (tenant) id.' },
        client_id: { type: 'string', minLength: 1, description: 'The application (client) id.' },
        client_secret: { type: 'string', minLength: 1, description: 'A client secret of the application.' },
        authority_host: { type: 'string', default: 'https://login.microsoftonline.com', description: 'The Entra authority (sovereign clouds have their own).' },
      },
    },
    compression: { ...compressionSchema('gzip'), description: 'gzip request bodies (Content-Encoding: gzip), as the API accepts.' },
    tls: tlsClientSchema,
    timeout: timeoutSchema('30s'),
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
    max_conns_per_host: { type: 'integer', minimum: 0, default: 0, description: 'Maximum connections to the endpoint; 0 means no limit.' },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
    disable_keep_alives: { type: 'boolean', default: false, description: 'Open a new connection for every request.' },
  },
};

/** POST {endpoint}/dataCollectionRules/{dcrImmutableId}/streams/{stream}?api-version=… */
export function uploadUrl(config: AzureLogsIngestionConfig): URL {
  const url = new URL(config.endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/dataCollectionRules/${encodeURIComponent(config.dcr_immutable_id)}/streams/${encodeURIComponent(config.stream_name)}`;
  url.searchParams.set('api-version', config.api_version);
  return url;
}

export function validate(config: AzureLogsIngestionConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const p = urlProblem('endpoint', config.endpoint);
  if (p) problems.push(p);
  const a = urlProblem('auth.authority_host', config.auth.authority_host);
  if (a) problems.push(a);
  if (!/^Custom-/.test(config.stream_name) && !/^Microsoft-/.test(config.stream_name)) {
    problems.push({ path: 'stream_name', message: `"${config.stream_name}" is not a DCR stream name`, fix: 'write the stream as the DCR declares it, e.g. Custom-FerryLogs_CL' });
  }
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
