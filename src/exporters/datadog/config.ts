// Configuration of the `datadog` exporter (logs only in Ferry), with the keys and defaults of
// the Collector contrib's datadogexporter (pkg/datadog/config) plus three Ferry-only log keys.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { urlProblem } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export interface DatadogConfig {
  api: { key?: string; site: string };
  hostname?: string;
  logs: {
    endpoint?: string;
    use_compression: boolean;
    compression_level: number;
    batch_wait?: number;
    ddsource: string;
    ddtags?: string;
    service?: string;
  };
  timeout: string;
  tls: TlsClientConfig;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
  max_conns_per_host: number;
  max_idle_conns?: number;
  max_idle_conns_per_host?: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
  read_buffer_size?: number;
  write_buffer_size?: number;
}

export const DEFAULT_SITE = 'datadoghq.com';
/** The `ddsource` of the contrib exporter's logs: Datadog's pipelines know it as OTLP log ingestion. */
export const DEFAULT_DDSOURCE = 'otlp_log_ingestion';
/** Path of the Logs intake v2 (https://docs.datadoghq.com/api/latest/logs/#send-logs). */
export const LOGS_PATH = '/api/v2/logs';

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs to Datadog through the Logs intake API v2 (the contrib exporter also sends traces and metrics; Ferry sends logs only).',
  additionalProperties: false,
  properties: {
    api: {
      type: 'object',
      description: 'The Datadog API: key and site.',
      additionalProperties: false,
      default: {},
      properties: {
        key: { type: 'string', writeOnly: true, description: 'Datadog API key (required), e.g. ${env:DD_API_KEY}. Sent in the DD-API-KEY header, never logged.' },
        site: {
          type: 'string',
          description: 'Datadog site: datadoghq.com, datadoghq.eu, us3.datadoghq.com, us5.datadoghq.com, ap1.datadoghq.com, ddog-gov.com… Logs go to https://http-intake.logs.<site>.',
          default: DEFAULT_SITE,
        },
      },
    },
    hostname: {
      type: 'string',
      description: 'Fallback hostname for logs whose resource names no host (host.name, datadog.host.name, k8s.node.name…); unset: the machine\'s hostname.',
    },
    logs: {
      type: 'object',
      description: 'Logs settings.',
      additionalProperties: false,
      default: {},
      properties: {
        endpoint: { type: 'string', description: 'Logs intake URL instead of https://http-intake.logs.<site>; /api/v2/logs is appended.' },
        use_compression: { type: 'boolean', description: 'Gzip request bodies (Content-Encoding: gzip), as Datadog recommends.', default: true },
        compression_level: { type: 'integer', minimum: 0, maximum: 9, description: 'Gzip level, 0 (none) to 9 (smallest).', default: 6 },
        batch_wait: {
          type: 'integer',
          minimum: 1,
          description: 'Accepted for compatibility: in the contrib exporter the seconds its logs agent waits to fill a batch. Ferry sends each batch as it comes; put a batch processor in front to batch.',
        },
        ddsource: { type: 'string', description: 'Ferry only: the ddsource of every log (the integration Datadog processes it with).', default: DEFAULT_DDSOURCE },
        ddtags: { type: 'string', description: 'Ferry only: tags added to every log, comma-separated key:value (e.g. "team:payments,tier:1").' },
        service: { type: 'string', description: 'Ferry only: service of logs whose resource has no service.name.' },
      },
    },
    timeout: timeoutSchema('15s'),
    tls: tlsClientSchema,
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
    max_conns_per_host: { type: 'integer', minimum: 0, description: 'Maximum connections to the intake; 0 means no limit.', default: 0 },
    max_idle_conns: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node keeps the idle connections it has.' },
    max_idle_conns_per_host: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node keeps the idle connections it has.' },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
    disable_keep_alives: { type: 'boolean', description: 'Open a new connection for every request.', default: false },
    read_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
    write_buffer_size: { type: 'integer', minimum: 0, description: 'Accepted for compatibility with the Collector; Node sizes its own buffers.' },
  },
};

/** The URL logs are posted to: logs.endpoint, else the site's intake, with /api/v2/logs. */
export function logsUrl(config: Pick<DatadogConfig, 'api' | 'logs'>): string {
  const base = config.logs.endpoint ?? `https://http-intake.logs.${config.api.site}`;
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith(LOGS_PATH) ? trimmed : trimmed + LOGS_PATH;
}

const FIX_KEY = 'set api.key to your Datadog API key, e.g. api: { key: ${env:DD_API_KEY} } (Organization Settings > API Keys)';

export function validate(config: DatadogConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const key = config.api.key?.trim() ?? '';
  if (key === '') {
    problems.push({ path: 'api.key', message: config.api.key === undefined ? 'no Datadog API key is set' : 'the Datadog API key is empty', fix: FIX_KEY });
  } else if (!/^[0-9a-fA-F]+$/.test(key)) {
    // As the contrib's static check; the key itself never goes into the message.
    problems.push({ path: 'api.key', message: 'the Datadog API key contains characters other than hexadecimal digits', fix: FIX_KEY });
  }
  if (config.api.site.trim() === '' || /[/:\s]/.test(config.api.site)) {
    problems.push({ path: 'api.site', message: `"${config.api.site}" is not a Datadog site`, fix: 'write the site name only, e.g. datadoghq.com or datadoghq.eu' });
  }
  if (config.logs.endpoint !== undefined) {
    const p = urlProblem('logs.endpoint', config.logs.endpoint);
    if (p) problems.push(p);
  }
  if (config.logs.ddtags !== undefined) {
    for (const tag of config.logs.ddtags.split(',')) {
      if (tag.trim() === '') {
        problems.push({ path: 'logs.ddtags', message: 'has an empty tag', fix: 'write key:value tags separated by commas, e.g. "team:payments,tier:1"' });
        break;
      }
    }
  }
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
