// file_storage's configuration: the OpenTelemetry Collector (contrib) filestorage keys,
// with fsync on by default and Ferry's bounded disk (max_size_mib).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';

export interface CompactionConfig {
  on_start: boolean;
  on_rebound: boolean;
  directory?: string;
  max_transaction_size: number;
  rebound_needed_threshold_mib: number;
  rebound_trigger_threshold_mib: number;
  check_interval: string;
  cleanup_on_start: boolean;
}

export interface FileStorageConfig {
  directory: string;
  timeout: string;
  fsync: boolean;
  create_directory: boolean;
  directory_permissions: string;
  max_size_mib: number;
  compaction: CompactionConfig;
}

const ACCEPTED = 'Accepted for compatibility with the Collector (whose bbolt files need compacting): Ferry\'s queue log deletes each segment as soon as everything in it is delivered, so there is nothing more to compact.';

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Keeps state on the local disk for other components: persistent sending queues (a write-ahead log per exporter) and small key-value checkpoints.',
  additionalProperties: false,
  required: ['directory'],
  properties: {
    directory: {
      type: 'string',
      minLength: 1,
      description: 'Directory that holds the data (e.g. /var/lib/otelcol/file_storage). It must exist unless create_directory is true; one Ferry process uses it at a time.',
    },
    timeout: durationSchema('How long to wait at start for the directory\'s lock when another instance still holds it.', '1s'),
    fsync: {
      type: 'boolean',
      default: true,
      description:
        'fsync every write before it counts as done, so data a sender was told is accepted survives a power loss or kernel crash, not only a process crash. Ferry defaults to true (the Collector to false); writes waiting together share one fsync.',
    },
    create_directory: { type: 'boolean', default: false, description: 'Create directory (and its parents) at start when it does not exist.' },
    directory_permissions: {
      type: 'string',
      pattern: '^0?[0-7]{3}$',
      default: '0750',
      description: 'Octal permissions of directories Ferry creates (minus the umask).',
    },
    max_size_mib: {
      type: 'integer',
      minimum: 0,
      default: 1024,
      description:
        'Ferry: the most disk, in MiB, all data in directory may use. When a persistent queue would exceed it, the sender is refused with a retryable status (HTTP 429 / gRPC RESOURCE_EXHAUSTED) until delivered data frees room. 0 means no limit.',
    },
    compaction: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: ACCEPTED,
      properties: {
        on_start: { type: 'boolean', default: false, description: `Compact at start. ${ACCEPTED}` },
        on_rebound: { type: 'boolean', default: false, description: `Compact online once usage drops. ${ACCEPTED}` },
        directory: { type: 'string', description: `Directory for compaction's temporary files. ${ACCEPTED}` },
        max_transaction_size: { type: 'integer', minimum: 0, default: 65536, description: `Size of a compaction transaction. ${ACCEPTED}` },
        rebound_needed_threshold_mib: { type: 'integer', minimum: 0, default: 100, description: `Rebound compaction threshold. ${ACCEPTED}` },
        rebound_trigger_threshold_mib: { type: 'integer', minimum: 0, default: 10, description: `Rebound compaction trigger. ${ACCEPTED}` },
        check_interval: durationSchema(`How often rebound conditions are checked. ${ACCEPTED}`, '5s'),
        cleanup_on_start: {
          type: 'boolean',
          default: false,
          description: 'Remove temporary files left by an interrupted write at start. Ferry always does this (they are never data anyone was promised).',
        },
      },
    },
  },
};

export function validate(config: FileStorageConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if ((config.directory ?? '').trim() === '') {
    problems.push({ path: 'directory', message: 'is empty', fix: 'set directory to a path for Ferry\'s state, e.g. /var/lib/otelcol/file_storage' });
  }
  return problems;
}
