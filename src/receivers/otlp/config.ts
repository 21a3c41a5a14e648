// The otlp receiver's configuration: the OpenTelemetry Collector's otlpreceiver keys
// (protocols.grpc / protocols.http), its JSON Schema, and the resolved form with defaults.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema, mib, parseDuration } from '../../config/units.js';
import type { TlsServerConfig } from '../../config/tls-server.js';
import { tlsServerSchema, validateTlsServer } from '../../config/tls-server.js';
import { hasPort, splitHostPort } from '../../net.js';
import type { Signal } from '../../pdata/types.js';
import { COMPRESSION_ALGORITHMS } from '../../compression.js';

export const DEFAULT_GRPC_ENDPOINT = '127.0.0.1:4317';
export const DEFAULT_HTTP_ENDPOINT = '127.0.0.1:4318';
export const DEFAULT_MAX_RECV_MSG_SIZE_MIB = 4;
export const DEFAULT_MAX_REQUEST_BODY_SIZE = mib(20);
/** The Collector's confighttp server defaults (read_timeout: see DEFAULT_READ_TIMEOUT). */
export const DEFAULT_READ_HEADER_TIMEOUT = '1m';
export const DEFAULT_WRITE_TIMEOUT = '30s';
export const DEFAULT_IDLE_TIMEOUT = '1m';
/**
 * The Collector's default is 0 (no limit); Go spends a goroutine on a stalled upload, Node
 * a socket and its buffered body, so Ferry bounds the whole request by default (Node's own
 * default requestTimeout is the same 5 minutes). Slow-loris bodies are cut after this.
 */
export const DEFAULT_READ_TIMEOUT = '5m';
/**
 * Ferry's own key (both protocols): bytes of requests held at once (raw and decompressed
 * bodies, until the pipeline settled). Three 20 MiB uploads; SDK batches are far smaller.
 */
export const DEFAULT_MAX_REQUEST_BYTES_IN_FLIGHT = mib(64);
/** Ferry's own key (both protocols): open client connections beyond this are closed at once. */
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** grpc-go's ConnectionTimeout: a connection that has not started HTTP/2 by then is closed. */
export const DEFAULT_HANDSHAKE_TIMEOUT = '120s';
/**
 * The Collector leaves max_connection_idle unset (never); grpc-js then keeps a silent HTTP/2
 * session forever, and a thousand of them take Ferry to its fd limit. Clients reconnect on
 * the GOAWAY transparently.
 */
