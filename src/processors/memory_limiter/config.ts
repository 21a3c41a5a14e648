// The memory_limiter processor's configuration: the Collector's check_interval, limit_mib /
// spike_limit_mib or limit_percentage / spike_limit_percentage, GC intervals; plus Ferry's `measure`.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import { durationSchema, parseDuration } from '../../config/units.js';

export type MemoryMeasure = 'rss' | 'heap';

export interface MemoryLimiterConfig {
  check_interval: string;
  limit_mib: number;
  spike_limit_mib: number;
  limit_percentage: number;
  spike_limit_percentage: number;
  min_gc_interval_when_soft_limited: string;
  min_gc_interval_when_hard_limited: string;
  measure: MemoryMeasure;
}

export const DEFAULT_MEMORY_LIMITER_CONFIG: Readonly<MemoryLimiterConfig> = {
  check_interval: '0s',
  limit_mib: 0,
  spike_limit_mib: 0,
  limit_percentage: 0,
  spike_limit_percentage: 0,
  min_gc_interval_when_soft_limited: '10s',
  min_gc_interval_when_hard_limited: '0s',
  measure: 'rss',
};

const d = DEFAULT_MEMORY_LIMITER_CONFIG;

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Refuses data (a retryable error: HTTP 503, gRPC UNAVAILABLE) while the process uses more memory than the soft limit, and forces a garbage collection above the hard limit.',
  additionalProperties: false,
  properties: {
    check_interval: durationSchema('Time between memory measurements; must be greater than zero (1s is the usual value).', d.check_interval),
    limit_mib: {
      type: 'integer',
      minimum: 0,
      default: d.limit_mib,
      description: 'The hard limit in MiB; the soft limit is limit_mib - spike_limit_mib. Takes precedence over limit_percentage.',
    },
    spike_limit_mib: {
      type: 'integer',
      minimum: 0,
      default: d.spike_limit_mib,
      description: 'The largest growth expected between two checks, in MiB; must be below limit_mib. 0 means 20% of limit_mib.',
    },
    limit_percentage: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      default: d.limit_percentage,
      description: 'The hard limit as a percentage of the memory available: the cgroup limit when one is set (containers), else the machine\'s total memory.',
    },
    spike_limit_percentage: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      default: d.spike_limit_percentage,
      description: 'The spike limit as a percentage of the memory available; must be below limit_percentage. 0 means 20% of the limit.',
    },
    min_gc_interval_when_soft_limited: durationSchema('Least time between forced garbage collections while above the soft limit.', d.min_gc_interval_when_soft_limited),
    min_gc_interval_when_hard_limited: durationSchema('Least time between forced garbage collections while above the hard limit.', d.min_gc_interval_when_hard_limited),
    measure: {
      type: 'string',
      enum: ['rss', 'heap'],
      default: d.measure,
      description:
        'What is measured: rss (the resident set size, what a container limit and the OOM killer count; the default) or heap (V8 heap in use plus Buffers, which recovers as soon as garbage is collected).',
    },
  },
};

export function validate(config: MemoryLimiterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (parseDuration(config.check_interval) <= 0) {
    problems.push({ path: 'check_interval', message: 'check_interval must be greater than zero', fix: 'set check_interval: 1s' });
  }
  if (parseDuration(config.min_gc_interval_when_soft_limited) < parseDuration(config.min_gc_interval_when_hard_limited)) {
    problems.push({
      path: 'min_gc_interval_when_soft_limited',
      message: 'min_gc_interval_when_soft_limited must not be shorter than min_gc_interval_when_hard_limited',
      fix: `raise it to at least ${config.min_gc_interval_when_hard_limited}`,
    });
  }
  if (config.limit_mib === 0 && config.limit_percentage === 0) {
    problems.push({ path: 'limit_mib', message: 'limit_mib or limit_percentage must be greater than zero', fix: 'set limit_mib (e.g. 512) or limit_percentage (e.g. 80)' });
  }
  if (config.limit_mib > 0 && config.limit_mib <= config.spike_limit_mib) {
    problems.push({ path: 'spike_limit_mib', message: `spike_limit_mib (${config.spike_limit_mib}) must be smaller than limit_mib (${config.limit_mib})`, fix: `lower spike_limit_mib, e.g. to ${Math.floor(config.limit_mib / 5)} (20%), or 0 for that default` });
  }
  if (config.limit_percentage > 0 && config.limit_percentage <= config.spike_limit_percentage) {
    problems.push({
      path: 'spike_limit_percentage',
      message: `spike_limit_percentage (${config.spike_limit_percentage}) must be smaller than limit_percentage (${config.limit_percentage})`,
      fix: 'lower spike_limit_percentage, or 0 for 20% of the limit',
    });
  }
  return problems;
}
