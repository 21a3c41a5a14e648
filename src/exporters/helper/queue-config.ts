// `sending_queue` as the OpenTelemetry Collector configures it (exporterhelper
// QueueBatchConfig), with Ferry's defaults where Ferry deliberately differs.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema, parseDuration } from '../../config/units.js';
import type { SizerType } from './sizer.js';

/** `sending_queue.batch`: batching inside the queue (exporterhelper's queuebatch BatchConfig). */
export interface QueueBatchConfig {
  enabled: boolean;
  flush_timeout: string;
  min_size: number;
  max_size: number;
  sizer: SizerType;
  partition: { metadata_keys: string[] };
}

export const DEFAULT_QUEUE_BATCH: Readonly<QueueBatchConfig> = {
  enabled: true,
  flush_timeout: '200ms',
  min_size: 8192,
  max_size: 0,
  sizer: 'items',
  partition: { metadata_keys: [] },
};

/** `sending_queue` as written in the YAML, defaults applied. */
export interface SendingQueueConfig {
  enabled: boolean;
  num_consumers: number;
  queue_size: number;
  sizer: SizerType;
  block_on_overflow: boolean;
  wait_for_result: boolean;
  /** Id of a storage extension (`file_storage/<name>`): makes the queue persistent. */
  storage?: string;
  /** Batching inside the queue; absent or `enabled: false`: each request is sent as it came. */
  batch?: Partial<QueueBatchConfig> | null;
  /** Ferry: a memory queue's budget in MiB of queued data (OTLP wire size), whatever the sizer. */
  max_memory_mib: number;
}

export const DEFAULT_SENDING_QUEUE: Readonly<SendingQueueConfig> = {
  enabled: true,
  num_consumers: 10,
  queue_size: 1000,
  sizer: 'requests',
  // The Collector defaults to false (refuse at once); Ferry waits briefly for room first.
  block_on_overflow: true,
  wait_for_result: false,
  max_memory_mib: 128,
};

const queueBatchSchema: SchemaObject = {
  type: ['object', 'null'],
  description:
    'Batch inside the queue, as the Collector\'s exporterhelper does: queued requests are merged by resource and scope into batches of at least min_size (or whatever is there after flush_timeout), split at max_size. The sender is still answered once its request is queued, never after a batch window. With storage, each request stays durable in the log until the batch carrying it is delivered. `batch: {}` turns it on with the defaults.',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean', default: DEFAULT_QUEUE_BATCH.enabled, description: 'Batch inside the queue; false sends each queued request as it came.' },
    flush_timeout: durationSchema('Time after which a batch is sent regardless of its size.', DEFAULT_QUEUE_BATCH.flush_timeout),
    min_size: {
      type: 'integer',
      minimum: 0,
      default: DEFAULT_QUEUE_BATCH.min_size,
      description: 'Size (in the batch sizer\'s unit) at which a batch is sent without waiting for flush_timeout; 0 sends whatever is queued at once.',
    },
    max_size: { type: 'integer', minimum: 0, default: DEFAULT_QUEUE_BATCH.max_size, description: 'Largest batch (in the batch sizer\'s unit); larger ones are split. 0 means no limit.' },
    sizer: {
      type: 'string',
      enum: ['requests', 'items', 'bytes'],
      default: DEFAULT_QUEUE_BATCH.sizer,
      description: 'Unit of min_size and max_size: requests, items (log records, spans, data points) or bytes (OTLP protobuf size).',
    },
    partition: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Batch apart the requests whose client metadata differ.',
      properties: {
        metadata_keys: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: [],
          description: 'Client metadata keys (case-insensitive; receivers need include_metadata: true) whose values each get their own batches. Not kept across a restart of a persistent queue.',
        },
      },
    },
  },
};

export const sendingQueueSchema: SchemaObject = {
  type: 'object',
  description:
    'Queue batches before sending: consume() is answered once the batch is in the queue (in memory, or durably on disk with storage), and num_consumers workers send from it with retry. A full queue refuses the sender with a retryable status; nothing is dropped silently.',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', description: 'Queue batches; false sends each batch while its sender waits.', default: DEFAULT_SENDING_QUEUE.enabled },
    num_consumers: {
      type: 'integer',
      minimum: 1,
      description: 'Workers sending from the queue at the same time (requests in flight to the backend).',
      default: DEFAULT_SENDING_QUEUE.num_consumers,
    },
    queue_size: {
      type: 'integer',
      minimum: 1,
      description: 'Capacity of the queue, in the unit of sizer. Batches being sent count until they are delivered.',
      default: DEFAULT_SENDING_QUEUE.queue_size,
    },
    sizer: {
      type: 'string',
      enum: ['requests', 'items', 'bytes'],
      description: 'Unit of queue_size: requests (batches), items (log records, spans, data points) or bytes (OTLP protobuf size).',
      default: DEFAULT_SENDING_QUEUE.sizer,
    },
    block_on_overflow: {
      type: 'boolean',
      description:
        'When the queue is full: true waits up to 1s for room before refusing; false refuses at once. Either way the refusal is retryable (HTTP 429 + Retry-After / gRPC RESOURCE_EXHAUSTED + RetryInfo), never a silent drop. Ferry defaults to true (the Collector to false).',
      default: DEFAULT_SENDING_QUEUE.block_on_overflow,
    },
    wait_for_result: {
      type: 'boolean',
      description: 'Answer the sender only once the batch is delivered (or failed), instead of once it is queued. Not with storage.',
      default: DEFAULT_SENDING_QUEUE.wait_for_result,
    },
    batch: queueBatchSchema,
    max_memory_mib: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_SENDING_QUEUE.max_memory_mib,
      description:
        'Ferry: most MiB of data (OTLP wire size) a memory queue holds, whatever its sizer counts, so that large requests cannot exhaust memory; past it senders are refused with a retryable status. Not used with storage (the storage extension\'s disk budget applies).',
    },
    storage: {
      type: 'string',
      minLength: 1,
      description:
        'Id of a storage extension (e.g. file_storage/queue, listed in service.extensions): the queue becomes a write-ahead log on disk that survives a crash or restart; the sender is answered once the batch is in the log (fsync\'d when file_storage fsync is true).',
    },
  },
};

