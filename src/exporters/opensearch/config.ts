// Configuration of the `opensearch` exporter, with the Collector contrib opensearchexporter's keys
// and defaults: `http` (confighttp client: endpoint, headers, tls, compression), dataset and
// namespace (the ss4o index names), logs_index / traces_index with %{attribute} placeholders,
// their fallback and time format, bulk_action, mapping.mode, and the exporterhelper keys.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { compressionSchema, headersSchema, urlProblem, type HeadersConfig } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export type OpenSearchMappingMode = 'ss4o' | 'ecs' | 'flatten_attributes' | 'bodymap';

export interface OpenSearchHttpConfig {
  endpoint?: string;
  headers: HeadersConfig;
  compression: 'gzip' | 'none' | '';
  tls: TlsClientConfig;
  max_conns_per_host: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
  read_buffer_size?: number;
  write_buffer_size?: number;
  timeout?: string;
}

export interface OpenSearchConfig {
  http: OpenSearchHttpConfig;
  user?: string;
  password?: string;
  dataset: string;
  namespace: string;
  logs_index: string;
  logs_index_fallback: string;
  logs_index_time_format: string;
  traces_index: string;
  traces_index_fallback: string;
  traces_index_time_format: string;
  bulk_action: 'create' | 'index';
  mapping: { mode: OpenSearchMappingMode; timestamp_field?: string; unix_timestamp: boolean; dedot: boolean; dedup: boolean };
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
}

const TIME_FORMAT_TOKENS = /yyyy|yy|MM|dd|HH|mm|ss/g;

const timeFormatSchema = (signal: string): SchemaObject => ({
  type: 'string',
  default: '',
  description: `If set, "-" and the ${signal}'s UTC time in this format are appended to the index name (tokens yyyy, yy, MM, dd, HH, mm, ss; e.g. yyyy.MM.dd).`,
});

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs and traces to OpenSearch through the _bulk API, in the Simple Schema for Observability (ss4o) by default.',
  additionalProperties: false,
  properties: {
    http: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The HTTP client (the Collector\'s confighttp keys).',
      properties: {
        endpoint: { type: 'string', description: 'The OpenSearch URL, e.g. https://opensearch:9200 (or the OPENSEARCH_URL variable).' },
        headers: headersSchema,
        compression: { ...compressionSchema('none'), description: 'Compression of bulk bodies: gzip (Content-Encoding: gzip) or none.' },
        tls: tlsClientSchema,
        max_conns_per_host: { type: 'integer', minimum: 0, default: 0, description: 'Maximum connections to the node; 0 means no limit.' },
        idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
        disable_keep_alives: { type: 'boolean', default: false, description: 'Open a new connection for every request.' },
        read_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
        write_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
        timeout: durationSchema('Accepted for compatibility; the time limit of a request is the exporter\'s timeout.'),
      },
    },
    user: { type: 'string', description: 'User name for HTTP Basic auth (the Collector uses a basicauth extension; Ferry takes the credentials here).' },
    password: { type: 'string', description: 'Password for HTTP Basic auth; never logged.' },
    dataset: { type: 'string', minLength: 1, default: 'default', description: 'Names the default indices: ss4o_logs-<dataset>-<namespace>, ss4o_traces-<dataset>-<namespace>; also written to attributes.data_stream in the ss4o mode.' },
    namespace: { type: 'string', minLength: 1, default: 'namespace', description: 'Names the default indices (see dataset).' },
    logs_index: { type: 'string', default: '', description: 'Index, alias or data stream for log records; "" means ss4o_logs-<dataset>-<namespace>. %{key} is replaced by the attribute key of the record (record > scope > resource; scope.name and scope.version too).' },
    logs_index_fallback: { type: 'string', default: '', description: 'The value of a %{key} whose attribute is missing ("" means "unknown").' },
    logs_index_time_format: timeFormatSchema('log record'),
    traces_index: { type: 'string', default: '', description: 'Index, alias or data stream for spans; "" means ss4o_traces-<dataset>-<namespace>. %{key} placeholders as in logs_index.' },
    traces_index_fallback: { type: 'string', default: '', description: 'The value of a %{key} whose attribute is missing ("" means "unknown").' },
    traces_index_time_format: timeFormatSchema('span'),
    bulk_action: { type: 'string', enum: ['create', 'index'], default: 'create', description: 'The bulk action: create (data streams need it) or index.' },
    mapping: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How OTel data becomes OpenSearch documents.',
      properties: {
        mode: {
          type: 'string',
          enum: ['ss4o', 'ecs', 'flatten_attributes', 'bodymap'],
          default: 'ss4o',
          description: 'ss4o (Simple Schema for Observability), ecs (the log data model: Attributes.* with resource attributes, TraceId, SeverityText, Body …), flatten_attributes (ecs with attributes at the top level), bodymap (a log record\'s map body is the document). Spans are always written in ss4o.',
        },
        timestamp_field: { type: 'string', minLength: 1, description: 'ecs / flatten_attributes: the field of the timestamp (default @timestamp).' },
        unix_timestamp: { type: 'boolean', default: false, description: 'ecs / flatten_attributes: write the timestamp as epoch milliseconds.' },
        dedot: { type: 'boolean', default: true, description: 'ecs / flatten_attributes: split dotted keys into nested objects.' },
        dedup: { type: 'boolean', default: true, description: 'Accepted; keys are always deduplicated (the last value wins).' },
      },
    },
    timeout: timeoutSchema('90s'),
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
  },
};

