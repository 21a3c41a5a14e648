// Client settings shared by network exporters (confighttp / configgrpc keys):
// `headers` and `compression`, with the helpers that read them.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { VERSION } from '../../version.js';

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
