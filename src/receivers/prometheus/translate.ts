// One target's scrapes as OTLP, the way the Collector's prometheusreceiver translates them:
// counters → cumulative monotonic sums, gauges and untyped → gauges, classic histograms and
// summaries, start times from `_created` or the series' first scrape (reset on a drop), staleness
// markers → points flagged "no recorded value", job/instance → service.name/service.instance.id,
// target_info → resource attributes, and the scrape metrics (up, scrape_duration_seconds, …).
import type { Exemplar, KeyValue, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics } from '../../pdata/types.js';
import type { ParseResult, ParsedFamily, ParsedSample, ParsedType } from '../../prometheus/parse.js';
import { relabel, type LabelSet, type RelabelRule } from '../../prometheus/relabel.js';
import { VERSION } from '../../version.js';

export const SCOPE_NAME = 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/prometheusreceiver';
const AGGREGATION_CUMULATIVE = 2;
const FLAG_NO_RECORDED_VALUE = 1;

export interface TranslatorOptions {
  /** The target's labels after relabeling (job, instance and the static ones; no `__` labels). */
  readonly targetLabels: ReadonlyMap<string, string>;
  /** `__scheme__` of the target, for url.scheme. */
  readonly scheme: string;
  readonly honorLabels: boolean;
  readonly honorTimestamps: boolean;
  readonly metricRelabel: readonly RelabelRule[];
  readonly sampleLimit: number;
  readonly labelLimit: number;
  /** report_extra_scrape_metrics: scrape_timeout_seconds, scrape_sample_limit, scrape_body_size_bytes. */
  readonly extraMetrics?: { readonly timeoutSeconds: number; readonly bodyBytes?: number };
}

export class ScrapeLimitError extends Error {
  override readonly name = 'ScrapeLimitError';
}

export interface ScrapeOutcome {
  readonly resources: ResourceMetrics[];
  readonly samplesScraped: number;
  readonly samplesPostRelabel: number;
  readonly seriesAdded: number;
}

type Kind = 'sum' | 'gauge' | 'histogram' | 'summary' | 'nonmonotonic';

/** A point being assembled from the samples of one series. */
interface PointBuilder {
  readonly attributes: KeyValue[];
  timeMs: number;
  value?: number;
  sum?: number;
  count?: number;
  createdMs?: number;
  buckets?: Array<[number, number]>;
  quantiles?: Array<[number, number]>;
  exemplars: Exemplar[];
}

interface MetricBuilder {
  readonly name: string;
  readonly kind: Kind;
  readonly description: string;
  readonly unit: string;
  readonly points: Map<string, PointBuilder>;
}

interface ResourceBuilder {
  readonly job: string;
  readonly instance: string;
  readonly scopes: Map<string, { name: string; version: string; metrics: Map<string, MetricBuilder> }>;
  info: KeyValue[];
}

/** What a stale marker needs to know about a point that was there last time. */
interface SeenPoint {
  readonly resourceKey: string;
  readonly job: string;
  readonly instance: string;
  readonly scopeName: string;
  readonly scopeVersion: string;
  readonly metric: string;
  readonly kind: Kind;
  readonly description: string;
  readonly unit: string;
  readonly attributes: KeyValue[];
}

/** What the start-time adjustment keeps per series. */
interface StartState {
  startMs: number;
  previous: number;
}

function kindOf(type: ParsedType): Kind | undefined {
  switch (type) {
    case 'counter':
      return 'sum';
    case 'gauge':
    case 'unknown':
      return 'gauge';
    case 'histogram':
      return 'histogram';
    case 'summary':
      return 'summary';
    case 'info':
    case 'stateset':
      return 'nonmonotonic';
    case 'gaugehistogram':
      return undefined; // not translated, as in the Collector
  }
}

const nanos = (ms: number): string => (BigInt(Math.round(ms)) * 1_000_000n).toString();
const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

/** host and port of an instance label (host:port, [v6]:port, or a bare host). */
export function splitInstance(instance: string): { host: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(instance);
  if (v6) return v6[2] === undefined ? { host: v6[1] as string } : { host: v6[1] as string, port: Number(v6[2]) };
  const m = /^([^:]+):(\d+)$/.exec(instance);
  if (m) return { host: m[1] as string, port: Number(m[2]) };
  return { host: instance };
}

/** Labels that are the resource or the scope, never a point attribute. */
const NOT_ATTRIBUTES = new Set(['__name__', 'job', 'instance', 'otel_scope_name', 'otel_scope_version']);

