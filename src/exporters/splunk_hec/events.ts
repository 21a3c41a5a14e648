// OpenTelemetry logs and metrics as HEC JSON events, mapped as the Collector contrib's
// splunkhecexporter maps them (logdata_to_splunk.go, metricdata_to_splunk.go).
import { metricPointCount, type LogsBatch, type MetricsBatch } from '../../pdata/batch.js';
import type { AnyValue, Int64, KeyValue, Metric, NumberDataPoint } from '../../pdata/types.js';
import { idHex, int64String, isSet, valueAsString, valueType } from '../../pdata/value.js';
import { entry, type Entry } from '../helper/payloads.js';
import { formatF, formatG, hecTime, jsonDouble, jsonInt, jsonObject, jsonString, mergeField, rawValue } from './json.js';

/** The host of events whose attributes name none, as in the contrib exporter. */
export const UNKNOWN_HOST = 'unknown';
/** A resource attribute the contrib reads as a per-batch token; never a field. */
const TOKEN_ATTRIBUTE = 'com.splunk.hec.access_token';

export interface EventOptions {
  readonly source: string;
  readonly sourcetype: string;
  readonly index: string;
  readonly keys: { readonly source: string; readonly sourcetype: string; readonly index: string; readonly host: string };
  readonly severityTextField: string;
  readonly severityNumberField: string;
  /** Events larger than this are refused (0 = no limit). */
  readonly maxEventSize: number;
}

/** The HEC metadata of an event, and what the attributes say of it. */
interface Metadata {
  host: string;
  source: string;
  sourcetype: string;
  index: string;
}

/** Route an attribute to the metadata it names, or to `fields` through `put`. */
function absorb(meta: Metadata, options: EventOptions, attributes: readonly KeyValue[] | undefined, put: (key: string, value: AnyValue | null | undefined) => void): void {
  const { keys } = options;
  for (const kv of attributes ?? []) {
    switch (kv.key) {
      case keys.host:
        meta.host = valueAsString(kv.value);
        break;
      case keys.source:
        meta.source = valueAsString(kv.value);
        break;
      case keys.sourcetype:
        meta.sourcetype = valueAsString(kv.value);
        break;
      case keys.index:
        meta.index = valueAsString(kv.value);
        break;
      case TOKEN_ATTRIBUTE:
        break;
      default:
        put(kv.key, kv.value);
    }
  }
}

/** One HEC event: metadata first, then the event and its indexed fields (empty ones left out, as the contrib's omitempty). */
function eventJson(time: string | undefined, meta: Metadata, event: string, fields: ReadonlyMap<string, string>): string {
  const parts: Array<[string, string]> = [];
  if (time !== undefined) parts.push(['time', time]);
  parts.push(['host', jsonString(meta.host)]);
  if (meta.source) parts.push(['source', jsonString(meta.source)]);
  if (meta.sourcetype) parts.push(['sourcetype', jsonString(meta.sourcetype)]);
  if (meta.index) parts.push(['index', jsonString(meta.index)]);
  parts.push(['event', event]);
  if (fields.size > 0) parts.push(['fields', jsonObject(fields)]);
  return jsonObject(parts);
}

function defaults(options: EventOptions): Metadata {
  return { host: UNKNOWN_HOST, source: options.source, sourcetype: options.sourcetype, index: options.index };
}

/** What encoding a batch gave: the entries to send, and the items that cannot be sent with why. */
export interface Encoded {
  readonly entries: Entry[];
  readonly refused: number;
  readonly refusedReason?: string;
}

/**
 * Every log record as one event (in running item order). A record without a body is refused:
 * HEC answers "Event field cannot be blank" (code 13) to such an event, failing its request.
 */
export function encodeLogs(batch: LogsBatch, options: EventOptions): Encoded {
  const entries: Entry[] = [];
  let refused = 0;
  let refusedReason: string | undefined;
  let item = 0;
  for (const rl of batch.resources) {
    // The resource's metadata and fields are the same for each of its records: made once.
    const resourceMeta = defaults(options);
    const resourceFields = new Map<string, string>();
    absorb(resourceMeta, options, rl.resource?.attributes, (key, value) => mergeField(resourceFields, key, value));
    for (const sl of rl.scopeLogs) {
      for (const record of sl.logRecords) {
        const index = item++;
        const bodyType = valueType(record.body);
        if (bodyType === 'Empty' || (bodyType === 'Str' && record.body?.stringValue === '')) {
          refused++;
          refusedReason ??= 'a log record without a body cannot be a HEC event (Event field cannot be blank)';
          continue;
        }
        const meta = { ...resourceMeta };
        const fields = new Map<string, string>();
        const span = idHex(record.spanId, 8);
        const trace = idHex(record.traceId, 16);
        if (span) fields.set('span_id', jsonString(span));
        if (trace) fields.set('trace_id', jsonString(trace));
        if (record.severityText) fields.set(options.severityTextField, jsonString(record.severityText));
        if (record.severityNumber) fields.set(options.severityNumberField, String(record.severityNumber));
        for (const [key, json] of resourceFields) fields.set(key, json);
        absorb(meta, options, record.attributes, (key, value) => mergeField(fields, key, value));
        // The spec's reading of a record without a time of event: its observed time.
        const time = hecTime(record.timeUnixNano) ?? hecTime(record.observedTimeUnixNano);
        const text = eventJson(time, meta, rawValue(record.body), fields);
        const e = entry(index, text);
        if (options.maxEventSize > 0 && e.bytes > options.maxEventSize) {
          refused++;
          refusedReason ??= `an event of ${e.bytes} bytes is larger than max_event_size (${options.maxEventSize})`;
          continue;
        }
        entries.push(e);
      }
    }
  }
  return { entries, refused, refusedReason };
}

