// Configuration of the `otlp` (gRPC) exporter, with the OpenTelemetry Collector's keys
// and defaults (otlpexporter + configgrpc client + configtls + configretry).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { headersSchema, type HeadersConfig } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export interface KeepaliveConfig {
  time: string;
  timeout: string;
  permit_without_stream: boolean;
}

export interface OtlpGrpcConfig {
  endpoint: string;
  tls: TlsClientConfig;
  headers: HeadersConfig;
  compression: 'gzip' | 'deflate' | 'zstd' | 'snappy' | 'none' | '';
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
  balancer_name: 'pick_first' | 'round_robin' | '';
  keepalive?: KeepaliveConfig;
  authority?: string;
  wait_for_ready: boolean;
  read_buffer_size?: number;
  write_buffer_size?: number;
}

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs, traces and metrics to an OTLP/gRPC endpoint.',
  additionalProperties: false,
  properties: {
    endpoint: {
      type: 'string',
      description: 'host:port of the OTLP/gRPC receiver; an https:// prefix forces TLS, http:// is stripped (tls.insecure decides), dns:/// and unix:// are gRPC targets.',
    },
    tls: tlsClientSchema,
    headers: headersSchema,
    compression: {
      type: 'string',
      enum: ['gzip', 'deflate', 'zstd', 'snappy', 'none', ''],
      default: 'gzip',
      description: 'Compression of gRPC messages: gzip, deflate, or none ("" means none). zstd and snappy are accepted for Collector configurations, but grpc-js has only gzip and deflate: Ferry sends gzip instead (ferry validate warns).',
    },
    timeout: timeoutSchema('5s'),
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
    balancer_name: {
      type: 'string',
      enum: ['pick_first', 'round_robin', ''],
      description: 'gRPC load-balancing policy over the addresses the endpoint resolves to ("" = pick_first).',
      default: '',
    },
    keepalive: {
      type: 'object',
      description: 'Client keepalive pings; unset sends none.',
      additionalProperties: false,
      properties: {
        time: durationSchema('Ping the server after this much inactivity.', '10s'),
        timeout: durationSchema('Close the connection when a ping is not answered within this time.', '10s'),
        permit_without_stream: { type: 'boolean', description: 'Ping even when no call is in progress.', default: false },
      },
    },
    authority: { type: 'string', description: 'Value of the :authority header, instead of the endpoint host.' },
    wait_for_ready: {
      type: 'boolean',
      description: 'Let a call wait for the connection to become ready (within timeout) instead of failing fast while it is down.',
      default: false,
    },
    read_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
    write_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
  },
};

/** The endpoint as a gRPC target, plus whether its scheme asks for TLS (https://). */
export function grpcTarget(endpoint: string): { target: string; https: boolean } {
  if (endpoint.startsWith('https://')) return { target: endpoint.slice('https://'.length), https: true };
  if (endpoint.startsWith('http://')) return { target: endpoint.slice('http://'.length), https: false };
  return { target: endpoint, https: false };
}

export function validate(config: OtlpGrpcConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.compression === 'zstd' || config.compression === 'snappy') {
    problems.push({
      path: 'compression',
      message: `grpc-js compresses gRPC messages with gzip or deflate only, so Ferry sends gzip instead of ${config.compression}`,
      fix: 'write compression: gzip to silence this warning',
      severity: 'warning',
    });
  }
  const endpoint = config.endpoint ?? '';
  if (endpoint === '') {
    problems.push({ path: 'endpoint', message: 'is required', fix: 'set endpoint to host:port of the OTLP/gRPC receiver, e.g. endpoint: collector:4317' });
  } else if (endpoint.startsWith('unix://')) {
    if (endpoint === 'unix://') problems.push({ path: 'endpoint', message: 'the unix socket path is empty', fix: 'write unix:///path/to/socket' });
  } else {
    const hostPort = grpcTarget(endpoint).target.replace(/^dns:\/\/[^/]*\//, '').replace(/\/+$/, '');
    const m = /^(\[[^\]]+\]|[^:/]*):([^:/]*)$/.exec(hostPort);
    if (!m) {
      problems.push({ path: 'endpoint', message: `"${endpoint}" has no port`, fix: `write host:port, e.g. ${hostPort || 'collector'}:4317` });
    } else if (!/^\d+$/.test(m[2] ?? '') || Number(m[2]) > 65535) {
      problems.push({ path: 'endpoint', message: `invalid port "${m[2] ?? ''}"`, fix: 'use a port number between 0 and 65535, e.g. :4317' });
    }
  }
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
