// Shared setup of the awscloudwatchlogs tests: credentials in the environment (the SDK's
// default chain reads them), no shared config files or instance metadata, and batches of
// log records at chosen times.
import { makeBatch, type LogsBatch } from '../../../src/pdata/batch.js';
import type { LogRecord } from '../../../src/pdata/types.js';

export const ACCESS_KEY_ID = 'AKIAFERRYTEST0000001';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYFERRYSECRET';
export const REGION = 'eu-west-3';
export const DAY = 24 * 60 * 60 * 1000;

/** The environment the SDK sees: only our test credentials. */
export const AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
  AWS_CONFIG_FILE: '/nonexistent/ferry-test-aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/ferry-test-aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export function useTestAwsEnv(): void {
  for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS']) {
    delete process.env[k];
  }
  Object.assign(process.env, AWS_ENV);
}

const nanos = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();

/** One resource, one scope, a record per time (ms), bodies `event <i>` unless given. */
export function logsAt(times: readonly number[], body: (i: number) => string = (i) => `event ${i}`, extra: (i: number) => Partial<LogRecord> = () => ({})): LogsBatch {
  return makeBatch('logs', [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeLogs: [
        {
          scope: { name: 'ferry-test', version: '1.2.3', attributes: [] },
          logRecords: times.map((t, i) => ({ timeUnixNano: nanos(t), body: { stringValue: body(i) }, attributes: [], ...extra(i) })),
        },
      ],
    },
  ]);
}
