// OTLP log records as CloudWatch Logs events: the contrib exporter's JSON document (or
// the raw body, with Embedded Metric Format routing), a millisecond timestamp, a stream.
import type { AnyValue, KeyValue, LogRecord, ResourceLogs, InstrumentationScope, Int64 } from '../../pdata/types.js';
import { goJsonString, idHex, int64String, jsonDoubleOrString, kvlistJson, rawJson, valueAsString, valueType } from '../../pdata/value.js';
import { cutUtf8 } from '../helper/payloads.js';

/** PutLogEvents counts each event as its UTF-8 message length plus 26 bytes. */
export const EVENT_OVERHEAD_BYTES = 26;
/**
 * Largest event: "Each log event can be no larger than 1 MB" (PutLogEvents reference); we
 * keep its 26 bytes of overhead inside the 1,048,576 bytes a whole request may carry.
 */
export const MAX_EVENT_BYTES = 1_048_576;
const TRUNCATED_SUFFIX = '[Truncated...]';

/** One event on its way to a stream, with the running index of its log record in the batch. */
export interface CwlEvent {
  readonly index: number;
  readonly timestamp: number;
  readonly message: string;
  /** UTF-8 length of the message plus the 26 bytes PutLogEvents counts per event. */
  readonly size: number;
  readonly group: string;
  readonly stream: string;
  /** The message was cut to fit MAX_EVENT_BYTES. */
  readonly truncated: boolean;
}

/** A record that cannot become an event, and why. */
export interface RefusedRecord {
  readonly index: number;
  readonly reason: 'empty_message';
}

export interface EventOptions {
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly rawLog: boolean;
  /** Used when a record has neither time nor observed time. */
  readonly nowMs: number;
}

// ---- JSON the way Go's encoding/json writes the contrib's document

const jsonString = goJsonString;
/** pcommon.Value.AsRaw() marshalled; NaN and ±Inf as strings rather than lose the record. */
const rawValueJson = (v: AnyValue | null | undefined): string => rawJson(v, jsonDoubleOrString);
const attributesJson = (kvs: readonly KeyValue[]): string => kvlistJson(kvs, jsonDoubleOrString);


/**
 * The contrib exporter's event document: body, severity_number, severity_text,
 * dropped_attributes_count, flags, trace_id, span_id, attributes, scope, resource, in
 * that order, each left out when empty (Go's omitempty).
 */
export function logDocument(record: LogRecord, scope: InstrumentationScope | null | undefined, resourceJson: string | undefined): string {
  const parts: string[] = [];
  if (valueType(record.body) !== 'Empty') parts.push(`"body":${rawValueJson(record.body)}`);
  if (record.severityNumber) parts.push(`"severity_number":${record.severityNumber}`);
  if (record.severityText) parts.push(`"severity_text":${jsonString(record.severityText)}`);
  if (record.droppedAttributesCount) parts.push(`"dropped_attributes_count":${record.droppedAttributesCount}`);
  if (record.flags) parts.push(`"flags":${record.flags >>> 0}`);
  const traceId = idHex(record.traceId);
  if (traceId) parts.push(`"trace_id":"${traceId}"`);
  const spanId = idHex(record.spanId);
  if (spanId) parts.push(`"span_id":"${spanId}"`);
  if (record.attributes.length > 0) parts.push(`"attributes":${attributesJson(record.attributes)}`);
  if (scope?.name) {
    const s = [`"name":${jsonString(scope.name)}`];
    if (scope.version) s.push(`"version":${jsonString(scope.version)}`);
    if ((scope.attributes ?? []).length > 0) s.push(`"attributes":${attributesJson(scope.attributes)}`);
    parts.push(`"scope":{${s.join(',')}}`);
  }
  if (resourceJson !== undefined) parts.push(`"resource":${resourceJson}`);
  return '{' + parts.join(',') + '}';
}

// ---- raw_log and Embedded Metric Format

function stringField(obj: Record<string, unknown>, name: string): string | undefined {
  // Go's json.Unmarshal matches field names case-insensitively, so the contrib accepts either spelling.
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower && typeof v === 'string' && v !== '') return v;
  return undefined;
}

/**
 * Where an EMF document asks to go, as the contrib reads it: `_aws.LogGroupName` /
 * `_aws.LogStreamName` (EMF v1), else top-level `log_group_name` / `log_stream_name` (v0).
 */
export function emfDestination(message: string): { group: string; stream: string | undefined } | undefined {
  if (!message.startsWith('{')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const root = doc as Record<string, unknown>;
  const aws = Object.entries(root).find(([k]) => k.toLowerCase() === '_aws')?.[1];
  if (typeof aws === 'object' && aws !== null && !Array.isArray(aws)) {
    const group = stringField(aws as Record<string, unknown>, 'logGroupName');
    if (group) return { group, stream: stringField(aws as Record<string, unknown>, 'logStreamName') };
  }
  const group = stringField(root, 'log_group_name');
  if (group) return { group, stream: stringField(root, 'log_stream_name') };
  return undefined;
}

// ---- timestamps and sizes

function nanosToMillis(v: Int64 | undefined): number {
  const s = int64String(v);
  if (s === '0' || s.startsWith('-')) return 0;
  return Number(BigInt(s) / 1_000_000n);
}

/** The event time: the record's time, else when it was observed, else now (CloudWatch needs one). */
export function eventTimestamp(record: LogRecord, nowMs: number): number {
  return nanosToMillis(record.timeUnixNano) || nanosToMillis(record.observedTimeUnixNano) || nowMs;
}

/** Cut `message` so that its UTF-8 bytes plus the overhead fit MAX_EVENT_BYTES, on a character boundary. */
function truncate(message: string): string {
  return cutUtf8(message, MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES - Buffer.byteLength(TRUNCATED_SUFFIX)) + TRUNCATED_SUFFIX;
}

/**
 * Every log record of `resources` as an event, in the order selectItems() numbers them;
 * records with nothing to send (an empty raw body) are refused.
 */
export function toEvents(resources: readonly ResourceLogs[], options: EventOptions): { events: CwlEvent[]; refused: RefusedRecord[] } {
  const events: CwlEvent[] = [];
  const refused: RefusedRecord[] = [];
  let index = 0;
  for (const r of resources) {
    const resourceAttributes = r.resource?.attributes ?? [];
    const resourceJson = options.rawLog || resourceAttributes.length === 0 ? undefined : attributesJson(resourceAttributes);
    for (const s of r.scopeLogs) {
      for (const record of s.logRecords) {
        const i = index++;
        let message: string;
        let group = options.logGroupName;
        let stream = options.logStreamName;
        if (options.rawLog) {
          message = valueAsString(record.body);
          const emf = emfDestination(message);
          if (emf) {
            group = emf.group;
            stream = emf.stream ?? stream;
          }
        } else {
          message = logDocument(record, s.scope, resourceJson);
        }
        // CloudWatch requires a message of at least one character.
        if (message === '') {
          refused.push({ index: i, reason: 'empty_message' });
          continue;
        }
        let size = Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
        const truncated = size > MAX_EVENT_BYTES;
        if (truncated) {
          message = truncate(message);
          size = Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
        }
        events.push({ index: i, timestamp: eventTimestamp(record, options.nowMs), message, size, group, stream, truncated });
      }
    }
  }
  return { events, refused };
}
