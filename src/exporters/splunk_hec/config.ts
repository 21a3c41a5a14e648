// Configuration of the `splunk_hec` exporter (logs, metrics), with the keys and defaults of
// the Collector contrib's splunkhecexporter (config.go, factory.go).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { headersSchema, urlProblem, type HeadersConfig } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

/** Which attribute carries each HEC metadata field. */
export interface HecMetadataKeys {
  source?: string;
  sourcetype?: string;
  index?: string;
  host?: string;
}

export interface SplunkHecConfig {
  endpoint?: string;
  token?: string;
  source: string;
  sourcetype: string;
  index: string;
  disable_compression: boolean;
  max_content_length_logs: number;
  max_content_length_metrics: number;
  max_event_size: number;
  splunk_app_name: string;
  splunk_app_version?: string;
  hec_metadata_to_otel_attrs?: HecMetadataKeys;
  otel_attrs_to_hec_metadata?: HecMetadataKeys;
  otel_to_hec_fields: { severity_text: string; severity_number: string };
  headers: HeadersConfig;
  timeout: string;
  tls: TlsClientConfig;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
  max_conns_per_host: number;
  max_idle_conns?: number;
  max_idle_conns_per_host?: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
}

/** The contrib's limits: 2 MiB per request by default, 5 MiB per event, at most 800 MiB for either. */
export const DEFAULT_MAX_CONTENT_LENGTH = 2 * 1024 * 1024;
export const DEFAULT_MAX_EVENT_SIZE = 5 * 1024 * 1024;
const MAX_LIMIT = 800 * 1024 * 1024;
/** The HEC path appended to an endpoint given without one. */
export const HEC_PATH = '/services/collector';

export const DEFAULT_METADATA_KEYS: Readonly<Required<HecMetadataKeys>> = {
  source: 'com.splunk.source',
  sourcetype: 'com.splunk.sourcetype',
  index: 'com.splunk.index',
  host: 'host.name',
};

const metadataKeysSchema = (description: string): SchemaObject => ({
  type: 'object',
  description,
  additionalProperties: false,
  properties: {
    source: { type: 'string', description: `Attribute whose value becomes the event's source (default ${DEFAULT_METADATA_KEYS.source}).` },
    sourcetype: { type: 'string', description: `Attribute whose value becomes the event's sourcetype (default ${DEFAULT_METADATA_KEYS.sourcetype}).` },
    index: { type: 'string', description: `Attribute whose value becomes the event's index (default ${DEFAULT_METADATA_KEYS.index}).` },
    host: { type: 'string', description: `Attribute whose value becomes the event's host (default ${DEFAULT_METADATA_KEYS.host}).` },
  },
});

const limitSchema = (description: string, defaultValue: number): SchemaObject => ({ type: 'integer', minimum: 0, maximum: MAX_LIMIT, description, default: defaultValue });

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs and metrics to a Splunk HTTP Event Collector (HEC) as JSON events, gzipped, within the configured content lengths.',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', description: 'HEC URL (required), e.g. https://splunk:8088/services/collector; /services/collector is added to a URL without a path.' },
    token: { type: 'string', writeOnly: true, description: 'HEC token (required), sent as "Authorization: Splunk <token>"; never logged.' },
    source: { type: 'string', description: 'Default source of events (an attribute named by otel_attrs_to_hec_metadata.source overrides it).', default: '' },
    sourcetype: { type: 'string', description: 'Default sourcetype of events.', default: '' },
    index: { type: 'string', description: 'Default index; empty uses the token\'s default index.', default: '' },
    disable_compression: { type: 'boolean', description: 'Send request bodies uncompressed instead of gzipped.', default: false },
    max_content_length_logs: limitSchema('Maximum uncompressed size of one logs request in bytes (0 = no limit); larger batches are split.', DEFAULT_MAX_CONTENT_LENGTH),
    max_content_length_metrics: limitSchema('Maximum uncompressed size of one metrics request in bytes (0 = no limit); larger batches are split.', DEFAULT_MAX_CONTENT_LENGTH),
    max_event_size: limitSchema('Maximum size of one event in bytes; larger events are dropped and counted as failed.', DEFAULT_MAX_EVENT_SIZE),
    splunk_app_name: { type: 'string', description: 'Sent in the __splunk_app_name header (and User-Agent) for Splunk\'s HEC usage telemetry.', default: 'Ferry' },
    splunk_app_version: { type: 'string', description: 'Sent in the __splunk_app_version header; default: Ferry\'s version.' },
    otel_attrs_to_hec_metadata: metadataKeysSchema('Attributes (resource, then log record) that set the HEC metadata fields source, sourcetype, index and host.'),
    hec_metadata_to_otel_attrs: metadataKeysSchema('Deprecated name of otel_attrs_to_hec_metadata, still read as the Collector does.'),
    otel_to_hec_fields: {
      type: 'object',
      description: 'Names of the HEC fields that carry a log record\'s severity.',
      additionalProperties: false,
      default: {},
      properties: {
        severity_text: { type: 'string', description: 'Field for the severity text.', default: 'otel.log.severity.text' },
        severity_number: { type: 'string', description: 'Field for the severity number.', default: 'otel.log.severity.number' },
      },
    },
    headers: headersSchema,
    timeout: timeoutSchema('10s'),
    tls: tlsClientSchema,
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
    max_conns_per_host: { type: 'integer', minimum: 0, description: 'Maximum connections to the HEC endpoint; 0 means no limit.', default: 0 },
    max_idle_conns: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector (default 100); Node keeps the idle connections it has.' },
    max_idle_conns_per_host: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector (default 100); Node keeps the idle connections it has.' },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '10s'),
    disable_keep_alives: { type: 'boolean', description: 'Open a new connection for every request.', default: false },
  },
};

/** The effective attribute keys: otel_attrs_to_hec_metadata, else the deprecated hec_metadata_to_otel_attrs, else the defaults. */
export function metadataKeys(config: Pick<SplunkHecConfig, 'otel_attrs_to_hec_metadata' | 'hec_metadata_to_otel_attrs'>): Required<HecMetadataKeys> {
  const pick = (k: keyof HecMetadataKeys): string => config.otel_attrs_to_hec_metadata?.[k] ?? config.hec_metadata_to_otel_attrs?.[k] ?? DEFAULT_METADATA_KEYS[k];
  return { source: pick('source'), sourcetype: pick('sourcetype'), index: pick('index'), host: pick('host') };
}

/** The URL events are posted to: the endpoint, with /services/collector when it has no path. */
export function hecUrl(endpoint: string): URL {
  const url = new URL(endpoint);
  if (url.pathname === '' || url.pathname === '/') url.pathname = HEC_PATH;
  return url;
}

export function validate(config: SplunkHecConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!config.endpoint) {
    problems.push({ path: 'endpoint', message: 'no HEC endpoint is set', fix: 'set endpoint to the HEC URL, e.g. endpoint: https://splunk:8088/services/collector' });
  } else {
    const p = urlProblem('endpoint', config.endpoint);
    if (p) problems.push(p);
  }
  if (!config.token?.trim()) {
    problems.push({
      path: 'token',
      message: config.token === undefined ? 'no HEC token is set' : 'the HEC token is empty',
      fix: 'set token to the HEC token Splunk generated, e.g. token: ${env:SPLUNK_HEC_TOKEN} (Settings > Data inputs > HTTP Event Collector)',
    });
  }
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
