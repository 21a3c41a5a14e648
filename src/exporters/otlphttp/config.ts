// Configuration of the `otlphttp` exporter, with the OpenTelemetry Collector's keys
// and defaults (otlphttpexporter + confighttp client + configretry).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import type { Signal } from '../../pdata/types.js';
import { headersSchema, httpClientKeysProblems, httpClientKeysSchema, httpCompressionSchema, urlProblem, type HeadersConfig } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export interface OtlpHttpConfig {
  endpoint?: string;
  logs_endpoint?: string;
  traces_endpoint?: string;
  metrics_endpoint?: string;
  encoding: 'proto' | 'json';
  headers: HeadersConfig;
  compression: 'gzip' | 'zstd' | 'snappy' | 'zlib' | 'deflate' | 'lz4' | 'none' | '';
  compression_params?: { level?: number };
  timeout: string;
  tls: TlsClientConfig;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
  max_conns_per_host: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
  read_buffer_size?: number;
  write_buffer_size?: number;
  proxy_url?: string;
  max_idle_conns?: number;
  max_idle_conns_per_host?: number;
  http2_read_idle_timeout?: string;
  http2_ping_timeout?: string;
  force_attempt_http2?: boolean;
  cookies?: { enabled?: boolean };
  user_agent?: string;
}

const urlSchema = (description: string): SchemaObject => ({ type: 'string', description });

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs, traces and metrics to an OTLP/HTTP endpoint (protobuf or JSON).',
  additionalProperties: false,
  properties: {
    endpoint: urlSchema('Base URL of the receiver (e.g. https://collector:4318); /v1/logs, /v1/traces or /v1/metrics is appended.'),
    logs_endpoint: urlSchema('Full URL for logs, instead of endpoint + /v1/logs.'),
    traces_endpoint: urlSchema('Full URL for traces, instead of endpoint + /v1/traces.'),
    metrics_endpoint: urlSchema('Full URL for metrics, instead of endpoint + /v1/metrics.'),
    encoding: { type: 'string', enum: ['proto', 'json'], description: 'Request body encoding: OTLP protobuf or OTLP/JSON.', default: 'proto' },
    headers: headersSchema,
    compression: httpCompressionSchema('gzip'),
    compression_params: {
      type: 'object',
      additionalProperties: false,
      description: 'Parameters of the compression, as in the Collector (confighttp compression_params).',
      properties: {
        level: {
          type: 'integer',
          minimum: -1,
          maximum: 9,
          default: 1,
          description: 'gzip, zlib and deflate level: 1 (fastest) to 9 (smallest), 0 none, -1 zlib\'s default (6, the Collector\'s default); zstd level 1 to 9 here. Ferry defaults to 1: a quarter of the CPU per record for a 15 % larger body.',
        },
      },
    },
    timeout: timeoutSchema('30s'),
    tls: tlsClientSchema,
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
    max_conns_per_host: { type: 'integer', minimum: 0, description: 'Maximum connections to the server; 0 means no limit.', default: 0 },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
    disable_keep_alives: { type: 'boolean', description: 'Open a new connection for every request.', default: false },
    read_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers (ferry validate warns).' },
    write_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers (ferry validate warns).' },
    ...httpClientKeysSchema,
  },
};

const SIGNAL_ENDPOINT_KEY: Readonly<Record<Signal, 'logs_endpoint' | 'traces_endpoint' | 'metrics_endpoint'>> = {
  logs: 'logs_endpoint',
  traces: 'traces_endpoint',
  metrics: 'metrics_endpoint',
};

const SIGNAL_PATH: Readonly<Record<Signal, string>> = { logs: 'v1/logs', traces: 'v1/traces', metrics: 'v1/metrics' };

/** The URL a signal is posted to: its own *_endpoint, else endpoint + /v1/<signal>; undefined when neither is set. */
export function signalUrl(config: Pick<OtlpHttpConfig, 'endpoint' | 'logs_endpoint' | 'traces_endpoint' | 'metrics_endpoint'>, signal: Signal): string | undefined {
  const own = config[SIGNAL_ENDPOINT_KEY[signal]];
  if (own) return own;
  if (!config.endpoint) return undefined;
  return config.endpoint.endsWith('/') ? config.endpoint + SIGNAL_PATH[signal] : `${config.endpoint}/${SIGNAL_PATH[signal]}`;
}

export function validate(config: OtlpHttpConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const keys = ['endpoint', 'logs_endpoint', 'traces_endpoint', 'metrics_endpoint'] as const;
  if (keys.every((k) => !config[k])) {
    problems.push({
      path: 'endpoint',
      message: 'no endpoint is set',
      fix: 'set endpoint to the receiver\'s base URL (e.g. endpoint: http://collector:4318), or logs_endpoint / traces_endpoint / metrics_endpoint for each signal you export',
    });
  }
  for (const k of keys) {
    const value = config[k];
    if (!value) continue;
    const p = urlProblem(k, value);
    if (p) problems.push(p);
  }
  problems.push(...httpClientKeysProblems(config as unknown as Record<string, unknown>));
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
