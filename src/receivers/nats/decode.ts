// Turns one NATS message into a batch: an OTLP export request (proto or JSON), a JSON
// log event mapped by config, or a text line; subject tokens become resource attributes.
import type { Batch } from '../../pdata/batch.js';
import { makeBatch } from '../../pdata/batch.js';
import { decodeJsonExportRequest } from '../../pdata/json.js';
import { decodeExportRequest } from '../../pdata/proto.js';
import type { KeyValue, LogRecord, Resource, Signal } from '../../pdata/types.js';
import { toAnyValue } from '../stdout_markers/convert.js';
import type { JsonValue } from '../stdout_markers/markers.js';
import type { JsonLogMapping, NatsEncoding } from './config.js';

export const SCOPE_NAME = 'ferry/nats';

/** Severity numbers of the OpenTelemetry log data model, by the level words platforms use. */
const SEVERITY: Readonly<Record<string, number>> = {
  trace: 1, debug: 5, info: 9, information: 9, notice: 10, warn: 13, warning: 13, error: 17, err: 17, fatal: 21, critical: 21, crit: 21, panic: 21, emergency: 21,
};

/** Resource attributes from the subject's tokens, by position. */
export function subjectAttributes(subject: string, names: readonly (string | null)[]): KeyValue[] {
  if (names.length === 0) return [];
  const tokens = subject.split('.');
  const out: KeyValue[] = [];
  names.forEach((name, i) => {
    const token = tokens[i];
    if (name !== null && token !== undefined) out.push({ key: name, value: { stringValue: token } });
  });
  return out;
}

/** Set (or replace) resource attributes on every resource of the batch. */
function addResourceAttributes(batch: Batch, attrs: readonly KeyValue[]): void {
  if (attrs.length === 0) return;
  const keys = new Set(attrs.map((a) => a.key));
  for (const r of batch.resources) {
    const resource: Resource = r.resource ?? { attributes: [] };
    resource.attributes = [...(resource.attributes ?? []).filter((a) => !keys.has(a.key)), ...attrs];
    r.resource = resource;
  }
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** A time field as nanoseconds since the epoch: RFC 3339 text, or a number in s, ms, µs or ns by its size. */
export function parseTimestamp(v: JsonValue | undefined): bigint | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) {
    if (v < 1e11) return BigInt(Math.round(v * 1e3)) * 1_000_000n;
    if (v < 1e14) return BigInt(Math.round(v)) * 1_000_000n;
    if (v < 1e17) return BigInt(Math.round(v)) * 1_000n;
    return BigInt(Math.round(v));
  }
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return undefined;
  // Keep sub-millisecond digits that Date.parse drops (RFC 3339 allows up to nanoseconds).
  const frac = /\.(\d{4,9})/.exec(v)?.[1];
  const extra = frac === undefined ? 0n : BigInt(frac.padEnd(9, '0').slice(3));
  return BigInt(ms) * 1_000_000n + extra;
}

/** Remove the value at a dot path from a JSON object and return it (exact key first, then nested). */
function take(obj: Record<string, JsonValue>, path: string): JsonValue | undefined {
  if (path === '') return undefined;
  if (Object.hasOwn(obj, path)) {
    const v = obj[path];
    delete obj[path];
    return v;
  }
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  const head = obj[path.slice(0, dot)];
  if (head === null || typeof head !== 'object' || Array.isArray(head)) return undefined;
  const v = take(head, path.slice(dot + 1));
  if (Object.keys(head).length === 0) delete obj[path.slice(0, dot)];
  return v;
}

/** Nested objects flattened to dotted attribute keys (fly.app.name), arrays kept whole. */
function flatten(obj: Record<string, JsonValue>, prefix: string, out: KeyValue[], depth = 0): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 8) flatten(v, key, out, depth + 1);
    else out.push({ key, value: toAnyValue(v) });
  }
}

function logRecord(body: JsonValue | undefined, attributes: KeyValue[], time?: bigint, severity?: string): LogRecord {
  const observed = nowNs().toString();
  const r: LogRecord = { observedTimeUnixNano: observed, timeUnixNano: time?.toString() ?? observed, body: toAnyValue(body), attributes };
  if (severity !== undefined) {
    r.severityText = severity;
    const n = SEVERITY[severity.toLowerCase()];
    if (n !== undefined) r.severityNumber = n;
  }
  return r;
}

function logsOf(record: LogRecord): Batch {
  return makeBatch('logs', [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: SCOPE_NAME, attributes: [] }, logRecords: [record] }] }]);
}

/** One JSON event as a log record: mapped fields first, the rest as attributes. Not JSON: the text is the body. */
export function jsonLog(text: string, mapping: JsonLogMapping): LogRecord {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    return logRecord(text, []);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return logRecord(parsed, []);
  const body = take(parsed, mapping.body);
  const severity = take(parsed, mapping.severity);
  const time = parseTimestamp(take(parsed, mapping.timestamp));
  const attributes: KeyValue[] = [];
  flatten(parsed, '', attributes);
  return logRecord(body, attributes, time, typeof severity === 'string' ? severity : undefined);
}

/** Decode one message for a signal; throws on an undecodable OTLP payload (a permanent refusal). */
export function decodeMessage(
  signal: Signal,
  encoding: NatsEncoding,
  data: Uint8Array,
  subject: string,
  options: { readonly subjectAttributes: readonly (string | null)[]; readonly json: JsonLogMapping },
): Batch {
  let batch: Batch;
  switch (encoding) {
    case 'otlp_proto':
      batch = makeBatch(signal, decodeExportRequest(signal, data));
      break;
    case 'otlp_json':
      batch = makeBatch(signal, decodeJsonExportRequest(signal, JSON.parse(Buffer.from(data).toString('utf8')) as unknown));
      break;
    case 'json':
      batch = logsOf(jsonLog(Buffer.from(data).toString('utf8'), options.json));
      break;
    case 'text':
      batch = logsOf(logRecord(Buffer.from(data).toString('utf8').replace(/\r?\n$/, ''), []));
      break;
  }
  addResourceAttributes(batch, subjectAttributes(subject, options.subjectAttributes));
  return batch;
}
