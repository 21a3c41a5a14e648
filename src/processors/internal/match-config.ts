// The configuration of include/exclude matching (filterconfig.MatchProperties): its types,
// JSON Schema fragments, and the checks the Collector makes, per signal included.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { Signal } from '../../pdata/types.js';
import { regexpProblem } from './regexp.js';
import { SEVERITY_FIX, parseSeverity, severitySchema } from './severity.js';

export type MatchType = 'strict' | 'regexp';

export interface AttributeCondition {
  key: string;
  /** Absent: the key only has to be present. */
  value?: unknown;
}

export interface RegexpOptions {
  cacheenabled?: boolean;
  cachemaxnumentries?: number;
}

export interface SeverityNumberCondition {
  min: string | number;
  match_undefined?: boolean;
}

/** filterconfig.MatchProperties; `resource_attributes` is Ferry's alias of `resources`. */
export interface MatchProperties {
  /** Required whenever strings or values are compared (the Collector refuses them without it). */
  match_type?: MatchType;
  regexp?: RegexpOptions;
  services?: string[];
  span_names?: string[];
  span_kinds?: string[];
  log_bodies?: string[];
  log_severity_texts?: string[];
  log_severity_number?: SeverityNumberCondition;
  metric_names?: string[];
  attributes?: AttributeCondition[];
  resources?: AttributeCondition[];
  resource_attributes?: AttributeCondition[];
  libraries?: { name: string; version?: string }[];
}

export interface MatchConfig {
  include?: MatchProperties;
  exclude?: MatchProperties;
}

// ---- schema fragments, shared with the filter processor's own spellings

export const matchTypeSchema: SchemaObject = {
  type: 'string',
  enum: ['strict', 'regexp'],
  description: 'How the listed strings match: strict (equal) or regexp (a regular expression that matches anywhere in the value; RE2 syntax accepted).',
};

export const regexpOptionsSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'Options for match_type regexp.',
  properties: {
    cacheenabled: { type: 'boolean', default: false, description: 'Remember match results per distinct value (an LRU cache).' },
    cachemaxnumentries: { type: 'integer', minimum: 0, default: 0, description: 'Most entries in that cache; 0 means unlimited.' },
  },
};

export const stringListSchema = (description: string): SchemaObject => ({ type: 'array', items: { type: 'string' }, description });

export const attributeListSchema = (description: string): SchemaObject => ({
  type: 'array',
  description,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['key'],
    properties: {
      key: { type: 'string', minLength: 1, description: 'The attribute key.' },
      value: {
        type: ['string', 'number', 'boolean', 'array', 'object'],
        description: 'The value to match (strict: same type and value; regexp: a pattern for the value as text). Absent: the key only has to be present.',
      },
    },
  },
});

export const severityNumberConditionSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['min'],
  description: 'Match log records at or above a severity.',
  properties: {
    min: severitySchema('The lowest severity that matches.'),
    match_undefined: { type: 'boolean', default: false, description: 'Whether records with no severity (SeverityNumber 0) match.' },
  },
};

export const matchPropertiesSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'What an item must match; every property given must match.',
  properties: {
    match_type: matchTypeSchema,
    regexp: regexpOptionsSchema,
    services: stringListSchema('Spans: the resource service.name matches one of these.'),
    span_names: stringListSchema('Spans: the span name matches one of these.'),
    span_kinds: stringListSchema('Spans: the span kind (SPAN_KIND_SERVER, SPAN_KIND_CLIENT, …) matches one of these.'),
    log_bodies: stringListSchema('Logs: the body (as text) matches one of these.'),
    log_severity_texts: stringListSchema('Logs: the severity text matches one of these.'),
    log_severity_number: severityNumberConditionSchema,
    metric_names: stringListSchema('Metrics: the metric name matches one of these.'),
    attributes: attributeListSchema('The item attributes (log record, span, or metric data point) have every one of these.'),
    resources: attributeListSchema('The resource attributes have every one of these.'),
    resource_attributes: attributeListSchema('Same as resources (Ferry accepts both spellings).'),
    libraries: {
      type: 'array',
      description: 'The instrumentation scope matches each of these (name, and version when given).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'Scope name.' },
          version: { type: 'string', description: 'Scope version; absent matches any, "" only an empty version.' },
        },
      },
    },
  },
};

/** The schema restricted to some properties (the filter processor's spans blocks take span fields only). */
export function matchPropertiesSchemaFor(fields: readonly (keyof MatchProperties)[], description: string): SchemaObject {
  const all = matchPropertiesSchema.properties as Record<string, SchemaObject>;
  const properties = Object.fromEntries(fields.map((f) => [f, all[f] as SchemaObject]));
  return { ...matchPropertiesSchema, description, properties };
}

// ---- checks

/** OTLP span kinds as the Collector names them (traceutil.SpanKindStr), by SpanKind number. */
export const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];


export const has = (list: readonly unknown[] | undefined): boolean => list !== undefined && list.length > 0;
export const resourceConditions = (p: MatchProperties): AttributeCondition[] => [...(p.resources ?? []), ...(p.resource_attributes ?? [])];

