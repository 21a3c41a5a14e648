// Configuration of the `prometheus` exporter, with the OpenTelemetry Collector's keys
// (prometheusexporter + confighttp server); Ferry listens on loopback by default.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { tlsServerSchema, validateTlsServer, type TlsServerConfig } from '../../config/tls-server.js';
import { durationSchema, parseDuration } from '../../config/units.js';
import { splitHostPort } from '../../net.js';
import { namingProperties, resourceToTelemetrySchema, type ResourceToTelemetryConfig, type TranslationStrategy } from '../../prometheus/config.js';

/** Ferry's servers bind loopback unless told otherwise (the Collector's default is 0.0.0.0:8889). */
export const DEFAULT_ENDPOINT = '127.0.0.1:8889';
export const DEFAULT_PORT = 8889;

export interface PrometheusExporterConfig {
  endpoint: string;
  tls?: TlsServerConfig;
  namespace: string;
  const_labels: Record<string, string>;
  send_timestamps: boolean;
  metric_expiration: string;
  resource_to_telemetry_conversion: ResourceToTelemetryConfig;
  enable_open_metrics: boolean;
  add_metric_suffixes: boolean;
  translation_strategy?: TranslationStrategy;
  without_scope_info: boolean;
}

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Serves metrics for Prometheus to scrape, on GET /metrics (text format 0.0.4, or OpenMetrics).',
  additionalProperties: false,
  properties: {
    endpoint: {
      type: 'string',
      default: DEFAULT_ENDPOINT,
      description: 'host:port the scrape endpoint listens on (path /metrics). Ferry defaults to loopback; the Collector to 0.0.0.0:8889. Use 0.0.0.0:8889 for a Prometheus on another host.',
    },
    tls: tlsServerSchema,
    ...namingProperties,
    const_labels: {
      type: 'object',
      additionalProperties: { type: 'string' },
      default: {},
      description: 'Labels added to every series (names sanitized as attribute keys are); a label of the data with the same name wins.',
    },
    send_timestamps: { type: 'boolean', default: false, description: 'Write each sample\'s timestamp (the point\'s time) instead of letting Prometheus use the scrape time.' },
    metric_expiration: durationSchema('How long a series stays on the endpoint without an update; it then disappears and its memory is freed.', '5m'),
    resource_to_telemetry_conversion: resourceToTelemetrySchema,
    enable_open_metrics: {
      type: 'boolean',
      default: false,
      description: 'Answer in OpenMetrics text (with exemplars on counters and buckets) when the scraper asks for it in Accept; otherwise always text 0.0.4.',
    },
    without_scope_info: {
      type: 'boolean',
      default: false,
      description: 'Leave out the otel_scope_name, otel_scope_version, otel_scope_schema_url and otel_scope_<attribute> labels.',
    },
  },
};

export function validate(config: PrometheusExporterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  try {
    splitHostPort(config.endpoint, DEFAULT_PORT);
  } catch (err) {
    problems.push({ path: 'endpoint', message: (err as Error).message, fix: `write host:port, e.g. endpoint: ${DEFAULT_ENDPOINT}` });
  }
  if (parseDuration(config.metric_expiration) <= 0) {
    problems.push({ path: 'metric_expiration', message: 'must be more than 0', fix: 'set how long a series stays without updates, e.g. metric_expiration: 5m' });
  }
  for (const [key, value] of Object.entries(config.const_labels ?? {})) {
    if (key === '' || value === '') {
      problems.push({ path: `const_labels.${key}`, message: 'a constant label needs a name and a value', fix: 'give the label a non-empty name and value, or remove it' });
    }
  }
  if (config.tls) problems.push(...validateTlsServer(config.tls, 'tls'));
  return problems;
}