export const DEFAULT_MAX_CONNECTION_IDLE = '5m';
export const DEFAULT_URL_PATHS: Readonly<Record<Signal, string>> = { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' };

export interface KeepaliveConfig {
  readonly server_parameters?: {
    readonly max_connection_idle?: string;
    readonly max_connection_age?: string;
    readonly max_connection_age_grace?: string;
    readonly time?: string;
    readonly timeout?: string;
  };
  readonly enforcement_policy?: {
    readonly min_time?: string;
    readonly permit_without_stream?: boolean;
  };
}

export interface GrpcProtocolConfig {
  readonly endpoint?: string;
  readonly transport?: 'tcp' | 'tcp4' | 'tcp6' | 'unix';
  readonly read_buffer_size?: number;
  readonly write_buffer_size?: number;
  readonly max_recv_msg_size_mib?: number;
  readonly max_concurrent_streams?: number;
  readonly include_metadata?: boolean;
  readonly keepalive?: KeepaliveConfig;
  readonly tls?: TlsServerConfig;
  readonly max_connections?: number;
  readonly handshake_timeout?: string;
  readonly max_request_bytes_in_flight?: number;
}

export interface CorsConfig {
  readonly allowed_origins?: readonly string[];
  readonly allowed_headers?: readonly string[];
  readonly exposed_headers?: readonly string[];
  readonly max_age?: number;
}

export interface HttpProtocolConfig {
  readonly endpoint?: string;
  readonly max_request_body_size?: number;
  readonly include_metadata?: boolean;
  readonly traces_url_path?: string;
  readonly metrics_url_path?: string;
  readonly logs_url_path?: string;
  readonly cors?: CorsConfig;
  readonly tls?: TlsServerConfig;
  readonly compression_algorithms?: readonly string[];
  readonly response_headers?: Readonly<Record<string, string>>;
  readonly keep_alives_enabled?: boolean;
  readonly read_timeout?: string;
  readonly read_header_timeout?: string;
  readonly write_timeout?: string;
  readonly idle_timeout?: string;
  readonly max_connections?: number;
  readonly max_request_bytes_in_flight?: number;
}

/** As written in YAML: a protocol key that is present (even empty) enables that protocol. */
export interface OtlpReceiverConfig {
  readonly protocols?: {
    readonly grpc?: GrpcProtocolConfig;
    readonly http?: HttpProtocolConfig;
  };
}

export const grpcSchema: SchemaObject = {
  type: 'object',
  description: 'Serve OTLP/gRPC. Present (even empty) enables it; absent disables it.',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', description: 'host:port to listen on; 0.0.0.0:4317 for every interface. With transport unix: the socket path.', default: DEFAULT_GRPC_ENDPOINT },
    transport: {
      type: 'string',
      enum: ['tcp', 'tcp4', 'tcp6', 'unix'],
      default: 'tcp',
      description: 'tcp (tcp4/tcp6: the address family follows the endpoint host), or unix: listen on the Unix socket whose path is endpoint.',
    },
    read_buffer_size: {
      type: 'integer',
      minimum: 0,
      description: 'Accepted for Collector configurations; grpc-js sizes its own socket buffers, so Ferry cannot honour it (ferry validate warns).',
    },
    write_buffer_size: {
      type: 'integer',
      minimum: 0,
      description: 'Accepted for Collector configurations; grpc-js sizes its own socket buffers, so Ferry cannot honour it (ferry validate warns).',
    },
    max_recv_msg_size_mib: {
      type: 'integer',
      minimum: 1,
      description: 'Largest request accepted, in MiB, after decompression; larger ones get RESOURCE_EXHAUSTED.',
      default: DEFAULT_MAX_RECV_MSG_SIZE_MIB,
    },
    max_concurrent_streams: {
      type: 'integer',
      minimum: 1,
      description: 'HTTP/2 limit on concurrent calls per client connection. Unset: unlimited.',
    },
    include_metadata: {
      type: 'boolean',
      description: "Pass the request's gRPC metadata on with the data (for processors that read client metadata).",
      default: false,
    },
    keepalive: {
      type: 'object',
      description: 'gRPC keepalive settings.',
      additionalProperties: false,
      properties: {
        server_parameters: {
          type: 'object',
          description: 'Connection ageing and pings initiated by the server.',
          additionalProperties: false,
          properties: {
            max_connection_idle: durationSchema('Close (GOAWAY) a connection that had no call for this long. The Collector never does by default; Ferry does after 5m.', DEFAULT_MAX_CONNECTION_IDLE),
            max_connection_age: durationSchema('Close a connection (gracefully, with GOAWAY) once it is this old. Unset: never.'),
            max_connection_age_grace: durationSchema('After max_connection_age, how long calls in progress may finish before the connection is cut.'),
            time: durationSchema('Ping a client after this long without activity. Unset: 2h.'),
            timeout: durationSchema('Close the connection when a ping is not answered within this time. Unset: 20s.'),
          },
        },
        enforcement_policy: {
          type: 'object',
          description: 'Accepted for compatibility with Collector configurations; grpc-js does not police client pings, so it has no effect.',
          additionalProperties: false,
          properties: {
            min_time: durationSchema('Minimum interval between client pings (not enforced by grpc-js).'),
            permit_without_stream: { type: 'boolean', description: 'Allow client pings without active calls (not enforced by grpc-js).' },
          },
        },
      },
    },
    tls: tlsServerSchema,
    max_request_bytes_in_flight: {
      type: 'integer',
      minimum: 1,
      description:
        'Ferry key: bytes of requests (raw and decompressed bodies) held at once, until the pipeline settled; past it requests are refused with a retryable status (HTTP 429 / RESOURCE_EXHAUSTED + Retry-After 1s) and counted in ferry_receiver_memory_refused_requests_total. Bounds memory under bursts of large uploads.',
      default: DEFAULT_MAX_REQUEST_BYTES_IN_FLIGHT,
    },
    max_connections: {
      type: 'integer',
      minimum: 1,
      description: 'Ferry key: the most client connections open at once; more are closed as they arrive and counted in ferry_receiver_refused_connections_total. Keeps Ferry under its file-descriptor limit.',
      default: DEFAULT_MAX_CONNECTIONS,
    },
    handshake_timeout: durationSchema(
      'Ferry key (grpc-go\'s ConnectionTimeout): a connection that has not started HTTP/2 (sent its preface and SETTINGS) within this time is closed.',
      DEFAULT_HANDSHAKE_TIMEOUT,
    ),
  },
};

