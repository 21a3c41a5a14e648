// Configuration of the file_log receiver: the Collector filelog receiver's keys and defaults
// (include/exclude, start_at, fingerprint_size, multiline, include_file_*, storage, operators).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema, parseDuration } from '../../config/units.js';
import { validateRetryOnFailure, type RetryOnFailureConfig } from '../../exporters/helper/retry.js';
import type { MultilineConfig } from './multiline.js';
import type { OperatorConfig } from './operators.js';
import { OPERATOR_TYPES } from './operators.js';

export type ByteSize = string | number;

export interface FileLogConfig {
  include: string[];
  exclude: string[];
  start_at: 'beginning' | 'end';
  poll_interval: string;
  fingerprint_size: ByteSize;
  max_log_size: ByteSize;
  max_concurrent_files: number;
  encoding: string;
  force_flush_period: string;
  multiline?: MultilineConfig;
  include_file_name: boolean;
  include_file_path: boolean;
  include_file_name_resolved: boolean;
  include_file_path_resolved: boolean;
  preserve_leading_whitespaces: boolean;
  preserve_trailing_whitespaces: boolean;
  storage?: string;
  operators: OperatorConfig[];
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  retry_on_failure: RetryOnFailureConfig;
}

export const DEFAULT_CONFIG: Readonly<Omit<FileLogConfig, 'include'>> = {
  exclude: [],
  start_at: 'end',
  poll_interval: '200ms',
  fingerprint_size: '1kb',
  max_log_size: '1MiB',
  max_concurrent_files: 1024,
  encoding: 'utf-8',
  force_flush_period: '500ms',
  include_file_name: true,
  include_file_path: false,
  include_file_name_resolved: false,
  include_file_path_resolved: false,
  preserve_leading_whitespaces: false,
  preserve_trailing_whitespaces: false,
  operators: [],
  attributes: {},
  resource: {},
  // Unlike the Collector (off by default: a refused batch is dropped), Ferry keeps reading
  // paused and retries: lines stay in the file, so waiting loses nothing.
  retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '30s', max_elapsed_time: '0', multiplier: 1.5, randomization_factor: 0.5 },
};

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1000, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A byte size as the Collector writes it: 1000, "1kb", "1KiB", "16MiB" (units case-insensitive). */
export function parseByteSize(v: ByteSize): number {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined) throw new Error(`"${v}" is not a byte size: write e.g. 1000, 1kb, 1KiB or 16MiB`);
  return Math.round(Number(m[1]) * unit);
}

const byteSizeSchema = (description: string, def: string): SchemaObject => ({ type: ['string', 'integer'], description, default: def });

export const ENCODINGS: Record<string, 'utf8' | 'latin1' | 'ascii'> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'utf8-raw': 'utf8',
  ascii: 'ascii',
  'us-ascii': 'ascii',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'windows-1252': 'latin1',
};

const r = DEFAULT_CONFIG.retry_on_failure;

