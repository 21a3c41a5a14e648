// The jaeger receiver's configuration: the Collector's jaegerreceiver keys (protocols grpc,
// thrift_http, thrift_binary, thrift_compact), their defaults, and the resolved forms.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { validateTlsServer } from '../../config/tls-server.js';
import { splitHostPort } from '../../net.js';
import type { GrpcProtocolConfig, ResolvedGrpc, ResolvedHttp } from '../otlp/config.js';
import { grpcSchema, resolveGrpc, resolveHttp } from '../otlp/config.js';
import type { HttpServerConfig } from '../span_http_config.js';
import { httpServerProperties, validateHttpServer } from '../span_http_config.js';
import type { ResolvedUdp } from './udp.js';

export const DEFAULT_ENDPOINTS = {
  grpc: 'localhost:14250',
  thrift_http: 'localhost:14268',
  thrift_compact: 'localhost:6831',
  thrift_binary: 'localhost:6832',
} as const;
const DEFAULT_PORTS = { grpc: 14250, thrift_http: 14268, thrift_compact: 6831, thrift_binary: 6832 } as const;

export interface UdpServerConfig {
  readonly endpoint?: string;
  readonly queue_size?: number;
  readonly max_packet_size?: number;
  readonly workers?: number;
  readonly socket_buffer_size?: number;
}

export interface JaegerReceiverConfig {
  readonly protocols?: {
    readonly grpc?: GrpcProtocolConfig;
    readonly thrift_http?: HttpServerConfig;
    readonly thrift_binary?: UdpServerConfig;
    readonly thrift_compact?: UdpServerConfig;
  };
}

const udpSchema = (protocol: 'thrift_compact' | 'thrift_binary', encoding: string): SchemaObject => ({
  type: 'object',
  description: `Serve the Jaeger agent protocol (Agent.emitBatch in ${encoding} Thrift over UDP). Present (even empty) enables it.`,
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', description: `host:port to listen on (UDP); 0.0.0.0:${DEFAULT_PORTS[protocol]} for every interface.`, default: DEFAULT_ENDPOINTS[protocol] },
    queue_size: { type: 'integer', minimum: 1, description: 'Datagrams waiting for a worker; when full, new ones are dropped (counted and logged).', default: 1000 },
    max_packet_size: { type: 'integer', minimum: 1, maximum: 65535, description: 'Largest datagram accepted, in bytes; larger ones are dropped.', default: 65000 },
    workers: { type: 'integer', minimum: 1, description: 'Datagrams decoded and handed to the pipeline at once.', default: 10 },
    socket_buffer_size: { type: 'integer', minimum: 0, description: "The socket's receive buffer in bytes (SO_RCVBUF). 0: the system default.", default: 0 },
  },
});

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    protocols: {
      type: 'object',
      description: 'The protocols to serve; at least one.',
      additionalProperties: false,
      default: {},
      properties: {
        grpc: {
          ...grpcSchema,
          type: 'object',
          description: 'Serve the Jaeger gRPC collector API (jaeger.api_v2.CollectorService/PostSpans). Present (even empty) enables it.',
          properties: {
            ...(grpcSchema.properties as Record<string, SchemaObject>),
            endpoint: { type: 'string', description: 'host:port to listen on; 0.0.0.0:14250 for every interface.', default: DEFAULT_ENDPOINTS.grpc },
          },
        },
        thrift_http: {
          type: 'object',
          description: 'Serve POST /api/traces with a Thrift (binary) Batch, as Jaeger clients send it. Present (even empty) enables it.',
          additionalProperties: false,
          properties: httpServerProperties(DEFAULT_ENDPOINTS.thrift_http, 'host:port to listen on; 0.0.0.0:14268 for every interface.'),
        },
        thrift_compact: udpSchema('thrift_compact', 'compact'),
        thrift_binary: udpSchema('thrift_binary', 'binary'),
      },
    },
  },
};

