// The HTTP server keys of a span receiver (zipkin, jaeger thrift_http): the Collector's
// confighttp ServerConfig, shared with the otlp receiver's protocols.http minus its URL paths.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../component.js';
import { validateTlsServer } from '../config/tls-server.js';
import { splitHostPort } from '../net.js';
import type { HttpProtocolConfig } from './otlp/config.js';
import { httpSchema } from './otlp/config.js';

export type HttpServerConfig = Omit<HttpProtocolConfig, 'traces_url_path' | 'metrics_url_path' | 'logs_url_path'>;

/** confighttp server properties with this receiver's endpoint default. */
export function httpServerProperties(defaultEndpoint: string, describeEndpoint: string): Record<string, SchemaObject> {
  const properties = { ...(httpSchema.properties as Record<string, SchemaObject>) };
  delete properties.traces_url_path;
  delete properties.metrics_url_path;
  delete properties.logs_url_path;
  properties.endpoint = { type: 'string', description: describeEndpoint, default: defaultEndpoint };
  return properties;
}

/** Endpoint syntax and TLS pairs, under `path` ('' for the component's top level). */
export function validateHttpServer(c: HttpServerConfig, defaultPort: number, path: string): ConfigProblem[] {
  const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
  const problems: ConfigProblem[] = [];
  if (c.endpoint !== undefined) {
    try {
      splitHostPort(c.endpoint, defaultPort);
    } catch (err) {
      problems.push({ path: at('endpoint'), message: err instanceof Error ? err.message : String(err), fix: `write host:port, such as localhost:${defaultPort}` });
    }
  }
  if (c.tls !== undefined) problems.push(...validateTlsServer(c.tls, at('tls')));
  return problems;
}
