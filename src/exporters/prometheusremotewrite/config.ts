// Configuration of the `prometheusremotewrite` exporter, with the OpenTelemetry Collector's
// keys and defaults (prometheusremotewriteexporter + confighttp client + configretry).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { durationSchema } from '../../config/units.js';
import { headersSchema, urlProblem, type HeadersConfig } from '../helper/client-config.js';
import { DEFAULT_SENDING_QUEUE, sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';
import { namingProperties, resourceToTelemetrySchema, type ResourceToTelemetryConfig, type TranslationStrategy } from '../../prometheus/config.js';

export interface RemoteWriteQueueConfig {
  enabled?: boolean;
  queue_size?: number;
  num_consumers?: number;
  include_metadata_keys?: string[];
}

export interface PrometheusRemoteWriteConfig {
  endpoint?: string;
  headers: HeadersConfig;
  external_labels: Record<string, string>;
  namespace: string;
  add_metric_suffixes: boolean;
  translation_strategy?: TranslationStrategy;
  resource_to_telemetry_conversion: ResourceToTelemetryConfig;
  target_info: { enabled: boolean };
  disable_scope_info: boolean;
  max_batch_size_bytes: number;
  max_batch_request_parallelism?: number;
  timeout: string;
  tls: TlsClientConfig;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue?: Partial<SendingQueueConfig>;
  remote_write_queue?: RemoteWriteQueueConfig;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
  protobuf_message?: 'prometheus.WriteRequest' | 'io.prometheus.write.v2.Request';
  wal?: { directory?: string; buffer_size?: number; truncate_frequency?: string; lag_record_frequency?: number };
}

/** The Collector's defaults for this exporter (factory.go). */
export const DEFAULT_MAX_BATCH_SIZE_BYTES = 3_000_000;
export const DEFAULT_REMOTE_WRITE_QUEUE = { enabled: true, queue_size: 10_000, num_consumers: 5 } as const;
const DEFAULT_RETRY = { initial_interval: '50ms', max_interval: '200ms', max_elapsed_time: '1m' } as const;

/** retry_on_failure with this exporter's faster defaults (the Collector's: 50ms, 200ms, 1m). */
const retrySchema: SchemaObject = {
  ...retryOnFailureSchema,
  properties: {
    ...(retryOnFailureSchema.properties as Record<string, SchemaObject>),
    initial_interval: { ...(retryOnFailureSchema.properties as Record<string, SchemaObject>).initial_interval, default: DEFAULT_RETRY.initial_interval },
    max_interval: { ...(retryOnFailureSchema.properties as Record<string, SchemaObject>).max_interval, default: DEFAULT_RETRY.max_interval },
    max_elapsed_time: { ...(retryOnFailureSchema.properties as Record<string, SchemaObject>).max_elapsed_time, default: DEFAULT_RETRY.max_elapsed_time },
  },
};

/**
 * sending_queue with one consumer by default, and no default object (so that remote_write_queue
 * can fill it): two batches in flight at once could carry one series' samples out of order,
 * which Prometheus refuses for good ("out of order sample"). The Collector forces one consumer.
 */
const { default: _noDefault, ...sendingQueueWithoutDefault } = sendingQueueSchema;
const queueSchema: SchemaObject = {
  ...sendingQueueWithoutDefault,
  properties: {
    ...(sendingQueueSchema.properties as Record<string, SchemaObject>),
    num_consumers: {
      ...(sendingQueueSchema.properties as Record<string, SchemaObject>).num_consumers,
      default: 1,
      description: 'Batches sent at the same time. Keep 1 (the Collector forces it): batches sent in parallel can carry a series\' samples out of order, which Prometheus refuses for good.',
    },
  },
};

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends metrics to a Prometheus remote-write 1.0 endpoint (Prometheus, Mimir, Cortex, Thanos, VictoriaMetrics…).',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', description: 'The remote write URL, e.g. http://prometheus:9090/api/v1/write or https://mimir/api/v1/push.' },
    headers: {
      ...headersSchema,
      description: `${headersSchema.description as string} Content-Encoding, Content-Type, X-Prometheus-Remote-Write-Version and User-Agent cannot be changed.`,
    },
    external_labels: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: {},
      description: 'Labels added to every series (names sanitized as attribute keys are); a label of the data with the same name wins.',
    },
    ...namingProperties,
    resource_to_telemetry_conversion: resourceToTelemetrySchema,
    target_info: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The target_info series: one per resource, labelled with its attributes (besides job and instance), value 1.',
      properties: { enabled: { type: 'boolean', default: true, description: 'Write target_info.' } },
    },
    disable_scope_info: {
      type: 'boolean',
      default: false,
      description: 'Leave out the otel_scope_name, otel_scope_version, otel_scope_schema_url and otel_scope_<attribute> labels.',
    },
    max_batch_size_bytes: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_MAX_BATCH_SIZE_BYTES,
      description: 'Largest WriteRequest, in bytes of protobuf before snappy; a batch above it is split into several requests (a single larger series goes alone).',
    },
    max_batch_request_parallelism: {
      type: 'integer',
      minimum: 1,
      description: 'Requests of one split batch sent at the same time; default: remote_write_queue.num_consumers (5). Series never span requests, so this keeps each series in order.',
    },
    timeout: timeoutSchema('5s'),
    tls: tlsClientSchema,
    retry_on_failure: retrySchema,
    sending_queue: queueSchema,
    remote_write_queue: {
      type: 'object',
      additionalProperties: false,
      description:
        'The Collector\'s queue settings for this exporter, mapped onto Ferry\'s sending queue: enabled → sending_queue.enabled, queue_size → sending_queue.queue_size (batches), num_consumers → requests of one batch in flight. Use it or sending_queue, not both.',
      properties: {
        enabled: { type: 'boolean', description: 'Queue batches (default true).' },
        queue_size: { type: 'integer', minimum: 1, description: 'Batches the queue holds (default 10000).' },
        num_consumers: { type: 'integer', minimum: 1, description: 'Requests of one batch sent at the same time (default 5).' },
        include_metadata_keys: {
          type: 'array',
          items: { type: 'string' },
          description: 'Accepted for Collector configurations: Ferry does not split the queue by request metadata, so it has no effect (ferry validate warns).',
        },
      },
    },
    protobuf_message: {
      type: 'string',
      enum: ['prometheus.WriteRequest', 'io.prometheus.write.v2.Request'],
      default: 'prometheus.WriteRequest',
      description: 'The remote-write message: prometheus.WriteRequest (Remote-Write 1.0). io.prometheus.write.v2.Request (2.0) is accepted but Ferry sends 1.0, which every 2.0 receiver also takes (ferry validate warns).',
    },
    wal: {
      type: 'object',
      additionalProperties: false,
      description:
        "The Collector's write-ahead log. Ferry has none: it is accepted and has no effect (ferry validate warns); for durability give sending_queue a storage (file_storage extension).",
      properties: {
        directory: { type: 'string', description: 'Has no effect in Ferry.' },
        buffer_size: { type: 'integer', minimum: 0, description: 'Has no effect in Ferry.' },
        truncate_frequency: durationSchema('Has no effect in Ferry.'),
        lag_record_frequency: { type: 'integer', minimum: 0, description: 'Has no effect in Ferry.' },
      },
    },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
    disable_keep_alives: { type: 'boolean', description: 'Open a new connection for every request.', default: false },
  },
};

