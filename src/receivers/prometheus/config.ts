// Configuration of the `prometheus` receiver: `config` is Prometheus's own configuration
// (global, scrape_configs with static targets, auth, TLS and relabeling), as the Collector takes it.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { RELABEL_ACTIONS, compileRegex, type RelabelConfig } from '../../prometheus/relabel.js';

export interface BasicAuthConfig {
  username?: string;
  password?: string;
  password_file?: string;
}

export interface AuthorizationConfig {
  type?: string;
  credentials?: string;
  credentials_file?: string;
}

export interface PromTlsConfig {
  ca_file?: string;
  ca?: string;
  cert_file?: string;
  cert?: string;
  key_file?: string;
  key?: string;
  server_name?: string;
  insecure_skip_verify?: boolean;
  min_version?: string;
  max_version?: string;
}

export interface StaticConfig {
  targets: string[];
  labels?: Record<string, string>;
}

export interface FileSdConfig {
  files: string[];
  refresh_interval?: string;
}

export type ScrapeProtocol = 'OpenMetricsText1.0.0' | 'OpenMetricsText0.0.1' | 'PrometheusText1.0.0' | 'PrometheusText0.0.4';

/** Settings a scrape config inherits from `global`. */
export interface ScrapeDefaults {
  scrape_interval?: string;
  scrape_timeout?: string;
  scrape_protocols?: ScrapeProtocol[];
  body_size_limit?: string | number;
  sample_limit?: number;
  label_limit?: number;
}

export interface ScrapeConfig extends ScrapeDefaults {
  job_name: string;
  metrics_path?: string;
  scheme?: 'http' | 'https';
  params?: Record<string, string[]>;
  honor_labels?: boolean;
  honor_timestamps?: boolean;
  follow_redirects?: boolean;
  enable_compression?: boolean;
  enable_http2?: boolean;
  fallback_scrape_protocol?: ScrapeProtocol;
  basic_auth?: BasicAuthConfig;
  authorization?: AuthorizationConfig;
  bearer_token?: string;
  bearer_token_file?: string;
  tls_config?: PromTlsConfig;
  static_configs?: StaticConfig[];
  file_sd_configs?: FileSdConfig[];
  relabel_configs?: RelabelConfig[];
  metric_relabel_configs?: RelabelConfig[];
}

export interface GlobalConfig extends ScrapeDefaults {
  evaluation_interval?: string;
  external_labels?: Record<string, string>;
}

export interface PrometheusReceiverConfig {
  config: { global?: GlobalConfig; scrape_configs: ScrapeConfig[] };
  report_extra_scrape_metrics: boolean;
}

/** Prometheus's duration syntax: 1y2w3d4h5m6s7ms, or 0. */
const PROM_DURATION = '^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$';
const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds in a Prometheus duration ("1m30s" → 90000). */
export function parsePromDuration(s: string): number {
  if (s === '0') return 0;
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(s);
  if (!m || s === '') throw new Error(`invalid duration "${s}": use Prometheus durations such as 15s, 1m or 1h30m`);
  let ms = 0;
  DURATION_UNITS.forEach(([, unit], i) => {
    const v = m[i + 1];
    if (v !== undefined) ms += Number(v) * unit;
  });
  return ms;
}

const BYTE_UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3, TB: 1024 ** 4, TIB: 1024 ** 4 };

/** A body_size_limit ("10MB", "512KiB", 0): base-2 units, as Prometheus reads them. */
export function parseByteSize(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*([a-zA-Z]*)$/.exec(v.trim());
  const unit = BYTE_UNITS[(m?.[2] ?? '').toUpperCase()];
  if (!m || unit === undefined) throw new Error(`invalid size "${v}": use a number of bytes or a unit such as 10MB or 512KiB`);
  return Number(m[1]) * unit;
}

const durationProp = (description: string): SchemaObject => ({ type: 'string', pattern: PROM_DURATION, description });

