// Configuration of the `http` exporter: a generic HTTP sink for logs, as Vector's `http` sink
// is used by the Fly Log Shipper: the endpoint (Vector's `uri`), the method, the body format
// (a JSON array, NDJSON or text lines), gzip, headers, Basic or Bearer auth, and the batch
// limits of one request in bytes and records; plus the confighttp and exporterhelper keys.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { compressionSchema, headersSchema, urlProblem, type HeadersConfig } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export type HttpSinkFormat = 'json' | 'ndjson' | 'text' | 'text_json';

export interface HttpSinkAuth {
  strategy: 'basic' | 'bearer';
  user?: string;
  password?: string;
  token?: string;
}

export interface HttpSinkConfig {
  endpoint: string;
  method: 'POST' | 'PUT' | 'PATCH';
  format: HttpSinkFormat;
  compression: 'gzip' | 'none' | '';
  headers: HeadersConfig;
  auth?: HttpSinkAuth;
  batch: { max_bytes: number; max_events: number };
  timeout: string;
  tls: TlsClientConfig;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
  max_conns_per_host: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
}

/** Vector's http sink default batch.max_bytes. */
export const DEFAULT_MAX_BYTES = 10_000_000;

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs to any HTTP endpoint as a JSON array, NDJSON or text lines (a generic HTTP sink, as Vector\'s http sink).',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    endpoint: { type: 'string', description: 'The full URL requests are sent to (Vector\'s uri), e.g. https://logs.example.com/ingest.' },
    method: { type: 'string', enum: ['POST', 'PUT', 'PATCH'], default: 'POST', description: 'The HTTP method.' },
    format: {
      type: 'string',
      enum: ['json', 'ndjson', 'text', 'text_json'],
      default: 'json',
      description: 'The body: json (a JSON array of records, application/json), ndjson (one JSON record per line, application/x-ndjson), text (each record\'s body as a line, text/plain) or text_json ({"text": the bodies, one per line}, the message of Slack and Mattermost incoming webhooks). A JSON record: timestamp, observed_timestamp, severity_text, severity_number, body, attributes, resource, scope, trace_id, span_id (empty fields left out).',
    },
    compression: { ...compressionSchema('none'), description: 'Compression of request bodies: gzip (Content-Encoding: gzip) or none.' },
    headers: headersSchema,
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['strategy'],
      description: 'Authorization header, as Vector\'s auth: basic (user, password) or bearer (token). Never logged.',
      properties: {
        strategy: { type: 'string', enum: ['basic', 'bearer'], description: 'basic or bearer.' },
        user: { type: 'string', description: 'basic: the user name.' },
        password: { type: 'string', description: 'basic: the password.' },
        token: { type: 'string', description: 'bearer: the token.' },
      },
    },
    batch: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Limits of one request: a queued batch larger than these is sent as several requests (a record alone over max_bytes is dropped and counted).',
      properties: {
        max_bytes: { type: 'integer', minimum: 0, default: DEFAULT_MAX_BYTES, description: 'Maximum body size before compression, in bytes; 0 means no limit.' },
        max_events: { type: 'integer', minimum: 0, default: 0, description: 'Maximum records per request; 0 means no limit.' },
      },
    },
    timeout: timeoutSchema('30s'),
    tls: tlsClientSchema,
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
    max_conns_per_host: { type: 'integer', minimum: 0, default: 0, description: 'Maximum connections to the server; 0 means no limit.' },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
    disable_keep_alives: { type: 'boolean', default: false, description: 'Open a new connection for every request.' },
  },
};

export function validate(config: HttpSinkConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const p = urlProblem('endpoint', config.endpoint);
  if (p) problems.push(p);
  const auth = config.auth;
  if (auth?.strategy === 'basic' && !auth.user) problems.push({ path: 'auth.user', message: 'basic auth needs a user', fix: 'set auth.user (and auth.password)' });
  if (auth?.strategy === 'bearer' && !auth.token) problems.push({ path: 'auth.token', message: 'bearer auth needs a token', fix: 'set auth.token, e.g. ${env:TOKEN}' });
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
