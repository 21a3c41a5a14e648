// The batch processor's configuration: the OpenTelemetry Collector's keys and
// defaults (send_batch_size, timeout, send_batch_max_size, metadata_keys, …).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import type { RetrySettings } from '../../exporters/helper/retry.js';

export interface BatchConfig {
  /** Items (log records, spans, data points) that trigger a send; 0 sends at once. */
  send_batch_size: number;
  /** Go duration after which whatever is pending is sent; "0" sends at once. */
  timeout: string;
  /** Upper bound on items per sent batch; 0 means no bound. */
  send_batch_max_size: number;
  /** Request metadata keys whose values each get their own batcher. */
  metadata_keys: string[];
  /** Most distinct metadata value combinations; beyond it, data is refused. 0 means no limit. */
  metadata_cardinality_limit: number;
  /** Ferry: answer the sender only once its items were passed on (or refused) downstream. */
  wait_for_result: boolean;
  /** Ferry: most items held (waiting for a batch, or being sent or retried); past it senders are refused (retryable). */
  max_buffered_items: number;
}

export const DEFAULT_BATCH_CONFIG: Readonly<BatchConfig> = {
  send_batch_size: 8192,
  timeout: '200ms',
  send_batch_max_size: 0,
  metadata_keys: [],
  metadata_cardinality_limit: 1000,
  wait_for_result: false,
  max_buffered_items: 65536,
};

/**
 * How a flush that the next component refuses for now (a full queue, a memory limiter) is
 * retried: soon, then backing off to 5 s, until it is taken or the processor shuts down.
 */
export const FLUSH_RETRY: RetrySettings = {
  enabled: true,
  initialIntervalMs: 100,
  maxIntervalMs: 5000,
  maxElapsedTimeMs: 0,
  multiplier: 1.5,
  randomizationFactor: 0.5,
};

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Groups data into batches by size and time before sending it on. Answers the sender at once (bounded buffer; refusals downstream are retried) unless wait_for_result.',
  additionalProperties: false,
  properties: {
    send_batch_size: {
      type: 'integer',
      minimum: 0,
      default: DEFAULT_BATCH_CONFIG.send_batch_size,
      description:
        'Number of spans, metric data points or log records after which a batch is sent regardless of the timeout. A trigger only: it does not cap the batch size (see send_batch_max_size). 0 sends data immediately, subject only to send_batch_max_size.',
    },
    timeout: durationSchema(
      'Time after which a batch is sent regardless of size. 0 sends data immediately (send_batch_size is then ignored), subject only to send_batch_max_size.',
      DEFAULT_BATCH_CONFIG.timeout,
    ),
    send_batch_max_size: {
      type: 'integer',
      minimum: 0,
      default: DEFAULT_BATCH_CONFIG.send_batch_max_size,
      description:
        'Upper limit of items in a sent batch: larger batches are split. 0 means no limit. Must be 0 or greater than or equal to send_batch_size.',
    },
    metadata_keys: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description:
        'Client metadata keys (case-insensitive) that form distinct batchers: one batcher per distinct combination of their values. Receivers need include_metadata: true. Empty means a single batcher.',
    },
    metadata_cardinality_limit: {
      type: 'integer',
      minimum: 0,
      default: DEFAULT_BATCH_CONFIG.metadata_cardinality_limit,
      description:
        'Maximum number of distinct metadata value combinations over the lifetime of the processor; data with a new combination beyond it is refused with a permanent error. 0 means no limit.',
    },
    wait_for_result: {
      type: 'boolean',
      default: DEFAULT_BATCH_CONFIG.wait_for_result,
      description:
        'Ferry: answer the sender only once the batch holding its items was accepted downstream (or refused, and then with that error), so export errors reach the sender; every request then waits out the batch window. false (the default, like the Collector) answers at once: the items are held in a bounded buffer, and a batch refused downstream for now is retried, not dropped.',
    },
    max_buffered_items: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_BATCH_CONFIG.max_buffered_items,
      description:
        'Ferry: most items the processor holds at once (waiting for their batch, or being sent and retried). Past it a sender is refused with a retryable status (HTTP 429 / gRPC RESOURCE_EXHAUSTED with a retry delay) and the refusal is counted. Not used with wait_for_result.',
    },
  },
};

export function validate(config: BatchConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.send_batch_max_size > 0 && config.send_batch_max_size < config.send_batch_size) {
    problems.push({
      path: 'send_batch_max_size',
      message: `send_batch_max_size (${config.send_batch_max_size}) must be greater than or equal to send_batch_size (${config.send_batch_size})`,
      fix: `set send_batch_max_size to 0 (no limit) or to at least ${config.send_batch_size}, or lower send_batch_size to ${config.send_batch_max_size}`,
    });
  }
  const seen = new Set<string>();
  config.metadata_keys.forEach((key, i) => {
    const lower = key.toLowerCase();
    if (seen.has(lower)) {
      problems.push({
        path: `metadata_keys.${i}`,
        message: `duplicate entry in metadata_keys: "${lower}" (keys are case-insensitive)`,
        fix: `remove the second "${key}"`,
      });
    }
    seen.add(lower);
  });
  return problems;
}
