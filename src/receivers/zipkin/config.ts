// The zipkin receiver's configuration: the Collector's zipkinreceiver keys (confighttp server
// settings inline, plus parse_string_tags) and their defaults.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { ResolvedHttp } from '../otlp/config.js';
import { resolveHttp } from '../otlp/config.js';
import type { HttpServerConfig } from '../span_http_config.js';
import { httpServerProperties, validateHttpServer } from '../span_http_config.js';

/** The Collector's default; `localhost` listens on the loopback interface only (127.0.0.1). */
export const DEFAULT_ZIPKIN_ENDPOINT = 'localhost:9411';

export interface ZipkinReceiverConfig extends HttpServerConfig {
  readonly parse_string_tags?: boolean;
}

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...httpServerProperties(DEFAULT_ZIPKIN_ENDPOINT, 'host:port to listen on; 0.0.0.0:9411 for every interface.'),
    parse_string_tags: {
      type: 'boolean',
      description: 'Turn tag values that look like integers, decimals or booleans ("200", "1.5", "true") into attributes of that type instead of strings.',
      default: false,
    },
  },
};

export function resolveZipkin(c: ZipkinReceiverConfig): ResolvedHttp {
  return resolveHttp({ ...c, endpoint: c.endpoint ?? DEFAULT_ZIPKIN_ENDPOINT });
}

export function validate(c: ZipkinReceiverConfig): ConfigProblem[] {
  return validateHttpServer(c, 9411, '');
}