/** The sending queue this exporter runs: sending_queue, or remote_write_queue mapped onto it, or the defaults. */
export function resolvedSendingQueue(config: PrometheusRemoteWriteConfig): SendingQueueConfig {
  const base: SendingQueueConfig = { ...DEFAULT_SENDING_QUEUE, num_consumers: 1, queue_size: DEFAULT_REMOTE_WRITE_QUEUE.queue_size };
  const rwq = config.remote_write_queue;
  if (rwq) return { ...base, enabled: rwq.enabled ?? base.enabled, queue_size: rwq.queue_size ?? base.queue_size };
  return { ...base, ...config.sending_queue } as SendingQueueConfig;
}

/** Requests of one batch in flight. */
export function requestParallelism(config: PrometheusRemoteWriteConfig): number {
  return config.max_batch_request_parallelism ?? config.remote_write_queue?.num_consumers ?? DEFAULT_REMOTE_WRITE_QUEUE.num_consumers;
}

export function validate(config: PrometheusRemoteWriteConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const warn = (path: string, message: string, fix: string): void => void problems.push({ path, message, fix, severity: 'warning' });
  if (config.protobuf_message === 'io.prometheus.write.v2.Request') {
    warn('protobuf_message', 'Ferry sends Remote-Write 1.0 (prometheus.WriteRequest), not 2.0; receivers of 2.0 also take 1.0', 'write protobuf_message: prometheus.WriteRequest to silence this warning');
  }
  if (config.wal !== undefined) {
    warn('wal', 'Ferry has no remote-write WAL, so wal has no effect', 'remove wal; for durability set sending_queue.storage to a file_storage extension');
  }
  if (config.remote_write_queue?.include_metadata_keys !== undefined && config.remote_write_queue.include_metadata_keys.length > 0) {
    warn('remote_write_queue.include_metadata_keys', 'Ferry does not split the queue by request metadata, so include_metadata_keys has no effect', 'remove it to silence this warning');
  }
  if (!config.endpoint) {
    problems.push({
      path: 'endpoint',
      message: 'no endpoint is set',
      fix: 'set endpoint to the remote write URL, e.g. endpoint: http://prometheus:9090/api/v1/write (Prometheus needs --web.enable-remote-write-receiver)',
    });
  } else {
    const p = urlProblem('endpoint', config.endpoint);
    if (p) problems.push(p);
  }
  for (const [key, value] of Object.entries(config.external_labels ?? {})) {
    if (key === '' || value === '') {
      problems.push({ path: `external_labels.${key}`, message: 'an external label needs a name and a value', fix: 'give the label a non-empty name and value, or remove it' });
    }
  }
  if (config.remote_write_queue && config.sending_queue) {
    problems.push({
      path: 'remote_write_queue',
      message: 'remote_write_queue and sending_queue are both set',
      fix: 'keep one of them: remote_write_queue (the Collector\'s keys) or sending_queue (Ferry\'s, with storage for a persistent queue)',
    });
  }
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(resolvedSendingQueue(config)));
  return problems;
}
