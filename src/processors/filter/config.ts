// The filter processor's configuration: Ferry's `logs.min_severity` level filter, the
// Collector's include/exclude form for logs, spans and metrics, and its OTTL conditions.
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
import { compileConditions, errorModeSchema } from '../../ottl/config.js';
import type { ContextName } from '../../ottl/contexts.js';

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
    log_record?: string[];
  };
  spans?: { include?: MatchProperties; exclude?: MatchProperties };
  traces?: { span?: string[]; spanevent?: string[] };
  metrics?: { include?: MetricMatchProperties; exclude?: MetricMatchProperties; regexp?: RegexpOptions; metric?: string[]; datapoint?: string[] };
}

/** The OTTL condition lists: config path → context. */
export const OTTL_CONDITIONS: readonly { path: string; context: ContextName; get: (c: FilterConfig) => string[] | undefined }[] = [
  { path: 'logs.log_record', context: 'log', get: (c) => c.logs?.log_record },
  { path: 'traces.span', context: 'span', get: (c) => c.traces?.span },
  { path: 'traces.spanevent', context: 'spanevent', get: (c) => c.traces?.spanevent },
  { path: 'metrics.metric', context: 'metric', get: (c) => c.metrics?.metric },
  { path: 'metrics.datapoint', context: 'datapoint', get: (c) => c.metrics?.datapoint },
];

const conditions = (what: string): SchemaObject => ({
  type: 'array',
  items: { type: 'string' },
  description: `OTTL conditions: a ${what} matching any of them is dropped (the Collector's form). Checked at load.`,
});

/** A key the Collector reads as OTTL conditions: refused, with a description (the fix) that says what to use. */
const ottl = (instead: string): SchemaObject => ({ not: {}, description: `OTTL conditions are not supported by Ferry; use ${instead} instead` });
const LOGS_INSTEAD = 'logs.log_record conditions (OTTL paths such as resource.attributes reach the resource)';
const METRICS_INSTEAD = 'metrics.metric or metrics.datapoint conditions';

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
  description: 'Drops log records below a severity, and logs, spans, span events, metrics and data points by include/exclude match or OTTL conditions. Every dropped item is counted.',
  additionalProperties: false,
  properties: {
    error_mode: errorModeSchema('propagate', 'an OTTL condition (include/exclude matching never fails)'),
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
        log_record: conditions('log record'),
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
        metric: conditions('metric (with all its data points)'),
        datapoint: conditions('data point (a metric left without any is dropped)'),
      },
    },
    traces: {
      type: 'object',
      additionalProperties: false,
      description: 'OTTL conditions for spans and span events.',
      properties: {
        span: conditions('span'),
        spanevent: conditions('span event'),
        resource: ottl('traces.span conditions (OTTL paths such as resource.attributes reach the resource)'),
      },
    },
    profiles: ottl('a pipeline without profiles (Ferry has no profiles signal)'),
    log_conditions: ottl(LOGS_INSTEAD),
    trace_conditions: ottl('traces.span / traces.spanevent conditions'),
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
  for (const c of OTTL_CONDITIONS) problems.push(...compileConditions(c.get(config) ?? [], c.context, c.path).problems);
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
