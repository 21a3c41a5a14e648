// Configuration of the `elasticsearch` exporter, with the Collector contrib
// elasticsearchexporter's keys and defaults (endpoints, indices, logstash_format, pipeline,
// user/password/api_key, mapping, flush, retry) and the HTTP client settings.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema, parseDuration } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { compressionSchema, headersSchema, urlProblem, type HeadersConfig } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { timeoutSchema, type RetrySettings } from '../helper/retry.js';
import { datePatternProblem, strftimeProblem } from './index-name.js';

export type MappingMode = 'otel' | 'none' | 'raw';

export interface ElasticsearchRetryConfig {
  enabled: boolean;
  /** Deprecated in the contrib: attempts in all (max_retries + 1). */
  max_requests?: number;
  max_retries?: number;
  initial_interval: string;
  max_interval: string;
  retry_on_status: number[];
}

export interface ElasticsearchConfig {
  endpoint?: string;
  endpoints?: string[];
  cloudid?: string;
  logs_index: string;
  traces_index: string;
  logs_dynamic_index: { enabled: boolean };
  traces_dynamic_index: { enabled: boolean };
  logstash_format: { enabled: boolean; prefix_separator: string; date_format: string };
  pipeline?: string;
  user?: string;
  password?: string;
  api_key?: string;
  headers: HeadersConfig;
  compression: 'gzip' | 'none' | '';
  timeout: string;
  tls: TlsClientConfig;
  sending_queue: SendingQueueConfig;
  mapping: { mode: MappingMode | 'no'; dedot: boolean; dedup?: boolean };
  flush: { bytes: number; interval: string };
  retry: ElasticsearchRetryConfig;
  num_workers?: number;
  discover?: { on_start?: boolean; interval?: string };
  max_conns_per_host: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
  read_buffer_size?: number;
  write_buffer_size?: number;
}

export const DEFAULT_LOGS_INDEX = 'logs-generic-default';
export const DEFAULT_TRACES_INDEX = 'traces-generic-default';
/** The contrib's default: retry only 429, so that a document is never indexed twice. */
export const DEFAULT_RETRY_ON_STATUS = [429];
/** The contrib's default max_retries (its deprecated max_requests: 3 attempts). */
export const DEFAULT_MAX_RETRIES = 2;

const indexSchema = (description: string, defaultValue: string): SchemaObject => ({ type: 'string', minLength: 1, description, default: defaultValue });

