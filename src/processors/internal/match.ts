// The Collector's include/exclude matching (filterconfig.MatchProperties): which log records,
// spans and metrics a processor acts on, by service, name, body, severity and attributes.
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Metric, Resource, Span } from '../../pdata/types.js';
import type { AttributeCondition, MatchConfig, MatchProperties, MatchType, RegexpOptions } from './match-config.js';
import { SPAN_KINDS, has, resourceConditions } from './match-config.js';
import { compileGoRegexp } from './regexp.js';
import { parseSeverity } from './severity.js';
import { getAttribute, valueAsString, valueFromRaw, valueType, valuesEqual } from './values.js';

// ---- matching

/** A set of strings to match: equality, or any of several regular expressions. */
interface StringSet {
  matches(s: string): boolean;
}

function stringSet(patterns: readonly string[], type: MatchType | undefined, options: RegexpOptions | undefined): StringSet {
  if (type !== 'regexp') {
    const set = new Set(patterns);
    return { matches: (s) => set.has(s) };
  }
  const regexes = patterns.map((p) => compileGoRegexp(p));
  const test = (s: string): boolean => regexes.some((re) => re.test(s));
  if (!options?.cacheenabled) return { matches: test };
  const max = options.cachemaxnumentries ?? 0;
  const cache = new Map<string, boolean>();
  return {
    matches(s) {
      const hit = cache.get(s);
      if (hit !== undefined) {
        cache.delete(s); // re-insert: most recently used last
        cache.set(s, hit);
        return hit;
      }
      const result = test(s);
      if (max > 0 && cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(s, result);
      return result;
    },
  };
}

/** The text a regexp attribute condition sees (filtermatcher's attributeStringValue). */
function attributeText(v: AnyValue): string | undefined {
  switch (valueType(v)) {
    case 'Str':
    case 'Bool':
    case 'Int':
    case 'Double':
      return valueAsString(v);
    default:
      return undefined;
  }
}

type AttributeTest = (attrs: readonly KeyValue[] | undefined) => boolean;

/** Every condition must hold; an empty attribute list never matches a non-empty condition list. */
function attributeTest(conditions: readonly AttributeCondition[], type: MatchType | undefined, options: RegexpOptions | undefined): AttributeTest | undefined {
  if (conditions.length === 0) return undefined;
  const checks = conditions.map((c) => {
    if (c.value === undefined) return { key: c.key, ok: (_v: AnyValue) => true };
    if (type === 'regexp') {
      const set = stringSet([String(c.value)], 'regexp', options);
      return { key: c.key, ok: (v: AnyValue) => {
        const text = attributeText(v);
        return text !== undefined && set.matches(text);
      } };
    }
    const want = valueFromRaw(c.value);
    return { key: c.key, ok: (v: AnyValue) => valuesEqual(want, v) };
  });
  return (attrs) => {
    if (!attrs || attrs.length === 0) return false;
    for (const c of checks) {
      const v = getAttribute(attrs, c.key);
      if (v === undefined || !c.ok(v)) return false;
    }
    return true;
  };
}


/** One compiled include or exclude block. */
export class Matcher {
  private readonly services?: StringSet;
  private readonly spanNames?: StringSet;
  private readonly spanKinds?: StringSet;
  private readonly bodies?: StringSet;
  private readonly severityTexts?: StringSet;
  private readonly minSeverity?: { min: number; matchUndefined: boolean };
  private readonly metricNames?: StringSet;
  private readonly libraries: { name: StringSet; version?: StringSet }[];
  private readonly resources?: AttributeTest;
  /** Item attributes: log record, span, or metric data point. */
  readonly attributes?: AttributeTest;

  constructor(p: MatchProperties) {
    const set = (list: readonly string[] | undefined): StringSet | undefined => (has(list) ? stringSet(list as string[], p.match_type, p.regexp) : undefined);
    this.services = set(p.services);
    this.spanNames = set(p.span_names);
    this.spanKinds = set(p.span_kinds);
    this.bodies = set(p.log_bodies);
    this.severityTexts = set(p.log_severity_texts);
    this.metricNames = set(p.metric_names);
    if (p.log_severity_number) {
      this.minSeverity = { min: parseSeverity(p.log_severity_number.min) ?? 0, matchUndefined: p.log_severity_number.match_undefined ?? false };
    }
    this.libraries = (p.libraries ?? []).map((l) => ({ name: stringSet([l.name], p.match_type, p.regexp), version: l.version === undefined ? undefined : stringSet([l.version], p.match_type, p.regexp) }));
    this.resources = attributeTest(resourceConditions(p), p.match_type, p.regexp);
    this.attributes = attributeTest(p.attributes ?? [], p.match_type, p.regexp);
  }

  /** Resource and scope conditions (filtermatcher.PropertiesMatcher, without the item attributes). */
  private context(resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined): boolean {
    for (const l of this.libraries) {
      if (!l.name.matches(scope?.name ?? '')) return false;
      if (l.version && !l.version.matches(scope?.version ?? '')) return false;
    }
    return !this.resources || this.resources(resource?.attributes);
  }

  matchLog(lr: LogRecord, resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined): boolean {
    if (this.bodies && !this.bodies.matches(valueAsString(lr.body))) return false;
    if (this.severityTexts && !this.severityTexts.matches(lr.severityText ?? '')) return false;
    if (this.minSeverity) {
      const n = lr.severityNumber ?? 0;
      if (n === 0 ? !this.minSeverity.matchUndefined : n < this.minSeverity.min) return false;
    }
    if (!this.context(resource, scope)) return false;
    return !this.attributes || this.attributes(lr.attributes);
  }

  matchSpan(span: Span, resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined): boolean {
    if (this.services) {
      const service = getAttribute(resource?.attributes, 'service.name');
      if (!this.services.matches(service === undefined ? '<nil-service-name>' : valueAsString(service))) return false;
    }
    if (this.spanNames && !this.spanNames.matches(span.name ?? '')) return false;
    if (this.spanKinds && !this.spanKinds.matches(SPAN_KINDS[span.kind ?? 0] ?? '')) return false;
    if (!this.context(resource, scope)) return false;
    return !this.attributes || this.attributes(span.attributes);
  }

  /** Metric-level conditions; data point attributes are checked apart, per point. */
  matchMetric(metric: Metric, resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined): boolean {
    if (this.metricNames && !this.metricNames.matches(metric.name ?? '')) return false;
    return this.context(resource, scope);
  }
}

/** include/exclude together: an item is processed when it matches include (if any) and not exclude (if any). */
export class IncludeExclude {
  readonly include?: Matcher;
  readonly exclude?: Matcher;

  constructor(config: MatchConfig) {
    if (config.include) this.include = new Matcher(config.include);
    if (config.exclude) this.exclude = new Matcher(config.exclude);
  }

  get empty(): boolean {
    return !this.include && !this.exclude;
  }

  log(lr: LogRecord, resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined): boolean {
    if (this.include && !this.include.matchLog(lr, resource, scope)) return false;
    return !this.exclude || !this.exclude.matchLog(lr, resource, scope);
  }

  span(span: Span, resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined): boolean {
    if (this.include && !this.include.matchSpan(span, resource, scope)) return false;
    return !this.exclude || !this.exclude.matchSpan(span, resource, scope);
  }

  /**
   * For metrics: 'all' when every data point of the metric is selected, 'none' when none is,
   * or a per-point test when some block also checks data point attributes.
   */
  metric(metric: Metric, resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined): 'all' | 'none' | ((attrs: readonly KeyValue[]) => boolean) {
    const inc = this.include;
    const exc = this.exclude;
    if (inc && !inc.matchMetric(metric, resource, scope)) return 'none';
    const excMetric = exc ? exc.matchMetric(metric, resource, scope) : false;
    if (excMetric && !exc?.attributes) return 'none';
    const incPoint = inc?.attributes;
    const excPoint = excMetric ? exc?.attributes : undefined;
    if (!incPoint && !excPoint) return 'all';
    return (attrs) => (!incPoint || incPoint(attrs)) && !(excPoint && excPoint(attrs));
  }
}
