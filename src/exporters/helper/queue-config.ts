// `sending_queue` as the OpenTelemetry Collector configures it (exporterhelper
// QueueBatchConfig), with Ferry's defaults where Ferry deliberately differs.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { SizerType } from './sizer.js';

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
}

export const DEFAULT_SENDING_QUEUE: Readonly<SendingQueueConfig> = {
  enabled: true,
  num_consumers: 10,
  queue_size: 1000,
  sizer: 'requests',
  // The Collector defaults to false (refuse at once); Ferry waits briefly for room first.
  block_on_overflow: true,
  wait_for_result: false,
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
  };
}
