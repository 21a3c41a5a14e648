// The filter processor's configuration: Ferry's `logs.min_severity` level filter, and the
// Collector's include/exclude form for logs, spans and metrics; OTTL conditions are refused.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { AttributeCondition, FieldNames, MatchProperties, MatchType, RegexpOptions, SeverityNumberCondition } from '../internal/match-config.js';
import {
  attributeListSchema,
  matchPropertiesSchemaFor,
  regexpOptionsSchema,
  severityNumberConditionSchema,
  stringListSchema,
  validateMatchProperties,
} from '../internal/match-config.js';
import { SEVERITY_FIX, parseSeverity, severitySchema } from '../internal/severity.js';

/** The Collector's LogMatchProperties. */
export interface LogMatchProperties {
  match_type?: MatchType;
  resource_attributes?: AttributeCondition[];
  record_attributes?: AttributeCondition[];
  severity_texts?: string[];
  severity_number?: SeverityNumberCondition;
  bodies?: string[];
}

/** The Collector's MetricMatchProperties (match_type expr and expressions are refused). */
export interface MetricMatchProperties {
  match_type?: MatchType | 'expr';
  metric_names?: string[];
  expressions?: string[];
  resource_attributes?: AttributeCondition[];
  regexp?: RegexpOptions;
}

export interface FilterConfig {
  error_mode: 'propagate' | 'ignore' | 'silent';
  logs?: {
    min_severity?: string | number;
    keep_unspecified_severity: boolean;
    include?: LogMatchProperties;
    exclude?: LogMatchProperties;
  };
  spans?: { include?: MatchProperties; exclude?: MatchProperties };
  metrics?: { include?: MetricMatchProperties; exclude?: MetricMatchProperties; regexp?: RegexpOptions };
}

/** A key the Collector reads as OTTL conditions: refused, with a description (the fix) that says what to use. */
const ottl = (instead: string): SchemaObject => ({ not: {}, description: `OTTL conditions are not supported by Ferry; use ${instead} instead` });
const LOGS_INSTEAD = 'logs.include / logs.exclude, or logs.min_severity for a level filter';
const METRICS_INSTEAD = 'metrics.include / metrics.exclude';

const matchType = (extra: string[] = []): SchemaObject => ({
  type: 'string',
  enum: ['strict', 'regexp', ...extra],
  description: 'How strings match: strict (equal) or regexp (a regular expression matching anywhere in the value; RE2 syntax accepted).',
});

const logMatchSchema = (description: string): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  description,
  properties: {
    match_type: matchType(),
    resource_attributes: attributeListSchema('The resource attributes have every one of these.'),
    record_attributes: attributeListSchema('The log record attributes have every one of these.'),
    severity_texts: stringListSchema('The severity text matches one of these.'),
    severity_number: severityNumberConditionSchema,
    bodies: stringListSchema('The body (as text) matches one of these.'),
  },
});

const metricMatchSchema = (description: string): SchemaObject => ({
  type: 'object',
  additionalProperties: false,
  description,
  properties: {
    match_type: matchType(['expr']),
    metric_names: stringListSchema('The metric name matches one of these.'),
    resource_attributes: attributeListSchema('The resource attributes have every one of these.'),
    expressions: stringListSchema('Not supported by Ferry (expr expressions); use metric_names.'),
    regexp: regexpOptionsSchema,
  },
});