export function resolveJaegerGrpc(c: GrpcProtocolConfig): ResolvedGrpc {
  const { host, port } = splitHostPort(c.endpoint ?? DEFAULT_ENDPOINTS.grpc, DEFAULT_PORTS.grpc);
  return { ...resolveGrpc({ ...c, endpoint: DEFAULT_ENDPOINTS.grpc }), host, port };
}

export function resolveThriftHttp(c: HttpServerConfig): ResolvedHttp {
  const { host, port } = splitHostPort(c.endpoint ?? DEFAULT_ENDPOINTS.thrift_http, DEFAULT_PORTS.thrift_http);
  return { ...resolveHttp({ ...c, endpoint: DEFAULT_ENDPOINTS.thrift_http }), host, port };
}

export function resolveUdp(c: UdpServerConfig, protocol: 'thrift_compact' | 'thrift_binary'): ResolvedUdp {
  const { host, port } = splitHostPort(c.endpoint ?? DEFAULT_ENDPOINTS[protocol], DEFAULT_PORTS[protocol]);
  return {
    host,
    port,
    queueSize: c.queue_size ?? 1000,
    maxPacketSize: c.max_packet_size ?? 65000,
    workers: c.workers ?? 10,
    socketBufferSize: c.socket_buffer_size ?? 0,
  };
}

function endpointProblem(endpoint: string | undefined, port: number, path: string): ConfigProblem[] {
  if (endpoint === undefined) return [];
  try {
    splitHostPort(endpoint, port);
    return [];
  } catch (err) {
    return [{ path, message: err instanceof Error ? err.message : String(err), fix: `write host:port, such as localhost:${port}` }];
  }
}

/** At least one protocol, endpoints that parse, TLS pairs, and no two protocols on one TCP or UDP endpoint. */
export function validate(config: JaegerReceiverConfig): ConfigProblem[] {
  const p = config.protocols ?? {};
  const problems: ConfigProblem[] = [];
  const present = (['grpc', 'thrift_http', 'thrift_compact', 'thrift_binary'] as const).filter((k) => k in p);
  if (present.length === 0) {
    problems.push({
      path: 'protocols',
      message: 'must specify at least one protocol when using the Jaeger receiver',
      fix: 'add grpc:, thrift_http:, thrift_compact: and/or thrift_binary: under protocols (an empty key enables it with its defaults)',
    });
  }
  if (p.grpc) {
    problems.push(...endpointProblem(p.grpc.endpoint, DEFAULT_PORTS.grpc, 'protocols.grpc.endpoint'));
    if (p.grpc.tls !== undefined) problems.push(...validateTlsServer(p.grpc.tls, 'protocols.grpc.tls'));
  }
  if (p.thrift_http) problems.push(...validateHttpServer(p.thrift_http, DEFAULT_PORTS.thrift_http, 'protocols.thrift_http'));
  for (const k of ['thrift_compact', 'thrift_binary'] as const) {
    const c = p[k];
    if (c) problems.push(...endpointProblem(c.endpoint, DEFAULT_PORTS[k], `protocols.${k}.endpoint`));
  }
  const tcp = (['grpc', 'thrift_http'] as const).filter((k) => k in p);
  if (tcp.length === 2 && (p.grpc?.endpoint ?? DEFAULT_ENDPOINTS.grpc) === (p.thrift_http?.endpoint ?? DEFAULT_ENDPOINTS.thrift_http)) {
    problems.push({ path: 'protocols.thrift_http.endpoint', message: 'grpc and thrift_http cannot share one endpoint', fix: 'give each its own port (defaults: 14250 and 14268)' });
  }
  const udp = (['thrift_compact', 'thrift_binary'] as const).filter((k) => k in p);
  if (udp.length === 2 && (p.thrift_compact?.endpoint ?? DEFAULT_ENDPOINTS.thrift_compact) === (p.thrift_binary?.endpoint ?? DEFAULT_ENDPOINTS.thrift_binary)) {
    problems.push({ path: 'protocols.thrift_binary.endpoint', message: 'thrift_compact and thrift_binary cannot share one endpoint', fix: 'give each its own port (defaults: 6831 and 6832)' });
  }
  return problems;
}
