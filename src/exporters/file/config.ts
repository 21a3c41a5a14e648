// The file exporter's configuration: the OpenTelemetry Collector (contrib) fileexporter's
// keys and defaults (path, format, append, rotation, flush_interval, create_directory, …).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';

export interface RotationConfig {
  /** Size in MiB at which the file is rotated. */
  max_megabytes: number;
  /** Days to keep rotated files, by the timestamp in their name; 0 keeps them regardless of age. */
  max_days: number;
  /** Rotated files to keep; 0 keeps all. */
  max_backups: number;
  /** Timestamps in rotated files' names in local time rather than UTC. */
  localtime: boolean;
}

export interface FileConfig {
  path: string;
  format: 'json' | 'proto';
  append: boolean;
  /** Absent: no rotation (as in the Collector, `rotation:` alone enables it with defaults). */
  rotation?: RotationConfig | null;
  /** Only '' (none) works in Ferry; see validate(). */
  compression: '' | 'zstd';
  flush_interval: string;
  create_directory: boolean;
  /** Octal permissions for a created directory, e.g. "0755". */
  directory_permissions?: string;
}

export const DEFAULT_ROTATION: Readonly<RotationConfig> = { max_megabytes: 100, max_days: 0, max_backups: 100, localtime: false };

export const DEFAULT_FILE_CONFIG: Readonly<Omit<FileConfig, 'path'>> = {
  format: 'json',
  append: false,
  compression: '',
  flush_interval: '1s',
  create_directory: false,
};

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Writes telemetry to a file as OTLP/JSON lines or length-prefixed OTLP protobuf.',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1, description: 'The file to write to, relative to the working directory.' },
    format: {
      type: 'string',
      enum: ['json', 'proto'],
      default: DEFAULT_FILE_CONFIG.format,
      description:
        'json: one OTLP/JSON export request per line. proto: each OTLP protobuf export request preceded by its length as a 4-byte big-endian unsigned integer.',
    },
    append: {
      type: 'boolean',
      default: DEFAULT_FILE_CONFIG.append,
      description: 'true: append to an existing file; false: truncate it on start. Cannot be combined with rotation.',
    },
    rotation: {
      type: 'object',
      additionalProperties: false,
      description:
        'Rotate the file by size: when it would exceed max_megabytes it is renamed to <name>-<timestamp><ext> and a new file is started. Absent: no rotation; `rotation:` alone uses the defaults. With rotation an existing file is appended to.',
      properties: {
        max_megabytes: { type: 'integer', minimum: 1, default: DEFAULT_ROTATION.max_megabytes, description: 'Size in megabytes (MiB) at which the file is rotated.' },
        max_days: {
          type: 'integer',
          minimum: 0,
          default: DEFAULT_ROTATION.max_days,
          description: 'Days to keep rotated files, judged by the timestamp in their name. 0 keeps them regardless of age.',
        },
        max_backups: { type: 'integer', minimum: 0, default: DEFAULT_ROTATION.max_backups, description: 'Rotated files to keep; the oldest are removed. 0 keeps all.' },
        localtime: {
          type: 'boolean',
          default: DEFAULT_ROTATION.localtime,
          description: "Use the host's local time for the timestamp in rotated files' names instead of UTC.",
        },
      },
    },
    compression: {
      type: 'string',
      enum: ['', 'zstd'],
      default: DEFAULT_FILE_CONFIG.compression,
      description: 'Compression of what is written. Ferry writes uncompressed only: zstd (the Collector\'s one option) is refused, as Node.js 20 has no zstd.',
    },
    flush_interval: durationSchema(
      'How often written data is synced to disk (fdatasync). Each batch reaches the operating system before the exporter accepts it, so nothing waits for this to be read back.',
      DEFAULT_FILE_CONFIG.flush_interval,
    ),
    create_directory: {
      type: 'boolean',
      default: DEFAULT_FILE_CONFIG.create_directory,
      description: "Create the file's parent directory (and its parents) on start when missing.",
    },
    directory_permissions: {
      type: 'string',
      pattern: '^0?[0-7]{3}$',
      description: 'Octal permissions of a directory created by create_directory (minus the umask). Default "0755". Needs create_directory: true.',
    },
  },
};

export function validate(config: FileConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.compression === 'zstd') {
    problems.push({
      path: 'compression',
      message: 'zstd compression is not supported by Ferry (Node.js 20 has no zstd)',
      fix: 'remove compression: the file is then written uncompressed',
    });
  }
  if (config.append && config.rotation) {
    problems.push({
      path: 'append',
      message: 'append and rotation enabled at the same time is not supported',
      fix: 'remove append (rotation already appends to an existing file) or remove rotation',
    });
  }
  if (config.directory_permissions !== undefined && !config.create_directory) {
    problems.push({
      path: 'directory_permissions',
      message: 'directory_permissions requires create_directory to be true',
      fix: 'set create_directory: true, or remove directory_permissions',
    });
  }
  return problems;
}