const parseSpec = (what: string): SchemaObject => ({
  type: 'object',
  description: `${what} parsed from a field of each entry (as in stanza).`,
  required: ['parse_from'],
  properties: { parse_from: { type: 'string', description: 'The field holding the value, e.g. attributes.time.' } },
});

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Tails log files (the Collector filelog receiver): globs, rotation, checkpoints in a storage extension, multiline and stanza operators.',
  additionalProperties: false,
  required: ['include'],
  properties: {
    include: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, description: 'Globs of the files to read (`**` crosses directories), e.g. /var/log/pods/*/*/*.log.' },
    exclude: { type: 'array', items: { type: 'string' }, description: 'Globs of files not to read, even if include matches them.', default: [] },
    start_at: {
      type: 'string',
      enum: ['beginning', 'end'],
      description: 'Where to start in files found at startup with no stored offset: their beginning, or their end (new lines only). Files that appear later are read from their start.',
      default: DEFAULT_CONFIG.start_at,
    },
    poll_interval: durationSchema('How often the globs are matched and files checked for new data.', DEFAULT_CONFIG.poll_interval),
    fingerprint_size: byteSizeSchema('Bytes of a file’s start that identify it across renames, copies and truncation.', '1kb'),
    max_log_size: byteSizeSchema('Longest entry kept; a longer one is cut and the rest skipped.', '1MiB'),
    max_concurrent_files: { type: 'integer', minimum: 1, description: 'Most files open at once; when more match, only the first this many (by path) are read, with a warning.', default: DEFAULT_CONFIG.max_concurrent_files },
    encoding: { type: 'string', description: `Text encoding of the files: ${Object.keys(ENCODINGS).join(', ')}.`, default: DEFAULT_CONFIG.encoding },
    force_flush_period: durationSchema('How long an unfinished entry (a last line without newline, a multiline entry) waits for more before it is sent as it is.', DEFAULT_CONFIG.force_flush_period),
    multiline: {
      type: 'object',
      additionalProperties: false,
      description: 'Entries of several lines: a regex that starts each entry, or one that ends it (one of the two).',
      properties: {
        line_start_pattern: { type: 'string', description: 'A line matching this regex starts a new entry (e.g. ^\\d{4}-\\d\\d-\\d\\d for a Java log).' },
        line_end_pattern: { type: 'string', description: 'A line matching this regex ends the entry.' },
      },
    },
    include_file_name: { type: 'boolean', description: 'Add the attribute log.file.name.', default: true },
    include_file_path: { type: 'boolean', description: 'Add the attribute log.file.path.', default: false },
    include_file_name_resolved: { type: 'boolean', description: 'Add log.file.name_resolved (symlinks resolved).', default: false },
    include_file_path_resolved: { type: 'boolean', description: 'Add log.file.path_resolved (symlinks resolved).', default: false },
    preserve_leading_whitespaces: { type: 'boolean', description: 'Keep whitespace at the start of each entry (trimmed by default).', default: false },
    preserve_trailing_whitespaces: { type: 'boolean', description: 'Keep whitespace at the end of each entry (trimmed by default).', default: false },
    storage: { type: 'string', description: 'A storage extension (file_storage) that keeps the read offsets, so a restart neither re-sends nor skips lines.' },
    operators: {
      type: 'array',
      description: `stanza operators run on each entry in order (or as their output/routes say): ${OPERATOR_TYPES.join(', ')}.`,
      default: [],
      items: {
        type: 'object',
        required: ['type'],
        description: 'One operator: type, optional id and output, and its own keys.',
        properties: {
          type: { type: 'string', description: 'The operator type.' },
          id: { type: 'string', description: 'Its id (default: its type), for output and routes.' },
          output: { type: ['string', 'array'], items: { type: 'string' }, description: 'The operator(s) that receive its entries (default: the next one).' },
          if: { type: 'string', description: 'Only entries matching this expression are processed; others pass on unchanged.' },
          on_error: { type: 'string', enum: ['send', 'send_quiet', 'drop', 'drop_quiet'], description: 'When parsing fails: send the entry on unchanged, or drop it.' },
          parse_from: { type: 'string', description: 'The field to parse (default body).' },
          parse_to: { type: 'string', description: 'Where parsed values go (default attributes).' },
          timestamp: { ...parseSpec('A timestamp'), properties: { ...parseSpec('').properties, layout_type: { type: 'string', enum: ['strptime', 'gotime', 'epoch'], description: 'How layout is read.', default: 'strptime' }, layout: { type: 'string', description: 'The layout.' }, location: { type: 'string', description: 'IANA time zone of times without an offset (default: local).' } } },
          severity: { ...parseSpec('A severity'), properties: { ...parseSpec('').properties, preset: { type: 'string', description: 'default, otel or none.', default: 'default' }, mapping: { type: 'object', description: 'Level → value, list, {min,max} or 2xx…5xx.' }, overwrite_text: { type: 'boolean', description: 'Set the severity text to the level name.', default: false } } },
        },
      },
    },
    attributes: { type: 'object', description: 'Attributes added to every entry.', default: {} },
    resource: { type: 'object', description: 'Resource attributes of every entry.', default: {} },
    retry_on_failure: {
      type: 'object',
      description: 'When the pipeline refuses a batch with a retryable error: retry with backoff, reading paused meanwhile (nothing is dropped by default).',
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

export function resolveConfig(partial: Partial<FileLogConfig> & { include: string[] }): FileLogConfig {
  return { ...DEFAULT_CONFIG, ...partial, retry_on_failure: { ...DEFAULT_CONFIG.retry_on_failure, ...partial.retry_on_failure } };
}

/** Checks beyond the schema: sizes, encoding, multiline, durations (operators are checked when compiled). */
export function validateBasics(c: FileLogConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of ['fingerprint_size', 'max_log_size'] as const) {
    try {
      if (parseByteSize(c[key]) < 1) problems.push({ path: key, message: 'must be at least 1 byte' });
    } catch (err) {
      problems.push({ path: key, message: (err as Error).message });
    }
  }
  if (ENCODINGS[c.encoding.toLowerCase()] === undefined) {
    problems.push({ path: 'encoding', message: `encoding "${c.encoding}" is not supported`, fix: `use one of: ${Object.keys(ENCODINGS).join(', ')}` });
  }
  const m = c.multiline;
  if (m !== undefined) {
    if ((m.line_start_pattern === undefined) === (m.line_end_pattern === undefined)) {
      problems.push({ path: 'multiline', message: 'set exactly one of line_start_pattern and line_end_pattern' });
    }
    for (const key of ['line_start_pattern', 'line_end_pattern'] as const) {
      const src = m[key];
      if (src === undefined) continue;
      try {
        new RegExp(src.replace(/\(\?P</g, '(?<').replace(/^\(\?[ims]+\)/, ''));
      } catch (err) {
        problems.push({ path: `multiline.${key}`, message: `invalid regex: ${(err as Error).message}` });
      }
    }
  }
  for (const key of ['poll_interval', 'force_flush_period'] as const) {
    if (parseDuration(c[key]) <= 0) problems.push({ path: key, message: 'must be greater than 0', fix: `set a duration such as ${DEFAULT_CONFIG[key]}` });
  }
  problems.push(...validateRetryOnFailure(c.retry_on_failure));
  return problems;
}