const SPAN_FIELDS = ['match_type', 'regexp', 'services', 'span_names', 'span_kinds', 'attributes', 'resources', 'resource_attributes', 'libraries'] as const;

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Drops log records below a severity, and logs, spans and metrics by include/exclude match. Every dropped item is counted.',
  additionalProperties: false,
  properties: {
    error_mode: {
      type: 'string',
      enum: ['propagate', 'ignore', 'silent'],
      default: 'ignore',
      description: 'What to do when a condition cannot be evaluated (the Collector\'s OTTL setting; include/exclude matching never fails, so it has no effect in Ferry).',
    },
    logs: {
      type: 'object',
      additionalProperties: false,
      description: 'Log record filters. A record is dropped when it is below min_severity, when include is given and it does not match, or when it matches exclude.',
      properties: {
        min_severity: severitySchema('Drop log records below this severity (the level filter of log shippers).'),
        keep_unspecified_severity: {
          type: 'boolean',
          default: true,
          description: 'With min_severity: keep records that carry no severity (SeverityNumber 0), as most log lines from plain stdout do. false drops them.',
        },
        include: logMatchSchema('Keep only log records matching this (checked before exclude).'),
        exclude: logMatchSchema('Drop log records matching this.'),
        resource: ottl(LOGS_INSTEAD),
        log_record: ottl(LOGS_INSTEAD),
      },
    },
    spans: {
      type: 'object',
      additionalProperties: false,
      description: 'Span filters: keep only spans matching include (when given), drop those matching exclude.',
      properties: {
        include: matchPropertiesSchemaFor(SPAN_FIELDS, 'Keep only spans matching this (checked before exclude).'),
        exclude: matchPropertiesSchemaFor(SPAN_FIELDS, 'Drop spans matching this.'),
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      description: 'Metric filters by name and resource attributes; a dropped metric drops all its data points.',
      properties: {
        include: metricMatchSchema('Keep only metrics matching this (checked before exclude).'),
        exclude: metricMatchSchema('Drop metrics matching this.'),
        regexp: regexpOptionsSchema,
        resource: ottl(METRICS_INSTEAD),
        metric: ottl(METRICS_INSTEAD),
        datapoint: ottl(METRICS_INSTEAD),
      },
    },
    traces: ottl('spans.include / spans.exclude'),
    profiles: ottl('a pipeline without profiles (Ferry has no profiles signal)'),
    log_conditions: ottl(LOGS_INSTEAD),
    trace_conditions: ottl('spans.include / spans.exclude'),
    metric_conditions: ottl(METRICS_INSTEAD),
    profile_conditions: ottl('a pipeline without profiles (Ferry has no profiles signal)'),
  },
};

/** The filter's logs block in the shared MatchProperties shape (the Collector converts it the same way). */
export function logMatchProperties(p: LogMatchProperties): MatchProperties {
  return {
    match_type: p.match_type,
    resources: p.resource_attributes,
    attributes: p.record_attributes,
    log_severity_texts: p.severity_texts,
    log_severity_number: p.severity_number,
    log_bodies: p.bodies,
  };
}

export const LOG_FIELD_NAMES: FieldNames = {
  resources: 'resource_attributes',
  attributes: 'record_attributes',
  log_severity_texts: 'severity_texts',
  log_severity_number: 'severity_number',
  log_bodies: 'bodies',
  services: '',
  span_names: '',
  span_kinds: '',
  metric_names: '',
  resource_attributes: '',
  libraries: '',
};

export function metricMatchProperties(p: MetricMatchProperties, regexp: RegexpOptions | undefined): MatchProperties {
  return { match_type: p.match_type === 'expr' ? undefined : p.match_type, regexp: p.regexp ?? regexp, metric_names: p.metric_names, resources: p.resource_attributes };
}

const METRIC_FIELD_NAMES: FieldNames = { resources: 'resource_attributes', services: '', span_names: '', span_kinds: '', log_bodies: '', log_severity_texts: '', log_severity_number: '', attributes: '', resource_attributes: '', libraries: '' };

export function validate(config: FilterConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const logs = config.logs;
  if (logs?.min_severity !== undefined && parseSeverity(logs.min_severity) === undefined) {
    problems.push({ path: 'logs.min_severity', message: `${JSON.stringify(logs.min_severity)} is not a severity`, fix: SEVERITY_FIX });
  }
  for (const which of ['include', 'exclude'] as const) {
    const l = logs?.[which];
    // The Collector ignores an empty logs block rather than refusing it.
    if (l) problems.push(...validateMatchProperties(logMatchProperties(l), `logs.${which}`, LOG_FIELD_NAMES, true));
    const s = config.spans?.[which];
    if (s) problems.push(...validateMatchProperties(s, `spans.${which}`));
    const m = config.metrics?.[which];
    if (m) {
      if (m.match_type === 'expr' || (m.expressions?.length ?? 0) > 0) {
        problems.push({ path: `metrics.${which}.${m.match_type === 'expr' ? 'match_type' : 'expressions'}`, message: 'expr expressions are not supported by Ferry', fix: 'use match_type: strict or regexp with metric_names (and resource_attributes)' });
      } else {
        problems.push(...validateMatchProperties(metricMatchProperties(m, config.metrics?.regexp), `metrics.${which}`, METRIC_FIELD_NAMES));
      }
    }
  }
  return problems;
}