const urlPath = (signal: Signal): SchemaObject => ({
  type: 'string',
  description: `URL path for ${signal}; a missing leading "/" is added.`,
  default: DEFAULT_URL_PATHS[signal],
});

export const httpSchema: SchemaObject = {
  type: 'object',
  description: 'Serve OTLP/HTTP (protobuf and JSON). Present (even empty) enables it; absent disables it.',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', description: 'host:port to listen on; 0.0.0.0:4318 for every interface.', default: DEFAULT_HTTP_ENDPOINT },
    max_request_body_size: {
      type: 'integer',
      minimum: 1,
      description: 'Largest request body in bytes, before and after decompression; larger ones get 413.',
      default: DEFAULT_MAX_REQUEST_BODY_SIZE,
    },
    include_metadata: {
      type: 'boolean',
      description: "Pass the request's HTTP headers on with the data (for processors that read client metadata).",
      default: false,
    },
    traces_url_path: urlPath('traces'),
    metrics_url_path: urlPath('metrics'),
    logs_url_path: urlPath('logs'),
    read_timeout: durationSchema(
      'Longest time to receive a whole request, headers and body; a client still uploading after this is disconnected (slow-loris). 0: no limit. The Collector default is 0; Ferry bounds it.',
      DEFAULT_READ_TIMEOUT,
    ),
    read_header_timeout: durationSchema('Longest time to receive the request headers; a client still sending them after this is disconnected. 0: use read_timeout.', DEFAULT_READ_HEADER_TIMEOUT),
    write_timeout: durationSchema(
      'Longest time from the end of the request headers to the end of the answer (the pipeline included); after it the connection is closed without an answer. 0: no limit.',
      DEFAULT_WRITE_TIMEOUT,
    ),
    idle_timeout: durationSchema('How long a keep-alive connection may wait for its next request. 0: use read_timeout.', DEFAULT_IDLE_TIMEOUT),
    cors: {
      type: 'object',
      description: 'Cross-origin requests from browsers. Enabled when allowed_origins is not empty.',
      additionalProperties: false,
      properties: {
        allowed_origins: {
          type: 'array',
          items: { type: 'string' },
          description: 'Origins allowed to send data; "*" inside a value matches any characters ("https://*.example.com", or "*" for any).',
          default: [],
        },
        allowed_headers: {
          type: 'array',
          items: { type: 'string' },
          description:
            'Request headers allowed besides Accept, Accept-Language, Content-Type and Content-Language (plus X-Requested-With when empty); "*" allows any.',
          default: [],
        },
        max_age: { type: 'integer', minimum: 0, description: 'Seconds a browser may cache a preflight answer (Access-Control-Max-Age). Unset: not sent.' },
        exposed_headers: {
          type: 'array',
          items: { type: 'string' },
          description: 'Response headers a browser script may read (Access-Control-Expose-Headers).',
          default: [],
        },
      },
    },
    tls: tlsServerSchema,
    compression_algorithms: {
      type: 'array',
      items: { type: 'string', enum: ['', ...COMPRESSION_ALGORITHMS] },
      default: ['', ...COMPRESSION_ALGORITHMS],
      description: `Content-Encodings accepted on requests ("" is none); others get 400. Default: all of "", ${COMPRESSION_ALGORITHMS.join(', ')}.`,
    },
    response_headers: {
      type: 'object',
      // Any header name: the map is open by pattern, closed to non-string values.
      patternProperties: { '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$': { type: 'string', description: 'A header value.' } },
      additionalProperties: false,
      default: {},
      description: 'Headers added to every answer.',
    },
    keep_alives_enabled: {
      type: 'boolean',
      default: true,
      description: 'Keep connections open between requests; false closes each after its answer (Connection: close).',
    },
    max_request_bytes_in_flight: {
      type: 'integer',
      minimum: 1,
      description:
        'Ferry key: bytes of requests (raw and decompressed bodies) held at once, until the pipeline settled; past it requests are refused with a retryable status (HTTP 429 / RESOURCE_EXHAUSTED + Retry-After 1s) and counted in ferry_receiver_memory_refused_requests_total. Bounds memory under bursts of large uploads.',
      default: DEFAULT_MAX_REQUEST_BYTES_IN_FLIGHT,
    },
    max_connections: {
      type: 'integer',
      minimum: 1,
      description: 'Ferry key: the most client connections open at once; more are closed as they arrive and counted in ferry_receiver_refused_connections_total. Keeps Ferry under its file-descriptor limit.',
      default: DEFAULT_MAX_CONNECTIONS,
    },
  },
};

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    protocols: {
      type: 'object',
      description: 'The protocols to serve; at least one of grpc and http.',
      additionalProperties: false,
      properties: { grpc: grpcSchema, http: httpSchema },
      default: {},
    },
  },
};