/** The checks the Collector makes beyond the schema; `path` is prefixed with `sending_queue.`. */
export function validateSendingQueue(config: Partial<SendingQueueConfig> | undefined): ConfigProblem[] {
  if (!config?.enabled) return [];
  const problems: ConfigProblem[] = [];
  if (config.storage !== undefined && config.wait_for_result) {
    problems.push({
      path: 'sending_queue.wait_for_result',
      message: 'wait_for_result is not supported with a persistent queue (storage)',
      fix: 'remove wait_for_result (the sender is answered once the batch is durably in the log), or remove storage',
    });
  }
  const batch = queueBatch(config.batch);
  if (batch && batch.max_size > 0 && batch.max_size < batch.min_size) {
    problems.push({
      path: 'sending_queue.batch.max_size',
      message: `max_size (${batch.max_size}) must be 0 or at least min_size (${batch.min_size})`,
      fix: `set max_size to 0 (no limit) or to at least ${batch.min_size}, or lower min_size`,
    });
  }
  if (batch && batch.max_size > 0 && batch.sizer === 'requests') {
    problems.push({ path: 'sending_queue.batch.max_size', message: 'a batch cannot be split by requests', fix: 'use sizer: items (or bytes) with max_size, or set max_size: 0' });
  }
  if (config.storage !== undefined && !/^[^/\s]+(\/[^\s]+)?$/.test(config.storage)) {
    problems.push({ path: 'sending_queue.storage', message: `"${config.storage}" is not a component id`, fix: 'write the storage extension id, e.g. file_storage/queue' });
  }
  return problems;
}

/** What createExporter needs to build a queue. */
export interface SendingQueueSettings {
  readonly numConsumers: number;
  readonly queueSize: number;
  readonly sizer: SizerType;
  readonly blockOnOverflow: boolean;
  readonly waitForResult: boolean;
  readonly storage: string | undefined;
  /** Batching inside the queue; undefined: each request is sent as it came. */
  readonly batch: QueueBatchSettings | undefined;
  /** A memory queue's budget in bytes of queued data (OTLP wire size, estimated). */
  readonly maxMemoryBytes: number;
}

export interface QueueBatchSettings {
  readonly flushTimeoutMs: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly sizer: SizerType;
  /** Lower-cased, sorted. */
  readonly metadataKeys: readonly string[];
}

/** `batch` with its defaults, or undefined when batching is off. */
function queueBatch(batch: Partial<QueueBatchConfig> | null | undefined): QueueBatchConfig | undefined {
  if (batch === undefined) return undefined;
  const c = { ...DEFAULT_QUEUE_BATCH, ...(batch ?? {}) };
  return c.enabled ? c : undefined;
}

/** Resolve a (possibly partial) `sending_queue`; undefined when the queue is disabled. */
export function sendingQueueSettings(config: Partial<SendingQueueConfig> = {}): SendingQueueSettings | undefined {
  const c = { ...DEFAULT_SENDING_QUEUE, ...config };
  if (!c.enabled) return undefined;
  return {
    numConsumers: c.num_consumers,
    queueSize: c.queue_size,
    sizer: c.sizer,
    blockOnOverflow: c.block_on_overflow,
    waitForResult: c.wait_for_result,
    storage: c.storage,
    batch: batchSettings(queueBatch(c.batch)),
    maxMemoryBytes: c.max_memory_mib * 1024 * 1024,
  };
}

function batchSettings(b: QueueBatchConfig | undefined): QueueBatchSettings | undefined {
  if (!b) return undefined;
  return {
    flushTimeoutMs: parseDuration(b.flush_timeout),
    minSize: b.min_size,
    maxSize: b.max_size,
    sizer: b.sizer,
    metadataKeys: [...new Set((b.partition?.metadata_keys ?? []).map((k) => k.toLowerCase()))].sort(),
  };
}
