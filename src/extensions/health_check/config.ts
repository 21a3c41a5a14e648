// health_check's configuration: the OpenTelemetry Collector's healthcheckextension keys.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import type { TlsServerConfig } from '../../config/tls-server.js';
import { tlsServerSchema, validateTlsServer } from '../../config/tls-server.js';

export interface HealthCheckConfig {
  endpoint: string;
  path: string;
  response_body?: { healthy?: string; unhealthy?: string };
  tls?: TlsServerConfig;
  cors?: { allowed_origins?: readonly string[]; allowed_headers?: readonly string[]; max_age?: number; exposed_headers?: readonly string[] };
  check_collector_pipeline?: { enabled?: boolean; interval?: string; exporter_failure_threshold?: number };
}

/** check_collector_pipeline is documented by the Collector as not working; Ferry accepts it and says so. */
export function validate(config: HealthCheckConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.tls !== undefined) problems.push(...validateTlsServer(config.tls, 'tls'));
  if (config.check_collector_pipeline?.enabled === true) {
    problems.push({
      path: 'check_collector_pipeline.enabled',
      message: 'check_collector_pipeline has no effect in Ferry (the Collector documents it as not working either): the answer follows the service state',
      fix: 'remove check_collector_pipeline to silence this warning',
      severity: 'warning',
    });
  }
  return problems;
}

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', default: '127.0.0.1:13133', description: 'host:port to serve the health check on.' },
    path: { type: 'string', default: '/', pattern: '^/', description: 'URL path that answers the health check.' },
    response_body: {
      type: 'object',
      additionalProperties: false,
      description: 'Fixed bodies to answer with instead of the default JSON status.',
      properties: {
        healthy: { type: 'string', description: 'Body when the collector is running.' },
        unhealthy: { type: 'string', description: 'Body while starting or stopping.' },
      },
    },
    tls: tlsServerSchema,
    cors: {
      type: 'object',
      additionalProperties: false,
      description: 'Cross-origin requests from browsers (a status page). Enabled when allowed_origins is not empty.',
      properties: {
        allowed_origins: { type: 'array', items: { type: 'string' }, default: [], description: 'Origins allowed; "*" inside a value matches any characters.' },
        allowed_headers: { type: 'array', items: { type: 'string' }, default: [], description: 'Request headers allowed besides the CORS-safelisted ones.' },
        exposed_headers: { type: 'array', items: { type: 'string' }, default: [], description: 'Response headers a script may read.' },
        max_age: { type: 'integer', minimum: 0, description: 'Seconds a browser may cache a preflight answer.' },
      },
    },
    check_collector_pipeline: {
      type: 'object',
      additionalProperties: false,
      description: 'Accepted for Collector configurations; it has no effect (in the Collector it is documented as not working). ferry validate warns when enabled.',
      properties: {
        enabled: { type: 'boolean', default: false, description: 'Has no effect in Ferry.' },
        interval: durationSchema('Has no effect in Ferry.', '5m'),
        exporter_failure_threshold: { type: 'integer', minimum: 0, default: 5, description: 'Has no effect in Ferry.' },
      },
    },
  },
};
