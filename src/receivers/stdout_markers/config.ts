// Configuration of the stdout_markers receiver: one source (a command, a followed file or
// stdin), the resource to stamp, line limits and retry; file keys follow the filelog receiver.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema, mib, parseDuration } from '../../config/units.js';
import { validateRetryOnFailure, type RetryOnFailureConfig } from '../../exporters/helper/retry.js';
import { LEVELS, type Level } from './markers.js';

export type Scalar = string | number | boolean;

export interface StdoutMarkersConfig {
  command?: string[];
  cwd?: string;
  env?: Record<string, Scalar>;
  path?: string;
  start_at: 'beginning' | 'end';
  storage?: string;
  poll_interval: string;
  force_flush_period: string;
  include_file_name: boolean;
  stdin: boolean;
  resource: Record<string, Scalar>;
  attributes: Record<string, Scalar>;
  stdout_level: Level;
  stderr_level: Level;
  max_line_bytes: number;
  traceparent?: string;
  retry_on_failure: RetryOnFailureConfig;
}

/** The filelog receiver's max_log_size default: bounds memory per stream and fits an OTLP request. */
export const DEFAULT_MAX_LINE_BYTES = mib(1);

export const DEFAULT_CONFIG: Readonly<StdoutMarkersConfig> = {
  start_at: 'end',
  poll_interval: '200ms',
  force_flush_period: '500ms',
  include_file_name: true,
  stdin: false,
  resource: {},
  attributes: {},
  stdout_level: 'INFO',
  // As Kestra logs a script's stderr: WARN (a tool's progress and warnings go there, not only errors).
  stderr_level: 'WARN',
  max_line_bytes: DEFAULT_MAX_LINE_BYTES,
  // A receiver has nobody to refuse to: by default it keeps the data and retries forever
  // (with reading paused), rather than drop it after the exporter-style 300s.
  retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '30s', max_elapsed_time: '0', multiplier: 1.5, randomization_factor: 0.5 },
};

const scalarMap = (description: string): SchemaObject => ({
  type: 'object',
  description,
  additionalProperties: { type: ['string', 'number', 'boolean'] },
  default: {},
});

const levelSchema = (description: string, defaultValue: Level): SchemaObject => ({
  type: 'string',
  enum: [...LEVELS],
  description,
  default: defaultValue,
});

const r = DEFAULT_CONFIG.retry_on_failure;

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Reads `::{json}::` markers and plain lines from a command, a followed file or stdin, as logs and metrics.',
  additionalProperties: false,
  properties: {
    command: {
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      description: 'Run this command ([program, args…], no shell) and read its stdout and stderr. One of command, path, stdin.',
    },
    cwd: { type: 'string', description: "The command's working directory. Unset: Ferry's." },
    env: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: "Environment variables for the command, added to (and overriding) Ferry's own environment.",
    },
    path: { type: 'string', minLength: 1, description: 'Follow this file (like tail -F), surviving rotation and truncation. One of command, path, stdin.' },
    start_at: {
      type: 'string',
      enum: ['beginning', 'end'],
      description: 'For path: where to start when no offset was checkpointed: the beginning of the file, or its end (new lines only).',
      default: DEFAULT_CONFIG.start_at,
    },
    storage: {
      type: 'string',
      description: 'For path: a storage extension (e.g. file_storage) that checkpoints the read offset, so a restart neither re-sends nor skips lines.',
    },
    poll_interval: durationSchema('For path: how often the file is checked for new data, rotation and truncation.', DEFAULT_CONFIG.poll_interval),
    force_flush_period: durationSchema(
      'For path: how long a last line without its newline may wait for the rest before it is emitted as it is.',
      DEFAULT_CONFIG.force_flush_period,
    ),
    include_file_name: { type: 'boolean', description: 'For path: add the file name as the attribute log.file.name.', default: true },
    stdin: { type: 'boolean', description: "Read Ferry's own stdin (`script | ferry …`). One of command, path, stdin.", default: false },
    resource: scalarMap('Resource attributes of every record and metric (service.name, pipeline_run_id, step_id, …); ${env:VAR} works.'),
    attributes: scalarMap('Attributes added to every log record.'),
    stdout_level: levelSchema('Severity of plain (non-marker) lines read from stdout, a file or stdin.', DEFAULT_CONFIG.stdout_level),
    stderr_level: levelSchema('Severity of plain (non-marker) lines read from stderr (WARN, as Kestra logs them); a multi-line stack trace there is one record.', DEFAULT_CONFIG.stderr_level),
    max_line_bytes: {
      type: 'integer',
      minimum: 16,
      description: 'Longest line kept, in bytes; a longer one is cut at a character boundary, marked ferry.line.truncated, and the rest of it skipped.',
      default: DEFAULT_MAX_LINE_BYTES,
    },
    traceparent: {
      type: 'string',
      description:
        "W3C traceparent whose trace and span ids every record gets. Unset: TRACEPARENT from the command's environment (or Ferry's, for path and stdin); an invalid value is ignored.",
    },
    retry_on_failure: {
      type: 'object',
      description: 'When the pipeline refuses a batch with a retryable error: retry with backoff, reading paused meanwhile (nothing is dropped).',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', description: 'Retry refused batches; false drops a refused batch (counted as refused).', default: true },
        initial_interval: durationSchema('Wait after the first refusal.', r.initial_interval),
        max_interval: durationSchema('Longest wait between two attempts.', r.max_interval),
        max_elapsed_time: durationSchema('Give up on a batch (drop it, counted and logged) after this long; 0 retries forever.', r.max_elapsed_time),
        multiplier: { type: 'number', minimum: 1, description: 'Factor by which the wait grows after each refusal.', default: r.multiplier },
        randomization_factor: { type: 'number', minimum: 0, maximum: 1, description: 'Jitter: each wait is drawn from interval × (1 ± factor).', default: r.randomization_factor },
      },
    },
  },
};