/** gRPC settings with defaults applied and durations in milliseconds. */
export interface ResolvedGrpc {
  /** transport unix: the socket path (host and port are then unused). */
  readonly unixPath?: string;
  readonly host: string;
  readonly port: number;
  readonly maxRecvMsgSizeBytes: number;
  readonly maxConcurrentStreams: number | undefined;
  readonly includeMetadata: boolean;
  readonly maxConnections: number;
  readonly handshakeTimeoutMs: number;
  readonly maxRequestBytesInFlight: number;
  readonly keepalive: {
    readonly maxConnectionIdleMs?: number;
    readonly maxConnectionAgeMs?: number;
    readonly maxConnectionAgeGraceMs?: number;
    readonly timeMs?: number;
    readonly timeoutMs?: number;
  };
  readonly tls: TlsServerConfig | undefined;
}

export interface ResolvedCors {
  readonly allowedOrigins: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
  readonly maxAge: number | undefined;
}

export interface ResolvedHttp {
  readonly host: string;
  readonly port: number;
  readonly maxRequestBodySize: number;
  readonly includeMetadata: boolean;
  readonly paths: Readonly<Record<Signal, string>>;
  readonly cors: ResolvedCors | undefined;
  readonly tls: TlsServerConfig | undefined;
  /** Accepted Content-Encoding values, lower case; "" and "identity" stand for none. */
  readonly compressionAlgorithms: ReadonlySet<string>;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly keepAlives: boolean;
  /** Milliseconds; 0 = no limit. Zero header/idle timeouts already fell back to readTimeoutMs, as in Go's net/http. */
  readonly readTimeoutMs: number;
  readonly readHeaderTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxRequestBytesInFlight: number;
}

