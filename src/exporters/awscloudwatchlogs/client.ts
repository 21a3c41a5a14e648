// The CloudWatch Logs calls the exporter makes, over the AWS SDK v3 client (loaded on
// start, so Ferry pays for it only when this exporter is used), with errors classified.
import type * as CloudWatchLogsSdk from '@aws-sdk/client-cloudwatch-logs';
import type { CloudWatchLogsClient, CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { PermanentError, RetryableError, errorMessage, type ConsumerError } from '../../consumer.js';
import { networkError } from '../helper/errors.js';
import type { RejectedLogEventsInfo } from './batching.js';

// Types only: the module itself is loaded by open().
type Sdk = typeof CloudWatchLogsSdk;

export interface SessionOptions {
  readonly region?: string;
  /** A full URL; undefined uses the region's endpoint. */
  readonly endpoint?: string;
  readonly profile?: string;
  /** SDK attempts per call: max_retries + 1. */
  readonly maxAttempts: number;
  /** Applied to log groups this exporter creates. */
  readonly retentionDays: number;
  readonly tags?: Readonly<Record<string, string>>;
}

// Error codes (the JSON protocol's __type) worth another attempt: the service's own
// (ThrottlingException, ServiceUnavailableException, OperationAbortedException) and the
// common errors of every AWS API that say "later" (CommonErrors reference).
const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'OperationAbortedException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ExpiredTokenException',
  'ExpiredToken',
]);
const THROTTLING_CODES = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);

interface ServiceErrorShape {
  name: string;
  message: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** An error the service answered with (the SDK also puts $metadata on network errors, without a status). */
function isServiceError(err: unknown): err is ServiceErrorShape {
  return err instanceof Error && typeof (err as ServiceErrorShape).$metadata?.httpStatusCode === 'number';
}

const SIGNATURE = /Signature=[0-9a-fA-F]+/g;
// An InvalidSignatureException echoes the canonical request (signed header values included)
// and the string to sign: nothing after these words belongs in a log.
const SIGNATURE_ECHO = /\s*(The Canonical String for this request should have been|The String-to-Sign should have been)[\s\S]*$/;

/** `message` without the credentials in `secrets`, request signatures, or the canonical request an InvalidSignatureException echoes. */
export function scrubSecrets(message: string, secrets: readonly string[]): string {
  let out = message.replace(SIGNATURE_ECHO, ' (request details omitted)').replace(SIGNATURE, 'Signature=<redacted>');
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('<redacted>');
  return out;
}

export class CloudWatchLogsSession {
  /** Group/stream pairs being created, so concurrent sends create each once. */
  private readonly creating = new Map<string, Promise<void>>();

  private constructor(
    private readonly sdk: Sdk,
    private readonly client: CloudWatchLogsClient,
    private readonly options: SessionOptions,
  ) {}

  /**
   * Load the SDK and build a client whose credentials come from the SDK's default chain
   * (environment, shared config and credentials files, SSO, web identity, ECS, EC2 IMDS).
   * Fails when no region can be found, as the Collector's exporter does.
   */
  static async open(options: SessionOptions): Promise<CloudWatchLogsSession> {
    const sdk: Sdk = await import('@aws-sdk/client-cloudwatch-logs');
    const clientConfig: CloudWatchLogsClientConfig = { maxAttempts: options.maxAttempts };
    if (options.region) clientConfig.region = options.region;
    if (options.endpoint) clientConfig.endpoint = options.endpoint;
    if (options.profile) clientConfig.profile = options.profile;
    const client = new sdk.CloudWatchLogsClient(clientConfig);
    try {
      await client.config.region();
    } catch {
      client.destroy();
      throw new Error('no AWS region is configured: set region in the exporter\'s config (e.g. region: us-east-1), or AWS_REGION, or a region in the shared AWS config file');
    }
    return new CloudWatchLogsSession(sdk, client, options);
  }

  close(): void {
    this.client.destroy();
  }

  /** The resolved credentials' secret parts, to keep them out of messages (the SDK caches them: no new lookup). */
  private async secrets(): Promise<string[]> {
    try {
      const c = await this.client.config.credentials();
      return [c.secretAccessKey, c.sessionToken ?? ''].filter((s) => s !== '');
    } catch {
      return [];
    }
  }

