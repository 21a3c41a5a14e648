// retry_on_failure and timeout as the OpenTelemetry Collector configures them
// (configretry, exporterhelper), and the exponential backoff with jitter they drive.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema, parseDuration } from '../../config/units.js';

/** `retry_on_failure` as written in the YAML (durations as Go strings), defaults applied. */
export interface RetryOnFailureConfig {
  enabled: boolean;
  initial_interval: string;
  max_interval: string;
  max_elapsed_time: string;
  multiplier: number;
  randomization_factor: number;
}

/** `retry_on_failure` resolved to milliseconds, as the exporter helper uses it. */
export interface RetrySettings {
  readonly enabled: boolean;
  readonly initialIntervalMs: number;
  readonly maxIntervalMs: number;
  /** 0 means retry forever. */
  readonly maxElapsedTimeMs: number;
  readonly multiplier: number;
  readonly randomizationFactor: number;
}

/** The Collector's configretry defaults. */
export const DEFAULT_RETRY_ON_FAILURE: Readonly<RetryOnFailureConfig> = {
  enabled: true,
  initial_interval: '5s',
  max_interval: '30s',
  max_elapsed_time: '300s',
  multiplier: 1.5,
  randomization_factor: 0.5,
};

/** Schema of `retry_on_failure`, shared by every exporter that retries. */
export const retryOnFailureSchema: SchemaObject = {
  type: 'object',
  description: 'Retry failed exports with exponential backoff and jitter; a Retry-After or RetryInfo from the server lengthens the wait.',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', description: 'Retry failed exports; when false a failure goes straight back to the sender.', default: true },
    initial_interval: durationSchema('Time to wait after the first failure before retrying.', DEFAULT_RETRY_ON_FAILURE.initial_interval),
    max_interval: durationSchema('Upper bound on the wait between two attempts.', DEFAULT_RETRY_ON_FAILURE.max_interval),
    max_elapsed_time: durationSchema(
      'Maximum time spent trying to send one batch, retries included; 0 retries forever.',
      DEFAULT_RETRY_ON_FAILURE.max_elapsed_time,
    ),
    multiplier: { type: 'number', minimum: 0, description: 'Factor by which the wait grows after each failed attempt.', default: 1.5 },
    randomization_factor: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'Jitter: each wait is drawn from interval × (1 ± randomization_factor).',
      default: 0.5,
    },
  },
};

/** Schema of `timeout`: the time limit of one attempt (0 = none). */
export function timeoutSchema(defaultValue: string): SchemaObject {
  return durationSchema('Time limit of one attempt to send a batch (each retry gets its own); 0 means no limit.', defaultValue);
}

/** Resolve a (possibly partial) `retry_on_failure` config to milliseconds, filling the Collector's defaults. */
export function retrySettings(config: Partial<RetryOnFailureConfig> = {}): RetrySettings {
  const c = { ...DEFAULT_RETRY_ON_FAILURE, ...config };
  return {
    enabled: c.enabled,
    initialIntervalMs: parseDuration(c.initial_interval),
    maxIntervalMs: parseDuration(c.max_interval),
    maxElapsedTimeMs: parseDuration(c.max_elapsed_time),
    multiplier: c.multiplier,
    randomizationFactor: c.randomization_factor,
  };
}

/** The checks configretry makes beyond the schema; `path` is prefixed with `retry_on_failure.`. */
export function validateRetryOnFailure(config: Partial<RetryOnFailureConfig> | undefined): ConfigProblem[] {
  const s = retrySettings(config);
  if (!s.enabled || s.maxElapsedTimeMs === 0) return [];
  const problems: ConfigProblem[] = [];
  if (s.maxElapsedTimeMs < s.initialIntervalMs) {
    problems.push({
      path: 'retry_on_failure.max_elapsed_time',
      message: 'must not be less than initial_interval',
      fix: 'raise max_elapsed_time, lower initial_interval, or set max_elapsed_time: 0 to retry forever',
    });
  }
  if (s.maxElapsedTimeMs < s.maxIntervalMs) {
    problems.push({
      path: 'retry_on_failure.max_elapsed_time',
      message: 'must not be less than max_interval',
      fix: 'raise max_elapsed_time, lower max_interval, or set max_elapsed_time: 0 to retry forever',
    });
  }
  return problems;
}

/**
 * Exponential backoff with jitter, as cenkalti/backoff computes it for the Collector:
 * each call returns interval × (1 ± randomization_factor), then the interval grows by
 * `multiplier` up to `max_interval`.
 */
export class Backoff {
  private intervalMs: number;

  constructor(
    private readonly settings: RetrySettings,
    private readonly random: () => number = Math.random,
  ) {
    this.intervalMs = settings.initialIntervalMs;
  }

  next(): number {
    const { randomizationFactor: rf, multiplier, maxIntervalMs } = this.settings;
    const delta = rf * this.intervalMs;
    const low = this.intervalMs - delta;
    const delay = low + this.random() * (2 * delta);
    this.intervalMs = this.intervalMs >= maxIntervalMs / multiplier ? maxIntervalMs : this.intervalMs * multiplier;
    return Math.max(0, Math.round(delay));
  }
}