function byName(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** OpenMetrics exemplar labels: trace_id / span_id become ids, the rest filtered attributes. */
function exemplarOf(sample: ParsedSample, fallbackMs: number): Exemplar | undefined {
  const e = sample.exemplar;
  if (!e) return undefined;
  const out: Exemplar = { filteredAttributes: [], asDouble: e.value, timeUnixNano: nanos(e.timestampMs ?? fallbackMs) };
  for (const [k, v] of e.labels) {
    if (k === 'trace_id' && /^[0-9a-fA-F]{32}$/.test(v)) out.traceId = Buffer.from(v, 'hex');
    else if (k === 'span_id' && /^[0-9a-fA-F]{16}$/.test(v)) out.spanId = Buffer.from(v, 'hex');
    else out.filteredAttributes.push(str(k, v));
  }
  return out;
}

/** One target's translation state across scrapes: series seen last time and start times. */
export class TargetTranslator {
  private lastPoints = new Map<string, SeenPoint>();
  private lastSeries = new Set<string>();
  private readonly starts = new Map<string, StartState>();
  private readonly job: string;
  private readonly instance: string;

  constructor(private readonly options: TranslatorOptions) {
    this.job = options.targetLabels.get('job') ?? '';
    this.instance = options.targetLabels.get('instance') ?? '';
  }

  /** Labels of one sample as Prometheus stores them: target labels merged per honor_labels, then metric relabeling. */
  private sampleLabels(sample: ParsedSample): LabelSet | undefined {
    const labels: LabelSet = new Map();
    for (const [k, v] of sample.labels) if (v !== '') labels.set(k, v);
    for (const [k, v] of this.options.targetLabels) {
      const own = labels.get(k);
      if (this.options.honorLabels) {
        if (own === undefined) labels.set(k, v);
        continue;
      }
      if (own !== undefined) {
        let exported = `exported_${k}`;
        while (labels.has(exported)) exported = `exported_${exported}`;
        labels.set(exported, own);
      }
      labels.set(k, v);
    }
    labels.set('__name__', sample.name);
    if (this.options.metricRelabel.length > 0 && !relabel(labels, this.options.metricRelabel)) return undefined;
    // As Prometheus counts: every label, __name__ included.
    if (this.options.labelLimit > 0 && labels.size > this.options.labelLimit) {
      throw new ScrapeLimitError(`label_limit exceeded: ${sample.name} has ${labels.size} labels, the limit is ${this.options.labelLimit}`);
    }
    return labels;
  }

  /** Translate one successful scrape; throws ScrapeLimitError past sample_limit / label_limit. */
  translate(parsed: ParseResult, scrapeMs: number, durationSeconds: number): ScrapeOutcome {
    const resources = new Map<string, ResourceBuilder>();
    const series = new Set<string>();
    let post = 0;
    let added = 0;
    for (const sample of parsed.samples) {
      const labels = this.sampleLabels(sample);
      if (!labels) continue;
      post++;
      // The series as the target wrote it: the target's labels are the same on every sample.
      series.add(sample.series);
      if (!this.lastSeries.has(sample.series)) added++;
      // Sorted once: the point key and the attributes read this order.
      const sorted = [...labels].sort(byName);
      const name = labels.get('__name__') as string;
      const family: ParsedFamily = name === sample.name ? sample.family : (parsed.families.get(name) ?? { name, type: 'unknown', help: '', unit: '' });
      const job = labels.get('job') ?? '';
      const instance = labels.get('instance') ?? '';
      const resourceKey = `${job}\u0000${instance}`;
      let resource = resources.get(resourceKey);
      if (!resource) {
        resource = { job, instance, scopes: new Map(), info: [] };
        resources.set(resourceKey, resource);
      }
      if (name === 'target_info') {
        for (const [k, v] of labels) if (k !== '__name__' && k !== 'job' && k !== 'instance') resource.info.push(str(k, v));
        continue;
      }
      if (name === 'otel_scope_info') continue;
      const kind = kindOf(family.type);
      if (kind === undefined) continue;
      const scopeName = labels.get('otel_scope_name') ?? SCOPE_NAME;
      const scopeVersion = labels.get('otel_scope_version') ?? (scopeName === SCOPE_NAME ? VERSION : '');
      const scopeKey = `${scopeName}\u0000${scopeVersion}`;
      let scope = resource.scopes.get(scopeKey);
      if (!scope) {
        scope = { name: scopeName, version: scopeVersion, metrics: new Map() };
        resource.scopes.set(scopeKey, scope);
      }
      this.addSample(scope.metrics, family, kind, sample, name, labels, sorted, scrapeMs, parsed.openMetrics);
    }
    if (this.options.sampleLimit > 0 && post > this.options.sampleLimit) {
      throw new ScrapeLimitError(`sample_limit exceeded: ${post} samples after metric relabeling, the limit is ${this.options.sampleLimit}`);
    }
    const out = this.build(resources, scrapeMs);
    this.lastSeries = series;
    this.appendScrapeMetrics(out, scrapeMs, { up: 1, duration: durationSeconds, scraped: parsed.samples.length, post, added });
    return { resources: [...out.values()], samplesScraped: parsed.samples.length, samplesPostRelabel: post, seriesAdded: added };
  }

  /** A failed scrape: `up` 0, and a staleness marker for every point the last scrape had. */
  failed(scrapeMs: number, durationSeconds: number): ResourceMetrics[] {
    const out = new Map<string, ResourceMetrics>();
    this.markStale(new Set(), out, scrapeMs);
    this.lastPoints = new Map();
    this.lastSeries = new Set();
    this.appendScrapeMetrics(out, scrapeMs, { up: 0, duration: durationSeconds, scraped: 0, post: 0, added: 0 });
    return [...out.values()];
  }

  private addSample(
    metrics: Map<string, MetricBuilder>,
    family: ParsedFamily,
    kind: Kind,
    sample: ParsedSample,
    name: string,
    labels: LabelSet,
    sorted: ReadonlyArray<[string, string]>,
    scrapeMs: number,
    openMetrics: boolean,
  ): void {
    let suffix = '';
    if (kind === 'histogram' || kind === 'summary' || kind === 'sum') {
      for (const s of ['_bucket', '_sum', '_count', '_created', '_total']) {
        if (name === family.name + s) suffix = s;
      }
    }
    // The metric's name: the family for histograms and summaries; for counters, the name of
    // the value sample (OpenMetrics writes `foo_total` under `# TYPE foo counter`); else the sample's.
    let metricName = name;
    if (kind === 'histogram' || kind === 'summary') metricName = family.name;
    else if (kind === 'sum') metricName = openMetrics && !family.name.endsWith('_total') ? `${family.name}_total` : family.name;
    let metric = metrics.get(metricName);
    if (!metric) {
      metric = { name: metricName, kind, description: family.help, unit: family.unit, points: new Map() };
      metrics.set(metricName, metric);
    }
    const skip = kind === 'histogram' ? 'le' : kind === 'summary' ? 'quantile' : undefined;
    let pointKey = '';
    for (const [k, v] of sorted) if (!NOT_ATTRIBUTES.has(k) && k !== skip) pointKey += `${k}\u0000${v}\u0001`;
    let point = metric.points.get(pointKey);
    const timeMs = this.options.honorTimestamps && sample.timestampMs !== undefined ? sample.timestampMs : scrapeMs;
    if (!point) {
      const attributes: KeyValue[] = [];
      for (const [k, v] of sorted) if (!NOT_ATTRIBUTES.has(k) && k !== skip) attributes.push(str(k, v));
      point = { attributes, timeMs, exemplars: [] };
      metric.points.set(pointKey, point);
    }
    const exemplar = exemplarOf(sample, timeMs);
    if (exemplar) point.exemplars.push(exemplar);
    if (suffix === '_created') {
      point.createdMs = sample.value * 1000;
      return;
    }
    point.timeMs = timeMs;
    switch (kind) {
      case 'histogram': {
        if (suffix === '_bucket') {
          const le = Number(labels.get('le') === '+Inf' ? Infinity : labels.get('le'));
          if (!Number.isNaN(le)) (point.buckets ??= []).push([le, sample.value]);
        } else if (suffix === '_sum') point.sum = sample.value;
        else if (suffix === '_count') point.count = sample.value;
        break;
      }
      case 'summary': {
        if (suffix === '_sum') point.sum = sample.value;
        else if (suffix === '_count') point.count = sample.value;
        else {
          const q = Number(labels.get('quantile'));
          if (!Number.isNaN(q)) (point.quantiles ??= []).push([q, sample.value]);
        }
        break;
      }
      default:
        point.value = sample.value;
    }
  }

  /** Start time of a cumulative point: `_created`, else the first scrape that saw the series, reset when the value drops. */
  private startOf(key: string, timeMs: number, value: number, createdMs: number | undefined): number {
    if (createdMs !== undefined && createdMs <= timeMs) {
      this.starts.set(key, { startMs: createdMs, previous: value });
      return createdMs;
    }
    const s = this.starts.get(key);
    if (!s || value < s.previous) {
      this.starts.set(key, { startMs: timeMs, previous: value });
      return timeMs;
    }
    s.previous = value;
    return s.startMs;
  }

  private build(resources: Map<string, ResourceBuilder>, scrapeMs: number): Map<string, ResourceMetrics> {
    const out = new Map<string, ResourceMetrics>();
    const seen = new Map<string, SeenPoint>();
    for (const [resourceKey, r] of resources) {
      const rm = this.resource(out, resourceKey, r.job, r.instance);
      rm.resource?.attributes.push(...r.info);
      for (const scope of r.scopes.values()) {
        const sm = scopeOf(rm, scope.name, scope.version);
        for (const m of scope.metrics.values()) {
          const metric = emptyMetric(m.name, m.kind, m.description, m.unit);
          for (const [pointKey, p] of m.points) {
            const key = `${resourceKey}\u0002${m.name}\u0002${pointKey}`;
            seen.set(key, { resourceKey, job: r.job, instance: r.instance, scopeName: scope.name, scopeVersion: scope.version, metric: m.name, kind: m.kind, description: m.description, unit: m.unit, attributes: p.attributes });
            this.appendPoint(metric, m.kind, key, p);
          }
          if (pointCount(metric) > 0) sm.metrics.push(metric);
        }
      }
    }
    this.markStale(new Set(seen.keys()), out, scrapeMs);
    this.lastPoints = seen;
    return out;
  }

  private appendPoint(metric: Metric, kind: Kind, key: string, p: PointBuilder): void {
    const time = nanos(p.timeMs);
    switch (kind) {
      case 'gauge':
        metric.gauge?.dataPoints.push({ attributes: p.attributes, timeUnixNano: time, asDouble: p.value ?? 0, exemplars: p.exemplars });
        return;
      case 'nonmonotonic':
      case 'sum': {
        if (p.value === undefined) return;
        const dp: NumberDataPoint = { attributes: p.attributes, timeUnixNano: time, asDouble: p.value, exemplars: p.exemplars };
        if (kind === 'sum') dp.startTimeUnixNano = nanos(this.startOf(key, p.timeMs, p.value, p.createdMs));
        metric.sum?.dataPoints.push(dp);
        return;
      }
      case 'histogram': {
        const buckets = (p.buckets ?? []).sort((a, b) => a[0] - b[0]);
        const count = p.count ?? buckets.find(([le]) => le === Infinity)?.[1];
        if (count === undefined) return;
        const bounds: number[] = [];
        const counts: number[] = [];
        let previous = 0;
        for (const [le, cumulative] of buckets) {
          if (le === Infinity) break;
          bounds.push(le);
          counts.push(Math.max(0, Math.round(cumulative - previous)));
          previous = cumulative;
        }
        counts.push(Math.max(0, Math.round(count - previous)));
        metric.histogram?.dataPoints.push({
          attributes: p.attributes,
          startTimeUnixNano: nanos(this.startOf(key, p.timeMs, count, p.createdMs)),
          timeUnixNano: time,
          count: Math.round(count),
          ...(p.sum === undefined ? {} : { sum: p.sum }),
          bucketCounts: counts,
          explicitBounds: bounds,
          exemplars: p.exemplars,
        });
        return;
      }
      case 'summary': {
        if (p.count === undefined && p.sum === undefined && !p.quantiles) return;
        const count = p.count ?? 0;
        metric.summary?.dataPoints.push({
          attributes: p.attributes,
          startTimeUnixNano: nanos(this.startOf(key, p.timeMs, count, p.createdMs)),
          timeUnixNano: time,
          count: Math.round(count),
          sum: p.sum ?? 0,
          quantileValues: (p.quantiles ?? []).sort((a, b) => a[0] - b[0]).map(([quantile, value]) => ({ quantile, value })),
        });
        return;
      }
    }
  }

  /** Points the last scrape had and this one does not: a point flagged "no recorded value", as a Prometheus staleness marker. */
  private markStale(current: Set<string>, out: Map<string, ResourceMetrics>, scrapeMs: number): void {
    const time = nanos(scrapeMs);
    const metrics = new Map<string, Metric>();
    for (const [key, p] of this.lastPoints) {
      if (current.has(key)) continue;
      const start = this.starts.get(key);
      this.starts.delete(key);
      const rm = this.resource(out, p.resourceKey, p.job, p.instance);
      const metricKey = `${p.resourceKey}\u0002${p.scopeName}\u0002${p.metric}`;
      let metric = metrics.get(metricKey);
      if (!metric) {
        metric = emptyMetric(p.metric, p.kind, p.description, p.unit);
        metrics.set(metricKey, metric);
        scopeOf(rm, p.scopeName, p.scopeVersion).metrics.push(metric);
      }
      const startTime = start === undefined ? undefined : nanos(start.startMs);
      const common = { attributes: p.attributes, timeUnixNano: time, flags: FLAG_NO_RECORDED_VALUE, ...(startTime === undefined ? {} : { startTimeUnixNano: startTime }) };
      if (p.kind === 'gauge') metric.gauge?.dataPoints.push({ ...common, asDouble: 0, exemplars: [] });
      else if (p.kind === 'sum' || p.kind === 'nonmonotonic') metric.sum?.dataPoints.push({ ...common, asDouble: 0, exemplars: [] });
      else if (p.kind === 'histogram') metric.histogram?.dataPoints.push({ ...common, count: 0, bucketCounts: [], explicitBounds: [], exemplars: [] });
      else metric.summary?.dataPoints.push({ ...common, count: 0, sum: 0, quantileValues: [] });
    }
  }

  /** The ResourceMetrics of a job/instance, created with the Collector's resource attributes. */
  private resource(out: Map<string, ResourceMetrics>, key: string, job: string, instance: string): ResourceMetrics {
    let rm = out.get(key);
    if (rm) return rm;
    const attributes: KeyValue[] = [str('service.name', job), str('service.instance.id', instance)];
    const { host, port } = splitInstance(instance);
    if (host !== '') attributes.push(str('server.address', host));
    if (port !== undefined) attributes.push({ key: 'server.port', value: { intValue: port } });
    attributes.push(str('url.scheme', this.options.scheme));
    rm = { resource: { attributes }, scopeMetrics: [] };
    out.set(key, rm);
    return rm;
  }

  private appendScrapeMetrics(out: Map<string, ResourceMetrics>, scrapeMs: number, v: { up: number; duration: number; scraped: number; post: number; added: number }): void {
    const rm = this.resource(out, `${this.job}\u0000${this.instance}`, this.job, this.instance);
    const sm = scopeOf(rm, SCOPE_NAME, VERSION);
    const time = nanos(scrapeMs);
    const attributes: KeyValue[] = [...this.options.targetLabels].filter(([k]) => k !== 'job' && k !== 'instance').sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, val]) => str(k, val));
    const gauge = (name: string, description: string, unit: string, value: number): void => {
      sm.metrics.push({ name, description, unit, gauge: { dataPoints: [{ attributes: [...attributes], timeUnixNano: time, asDouble: value, exemplars: [] }] } });
    };
    gauge('up', 'The scraping was successful', '', v.up);
    gauge('scrape_duration_seconds', 'Duration of the scrape', 's', v.duration);
    gauge('scrape_samples_scraped', 'The number of samples the target exposed', '', v.scraped);
    gauge('scrape_samples_post_metric_relabeling', 'The number of samples remaining after metric relabeling was applied', '', v.post);
    gauge('scrape_series_added', 'The approximate number of new series in this scrape', '', v.added);
    const extra = this.options.extraMetrics;
    if (extra) {
      gauge('scrape_timeout_seconds', 'The configured scrape timeout for a target', 's', extra.timeoutSeconds);
      gauge('scrape_sample_limit', 'The configured sample limit for a target. Returns zero if there is no limit configured', '', this.options.sampleLimit);
      if (extra.bodyBytes !== undefined) gauge('scrape_body_size_bytes', 'The uncompressed size of the last scrape response, if successful', 'By', extra.bodyBytes);
    }
  }
}