type Fields = Map<string, string>;

/** The events of one data point: each is its dimensions plus one `metric_name:<name>` measurement. */
function pointEvents(metric: Metric, point: { attributes: KeyValue[]; timeUnixNano?: Int64 }, common: ReadonlyMap<string, string>): { add: (measure: string, value: string, type: string, extra?: [string, string]) => void; events: Fields[] } {
  const events: Fields[] = [];
  // The point's dimensions, the same for each of its events (a histogram has one per bucket).
  const dimensions: Fields = new Map(common);
  for (const kv of point.attributes) dimensions.set(kv.key, jsonString(valueAsString(kv.value)));
  const add = (measure: string, value: string, type: string, extra?: [string, string]): void => {
    const fields: Fields = new Map(dimensions);
    if (extra) fields.set(extra[0], jsonString(extra[1]));
    fields.set(`metric_name:${metric.name}${measure}`, value);
    fields.set('metric_type', jsonString(type));
    events.push(fields);
  };
  return { add, events };
}

function numberValue(p: NumberDataPoint): string {
  return isSet(p, 'asInt') ? jsonInt(p.asInt) : jsonDouble(p.asDouble ?? 0);
}

/** The HEC events of one data point (in the contrib's order), or undefined for a type HEC metrics cannot carry. */
function metricPoint(metric: Metric, index: number, common: ReadonlyMap<string, string>): Fields[] | undefined {
  if (metric.gauge || metric.sum) {
    const p = (metric.gauge ?? metric.sum)?.dataPoints[index] as NumberDataPoint;
    const { add, events } = pointEvents(metric, p, common);
    add('', numberValue(p), metric.gauge ? 'Gauge' : 'Sum');
    return events;
  }
  if (metric.histogram) {
    const p = metric.histogram.dataPoints[index];
    if (!p) return [];
    const { add, events } = pointEvents(metric, p, common);
    if (isSet(p, 'sum') && !Number.isNaN(p.sum)) add('_sum', jsonDouble(p.sum ?? 0), 'Histogram');
    add('_count', jsonInt(p.count), 'Histogram');
    const bounds = p.explicitBounds;
    const counts = p.bucketCounts;
    // Cumulative buckets with an `le` dimension, as Prometheus-style histograms in Splunk.
    if (counts.length > 0 && counts.length === bounds.length + 1) {
      let cumulative = 0n;
      bounds.forEach((bound, i) => {
        cumulative += BigInt(int64String(counts[i]));
        add('_bucket', cumulative.toString(), 'Histogram', ['le', formatG(bound)]);
      });
      cumulative += BigInt(int64String(counts[counts.length - 1]));
      add('_bucket', cumulative.toString(), 'Histogram', ['le', '+Inf']);
    }
    return events;
  }
  if (metric.summary) {
    const p = metric.summary.dataPoints[index];
    if (!p) return [];
    const { add, events } = pointEvents(metric, p, common);
    if (!Number.isNaN(p.sum ?? 0)) add('_sum', jsonDouble(p.sum ?? 0), 'Summary');
    add('_count', jsonInt(p.count), 'Summary');
    for (const q of p.quantileValues) {
      const quantile = q.quantile ?? 0;
      add(`_${formatF(quantile)}`, jsonDouble(q.value ?? 0), 'Summary', ['qt', formatG(quantile)]);
    }
    return events;
  }
  return undefined;
}

function timeOf(metric: Metric, index: number): Int64 | undefined {
  return (metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary)?.dataPoints[index]?.timeUnixNano;
}

/**
 * Every data point as one entry holding its events (a histogram point is several events,
 * kept in one request). Exponential histogram points have no HEC form and are refused.
 */
export function encodeMetrics(batch: MetricsBatch, options: EventOptions): Encoded {
  const entries: Entry[] = [];
  let refused = 0;
  let refusedReason: string | undefined;
  let item = 0;
  for (const rm of batch.resources) {
    const meta = defaults(options);
    const common = new Map<string, string>();
    absorb(meta, options, rm.resource?.attributes, (key, value) => common.set(key, jsonString(valueAsString(value))));
    for (const sm of rm.scopeMetrics) {
      for (const metric of sm.metrics) {
        const n = metricPointCount(metric);
        for (let i = 0; i < n; i++) {
          const index = item++;
          const events = metricPoint(metric, i, common);
          if (events === undefined) {
            refused++;
            refusedReason ??= `metric ${metric.name}: exponential histograms have no Splunk HEC metric form`;
            continue;
          }
          const time = hecTime(timeOf(metric, i));
          const texts = events.map((fields) => eventJson(time, meta, jsonString('metric'), fields));
          if (options.maxEventSize > 0 && texts.some((t) => Buffer.byteLength(t) > options.maxEventSize)) {
            refused++;
            refusedReason ??= `metric ${metric.name}: an event is larger than max_event_size (${options.maxEventSize})`;
            continue;
          }
          entries.push(entry(index, texts.join('')));
        }
      }
    }
  }
  return { entries, refused, refusedReason };
}
