// Configuration of the host_metrics receiver: the Collector hostmetrics receiver's keys
// (collection_interval, initial_delay, root_path, scrapers with their metrics switches and filters).
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema, parseDuration } from '../../config/units.js';
import type { ScraperName } from './metadata.js';
import { METRICS, SCRAPERS } from './metadata.js';
import type { MatchConfig } from './scrapers.js';

export interface ScraperConfig {
  metrics?: Record<string, { enabled?: boolean }>;
  include?: MatchConfig;
  exclude?: MatchConfig;
  include_devices?: MatchConfig;
  exclude_devices?: MatchConfig;
  include_fs_types?: MatchConfig;
  exclude_fs_types?: MatchConfig;
  include_mount_points?: MatchConfig;
  exclude_mount_points?: MatchConfig;
  include_virtual_filesystems?: boolean;
  cpu_average?: boolean;
  mute_process_name_error?: boolean;
  mute_process_exe_error?: boolean;
  mute_process_io_error?: boolean;
  mute_process_user_error?: boolean;
  mute_process_all_errors?: boolean;
  resource_attributes?: Record<string, { enabled?: boolean }>;
}

export interface HostMetricsConfig {
  collection_interval: string;
  initial_delay: string;
  root_path: string;
  scrapers: Partial<Record<ScraperName, ScraperConfig | null>>;
}

export const DEFAULT_CONFIG: Readonly<HostMetricsConfig> = { collection_interval: '1m', initial_delay: '1s', root_path: '', scrapers: {} };

const match = (listKey: string, what: string): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  description: `${what}: a list and how its entries match.`,
  properties: {
    [listKey]: { type: 'array', items: { type: 'string' }, description: `The ${listKey} to match.` },
    match_type: { type: 'string', enum: ['strict', 'regexp'], description: 'strict: equal; regexp: the entry is a regular expression.' },
  },
});

const switches = (scraper: ScraperName): SchemaObject => ({
  type: 'object',
  description: 'Turn metrics on or off: {name: {enabled: true|false}}.',
  additionalProperties: false,
  properties: Object.fromEntries(
    Object.entries(METRICS[scraper]).map(([name, def]) => [
      name,
      {
        type: 'object',
        additionalProperties: false,
        description: `${def.description} (${def.unit}; ${def.enabled ? 'on' : 'off'} by default)`,
        properties: { enabled: { type: 'boolean', description: 'Emit this metric.', default: def.enabled } },
      },
    ]),
  ),
});

const bool = (description: string, def = false): SchemaObject => ({ type: 'boolean', description, default: def });

function scraperSchema(s: ScraperName): SchemaObject {
  const properties: Record<string, SchemaObject> = { metrics: switches(s) };
  if (s === 'disk') Object.assign(properties, { include: match('devices', 'Only these disk devices'), exclude: match('devices', 'Not these disk devices') });
  if (s === 'network') Object.assign(properties, { include: match('interfaces', 'Only these interfaces'), exclude: match('interfaces', 'Not these interfaces') });
  if (s === 'process') {
    Object.assign(properties, {
      include: match('names', 'Only processes with these executable names'),
      exclude: match('names', 'Not processes with these executable names'),
      mute_process_name_error: bool('Do not log processes whose name cannot be read.'),
      mute_process_exe_error: bool('Do not log processes whose executable cannot be read (kernel threads).'),
      mute_process_io_error: bool('Do not log processes whose I/O counters cannot be read.'),
      mute_process_user_error: bool('Do not log processes whose owner cannot be read.'),
      mute_process_all_errors: bool('Do not log any of the above.'),
      resource_attributes: { type: 'object', description: 'Accepted for compatibility: every process resource attribute is emitted.' },
    });
  }
  if (s === 'filesystem') {
    Object.assign(properties, {
      include_devices: match('devices', 'Only these devices'),
      exclude_devices: match('devices', 'Not these devices'),
      include_fs_types: match('fs_types', 'Only these filesystem types'),
      exclude_fs_types: match('fs_types', 'Not these filesystem types'),
      include_mount_points: match('mount_points', 'Only these mount points'),
      exclude_mount_points: match('mount_points', 'Not these mount points'),
      include_virtual_filesystems: bool('Also report virtual filesystems (proc, sysfs, tmpfs, overlay…).'),
    });
  }
  if (s === 'load') properties.cpu_average = bool('Divide the load averages by the number of CPUs.');
  return { type: ['object', 'null'], additionalProperties: false, description: `The ${s} scraper.`, properties };
}

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Host metrics from /proc and /sys (the Collector hostmetrics receiver): cpu, memory, load, disk, filesystem, network, paging, processes, process.',
  additionalProperties: false,
  required: ['scrapers'],
  properties: {
    collection_interval: durationSchema('How often every scraper runs.', DEFAULT_CONFIG.collection_interval),
    initial_delay: durationSchema('Wait before the first collection.', DEFAULT_CONFIG.initial_delay),
    root_path: { type: 'string', description: "The host's root when Ferry runs in a container with it mounted (e.g. /hostfs): /proc, /sys, mounts and /etc/passwd are read under it.", default: '' },
    scrapers: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      description: 'The scrapers to run, each with its own settings ({} for the defaults).',
      properties: Object.fromEntries(SCRAPERS.map((s) => [s, scraperSchema(s)])),
    },
  },
};

export function resolveConfig(partial: Partial<HostMetricsConfig>): HostMetricsConfig {
  return { ...DEFAULT_CONFIG, ...partial, scrapers: partial.scrapers ?? {} };
}

/** Metrics enabled for a scraper: the defaults, switched by `metrics:`. */
export function enabledMetrics(s: ScraperName, c: ScraperConfig | null | undefined): Set<string> {
  const out = new Set<string>();
  for (const [name, def] of Object.entries(METRICS[s])) if (c?.metrics?.[name]?.enabled ?? def.enabled) out.add(name);
  return out;
}

export function validate(c: HostMetricsConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (parseDuration(c.collection_interval) <= 0) problems.push({ path: 'collection_interval', message: 'must be greater than 0', fix: 'e.g. collection_interval: 10s' });
  for (const [name, sc] of Object.entries(c.scrapers)) {
    for (const key of ['include', 'exclude', 'include_devices', 'exclude_devices', 'include_fs_types', 'exclude_fs_types', 'include_mount_points', 'exclude_mount_points'] as const) {
      const m = sc?.[key];
      if (m?.match_type !== 'regexp') continue;
      for (const [listKey, list] of Object.entries(m)) {
        if (!Array.isArray(list)) continue;
        list.forEach((re, i) => {
          try {
            new RegExp(String(re));
          } catch (err) {
            problems.push({ path: `scrapers.${name}.${key}.${listKey}.${i}`, message: `invalid regex: ${(err as Error).message}` });
          }
        });
      }
    }
  }
  if (process.platform !== 'linux' && Object.keys(c.scrapers).length > 0) {
    problems.push({
      path: 'scrapers',
      message: `host_metrics reads /proc and /sys, which ${process.platform} does not have: no scraper (${Object.keys(c.scrapers).join(', ')}) is available here`,
      fix: 'run this receiver on Linux, or remove it from this configuration',
    });
  }
  return problems;
}