const dynamicIndexSchema = (signal: string, item: string): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  description: `Route each ${item} by its attributes: data_stream.dataset / data_stream.namespace (${item} > scope > resource) give ${signal}-<dataset>-<namespace>; else elasticsearch.index.prefix / elasticsearch.index.suffix (resource > scope > ${item}) wrap ${signal}_index.`,
  properties: { enabled: { type: 'boolean', default: false, description: 'Enable dynamic index routing.' } },
});

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs and traces to Elasticsearch through the _bulk API (create actions, so data streams work), with per-document retry.',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', description: 'The Elasticsearch URL, e.g. https://elasticsearch:9200. Exactly one of endpoint, endpoints and cloudid (or the ELASTICSEARCH_URL variable).' },
    endpoints: {
      type: 'array',
      minItems: 1,
      items: { type: 'string' },
      description: 'Elasticsearch URLs, used in round-robin order; a node that fails (network error, 502/503/504) is skipped for the next one within the same attempt.',
    },
    cloudid: { type: 'string', description: 'An Elastic Cloud ID (name:base64), turned into the cluster\'s https URL.' },
    logs_index: indexSchema('Index or data stream for log records. May hold a date pattern %{+yyyy.MM.dd} (tokens yyyy, yy, MM, dd, HH: UTC time of the record).', DEFAULT_LOGS_INDEX),
    traces_index: indexSchema('Index or data stream for spans. May hold a date pattern %{+yyyy.MM.dd} (tokens yyyy, yy, MM, dd, HH: UTC start time of the span).', DEFAULT_TRACES_INDEX),
    logs_dynamic_index: dynamicIndexSchema('logs', 'log record'),
    traces_dynamic_index: dynamicIndexSchema('traces', 'span'),
    logstash_format: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Logstash-style index names: the index (static or dynamic) + prefix_separator + the record\'s UTC date.',
      properties: {
        enabled: { type: 'boolean', default: false, description: 'Append the date to every index name.' },
        prefix_separator: { type: 'string', default: '-', description: 'Between the index name and the date.' },
        date_format: { type: 'string', default: '%Y.%m.%d', description: 'strftime format of the date: %Y, %y, %m, %d, %H and %% are supported.' },
      },
    },
    pipeline: { type: 'string', minLength: 1, description: 'Ingest pipeline every document goes through (the _bulk ?pipeline= parameter).' },
    user: { type: 'string', description: 'User name for HTTP Basic auth.' },
    password: { type: 'string', writeOnly: true, description: 'Password for HTTP Basic auth; never logged.' },
    api_key: { type: 'string', writeOnly: true, description: 'API key in its encoded (base64) form, sent as Authorization: ApiKey <api_key>; takes precedence over user/password; never logged.' },
    headers: headersSchema,
    compression: { ...compressionSchema('none'), description: 'Compression of bulk bodies: gzip (Content-Encoding: gzip) or none.' },
    timeout: timeoutSchema('90s'),
    tls: tlsClientSchema,
    sending_queue: sendingQueueSchema,
    mapping: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How OTel data becomes Elasticsearch documents.',
      properties: {
        mode: {
          type: 'string',
          enum: ['otel', 'none', 'no', 'raw'],
          default: 'otel',
          description: 'otel (Elastic\'s OTel-native layout: attributes, resource.attributes, scope, body.text / body.structured), none (the contrib\'s original layout: Attributes.*, Resource.*, Body, TraceId…), raw (none without the Attributes. / Events. prefixes). ecs and bodymap are not supported.',
        },
        dedot: { type: 'boolean', default: true, description: 'none/raw modes: split dotted keys into nested objects (the otel mode keeps attribute keys dotted, as its mappings expect).' },
        dedup: { type: 'boolean', description: 'Deprecated in the contrib and a no-op: keys are always deduplicated (the last value wins).' },
      },
    },
    flush: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Accepted for compatibility: Ferry sends one bulk request per batch (size batches with the batch processor); a request the server finds too large (413) is split.',
      properties: {
        bytes: { type: 'integer', minimum: 0, default: 5_000_000, description: 'Accepted, not used (see flush).' },
        interval: durationSchema('Accepted, not used (see flush).', '30s'),
      },
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The contrib\'s retry block, for whole requests and single documents alike; it drives Ferry\'s exporter helper (exponential backoff with jitter, Retry-After honoured).',
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Retry failed requests and documents.' },
        max_requests: { type: 'integer', minimum: 1, description: 'Deprecated: attempts in all (max_retries + 1). Do not set with max_retries.' },
        max_retries: {
          type: 'integer',
          minimum: 0,
          description: `Retries of documents Elasticsearch refused with a retry_on_status status (default ${DEFAULT_MAX_RETRIES}); then they are dropped and counted. An unreachable node (network error, 502/503/504) is retried for up to 5 minutes instead.`,
        },
        initial_interval: durationSchema('Wait before the first retry.', '100ms'),
        max_interval: durationSchema('Upper bound on the wait between attempts.', '1m'),
        retry_on_status: {
          type: 'array',
          items: { type: 'integer', minimum: 100, maximum: 599 },
          default: DEFAULT_RETRY_ON_STATUS,
          description: 'Statuses of bulk items (and of whole requests) that are retried; other failed items are dropped and counted. Whole requests are also retried on 502/503/504 and network errors, as nothing was indexed.',
        },
      },
    },
    num_workers: { type: 'integer', minimum: 0, description: 'Accepted for compatibility; concurrency is sending_queue.num_consumers.' },
    discover: {
      type: 'object',
      additionalProperties: false,
      description: 'Accepted for compatibility; node discovery (sniffing) is not done: Ferry sends to the configured endpoints only.',
      properties: {
        on_start: { type: 'boolean', description: 'Accepted, not used.' },
        interval: durationSchema('Accepted, not used.'),
      },
    },
    max_conns_per_host: { type: 'integer', minimum: 0, description: 'Maximum connections per node; 0 means no limit.', default: 0 },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
    disable_keep_alives: { type: 'boolean', description: 'Open a new connection for every request.', default: false },
    read_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
    write_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
  },
};

/** An Elastic Cloud ID (`name:base64(host[:port]$es_uuid$kibana_uuid)`) as the cluster's URL, as go-elasticsearch reads it. */
export function cloudIdUrl(cloudId: string): string | undefined {
  const colon = cloudId.indexOf(':');
  if (colon < 0) return undefined;
  const decoded = Buffer.from(cloudId.slice(colon + 1), 'base64').toString('utf8');
  const [host, esUuid] = decoded.split('$');
  if (!host || !esUuid) return undefined;
  const portAt = host.lastIndexOf(':');
  const hostName = portAt >= 0 ? host.slice(0, portAt) : host;
  const port = portAt >= 0 ? host.slice(portAt) : '';
  return `https://${esUuid}.${hostName}${port}`;
}

