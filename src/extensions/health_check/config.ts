// health_check's configuration: the OpenTelemetry Collector's healthcheckextension keys.
import type { SchemaObject } from 'ajv';

export interface HealthCheckConfig {
  endpoint: string;
  path: string;
  response_body?: { healthy?: string; unhealthy?: string };
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
  },
};