  /** A failed call as a consumer error whose message names the call and never carries credentials. */
  async classify(err: unknown, what: string): Promise<ConsumerError> {
    if (err instanceof PermanentError || err instanceof RetryableError) return err;
    if (!isServiceError(err)) {
      // No response (connection refused, DNS, TLS, abort) or no credentials yet: retryable, as in the Collector.
      const e = networkError(err);
      return new RetryableError(`${what}: ${scrubSecrets(e.message, await this.secrets())}`, { cause: err });
    }
    const status = err.$metadata?.httpStatusCode;
    const message = `${what} failed: ${err.name}${status ? ` (HTTP ${status})` : ''}: ${scrubSecrets(errorMessage(err), await this.secrets())}`;
    if (RETRYABLE_CODES.has(err.name) || err.$fault === 'server' || (status !== undefined && status >= 500)) {
      return new RetryableError(message, { reason: THROTTLING_CODES.has(err.name) ? 'throttled' : 'unavailable' });
    }
    return new PermanentError(message);
  }

  /**
   * PutLogEvents; when the group or stream does not exist, create them (once, even for
   * concurrent callers) and put again. Resolves with what the service rejected, if anything.
   */
  async put(group: string, stream: string, events: ReadonlyArray<{ timestamp: number; message: string }>, signal: AbortSignal): Promise<RejectedLogEventsInfo | undefined> {
    const input = { logGroupName: group, logStreamName: stream, logEvents: events.map((e) => ({ timestamp: e.timestamp, message: e.message })) };
    const what = `PutLogEvents to ${group}/${stream}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.client.send(new this.sdk.PutLogEventsCommand(input), { abortSignal: signal });
        return out.rejectedLogEventsInfo;
      } catch (err) {
        if (attempt === 0 && isServiceError(err) && err.name === 'ResourceNotFoundException') {
          await this.ensureStream(group, stream, signal);
          continue;
        }
        throw await this.classify(err, what);
      }
    }
  }

  private ensureStream(group: string, stream: string, signal: AbortSignal): Promise<void> {
    const key = `${group}\u0000${stream}`;
    let pending = this.creating.get(key);
    if (!pending) {
      pending = this.createStream(group, stream, signal).finally(() => this.creating.delete(key));
      this.creating.set(key, pending);
    }
    return pending;
  }

  /**
   * CreateLogStream; if the group is missing too, CreateLogGroup (with tags), its retention
   * policy, then CreateLogStream again. "Already exists" is success: another writer won.
   */
  private async createStream(group: string, stream: string, signal: AbortSignal): Promise<void> {
    const call = async (what: string, run: () => Promise<unknown>): Promise<'ok' | 'exists' | 'missing'> => {
      try {
        await run();
        return 'ok';
      } catch (err) {
        if (isServiceError(err) && err.name === 'ResourceAlreadyExistsException') return 'exists';
        if (isServiceError(err) && err.name === 'ResourceNotFoundException') return 'missing';
        throw await this.classify(err, what);
      }
    };
    const createStream = () => call(`CreateLogStream ${group}/${stream}`, () => this.client.send(new this.sdk.CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }), { abortSignal: signal }));
    if ((await createStream()) !== 'missing') return;
    const tags = this.options.tags && Object.keys(this.options.tags).length > 0 ? { ...this.options.tags } : undefined;
    const created = await call(`CreateLogGroup ${group}`, () => this.client.send(new this.sdk.CreateLogGroupCommand({ logGroupName: group, tags }), { abortSignal: signal }));
    if (created === 'ok' && this.options.retentionDays > 0) {
      const retention = await call(`PutRetentionPolicy ${group}`, () =>
        this.client.send(new this.sdk.PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: this.options.retentionDays }), { abortSignal: signal }),
      );
      if (retention === 'missing') throw new RetryableError(`PutRetentionPolicy ${group}: the log group vanished after it was created`);
    }
    if ((await createStream()) === 'missing') throw new RetryableError(`CreateLogStream ${group}/${stream}: the log group does not exist after it was created`);
  }
}