/** The configured nodes: endpoint, endpoints, cloudid, or $ELASTICSEARCH_URL (comma-separated), in that order of preference. */
export function endpointList(config: Pick<ElasticsearchConfig, 'endpoint' | 'endpoints' | 'cloudid'>, env: NodeJS.ProcessEnv = process.env): string[] {
  if (config.endpoint) return [config.endpoint];
  if (config.endpoints && config.endpoints.length > 0) return config.endpoints;
  if (config.cloudid) {
    const url = cloudIdUrl(config.cloudid);
    return url ? [url] : [];
  }
  const fromEnv = env.ELASTICSEARCH_URL;
  if (fromEnv) return fromEnv.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return [];
}

/**
 * retry, resolved for the exporter helper. max_retries bounds the retries of what Elasticsearch
 * refused (the exporter counts them); an unreachable node is retried for up to 5 minutes, the
 * Collector's retry_on_failure default, as nothing was indexed and waiting costs no duplicate.
 */
export function esRetrySettings(retry: ElasticsearchRetryConfig): RetrySettings & { readonly maxRetries: number; readonly retryOnStatus: ReadonlySet<number> } {
  const maxRetries = retry.max_retries ?? (retry.max_requests !== undefined ? Math.max(0, retry.max_requests - 1) : DEFAULT_MAX_RETRIES);
  return {
    enabled: retry.enabled,
    initialIntervalMs: parseDuration(retry.initial_interval),
    maxIntervalMs: parseDuration(retry.max_interval),
    maxElapsedTimeMs: 300_000,
    multiplier: 2,
    randomizationFactor: 0.5,
    maxRetries,
    retryOnStatus: new Set(retry.retry_on_status),
  };
}

export function validate(config: ElasticsearchConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const set = (['endpoint', 'endpoints', 'cloudid'] as const).filter((k) => (k === 'endpoints' ? (config.endpoints?.length ?? 0) > 0 : Boolean(config[k])));
  if (set.length > 1) {
    problems.push({ path: set[1] ?? 'endpoint', message: `only one of endpoint, endpoints and cloudid may be set (found ${set.join(', ')})`, fix: 'keep one: endpoints: [https://es1:9200, https://es2:9200] for several nodes' });
  } else if (set.length === 0 && !process.env.ELASTICSEARCH_URL) {
    problems.push({
      path: 'endpoints',
      message: 'no Elasticsearch endpoint is set',
      fix: 'set endpoints: [https://elasticsearch:9200] (or endpoint, or cloudid, or the ELASTICSEARCH_URL environment variable)',
    });
  }
  if (config.cloudid && !cloudIdUrl(config.cloudid)) {
    problems.push({ path: 'cloudid', message: 'is not an Elastic Cloud ID', fix: 'copy the Cloud ID from the deployment page: name:base64…' });
  }
  if (config.endpoint) {
    const p = urlProblem('endpoint', config.endpoint);
    if (p) problems.push(p);
  }
  (config.endpoints ?? []).forEach((e, i) => {
    const p = urlProblem(`endpoints[${i}]`, e);
    if (p) problems.push(p);
  });
  if (config.password !== undefined && !config.user) {
    problems.push({ path: 'password', message: 'password is set without user', fix: 'set user as well, or use api_key' });
  }
  for (const key of ['logs_index', 'traces_index'] as const) {
    const p = datePatternProblem(config[key]);
    if (p) problems.push({ path: key, ...p });
    else if (/[A-Z]/.test(config[key].replace(/%\{[^}]*\}/g, ''))) {
      problems.push({ path: key, message: `"${config[key]}" has upper-case letters, which Elasticsearch refuses in index names`, fix: `write it in lower case: ${config[key].replace(/%\{[^}]*\}|[^%]+|%/g, (m) => (m.startsWith('%{') ? m : m.toLowerCase()))}` });
    }
  }
  if (config.logstash_format.enabled) {
    const p = strftimeProblem(config.logstash_format.date_format);
    if (p) problems.push({ path: 'logstash_format.date_format', ...p });
  }
  if (config.retry.max_requests !== undefined && config.retry.max_retries !== undefined) {
    problems.push({ path: 'retry.max_requests', message: 'must not be set with retry.max_retries', fix: 'keep max_retries (max_requests is deprecated: it counts the first attempt too)' });
  }
  problems.push(...validateTlsClient(config.tls), ...validateSendingQueue(config.sending_queue));
  return problems;
}