export type SourceKind = 'command' | 'path' | 'stdin';

/** The sources a config names (the schema cannot say "exactly one of"). */
export function configuredSources(config: Partial<StdoutMarkersConfig>): SourceKind[] {
  const out: SourceKind[] = [];
  if (config.command !== undefined) out.push('command');
  if (config.path !== undefined) out.push('path');
  if (config.stdin === true) out.push('stdin');
  return out;
}

/** With defaults filled in, for create() (the loader normally did it already). */
export function resolveConfig(partial: Partial<StdoutMarkersConfig>): StdoutMarkersConfig {
  return { ...DEFAULT_CONFIG, ...partial, retry_on_failure: { ...DEFAULT_CONFIG.retry_on_failure, ...partial.retry_on_failure } };
}

/**
 * Exactly one source, and the keys that belong to one source used only with it.
 * `sourceFromCommandLine` is `ferry exec`: the command comes from its command line.
 */
export function validate(config: StdoutMarkersConfig, sourceFromCommandLine = false): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const sources = configuredSources(config);
  if (!sourceFromCommandLine) {
    if (sources.length === 0) {
      problems.push({
        path: '',
        message: 'no source: the receiver needs exactly one of command, path or stdin',
        fix: 'add `command: [prog, arg…]`, `path: /var/log/step.log` or `stdin: true` (or run the command under `ferry exec -- CMD`, which supplies it)',
      });
    }
    if (sources.length > 1) {
      problems.push({ path: sources[1] as string, message: `only one source may be set, found ${sources.join(', ')}`, fix: 'use one receiver per source: stdout_markers/a, stdout_markers/b' });
    }
    for (const key of ['cwd', 'env'] as const) {
      if (config[key] !== undefined && !sources.includes('command')) {
        problems.push({ path: key, message: `${key} applies only to command:`, fix: `remove ${key}, or set command:` });
      }
    }
    if (config.storage !== undefined && !sources.includes('path')) {
      problems.push({ path: 'storage', message: 'storage checkpoints a followed file: it applies only to path:', fix: 'remove storage, or set path:' });
    }
  }
  for (const key of ['poll_interval', 'force_flush_period'] as const) {
    if (config[key] !== undefined && parseDuration(config[key]) <= 0) {
      problems.push({ path: key, message: 'must be greater than 0', fix: `set a duration such as ${DEFAULT_CONFIG[key]}` });
    }
  }
  if (config.retry_on_failure !== undefined) problems.push(...validateRetryOnFailure(config.retry_on_failure));
  return problems;
}