const relabelSchema: SchemaObject = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    properties: {
      source_labels: { type: 'array', items: { type: 'string' }, description: 'Labels whose values, joined by separator, the regex is matched against.' },
      separator: { type: 'string', description: 'Joins the source label values.', default: ';' },
      target_label: { type: 'string', description: 'Label written by replace, hashmod, lowercase, uppercase (may use $1 groups), compared by keepequal/dropequal.' },
      regex: { type: 'string', description: 'RE2 regular expression, anchored at both ends.', default: '(.*)' },
      modulus: { type: 'integer', minimum: 1, description: 'Modulus of hashmod.' },
      replacement: { type: 'string', description: 'Value (or label name for labelmap) written; $1, ${name} refer to regex groups.', default: '$1' },
      action: { type: 'string', enum: RELABEL_ACTIONS, description: 'What to do when the regex matches.', default: 'replace' },
    },
  },
  description: 'Relabeling rules, applied in order (Prometheus relabel_config).',
};

const defaultsProperties: Record<string, SchemaObject> = {
  scrape_interval: durationProp('How often targets are scraped (Prometheus default 1m).'),
  scrape_timeout: durationProp('How long a scrape may take (default 10s, and at most scrape_interval).'),
  scrape_protocols: {
    type: 'array',
    items: { type: 'string', enum: ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'] },
    description: 'Formats asked for, most preferred first (the Accept header).',
  },
  body_size_limit: {
    type: ['string', 'integer'],
    description: 'Largest uncompressed body accepted (10MB, 512KiB); a larger one fails the scrape. 0 or unset: Ferry caps at 100MB to bound memory.',
  },
  sample_limit: { type: 'integer', minimum: 0, description: 'Most samples per scrape after metric relabeling; more fails the scrape. 0: no limit.' },
  label_limit: { type: 'integer', minimum: 0, description: 'Most labels per sample; more fails the scrape. 0: no limit.' },
};

const UNSUPPORTED_SD = [
  'kubernetes_sd_configs',
  'consul_sd_configs',
  'dns_sd_configs',
  'ec2_sd_configs',
  'gce_sd_configs',
  'azure_sd_configs',
  'docker_sd_configs',
  'http_sd_configs',
  'dockerswarm_sd_configs',
];

const UNSUPPORTED_TOP = ['rule_files', 'remote_write', 'remote_read', 'alerting', 'scrape_config_files'];

const scrapeConfigSchema: SchemaObject = {
  type: 'object',
  required: ['job_name'],
  additionalProperties: false,
  properties: {
    job_name: { type: 'string', minLength: 1, description: 'The job: the `job` label and the resource\'s service.name.' },
    ...defaultsProperties,
    metrics_path: { type: 'string', description: 'HTTP path scraped.', default: '/metrics' },
    scheme: { type: 'string', enum: ['http', 'https'], description: 'URL scheme.', default: 'http' },
    params: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'URL query parameters (name: [values]).' },
    honor_labels: { type: 'boolean', description: 'On a clash, keep the scraped label and drop the target\'s (else the scraped one becomes exported_<name>).', default: false },
    honor_timestamps: { type: 'boolean', description: 'Use the timestamps the target writes (else the scrape time).', default: true },
    follow_redirects: { type: 'boolean', default: true, description: 'Follow HTTP redirects (up to 10).' },
    enable_compression: { type: 'boolean', default: true, description: 'Ask for a gzip-compressed body.' },
    enable_http2: { type: 'boolean', default: true, description: 'Accepted for compatibility: Ferry scrapes over HTTP/1.1.' },
    fallback_scrape_protocol: {
      type: 'string',
      enum: ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'],
      description: 'Format assumed when the target sends no usable Content-Type (default: Prometheus text).',
    },
    basic_auth: {
      type: 'object',
      additionalProperties: false,
      description: 'HTTP basic authentication.',
      properties: {
        username: { type: 'string', description: 'User name.' },
        password: { type: 'string', description: 'Password.' },
        password_file: { type: 'string', description: 'File holding the password (read at every scrape).' },
      },
    },
    authorization: {
      type: 'object',
      additionalProperties: false,
      description: 'The Authorization header: `<type> <credentials>`.',
      properties: {
        type: { type: 'string', description: 'Scheme.', default: 'Bearer' },
        credentials: { type: 'string', description: 'Credentials.' },
        credentials_file: { type: 'string', description: 'File holding the credentials (read at every scrape).' },
      },
    },
    bearer_token: { type: 'string', description: 'Deprecated form of authorization.credentials.' },
    bearer_token_file: { type: 'string', description: 'Deprecated form of authorization.credentials_file.' },
    tls_config: {
      type: 'object',
      additionalProperties: false,
      description: 'TLS of https targets.',
      properties: {
        ca_file: { type: 'string', description: 'PEM CA certificate that signs the targets\' certificates.' },
        ca: { type: 'string', description: 'PEM CA certificate, inline.' },
        cert_file: { type: 'string', description: 'PEM client certificate (mutual TLS).' },
        cert: { type: 'string', description: 'PEM client certificate, inline.' },
        key_file: { type: 'string', description: 'PEM client key.' },
        key: { type: 'string', description: 'PEM client key, inline.' },
        server_name: { type: 'string', description: 'Server name for SNI and verification.' },
        insecure_skip_verify: { type: 'boolean', description: 'Do not verify the target\'s certificate.', default: false },
        min_version: { type: 'string', enum: ['TLS10', 'TLS11', 'TLS12', 'TLS13'], description: 'Lowest TLS version.' },
        max_version: { type: 'string', enum: ['TLS10', 'TLS11', 'TLS12', 'TLS13'], description: 'Highest TLS version.' },
      },
    },
    static_configs: {
      type: 'array',
      description: 'Fixed targets and the labels they carry.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['targets'],
        properties: {
          targets: { type: 'array', items: { type: 'string' }, description: 'host:port of each target.' },
          labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Labels added to every sample of these targets.' },
        },
      },
    },
    file_sd_configs: {
      type: 'array',
      description: 'Targets read from JSON or YAML files (lists of {targets, labels}), re-read every refresh_interval; `*` allowed in the file name.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['files'],
        properties: {
          files: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Files (.json, .yml, .yaml); the last path element may hold `*`.' },
          refresh_interval: durationProp('How often the files are re-read (default 5m).'),
        },
      },
    },
    ...Object.fromEntries(UNSUPPORTED_SD.map((sd) => [sd, { description: 'Service discovery Ferry does not have yet: validation rejects it (use static_configs).' }])),
    relabel_configs: { ...relabelSchema, description: 'Rules applied to each target\'s labels before scraping (may drop targets).' },
    metric_relabel_configs: { ...relabelSchema, description: 'Rules applied to each scraped sample\'s labels, __name__ included (may drop samples).' },
  },
};

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['config'],
  description: 'Scrapes Prometheus targets (text format and OpenMetrics) and translates them to OTLP metrics as the Collector does.',
  properties: {
    config: {
      type: 'object',
      additionalProperties: false,
      description: 'Prometheus configuration: global and scrape_configs.',
      properties: {
        global: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'Defaults of every scrape config.',
          properties: {
            ...defaultsProperties,
            evaluation_interval: durationProp('Accepted for compatibility; rules are not evaluated.'),
            external_labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Accepted for compatibility; not added (the Collector ignores them too).' },
          },
        },
        scrape_configs: { type: 'array', items: scrapeConfigSchema, default: [], description: 'The jobs scraped.' },
        ...Object.fromEntries(UNSUPPORTED_TOP.map((k) => [k, { description: 'Prometheus server setting the receiver does not support: validation rejects it.' }])),
      },
    },
    report_extra_scrape_metrics: {
      type: 'boolean',
      default: false,
      description: 'Also report scrape_timeout_seconds, scrape_sample_limit and scrape_body_size_bytes per target.',
    },
  },
};