function scopeOf(rm: ResourceMetrics, name: string, version: string): ScopeMetrics {
  let sm = rm.scopeMetrics.find((s) => s.scope?.name === name && s.scope?.version === version);
  if (!sm) {
    sm = { scope: { name, version, attributes: [] }, metrics: [] };
    rm.scopeMetrics.push(sm);
  }
  return sm;
}

function emptyMetric(name: string, kind: Kind, description: string, unit: string): Metric {
  const m: Metric = { name, description, unit };
  if (kind === 'gauge') m.gauge = { dataPoints: [] };
  else if (kind === 'sum') m.sum = { dataPoints: [], aggregationTemporality: AGGREGATION_CUMULATIVE, isMonotonic: true };
  else if (kind === 'nonmonotonic') m.sum = { dataPoints: [], aggregationTemporality: AGGREGATION_CUMULATIVE, isMonotonic: false };
  else if (kind === 'histogram') m.histogram = { dataPoints: [], aggregationTemporality: AGGREGATION_CUMULATIVE };
  else m.summary = { dataPoints: [] };
  return m;
}

function pointCount(m: Metric): number {
  return (m.gauge?.dataPoints.length ?? 0) + (m.sum?.dataPoints.length ?? 0) + (m.histogram?.dataPoints.length ?? 0) + (m.summary?.dataPoints.length ?? 0);
}
