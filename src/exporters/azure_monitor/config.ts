// Configuration of the `azure_monitor` exporter (the contrib's azuremonitorexporter, whose type was
// renamed from `azuremonitor`): connection_string or instrumentation_key, endpoint, maxbatchsize,
// maxbatchinterval, spaneventsenabled, and the exporterhelper and HTTP client keys.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema } from '../../config/units.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { headersSchema, urlProblem, type HeadersConfig } from '../helper/client-config.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export interface AzureMonitorConfig {
  connection_string?: string;
  instrumentation_key?: string;
  endpoint: string;
  maxbatchsize: number;
  maxbatchinterval: string;
  spaneventsenabled: boolean;
  custom_events_enabled?: boolean;
  exception_events_enabled?: boolean;
  shutdown_timeout?: string;
  headers: HeadersConfig;
  tls: TlsClientConfig;
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
  max_conns_per_host: number;
  idle_conn_timeout: string;
  disable_keep_alives: boolean;
}

export const DEFAULT_ENDPOINT = 'https://dc.services.visualstudio.com/v2/track';

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs and traces to Azure Monitor Application Insights (the ingestion API\'s track endpoint: Message, Request and RemoteDependency telemetry).',
  additionalProperties: false,
  properties: {
    connection_string: { type: 'string', description: 'The Application Insights connection string (InstrumentationKey=…;IngestionEndpoint=https://…/). Takes precedence over instrumentation_key and endpoint. Never logged.' },
    instrumentation_key: { type: 'string', description: 'The instrumentation key (deprecated by Azure in favour of connection_string).' },
    endpoint: { type: 'string', default: DEFAULT_ENDPOINT, description: 'The track URL, when no connection string gives it.' },
    maxbatchsize: { type: 'integer', minimum: 1, default: 1024, description: 'Most telemetry items per request; a larger batch is sent as several requests.' },
    maxbatchinterval: durationSchema('Accepted for compatibility: batching is the sending queue\'s (and the batch processor\'s).', '10s'),
    spaneventsenabled: { type: 'boolean', default: false, description: 'Send span events too, as Message telemetry (Exception telemetry for "exception" events) of the span\'s operation.' },
    custom_events_enabled: { type: 'boolean', description: 'Accepted for compatibility; not used.' },
    exception_events_enabled: { type: 'boolean', description: 'Accepted for compatibility; not used.' },
    shutdown_timeout: durationSchema('Accepted for compatibility; the service\'s shutdown deadline applies.'),
    headers: headersSchema,
    tls: tlsClientSchema,
    timeout: timeoutSchema('30s'),
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
    max_conns_per_host: { type: 'integer', minimum: 0, default: 0, description: 'Maximum connections to the endpoint; 0 means no limit.' },
    idle_conn_timeout: durationSchema('How long an idle keep-alive connection stays open.', '90s'),
    disable_keep_alives: { type: 'boolean', default: false, description: 'Open a new connection for every request.' },
  },
};

export interface Target {
  readonly url: URL;
  readonly iKey: string;
}

/** `Key=Value;…` pairs of a connection string, keys lower-cased. */
function parseConnectionString(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return m;
}

/** Where to send and with which instrumentation key; undefined when neither is configured. */
export function target(config: AzureMonitorConfig): Target | undefined {
  if (config.connection_string) {
    const cs = parseConnectionString(config.connection_string);
    const iKey = cs.get('instrumentationkey');
    if (!iKey) return undefined;
    const ingestion = cs.get('ingestionendpoint');
    const url = ingestion ? new URL('v2.1/track', ingestion.endsWith('/') ? ingestion : `${ingestion}/`) : new URL(config.endpoint);
    return { url, iKey };
  }
  if (config.instrumentation_key) return { url: new URL(config.endpoint), iKey: config.instrumentation_key };
  return undefined;
}

export function validate(config: AzureMonitorConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!config.connection_string && !config.instrumentation_key) {
    problems.push({ path: 'connection_string', message: 'neither connection_string nor instrumentation_key is set', fix: 'copy the connection string from the Application Insights resource\'s overview: connection_string: ${env:APPLICATIONINSIGHTS_CONNECTION_STRING}' });
  } else if (config.connection_string && !parseConnectionString(config.connection_string).get('instrumentationkey')) {
    problems.push({ path: 'connection_string', message: 'the connection string has no InstrumentationKey', fix: 'copy the whole connection string: InstrumentationKey=…;IngestionEndpoint=https://…/' });
  } else {
    try {
      const t = target(config);
      if (t) {
        const p = urlProblem(config.connection_string ? 'connection_string' : 'endpoint', t.url.href);
        if (p) problems.push(p);
      }
    } catch {
      problems.push({ path: config.connection_string ? 'connection_string' : 'endpoint', message: 'the ingestion endpoint is not a URL', fix: 'write IngestionEndpoint=https://<region>.in.applicationinsights.azure.com/' });
    }
  }
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
