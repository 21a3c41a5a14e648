// Configuration of the `syslog` exporter, with the Collector contrib syslogexporter's keys and
// defaults (endpoint, port 514, network tcp, protocol rfc5424, enable_octet_counting false, TLS
// on unless tls.insecure, timeout 5s, retry max_elapsed_time 120s), plus Ferry's facility and
// severity defaults for records that carry no `priority` attribute.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { sendingQueueSchema, validateSendingQueue, type SendingQueueConfig } from '../helper/queue-config.js';
import { retryOnFailureSchema, timeoutSchema, validateRetryOnFailure, type RetryOnFailureConfig } from '../helper/retry.js';

export const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
export type Facility = (typeof FACILITIES)[number];

export interface SyslogConfig {
  endpoint: string;
  port: number;
  network: 'tcp' | 'udp';
  protocol: 'rfc5424' | 'rfc3164';
  enable_octet_counting: boolean;
  facility: Facility;
  tls: TlsClientConfig;
  timeout: string;
  retry_on_failure: RetryOnFailureConfig;
  sending_queue: SendingQueueConfig;
}

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Sends logs as syslog messages (RFC 5424 or RFC 3164) over TCP (TLS by default), or UDP.',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    endpoint: { type: 'string', minLength: 1, description: 'The syslog server\'s host name or address (the port is `port`), e.g. logs.papertrailapp.com.' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 514, description: 'The syslog server\'s port.' },
    network: { type: 'string', enum: ['tcp', 'udp'], default: 'tcp', description: 'tcp (with TLS unless tls.insecure is true) or udp (one message per datagram, never TLS). The contrib\'s unix sockets are not supported.' },
    protocol: { type: 'string', enum: ['rfc5424', 'rfc3164'], default: 'rfc5424', description: 'The message format: rfc5424 (structured data, precise time) or rfc3164 (BSD syslog).' },
    enable_octet_counting: { type: 'boolean', default: false, description: 'TCP framing: RFC 6587 octet counting ("<length> <message>") instead of a newline after each message.' },
    facility: {
      type: 'string',
      enum: [...FACILITIES],
      default: 'local4',
      description: 'The facility of records without a `priority` attribute (local4 with severity notice is the contrib\'s default priority, 165); the severity comes from the record\'s severity number.',
    },
    tls: { ...tlsClientSchema, description: 'TLS of TCP connections: on by default, as in the contrib; insecure: true sends in plaintext.' },
    timeout: timeoutSchema('5s'),
    retry_on_failure: { ...retryOnFailureSchema, properties: { ...(retryOnFailureSchema.properties as object), max_elapsed_time: { ...(retryOnFailureSchema.properties as Record<string, SchemaObject>).max_elapsed_time, default: '120s' } } },
    sending_queue: sendingQueueSchema,
  },
};

export function validate(config: SyslogConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (/^[a-z]+:\/\//i.test(config.endpoint) || /:\d+$/.test(config.endpoint)) {
    problems.push({ path: 'endpoint', message: `"${config.endpoint}" is not a bare host name`, fix: 'write the host alone (logs.example.com) and the port in port:' });
  }
  if (config.network === 'udp' && (config.tls.ca_file || config.tls.cert_file || config.tls.ca_pem || config.tls.cert_pem)) {
    problems.push({ path: 'tls', message: 'TLS settings are set for network udp, which never uses TLS', fix: 'use network: tcp, or remove tls' });
  }
  problems.push(...validateTlsClient(config.tls), ...validateRetryOnFailure(config.retry_on_failure), ...validateSendingQueue(config.sending_queue));
  return problems;
}
