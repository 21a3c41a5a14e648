// The debug exporter's configuration: the OpenTelemetry Collector's keys and defaults
// (verbosity, sampling_initial, sampling_thereafter, use_internal_logger).
import type { SchemaObject } from 'ajv';

export type Verbosity = 'basic' | 'normal' | 'detailed';

export interface DebugConfig {
  verbosity: Verbosity;
  /** Batches printed per second per signal before sampling starts. */
  sampling_initial: number;
  /** After the initial ones, every Nth batch in the same second is printed. */
  sampling_thereafter: number;
  /** Lines carry the collector log's timestamp, level and component fields. */
  use_internal_logger: boolean;
  /** The `logging` exporter's older key: debug → detailed, info → normal, warn/error → basic. Overrides verbosity. */
  loglevel?: 'debug' | 'info' | 'warn' | 'error';
  /** With use_internal_logger false: where to write, "stdout", "stderr" or file paths. */
  output_paths?: string[];
}

/** The verbosity the retired `logging` exporter's loglevel meant. */
export const VERBOSITY_OF_LOGLEVEL: Readonly<Record<NonNullable<DebugConfig['loglevel']>, Verbosity>> = {
  debug: 'detailed',
  info: 'normal',
  warn: 'basic',
  error: 'basic',
};

export const DEFAULT_DEBUG_CONFIG: Readonly<DebugConfig> = {
  verbosity: 'basic',
  sampling_initial: 2,
  sampling_thereafter: 1,
  use_internal_logger: true,
};

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Prints received telemetry to stdout, for debugging.',
  additionalProperties: false,
  properties: {
    verbosity: {
      type: 'string',
      enum: ['basic', 'normal', 'detailed'],
      default: DEFAULT_DEBUG_CONFIG.verbosity,
      description: 'basic: one line per batch with its counts; normal: about one line per log record, span or data point; detailed: every field of every item.',
    },
    sampling_initial: {
      type: 'integer',
      minimum: 0,
      default: DEFAULT_DEBUG_CONFIG.sampling_initial,
      description: 'Number of batches printed each second (per signal) before sampling_thereafter applies.',
    },
    sampling_thereafter: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_DEBUG_CONFIG.sampling_thereafter,
      description: 'After sampling_initial batches in a second, print every Nth one. 1 disables sampling.',
    },
    use_internal_logger: {
      type: 'boolean',
      default: DEFAULT_DEBUG_CONFIG.use_internal_logger,
      description:
        "true: lines are formatted like the collector's own log (timestamp, level, component fields); false: bare text. Both go to stdout.",
    },
    output_paths: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      description: 'With use_internal_logger: false, where the output goes: "stdout", "stderr" or file paths (appended to). Unset: stdout. With the internal logger it follows the collector log (stdout).',
    },
    loglevel: {
      type: 'string',
      enum: ['debug', 'info', 'warn', 'error'],
      description:
        'Deprecated (the logging exporter\'s key): debug prints every field (verbosity detailed), info one line per item (normal), warn and error the counts only (basic). When set, it replaces verbosity.',
    },
  },
};