/** Interval, timeout and limits of one job, with global and Prometheus defaults filled in. */
export interface ResolvedScrape {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly bodySizeLimit: number;
  readonly sampleLimit: number;
  readonly labelLimit: number;
  readonly protocols: readonly ScrapeProtocol[];
}

/** Ferry's cap when body_size_limit is unset or 0: Prometheus has none, but memory must stay bounded. */
export const DEFAULT_BODY_LIMIT = 100 * 1024 * 1024;
const DEFAULT_PROTOCOLS: readonly ScrapeProtocol[] = ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText0.0.4'];

export function resolveScrape(global: GlobalConfig | undefined, job: ScrapeConfig): ResolvedScrape {
  const g = global ?? {};
  const globalInterval = parsePromDuration(g.scrape_interval ?? '1m');
  const globalTimeout = g.scrape_timeout !== undefined ? parsePromDuration(g.scrape_timeout) : Math.min(10_000, globalInterval);
  const intervalMs = job.scrape_interval !== undefined ? parsePromDuration(job.scrape_interval) : globalInterval;
  const timeoutMs = job.scrape_timeout !== undefined ? parsePromDuration(job.scrape_timeout) : Math.min(globalTimeout, intervalMs);
  const limit = parseByteSize(job.body_size_limit ?? g.body_size_limit ?? 0);
  return {
    intervalMs,
    timeoutMs,
    bodySizeLimit: limit > 0 ? limit : DEFAULT_BODY_LIMIT,
    sampleLimit: job.sample_limit ?? g.sample_limit ?? 0,
    labelLimit: job.label_limit ?? g.label_limit ?? 0,
    protocols: job.scrape_protocols ?? g.scrape_protocols ?? DEFAULT_PROTOCOLS,
  };
}

