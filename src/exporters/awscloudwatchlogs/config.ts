// Configuration of the `awscloudwatchlogs` exporter, with the OpenTelemetry Collector
// contrib exporter's keys (awscloudwatchlogsexporter + its AWS session settings).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export interface AwsCloudWatchLogsConfig {
  log_group_name?: string;
  log_stream_name?: string;
  region?: string;
  endpoint?: string;
  profile?: string;
  role_arn?: string;
  log_retention: number;
  tags?: Readonly<Record<string, string>>;
  raw_log: boolean;
  max_retries: number;
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
}

/** The retention periods PutRetentionPolicy accepts (days); 0 means never expire (no policy is set). */
export const RETENTION_DAYS: readonly number[] = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

// CreateLogGroup / CreateLogStream request parameters (CloudWatch Logs API reference).
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;
// Tag rules of CreateLogGroup (and the contrib's ValidateTagsInput).
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;
const MAX_TAGS = 50;

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs to AWS CloudWatch Logs with PutLogEvents, creating the log group and stream when missing.',
  additionalProperties: false,
  properties: {
    log_group_name: { type: 'string', description: 'The log group to write to (required). Created on first use if missing, with log_retention and tags.' },
    log_stream_name: { type: 'string', description: 'The log stream to write to (required). Created on first use if missing.' },
    region: {
      type: 'string',
      description: 'AWS region of the log group, e.g. us-east-1. When empty, the SDK\'s chain decides: AWS_REGION, then the shared config file\'s region.',
    },
    endpoint: {
      type: 'string',
      description: 'CloudWatch Logs endpoint instead of the region\'s own, e.g. logs.us-east-1.amazonaws.com or a full http(s) URL (a VPC endpoint, or a local test server). https:// is assumed without a scheme.',
    },
    profile: { type: 'string', description: 'Named profile of the shared AWS config and credentials files, instead of AWS_PROFILE or "default".' },
    role_arn: {
      type: 'string',
      description: 'Not supported by Ferry: leave it out. To assume a role, use a shared-config profile with role_arn and source_profile (profile: or AWS_PROFILE), or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE.',
    },
    log_retention: {
      type: 'integer',
      enum: RETENTION_DAYS,
      default: 0,
      description: 'Retention in days applied to a log group this exporter creates (PutRetentionPolicy); 0 never expires. Existing groups are left alone.',
    },
    tags: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Tags (1 to 50) given to a log group this exporter creates. Existing groups are left alone.',
    },
    raw_log: {
      type: 'boolean',
      default: false,
      description: 'Send each record\'s body as the event message as-is (needed for Embedded Metric Format), instead of a JSON document with body, severity, ids, attributes and resource.',
    },
    max_retries: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'Retries the AWS SDK makes inside one attempt (its maxAttempts is max_retries + 1). Ferry defaults to 0 so that retry_on_failure, with its backoff and max_elapsed_time, is the one retry policy.',
    },
    timeout: timeoutSchema('30s'),
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
  },
};

function nameProblem(path: 'log_group_name' | 'log_stream_name', value: string | undefined): ConfigProblem | undefined {
  const example = path === 'log_group_name' ? '/ferry/app' : 'web-1';
  if (value === undefined || value === '') {
    return { path, message: 'is required', fix: `set ${path} (e.g. ${path}: ${example}); it is created if missing` };
  }
  if (path === 'log_group_name' && !GROUP_NAME.test(value)) {
    return { path, message: `"${value}" is not a valid log group name`, fix: 'use 1 to 512 characters among letters, digits, _ - / . #' };
  }
  if (path === 'log_stream_name' && !STREAM_NAME.test(value)) {
    return { path, message: `"${value}" is not a valid log stream name`, fix: 'use 1 to 512 characters, without : or *' };
  }
  return undefined;
}

/** The endpoint as a URL: `https://` is assumed when it has no scheme, as the contrib exporter documents host names. */
export function endpointUrl(endpoint: string): URL {
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`);
}

export function validate(config: AwsCloudWatchLogsConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const path of ['log_group_name', 'log_stream_name'] as const) {
    const p = nameProblem(path, config[path]);
    if (p) problems.push(p);
  }
  if (config.role_arn) {
    problems.push({
      path: 'role_arn',
      message: 'assuming a role from the exporter\'s config is not supported by Ferry',
      fix: 'remove role_arn and assume the role through the SDK\'s credential chain: a shared-config profile with role_arn and source_profile (select it with profile: or AWS_PROFILE), or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE',
    });
  }
  if (config.endpoint) {
    let url: URL | undefined;
    try {
      url = endpointUrl(config.endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      problems.push({ path: 'endpoint', message: `"${config.endpoint}" is not a host name or http(s) URL`, fix: 'write a host such as logs.us-east-1.amazonaws.com, or a URL such as https://vpce-…amazonaws.com' });
    } else if (url.username || url.password) {
      problems.push({ path: 'endpoint', message: 'must not carry credentials', fix: 'remove user:password@ from the URL; credentials come from the AWS credential chain' });
    }
  }
  if (config.tags !== undefined) {
    const entries = Object.entries(config.tags);
    if (entries.length === 0 || entries.length > MAX_TAGS) {
      problems.push({ path: 'tags', message: `has ${entries.length} tags; CloudWatch Logs takes 1 to ${MAX_TAGS}`, fix: entries.length === 0 ? 'remove tags, or add at least one' : `keep at most ${MAX_TAGS} tags` });
    }
    for (const [key, value] of entries) {
      // The key goes in the message: a dotted key would read as a nested path.
      if (!TAG_KEY.test(key)) problems.push({ path: 'tags', message: `key "${key}" is not a valid tag key`, fix: 'use 1 to 128 letters, digits, spaces or _ . : / = + - @' });
      if (!TAG_VALUE.test(value)) problems.push({ path: 'tags', message: `the value of "${key}" is not a valid tag value`, fix: 'use 1 to 256 letters, digits, spaces or _ . : / = + - @' });
    }
  }
  problems.push(...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