const FIELDS_BY_SIGNAL: Readonly<Record<Signal, readonly (keyof MatchProperties)[]>> = {
  traces: ['services', 'span_names', 'span_kinds', 'attributes', 'resources', 'resource_attributes', 'libraries'],
  logs: ['log_bodies', 'log_severity_texts', 'log_severity_number', 'attributes', 'resources', 'resource_attributes', 'libraries'],
  metrics: ['metric_names', 'attributes', 'resources', 'resource_attributes', 'libraries'],
};
const CRITERIA: readonly (keyof MatchProperties)[] = [
  'services', 'span_names', 'span_kinds', 'log_bodies', 'log_severity_texts', 'log_severity_number', 'metric_names', 'attributes', 'resources', 'resource_attributes', 'libraries',
];
const STRING_CRITERIA = ['services', 'span_names', 'span_kinds', 'log_bodies', 'log_severity_texts', 'metric_names'] as const;
const isGiven = (p: MatchProperties, f: keyof MatchProperties): boolean => (Array.isArray(p[f]) ? has(p[f] as unknown[]) : p[f] !== undefined);

/** The spelling a processor's configuration uses for each property (the filter processor's differ). */
export type FieldNames = Partial<Record<keyof MatchProperties, string>>;

/**
 * Signal-independent problems: patterns that do not compile, severities, a missing match_type,
 * nothing to match on (unless `allowEmpty`: the filter processor ignores an empty logs block).
 */
export function validateMatchProperties(p: MatchProperties, base: string, names: FieldNames = {}, allowEmpty = false): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const name = (f: keyof MatchProperties): string => names[f] ?? f;
  const given = CRITERIA.filter((f) => isGiven(p, f));
  if (given.length === 0 && !allowEmpty) {
    problems.push({ path: base, message: 'nothing to match on', fix: `give at least one of ${CRITERIA.filter((f) => names[f] !== '').map(name).join(', ')}, or remove ${base}` });
  }
  // match_type says how strings compare; the Collector refuses strings without it.
  const needsType = STRING_CRITERIA.some((f) => isGiven(p, f)) || [...(p.attributes ?? []), ...resourceConditions(p)].some((c) => c.value !== undefined) || has(p.libraries);
  if (p.match_type === undefined && needsType) {
    problems.push({ path: `${base}.match_type`, message: 'match_type is required to compare strings and values', fix: 'add match_type: strict (equal) or regexp (regular expression)' });
  }
  const regexp = p.match_type === 'regexp';
  const checkList = (field: string, list: readonly string[] | undefined): void => {
    if (!regexp) return;
    list?.forEach((pattern, i) => {
      const why = regexpProblem(pattern);
      if (why !== undefined) problems.push({ path: `${base}.${field}.${i}`, message: why, fix: 'fix the regular expression, or use match_type: strict' });
    });
  };
  for (const f of STRING_CRITERIA) checkList(name(f), p[f]);
  for (const f of ['attributes', 'resources', 'resource_attributes'] as const) {
    p[f]?.forEach((c, i) => {
      if (!regexp || c.value === undefined) return;
      const at = `${base}.${name(f)}.${i}.value`;
      if (typeof c.value !== 'string') {
        problems.push({ path: at, message: `match_type regexp needs a string value for "${c.key}"`, fix: 'write the pattern as a string, or use match_type: strict' });
        return;
      }
      const why = regexpProblem(c.value);
      if (why !== undefined) problems.push({ path: at, message: why, fix: 'fix the regular expression, or use match_type: strict' });
    });
  }
  p.libraries?.forEach((l, i) => {
    if (!regexp) return;
    for (const [field, pattern] of [['name', l.name], ['version', l.version]] as const) {
      const why = pattern === undefined ? undefined : regexpProblem(pattern);
      if (why !== undefined) problems.push({ path: `${base}.libraries.${i}.${field}`, message: why, fix: 'fix the regular expression, or use match_type: strict' });
    }
  });
  if (p.log_severity_number && parseSeverity(p.log_severity_number.min) === undefined) {
    problems.push({ path: `${base}.${name('log_severity_number')}.min`, message: `${JSON.stringify(p.log_severity_number.min)} is not a severity`, fix: SEVERITY_FIX });
  }
  if (p.match_type === 'strict') {
    p.span_kinds?.forEach((k, i) => {
      if (!SPAN_KINDS.includes(k)) problems.push({ path: `${base}.span_kinds.${i}`, message: `"${k}" is not a span kind`, fix: `use one of ${SPAN_KINDS.slice(1).join(', ')}` });
    });
  }
  return problems;
}

/** Properties that do not apply to a signal, as the Collector refuses them when it builds that pipeline. */
export function matchSignalProblems(p: MatchProperties, signal: Signal, base: string): ConfigProblem[] {
  const allowed = FIELDS_BY_SIGNAL[signal];
  const problems: ConfigProblem[] = [];
  for (const f of CRITERIA) {
    if (isGiven(p, f) && !allowed.includes(f)) {
      problems.push({ path: `${base}.${f}`, message: `${f} does not apply to ${signal}`, fix: `remove it, or use a separate processor for ${signal} (${signal} can match on ${allowed.join(', ')})` });
    }
  }
  return problems;
}
