// Configuration of the `http_check` receiver (the Collector's httpcheckreceiver): targets
// (endpoint / endpoints, method, headers, tls, timeout), collection_interval, initial_delay,
// and the `metrics: {name: {enabled}}` switches of its three default metrics.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { tlsClientSchema, validateTlsClient, type TlsClientConfig } from '../../config/tls-client.js';
import { durationSchema } from '../../config/units.js';

export interface HttpCheckTarget {
  endpoint?: string;
  endpoints?: string[];
  method: string;
  headers: Record<string, string>;
  tls?: TlsClientConfig;
  timeout: string | number;
}

export const HTTPCHECK_METRICS = ['httpcheck.status', 'httpcheck.duration', 'httpcheck.error'] as const;
export type HttpCheckMetric = (typeof HTTPCHECK_METRICS)[number];

export interface HttpCheckConfig {
  targets: HttpCheckTarget[];
  collection_interval: string | number;
  initial_delay: string | number;
  metrics: Partial<Record<HttpCheckMetric, { enabled: boolean }>>;
}

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['targets'],
  description: 'Synthetic HTTP checks: requests each endpoint every collection_interval and reports status class, duration and errors.',
  properties: {
    targets: {
      type: 'array',
      minItems: 1,
      description: 'The endpoints checked, grouped by the request settings they share.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          endpoint: { type: 'string', description: 'One URL to check.' },
          endpoints: { type: 'array', items: { type: 'string' }, description: 'Several URLs checked with the same settings.' },
          method: { type: 'string', default: 'GET', description: 'HTTP method of the request.' },
          headers: { type: 'object', additionalProperties: { type: 'string' }, default: {}, description: 'Headers sent with each request.' },
          tls: tlsClientSchema,
          timeout: durationSchema('Longest a check may take, a failed check past it; 0 means collection_interval.', '0'),
        },
      },
    },
    collection_interval: durationSchema('How often every endpoint is checked.', '60s'),
    initial_delay: durationSchema('Wait before the first check.', '1s'),
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Turn single metrics off: {httpcheck.error: {enabled: false}}.',
      properties: Object.fromEntries(
        HTTPCHECK_METRICS.map((m) => [
          m,
          {
            type: 'object',
            additionalProperties: false,
            properties: { enabled: { type: 'boolean', default: true, description: `Emit ${m}.` } },
            description: `Switch for ${m}.`,
          },
        ]),
      ),
    },
  },
};

export function validate(c: HttpCheckConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  c.targets.forEach((t, i) => {
    const urls = [...(t.endpoint ? [t.endpoint] : []), ...(t.endpoints ?? [])];
    if (urls.length === 0) problems.push({ path: `targets.${i}`, message: 'a target needs endpoint or endpoints', fix: 'set endpoint: http://host:port/path' });
    for (const u of urls) {
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(u).protocol);
      } catch {
        ok = false;
      }
      if (!ok) problems.push({ path: `targets.${i}.endpoint`, message: `"${u}" is not an http(s) URL`, fix: 'write a full URL such as http://localhost:8080/health' });
    }
    for (const p of validateTlsClient(t.tls)) problems.push({ ...p, path: `targets.${i}.${p.path}` });
  });
  return problems;
}