/** The node's URL: http.endpoint, else $OPENSEARCH_URL. */
export function openSearchEndpoint(config: OpenSearchConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return config.http.endpoint || env.OPENSEARCH_URL || undefined;
}

export function timeFormatProblem(format: string): Omit<ConfigProblem, 'path'> | undefined {
  const rest = format.replace(TIME_FORMAT_TOKENS, '');
  if (/[^.\-_0-9]/.test(rest)) return { message: `"${format}" has characters other than the tokens yyyy, yy, MM, dd, HH, mm, ss and . - _`, fix: 'write e.g. yyyy.MM.dd' };
  return undefined;
}

export function formatTime(format: string, nanos: bigint): string {
  const d = new Date(Number(nanos / 1_000_000n));
  const pad = (n: number): string => String(n).padStart(2, '0');
  const yyyy = String(d.getUTCFullYear()).padStart(4, '0');
  const parts: Record<string, string> = { yyyy, yy: yyyy.slice(-2), MM: pad(d.getUTCMonth() + 1), dd: pad(d.getUTCDate()), HH: pad(d.getUTCHours()), mm: pad(d.getUTCMinutes()), ss: pad(d.getUTCSeconds()) };
  return format.replace(TIME_FORMAT_TOKENS, (t) => parts[t] ?? t);
}

export function validate(config: OpenSearchConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const endpoint = openSearchEndpoint(config);
  if (!endpoint) {
    problems.push({ path: 'http.endpoint', message: 'no OpenSearch endpoint is set', fix: 'set http: {endpoint: https://opensearch:9200} (or the OPENSEARCH_URL environment variable)' });
  } else {
    const p = urlProblem('http.endpoint', endpoint);
    if (p) problems.push(p);
  }
  if (config.password !== undefined && !config.user) problems.push({ path: 'password', message: 'password is set without user', fix: 'set user as well' });
  for (const key of ['logs_index_time_format', 'traces_index_time_format'] as const) {
    const p = timeFormatProblem(config[key]);
    if (p) problems.push({ path: key, ...p });
  }
  for (const key of ['logs_index', 'traces_index'] as const) {
    if (/[A-Z]/.test(config[key].replace(/%\{[^}]*\}/g, ''))) {
      problems.push({ path: key, message: `"${config[key]}" has upper-case letters, which OpenSearch refuses in index names`, fix: 'write the index name in lower case' });
    }
  }
  problems.push(...validateTlsClient(config.http.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