function checkRelabel(rules: RelabelConfig[] | undefined, path: string, problems: ConfigProblem[]): void {
  (rules ?? []).forEach((r, i) => {
    const p = `${path}.${i}`;
    try {
      compileRegex(r.regex ?? '(.*)');
    } catch (err) {
      problems.push({ path: `${p}.regex`, message: `invalid regex: ${err instanceof Error ? err.message : String(err)}`, fix: 'write an RE2 regular expression' });
    }
    const action = r.action ?? 'replace';
    if (action === 'hashmod' && r.modulus === undefined) problems.push({ path: `${p}.modulus`, message: 'hashmod needs a modulus', fix: 'set modulus: N' });
    if (['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action) && !r.target_label) {
      problems.push({ path: `${p}.target_label`, message: `${action} needs a target_label`, fix: 'set target_label' });
    }
    if (['keep', 'drop', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action) && (r.source_labels ?? []).length === 0) {
      problems.push({ path: `${p}.source_labels`, message: `${action} needs source_labels`, fix: 'list the labels to match, e.g. [__name__]' });
    }
  });
}

export function validate(c: PrometheusReceiverConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const raw = c.config as unknown as Record<string, unknown>;
  for (const key of UNSUPPORTED_TOP) {
    if (raw[key] !== undefined) problems.push({ path: `config.${key}`, message: `${key} is not supported by the prometheus receiver`, fix: `remove ${key}` });
  }
  const names = new Set<string>();
  c.config.scrape_configs.forEach((job, i) => {
    const p = `config.scrape_configs.${i}`;
    const rawJob = job as unknown as Record<string, unknown>;
    for (const sd of UNSUPPORTED_SD) {
      if (rawJob[sd] !== undefined) problems.push({ path: `${p}.${sd}`, message: `${sd} is not supported by Ferry yet`, fix: 'list the targets in static_configs or file_sd_configs' });
    }
    if (names.has(job.job_name)) problems.push({ path: `${p}.job_name`, message: `job_name "${job.job_name}" is used twice`, fix: 'give each scrape config its own job_name' });
    names.add(job.job_name);
    try {
      const r = resolveScrape(c.config.global, job);
      if (r.intervalMs <= 0) problems.push({ path: `${p}.scrape_interval`, message: 'scrape_interval must be above 0', fix: 'write e.g. 15s' });
      if (r.timeoutMs > r.intervalMs) {
        problems.push({ path: `${p}.scrape_timeout`, message: `scrape_timeout is greater than scrape_interval`, fix: 'lower scrape_timeout to at most scrape_interval' });
      }
    } catch (err) {
      problems.push({ path: p, message: err instanceof Error ? err.message : String(err), fix: 'fix the duration or size' });
    }
    if (job.authorization && (job.bearer_token || job.bearer_token_file)) {
      problems.push({ path: `${p}.authorization`, message: 'authorization and bearer_token are both set', fix: 'keep authorization only' });
    }
    if (job.basic_auth && (job.authorization || job.bearer_token || job.bearer_token_file)) {
      problems.push({ path: `${p}.basic_auth`, message: 'basic_auth and authorization are both set', fix: 'keep one of them' });
    }
    // Without relabeling a target is its own __address__: it must be host:port.
    if ((job.relabel_configs ?? []).length === 0) {
      (job.static_configs ?? []).forEach((g, gi) =>
        g.targets.forEach((t, ti) => {
          if (t.includes('/')) {
            problems.push({ path: `${p}.static_configs.${gi}.targets.${ti}`, message: `"${t}" is not host:port`, fix: 'write host:port; put the scheme in scheme: and the path in metrics_path:' });
          }
        }),
      );
    }
    checkRelabel(job.relabel_configs, `${p}.relabel_configs`, problems);
    checkRelabel(job.metric_relabel_configs, `${p}.metric_relabel_configs`, problems);
  });
  return problems;
}
