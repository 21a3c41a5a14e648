// Configuration of the `awss3` exporter, with the Collector contrib awss3exporter's keys and
// defaults: s3uploader (region, s3_bucket, s3_prefix, s3_base_prefix, s3_partition_format,
// file_prefix, endpoint, s3_force_path_style, disable_ssl, compression, storage_class, acl)
// and marshaler (otlp_json, otlp_proto, body), plus the exporterhelper keys.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export type Marshaler = 'otlp_json' | 'otlp_proto' | 'body';

export interface S3UploaderConfig {
  region: string;
  s3_bucket: string;
  s3_prefix: string;
  s3_base_prefix: string;
  s3_partition_format: string;
  file_prefix: string;
  endpoint?: string;
  s3_force_path_style: boolean;
  disable_ssl: boolean;
  compression: 'none' | 'gzip';
  storage_class: string;
  acl?: string;
  retry_mode?: string;
  retry_max_attempts?: number;
  retry_max_backoff?: string;
}

export interface AwsS3Config {
  s3uploader: S3UploaderConfig;
  marshaler: Marshaler;
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
}

export const DEFAULT_PARTITION_FORMAT = 'year=%Y/month=%m/day=%d/hour=%H/minute=%M';

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Writes logs, traces and metrics as objects in Amazon S3 (or an S3-compatible store), one object per batch, partitioned by time.',
  additionalProperties: false,
  required: ['s3uploader'],
  properties: {
    s3uploader: {
      type: 'object',
      additionalProperties: false,
      required: ['s3_bucket'],
      description: 'Where and how objects are written.',
      properties: {
        region: { type: 'string', minLength: 1, default: 'us-east-1', description: 'AWS region of the bucket.' },
        s3_bucket: { type: 'string', minLength: 1, description: 'The bucket.' },
        s3_prefix: { type: 'string', default: '', description: 'Key prefix (a folder inside the bucket), after s3_base_prefix.' },
        s3_base_prefix: { type: 'string', default: '', description: 'A root path always put first in the key.' },
        s3_partition_format: {
          type: 'string',
          default: DEFAULT_PARTITION_FORMAT,
          description: 'strftime format of the time partition in the key (the upload time, UTC): %Y %y %m %d %H %M %S %j and %% are supported.',
        },
        file_prefix: { type: 'string', default: '', description: 'Put before each object\'s file name.' },
        endpoint: { type: 'string', description: 'An S3-compatible endpoint URL (MinIO, Ceph, R2 …) instead of the region\'s.' },
        s3_force_path_style: { type: 'boolean', default: false, description: 'Address the bucket in the path (https://host/bucket/key) rather than the host name; S3-compatible stores often need it.' },
        disable_ssl: { type: 'boolean', default: false, description: 'Use http:// for the region\'s endpoint.' },
        compression: { type: 'string', enum: ['none', 'gzip'], default: 'none', description: 'gzip compresses each object (key suffix .gz, Content-Encoding: gzip).' },
        storage_class: {
          type: 'string',
          enum: ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'GLACIER_IR', 'DEEP_ARCHIVE', 'REDUCED_REDUNDANCY', 'OUTPOSTS', 'SNOW', 'EXPRESS_ONEZONE'],
          default: 'STANDARD',
          description: 'The objects\' storage class.',
        },
        acl: {
          type: 'string',
          enum: ['private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control'],
          description: 'A canned ACL for each object; unset sends none.',
        },
        retry_mode: { type: 'string', enum: ['standard', 'adaptive', 'nop'], description: 'Accepted for compatibility: retries are retry_on_failure\'s (the SDK makes one attempt per try).' },
        retry_max_attempts: { type: 'integer', minimum: 0, description: 'Accepted for compatibility (see retry_mode).' },
        retry_max_backoff: durationSchema('Accepted for compatibility (see retry_mode).'),
      },
    },
    marshaler: {
      type: 'string',
      enum: ['otlp_json', 'otlp_proto', 'body'],
      default: 'otlp_json',
      description: 'The objects\' content: otlp_json (an OTLP/JSON export request, .json), otlp_proto (an OTLP protobuf export request, .binpb) or body (logs only: each record\'s body as a line of text, .log).',
    },
    timeout: timeoutSchema('5s'),
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
  },
};

const STRFTIME = new Set(['Y', 'y', 'm', 'd', 'H', 'M', 'S', 'j', '%']);

export function partitionProblem(format: string): string | undefined {
  for (const m of format.matchAll(/%(.?)/g)) if (!STRFTIME.has(m[1] ?? '')) return `unsupported strftime directive "%${m[1] ?? ''}"`;
  return undefined;
}

/** The partition of `date` (UTC). */
export function formatPartition(format: string, date: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const start = Date.UTC(date.getUTCFullYear(), 0, 1);
  const parts: Record<string, string> = {
    Y: pad(date.getUTCFullYear(), 4),
    y: pad(date.getUTCFullYear() % 100),
    m: pad(date.getUTCMonth() + 1),
    d: pad(date.getUTCDate()),
    H: pad(date.getUTCHours()),
    M: pad(date.getUTCMinutes()),
    S: pad(date.getUTCSeconds()),
    j: pad(Math.floor((date.getTime() - start) / 86_400_000) + 1, 3),
    '%': '%',
  };
  return format.replace(/%(.)/g, (_, c: string) => parts[c] ?? `%${c}`);
}

export function validate(config: AwsS3Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const p = partitionProblem(config.s3uploader.s3_partition_format);
  if (p) problems.push({ path: 's3uploader.s3_partition_format', message: p, fix: 'use %Y %y %m %d %H %M %S %j and %%, e.g. year=%Y/month=%m/day=%d/hour=%H/minute=%M' });
  if (config.s3uploader.endpoint) {
    try {
      const u = new URL(config.s3uploader.endpoint);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      problems.push({ path: 's3uploader.endpoint', message: `"${config.s3uploader.endpoint}" is not an http(s) URL`, fix: 'write the full URL, e.g. http://minio:9000' });
    }
  }
  problems.push(...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}

/** The marshaler's file extension. */
export const EXTENSION: Readonly<Record<Marshaler, string>> = { otlp_json: 'json', otlp_proto: 'binpb', body: 'log' };
export const CONTENT_TYPE: Readonly<Record<Marshaler, string>> = { otlp_json: 'application/json', otlp_proto: 'application/x-protobuf', body: 'text/plain; charset=utf-8' };
