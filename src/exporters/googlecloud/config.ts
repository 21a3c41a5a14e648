// Configuration of the `googlecloud` exporter, with the Collector contrib googlecloudexporter's
// keys: project, log (endpoint, default_log_name, use_insecure, compression), trace (endpoint,
// use_insecure), user_agent, timeout and the exporterhelper keys. Ferry speaks the REST APIs
// (entries.write, traces.batchWrite) where the contrib uses gRPC; endpoints are base URLs.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export interface GoogleCloudConfig {
  project?: string;
  credentials_file?: string;
  user_agent?: string;
  log: { endpoint: string; default_log_name: string; use_insecure: boolean; compression: 'gzip' | 'none' | '' };
  trace: { endpoint: string; use_insecure: boolean };
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
}

export const DEFAULT_LOG_NAME = 'opentelemetry.io/collector-exported-log';

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs to Google Cloud Logging (entries.write) and traces to Cloud Trace (traces.batchWrite), authenticated with Google\'s credential chain.',
  additionalProperties: false,
  properties: {
    project: { type: 'string', minLength: 1, description: 'The Google Cloud project; default: project_id of the credentials file, or $GOOGLE_CLOUD_PROJECT.' },
    credentials_file: { type: 'string', description: 'A service account JSON key file (Ferry\'s key); default $GOOGLE_APPLICATION_CREDENTIALS, else the metadata server\'s service account.' },
    user_agent: { type: 'string', description: 'The User-Agent of requests; default Ferry\'s.' },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Cloud Logging.',
      properties: {
        endpoint: { type: 'string', default: 'logging.googleapis.com:443', description: 'host:port (or a URL) of the Logging API.' },
        default_log_name: { type: 'string', minLength: 1, default: DEFAULT_LOG_NAME, description: 'The log of records without a gcp.log_name attribute.' },
        use_insecure: { type: 'boolean', default: false, description: 'Plain HTTP to the endpoint (an emulator or a local proxy).' },
        compression: { type: 'string', enum: ['gzip', 'none', ''], default: '', description: 'gzip request bodies.' },
      },
    },
    trace: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Cloud Trace.',
      properties: {
        endpoint: { type: 'string', default: 'cloudtrace.googleapis.com:443', description: 'host:port (or a URL) of the Trace API.' },
        use_insecure: { type: 'boolean', default: false, description: 'Plain HTTP to the endpoint.' },
      },
    },
    timeout: timeoutSchema('12s'),
    retry_on_failure: retryOnFailureSchema,
    sending_queue: sendingQueueSchema,
  },
};

/** The base URL of an endpoint written host:port (the contrib's form) or as a URL. */
export function baseUrl(endpoint: string, insecure: boolean): URL {
  if (/^https?:\/\//.test(endpoint)) return new URL(endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  const [host, port] = endpoint.split(/:(?=\d+$)/);
  const scheme = insecure ? 'http' : 'https';
  const defaultPort = insecure ? '80' : '443';
  return new URL(`${scheme}://${host}${port && port !== defaultPort ? `:${port}` : ''}/`);
}

export function validate(config: GoogleCloudConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of ['log', 'trace'] as const) {
    try {
      baseUrl(config[key].endpoint, config[key].use_insecure);
    } catch {
      problems.push({ path: `${key}.endpoint`, message: `"${config[key].endpoint}" is not host:port nor a URL`, fix: `write e.g. ${key === 'log' ? 'logging' : 'cloudtrace'}.googleapis.com:443` });
    }
  }
  problems.push(...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
