// The `awss3` exporter: each batch becomes one object (PutObject through the AWS SDK v3, credentials
// from its default chain), keyed <base>/<prefix>/<time partition>/<file_prefix><signal>_<uuid>.<ext>[.gz].
// Objects are as large as the batches the pipeline hands over: put a `batch` processor with a
// long timeout in front (as configs/fly-log-shipper/aws-s3.yaml does) to write few, large objects.
import { randomUUID } from 'node:crypto';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError, errorMessage, type ConsumerError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { encodeJsonExportRequest } from '../../pdata/json.js';
import { encodeExportRequest } from '../../pdata/proto.js';
import { valueAsString } from '../../pdata/value.js';
import type { ResourcesOf } from '../../pdata/types.js';
import { scrubSecrets } from '../awscloudwatchlogs/client.js';
import { networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { DEFAULT_GZIP_LEVEL, gzipBody } from '../helper/http-client.js';
import { CONTENT_TYPE, EXTENSION, configSchema, formatPartition, validate, type AwsS3Config } from './config.js';

export type { AwsS3Config } from './config.js';

type Sdk = typeof S3Sdk;

// S3's error codes that say "later" (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
const RETRYABLE_CODES = new Set(['SlowDown', 'InternalError', 'ServiceUnavailable', 'RequestTimeout', 'RequestTimeTooSkewed', 'ExpiredToken', 'TooManyRequests', 'Throttling', 'ThrottlingException']);

interface ServiceErrorShape {
  name: string;
  message: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

function isServiceError(err: unknown): err is ServiceErrorShape {
  return err instanceof Error && typeof (err as ServiceErrorShape).$metadata?.httpStatusCode === 'number';
}

/** The object's content for `marshaler`. */
export function marshal(batch: Batch, marshaler: AwsS3Config['marshaler']): Uint8Array {
  if (marshaler === 'otlp_proto') return encodeExportRequest(batch.signal, batch.resources as ResourcesOf[typeof batch.signal]);
  if (marshaler === 'otlp_json') return Buffer.from(encodeJsonExportRequest(batch.signal, batch.resources as ResourcesOf[typeof batch.signal]));
  if (batch.signal !== 'logs') throw new PermanentError(`the body marshaler writes logs only, not ${batch.signal}`);
  const lines: string[] = [];
  for (const rl of batch.resources) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) lines.push(`${valueAsString(r.body)}\n`);
  return Buffer.from(lines.join(''));
}

/** The object key of a batch written at `now`. */
export function objectKey(config: AwsS3Config, signal: Batch['signal'], now: Date, unique: string = randomUUID()): string {
  const u = config.s3uploader;
  const file = `${u.file_prefix}${signal}_${unique}.${EXTENSION[config.marshaler]}${u.compression === 'gzip' ? '.gz' : ''}`;
  return [u.s3_base_prefix, u.s3_prefix, formatPartition(u.s3_partition_format, now), file]
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
}

function createAwsS3Exporter(config: AwsS3Config, ctx: ComponentContext): Exporter {
  const u = config.s3uploader;
  let sdk: Sdk | undefined;
  let client: S3Client | undefined;

  async function secrets(): Promise<string[]> {
    try {
      const c = await client?.config.credentials();
      return c ? [c.secretAccessKey, c.sessionToken ?? ''].filter((s) => s !== '') : [];
    } catch {
      return [];
    }
  }

  async function classify(err: unknown, what: string): Promise<ConsumerError> {
    if (err instanceof PermanentError || err instanceof RetryableError) return err;
    if (!isServiceError(err)) {
      const e = networkError(err);
      return new RetryableError(`${what}: ${scrubSecrets(e.message, await secrets())}`, { cause: err });
    }
    const status = err.$metadata?.httpStatusCode;
    const message = `${what} failed: ${err.name}${status ? ` (HTTP ${status})` : ''}: ${scrubSecrets(errorMessage(err), await secrets())}`;
    if (RETRYABLE_CODES.has(err.name) || status === 429 || (status !== undefined && status >= 500)) {
      return new RetryableError(message, { reason: err.name === 'SlowDown' || status === 429 || status === 503 ? 'throttled' : 'unavailable' });
    }
    if (status === 401 || status === 403) return new PermanentError(`${message} (check the AWS credentials and the bucket policy of exporter ${ctx.id})`);
    return new PermanentError(message);
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (!sdk || !client) throw new RetryableError(`exporter ${ctx.id} is not started`);
    let body = marshal(batch, config.marshaler);
    if (u.compression === 'gzip') body = await gzipBody(body, DEFAULT_GZIP_LEVEL);
    const key = objectKey(config, batch.signal, new Date());
    const input: S3Sdk.PutObjectCommandInput = {
      Bucket: u.s3_bucket,
      Key: key,
      Body: body,
      ContentType: CONTENT_TYPE[config.marshaler],
      StorageClass: u.storage_class as S3Sdk.StorageClass,
    };
    if (u.compression === 'gzip') input.ContentEncoding = 'gzip';
    if (u.acl) input.ACL = u.acl as S3Sdk.ObjectCannedACL;
    try {
      await client.send(new sdk.PutObjectCommand(input), { abortSignal: signal });
    } catch (err) {
      throw await classify(err, `PutObject s3://${u.s3_bucket}/${key}`);
    }
  }

  return createExporter(ctx, {
    signals: config.marshaler === 'body' ? ['logs'] : ['logs', 'traces', 'metrics'],
    send,
    ...helperSettings(config),
    async start() {
      sdk = await import('@aws-sdk/client-s3');
      // One attempt per try: retry_on_failure retries, with the helper's backoff and self-metrics.
      const clientConfig: S3ClientConfig = { region: u.region, maxAttempts: 1, forcePathStyle: u.s3_force_path_style, tls: !u.disable_ssl };
      if (u.endpoint) clientConfig.endpoint = u.endpoint;
      client = new sdk.S3Client(clientConfig);
    },
    async shutdown() {
      client?.destroy();
      client = undefined;
    },
  });
}

export const awsS3Exporter: ExporterFactory<AwsS3Config> = {
  kind: 'exporter',
  type: 'awss3',
  description: 'Writes logs, traces and metrics as objects in Amazon S3 or an S3-compatible store (OTLP JSON or protobuf, or log bodies), partitioned by time, optionally gzipped.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  create: createAwsS3Exporter,
};
