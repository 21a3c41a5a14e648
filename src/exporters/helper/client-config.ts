// Client settings shared by network exporters (confighttp / configgrpc keys):
// `headers` and `compression`, with the helpers that read them.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { VERSION } from '../../version.js';
import { durationSchema } from '../../config/units.js';

/** User-Agent of Ferry's exporters (HTTP header, and gRPC's primary user agent). */
export const USER_AGENT = `Ferry/${VERSION} (OpenTelemetry Collector in TypeScript)`;

/** `headers`: a map, or the Collector's list form `[{name, value}]`. */
export type HeadersConfig = Readonly<Record<string, string>> | ReadonlyArray<{ readonly name: string; readonly value: string }>;

export const headersSchema: SchemaObject = {
  description: 'Headers added to every request (HTTP headers, or gRPC metadata). A map of name: value, or a list of {name, value}. Values are never logged.',
  default: {},
  oneOf: [
    // writeOnly: a secret (Authorization, API keys): never echoed in an error or a log line.
    { type: 'object', additionalProperties: { type: 'string', writeOnly: true } },
    {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'value'],
        properties: { name: { type: 'string', minLength: 1 }, value: { type: 'string', writeOnly: true } },
      },
    },
  ],
};

export function compressionSchema(defaultValue: 'gzip' | 'none'): SchemaObject {
  return {
    type: 'string',
    enum: ['gzip', 'none', ''],
    description: 'Compression of request bodies: gzip or none ("" means none).',
    default: defaultValue,
  };
}

/** `compression` of the OTLP/HTTP exporter: every algorithm of the Collector's confighttp. */
export function httpCompressionSchema(defaultValue: 'gzip' | 'none'): SchemaObject {
  return {
    type: 'string',
    enum: ['gzip', 'zstd', 'snappy', 'zlib', 'deflate', 'lz4', 'none', ''],
    description: 'Compression of request bodies: gzip, zstd, snappy (block format), zlib or deflate (both sent as Content-Encoding: deflate), lz4 (frame format), or none ("" means none).',
    default: defaultValue,
  };
}

/** The Collector's confighttp client keys beyond endpoint, headers, tls and compression. */
export const httpClientKeysSchema: Readonly<Record<string, SchemaObject>> = {
  proxy_url: { type: 'string', description: 'Send requests through this HTTP proxy (http://host:port, credentials in the URL allowed); https:// targets go through CONNECT. Unset: no proxy.' },
  max_idle_conns: { type: 'integer', minimum: 0, description: 'Idle keep-alive connections kept open in all; 0 means no limit. Ferry keeps them per host (max_idle_conns_per_host wins when both are set).' },
  max_idle_conns_per_host: { type: 'integer', minimum: 0, description: 'Idle keep-alive connections kept open to the server; 0 means no limit.' },
  http2_read_idle_timeout: durationSchema("HTTP/2 health-check interval. Ferry's HTTP client speaks HTTP/1.1, so it has no effect (ferry validate warns)."),
  http2_ping_timeout: durationSchema("HTTP/2 ping timeout. Ferry's HTTP client speaks HTTP/1.1, so it has no effect (ferry validate warns)."),
  force_attempt_http2: { type: 'boolean', description: "Try HTTP/2. Ferry's HTTP client speaks HTTP/1.1, so it has no effect (ferry validate warns)." },
  cookies: {
    type: 'object',
    additionalProperties: false,
    description: 'Keep the cookies the server sets and send them back (e.g. load-balancer stickiness).',
    properties: { enabled: { type: 'boolean', default: false, description: 'Store cookies from Set-Cookie answers and send them with later requests to the same host.' } },
  },
  user_agent: { type: 'string', description: "User-Agent header of every request. Unset: Ferry's own (a User-Agent in headers also overrides it)." },
};

/** Warnings for client keys Ferry accepts but cannot honour. */
export function httpClientKeysProblems(config: Readonly<Record<string, unknown>>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of ['http2_read_idle_timeout', 'http2_ping_timeout', 'force_attempt_http2']) {
    if (config[key] !== undefined) problems.push({ path: key, message: `${key} has no effect in Ferry: its HTTP client speaks HTTP/1.1`, fix: 'remove it to silence this warning', severity: 'warning' });
  }
  for (const key of ['read_buffer_size', 'write_buffer_size']) {
    if (config[key] !== undefined) problems.push({ path: key, message: `${key} has no effect in Ferry: Node sizes its own socket buffers`, fix: 'remove it to silence this warning', severity: 'warning' });
  }
  const proxy = config.proxy_url;
  if (typeof proxy === 'string' && proxy !== '') {
    const p = urlProblem('proxy_url', proxy);
    if (p !== undefined) problems.push(p);
  }
  return problems;
}

/** Headers the HTTP transport owns: a configured value would corrupt the request. */
const TRANSPORT_HEADERS = ['content-length', 'transfer-encoding', 'connection'];

/**
 * Copy the configured headers into `into`, names lower-cased, leaving out the transport's own
 * and `reserved`: those the exporter sets itself (content-type, content-encoding …).
 */
export function addConfiguredHeaders(into: Record<string, string>, headers: HeadersConfig | undefined, reserved: readonly string[]): void {
  const skip = new Set([...TRANSPORT_HEADERS, ...reserved]);
  for (const [name, value] of headerEntries(headers)) {
    const lower = name.toLowerCase();
    if (!skip.has(lower)) into[lower] = value;
  }
}

/** The configured headers as [name, value] pairs, in order. */
export function headerEntries(headers: HeadersConfig | undefined): Array<[string, string]> {
  if (!headers) return [];
  if (Array.isArray(headers)) return (headers as ReadonlyArray<{ name: string; value: string }>).map((h) => [h.name, h.value]);
  return Object.entries(headers as Readonly<Record<string, string>>);
}

/** A problem with an http(s) URL setting at `path`, or undefined when it is one. */
export function urlProblem(path: string, value: string): ConfigProblem | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { path, message: `"${value}" is not a URL`, fix: 'write a full URL with its scheme, e.g. http://collector:4318' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { path, message: `scheme "${url.protocol.slice(0, -1)}" is not supported`, fix: 'use http:// or https://' };
  }
  return undefined;
}

/** The URL without credentials, for logs and error messages. */
export function redactUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}
