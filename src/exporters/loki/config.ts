// Configuration of the `loki` exporter: the Collector contrib lokiexporter's keys
// (endpoint, default_labels_enabled, the HTTP client settings) plus the keys its earlier
// releases had (tenant_id, labels, format), so existing configurations keep working.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { compressionSchema, headersSchema, urlProblem, type HeadersConfig } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export type LineFormat = 'json' | 'logfmt' | 'raw';

/** Record fields the earlier contrib exporter could turn into labels (`labels.record`). */
export const RECORD_LABEL_FIELDS = ['traceID', 'spanID', 'severity', 'severityN'] as const;
export type RecordLabelField = (typeof RECORD_LABEL_FIELDS)[number];

export interface LokiLabelsConfig {
  /** Log record attribute name → label name ("" keeps the attribute's name, sanitized). */
  attributes?: Readonly<Record<string, string>>;
  /** Resource attribute name → label name. */
  resource?: Readonly<Record<string, string>>;
  /** traceID / spanID / severity / severityN → label name. */
  record?: Readonly<Partial<Record<RecordLabelField, string>>>;
}

export interface LokiConfig {
  endpoint?: string;
  encoding: 'proto' | 'json';
  format: LineFormat;
  tenant_id?: string;
  labels: LokiLabelsConfig;
  default_labels_enabled: Readonly<Partial<Record<'exporter' | 'job' | 'instance' | 'level', boolean>>>;
  structured_metadata: { enabled: boolean };
  basic_auth?: { username: string; password: string };
  headers: HeadersConfig;
  compression: 'gzip' | 'none' | '';
  timeout: string;
  tls: TlsClientConfig;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
  max_conns_per_host: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
  read_buffer_size?: number;
  write_buffer_size?: number;
}

/** Prometheus' label name rule, which Loki enforces. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const labelMap = (description: string): SchemaObject => ({
  type: 'object',
  description,
  additionalProperties: { type: 'string' },
});

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs to Grafana Loki\'s push API (snappy-compressed protobuf or JSON), with labels, tenants and structured metadata.',
  additionalProperties: false,
  properties: {
    endpoint: { type: 'string', description: 'The full push URL, e.g. http://loki:3100/loki/api/v1/push. Credentials in the URL (http://user:pass@host/...) are sent as HTTP Basic auth and never logged.' },
    encoding: {
      type: 'string',
      enum: ['proto', 'json'],
      default: 'proto',
      description: 'Request body: proto (PushRequest protobuf, snappy block-compressed, as Loki\'s clients send) or json (the documented JSON push body).',
    },
    format: {
      type: 'string',
      enum: ['json', 'logfmt', 'raw'],
      default: 'json',
      description: 'Log line format when no loki.format hint is present: json (body, ids, severity, attributes, resources, scope as one JSON object), logfmt, or raw (the body as a string).',
    },
    tenant_id: { type: 'string', description: 'Tenant sent as X-Scope-OrgID when no loki.tenant hint names one (multi-tenant Loki).' },
    labels: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Attributes promoted to stream labels by configuration, as the contrib exporter\'s earlier releases did (the loki.*.labels hints work as well).',
      properties: {
        attributes: labelMap('Log record attribute name → label name ("" keeps the attribute name, with . turned into _).'),
        resource: labelMap('Resource attribute name → label name ("" keeps the attribute name, with . turned into _).'),
        record: {
          type: 'object',
          additionalProperties: false,
          description: 'Record fields as labels: traceID, spanID, severity (severity text) or severityN (severity number name) → label name.',
          properties: Object.fromEntries(RECORD_LABEL_FIELDS.map((f) => [f, { type: 'string', description: `Label name for the record's ${f}.` }])),
        },
      },
    },
    default_labels_enabled: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Turn off the default labels: exporter="OTLP", job (service.namespace/service.name), instance (service.instance.id), level (from the severity). An omitted key means enabled.',
      properties: {
        exporter: { type: 'boolean', description: 'Add exporter="OTLP".' },
        job: { type: 'boolean', description: 'Add job from service.namespace/service.name.' },
        instance: { type: 'boolean', description: 'Add instance from service.instance.id.' },
        level: { type: 'boolean', description: 'Add level from the severity number (INFO, WARN, ERROR, …).' },
      },
    },
    structured_metadata: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Loki 3 structured metadata (Ferry\'s key; the contrib exporter has none): the log record attributes that are not labels, and trace_id / span_id, go to each entry\'s metadata instead of the log line.',
      properties: {
        enabled: { type: 'boolean', default: false, description: 'Send attributes and trace/span ids as structured metadata (needs Loki 3, or allow_structured_metadata).' },
      },
    },
    basic_auth: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      description: 'HTTP Basic auth (Ferry\'s key: the Collector uses the basicauth extension, which Ferry does not have). The password is never logged.',
      properties: {
        username: { type: 'string', description: 'User name (for Grafana Cloud: the instance id).' },
        password: { type: 'string', writeOnly: true, description: 'Password or API token.' },
      },
    },
    headers: headersSchema,
    compression: {
      ...compressionSchema('none'),
      description: 'Compression of JSON bodies: gzip (Content-Encoding: gzip) or none. Protobuf bodies are always snappy-compressed, as the push API requires.',
    },
    timeout: timeoutSchema('30s'),
    tls: tlsClientSchema,
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
    max_conns_per_host: { type: 'integer', minimum: 0, description: 'Maximum connections to Loki; 0 means no limit.', default: 0 },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
    disable_keep_alives: { type: 'boolean', description: 'Open a new connection for every request.', default: false },
    read_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
    write_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
  },
};

function labelNameProblems(path: string, map: Readonly<Record<string, string>> | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [attr, label] of Object.entries(map ?? {})) {
    if (label !== '' && !LABEL_NAME.test(label)) {
      problems.push({
        path: `${path}.${attr}`,
        message: `"${label}" is not a valid Loki label name`,
        fix: 'use letters, digits and _ only, not starting with a digit (e.g. service_name)',
      });
    }
  }
  return problems;
}

export function validate(config: LokiConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!config.endpoint) {
    problems.push({ path: 'endpoint', message: 'no endpoint is set', fix: 'set endpoint to Loki\'s push URL, e.g. endpoint: http://loki:3100/loki/api/v1/push' });
  } else {
    const p = urlProblem('endpoint', config.endpoint);
    if (p) problems.push({ ...p, fix: 'write the full push URL, e.g. http://loki:3100/loki/api/v1/push' });
  }
  if (config.encoding === 'proto' && config.compression === 'gzip') {
    problems.push({
      path: 'compression',
      message: 'gzip applies to JSON bodies only: protobuf bodies are snappy-compressed',
      fix: 'remove compression, or set encoding: json',
    });
  }
  problems.push(...labelNameProblems('labels.attributes', config.labels.attributes), ...labelNameProblems('labels.resource', config.labels.resource));
  for (const [field, label] of Object.entries(config.labels.record ?? {})) {
    if (label !== undefined && !LABEL_NAME.test(label)) {
      problems.push({ path: `labels.record.${field}`, message: `"${label}" is not a valid Loki label name`, fix: 'use letters, digits and _ only, e.g. trace_id' });
    }
  }
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