/** A URL path as the Collector sanitizes it: relative paths get a leading "/". */
export function normalizeUrlPath(p: string): string {
  const pathOnly = p.split(/[?#]/, 1)[0] as string;
  return pathOnly.startsWith('/') ? pathOnly : `/${pathOnly}`;
}

function ms(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value);
}

/** Defaults filled in (the loader normally did it already; create() must not depend on that). */
export function resolveGrpc(c: GrpcProtocolConfig): ResolvedGrpc {
  const unix = c.transport === 'unix';
  const { host, port } = unix ? { host: '', port: 0 } : splitHostPort(c.endpoint ?? DEFAULT_GRPC_ENDPOINT, 4317);
  const sp = c.keepalive?.server_parameters ?? {};
  return {
    ...(unix ? { unixPath: c.endpoint ?? '' } : {}),
    host,
    port,
    maxRecvMsgSizeBytes: mib(c.max_recv_msg_size_mib ?? DEFAULT_MAX_RECV_MSG_SIZE_MIB),
    maxConcurrentStreams: c.max_concurrent_streams,
    includeMetadata: c.include_metadata ?? false,
    maxConnections: c.max_connections ?? DEFAULT_MAX_CONNECTIONS,
    handshakeTimeoutMs: parseDuration(c.handshake_timeout ?? DEFAULT_HANDSHAKE_TIMEOUT),
    maxRequestBytesInFlight: c.max_request_bytes_in_flight ?? DEFAULT_MAX_REQUEST_BYTES_IN_FLIGHT,
    keepalive: {
      maxConnectionIdleMs: ms(sp.max_connection_idle ?? DEFAULT_MAX_CONNECTION_IDLE),
      maxConnectionAgeMs: ms(sp.max_connection_age),
      maxConnectionAgeGraceMs: ms(sp.max_connection_age_grace),
      timeMs: ms(sp.time),
      timeoutMs: ms(sp.timeout),
    },
    tls: c.tls,
  };
}

export function resolveHttp(c: HttpProtocolConfig): ResolvedHttp {
  const { host, port } = splitHostPort(c.endpoint ?? DEFAULT_HTTP_ENDPOINT, 4318);
  const origins = c.cors?.allowed_origins ?? [];
  const readTimeoutMs = parseDuration(c.read_timeout ?? DEFAULT_READ_TIMEOUT);
  const readHeaderTimeoutMs = parseDuration(c.read_header_timeout ?? DEFAULT_READ_HEADER_TIMEOUT);
  const idleTimeoutMs = parseDuration(c.idle_timeout ?? DEFAULT_IDLE_TIMEOUT);
  return {
    host,
    port,
    maxRequestBodySize: c.max_request_body_size ?? DEFAULT_MAX_REQUEST_BODY_SIZE,
    includeMetadata: c.include_metadata ?? false,
    paths: {
      traces: normalizeUrlPath(c.traces_url_path ?? DEFAULT_URL_PATHS.traces),
      metrics: normalizeUrlPath(c.metrics_url_path ?? DEFAULT_URL_PATHS.metrics),
      logs: normalizeUrlPath(c.logs_url_path ?? DEFAULT_URL_PATHS.logs),
    },
    // Like the Collector: CORS is on only when some origin is allowed.
    cors:
      origins.length === 0
        ? undefined
        : { allowedOrigins: origins, allowedHeaders: c.cors?.allowed_headers ?? [], exposedHeaders: c.cors?.exposed_headers ?? [], maxAge: c.cors?.max_age },
    tls: c.tls,
    compressionAlgorithms: new Set((c.compression_algorithms ?? ['', ...COMPRESSION_ALGORITHMS]).flatMap((a) => (a === '' ? ['', 'identity', 'none'] : [a]))),
    responseHeaders: c.response_headers ?? {},
    keepAlives: c.keep_alives_enabled ?? true,
    readTimeoutMs,
    readHeaderTimeoutMs: readHeaderTimeoutMs === 0 ? readTimeoutMs : readHeaderTimeoutMs,
    writeTimeoutMs: parseDuration(c.write_timeout ?? DEFAULT_WRITE_TIMEOUT),
    idleTimeoutMs: idleTimeoutMs === 0 ? readTimeoutMs : idleTimeoutMs,
    maxConnections: c.max_connections ?? DEFAULT_MAX_CONNECTIONS,
    maxRequestBytesInFlight: c.max_request_bytes_in_flight ?? DEFAULT_MAX_REQUEST_BYTES_IN_FLIGHT,
  };
}

function endpointProblem(endpoint: string | undefined, defaultPort: number, path: string): ConfigProblem[] {
  if (endpoint === undefined) return [];
  try {
    const { host } = splitHostPort(endpoint, defaultPort);
    if (!hasPort(endpoint)) {
      // As the Collector ("missing port in address"): a port left out is a mistake, not a default.
      return [{ path, message: `"${endpoint}" has no port`, fix: `write host:port, such as endpoint: ${host === '0.0.0.0' ? '0.0.0.0' : endpoint.trim()}:${defaultPort}` }];
    }
    return [];
  } catch (err) {
    return [{ path, message: err instanceof Error ? err.message : String(err), fix: `write host:port, such as 127.0.0.1:${defaultPort}` }];
  }
}

/** What the schema cannot check: at least one protocol, endpoints, TLS pairs, distinct paths. */
export function validate(config: OtlpReceiverConfig): ConfigProblem[] {
  const { grpc, http } = config.protocols ?? {};
  const problems: ConfigProblem[] = [];
  if (grpc === undefined && http === undefined) {
    problems.push({
      path: 'protocols',
      message: 'must specify at least one protocol when using the OTLP receiver',
      fix: 'add `grpc:` and/or `http:` under protocols (an empty key enables it with its defaults)',
    });
  }
  if (grpc !== undefined) {
    if (grpc.transport === 'unix') {
      if (grpc.endpoint === undefined || grpc.endpoint === '' || grpc.endpoint === DEFAULT_GRPC_ENDPOINT) {
        problems.push({ path: 'protocols.grpc.endpoint', message: 'transport unix needs the socket path as endpoint', fix: 'set endpoint to a path such as /run/ferry/otlp.sock' });
      }
    } else {
      problems.push(...endpointProblem(grpc.endpoint, 4317, 'protocols.grpc.endpoint'));
    }
    for (const key of ['read_buffer_size', 'write_buffer_size'] as const) {
      if (grpc[key] !== undefined) {
        problems.push({ path: `protocols.grpc.${key}`, message: `${key} has no effect in Ferry: grpc-js sizes its own socket buffers`, fix: 'remove it to silence this warning', severity: 'warning' });
      }
    }
    if (grpc.tls !== undefined) problems.push(...validateTlsServer(grpc.tls, 'protocols.grpc.tls'));
  }
  if (http !== undefined) {
    problems.push(...endpointProblem(http.endpoint, 4318, 'protocols.http.endpoint'));
    if (http.tls !== undefined) problems.push(...validateTlsServer(http.tls, 'protocols.http.tls'));
    const seen = new Map<string, string>();
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      const key = `${signal}_url_path` as const;
      const p = normalizeUrlPath(http[key] ?? DEFAULT_URL_PATHS[signal]);
      const other = seen.get(p);
      if (other !== undefined) {
        problems.push({ path: `protocols.http.${key}`, message: `${p} is already the path for ${other}`, fix: 'give each signal its own URL path' });
      }
      seen.set(p, signal);
    }
  }
  if (grpc !== undefined && http !== undefined && grpc.endpoint !== undefined && grpc.endpoint === http.endpoint) {
    problems.push({ path: 'protocols.http.endpoint', message: `gRPC and HTTP cannot share ${grpc.endpoint}`, fix: 'use another port for one of them (defaults: 4317 for gRPC, 4318 for HTTP)' });
  }
  return problems;
}
