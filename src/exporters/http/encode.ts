// A log record as the http exporter writes it: one flat JSON object (OTel's field names,
// empty fields left out), or the body alone as a line of text.
import type { LogsBatch } from '../../pdata/batch.js';
import type { InstrumentationScope, LogRecord } from '../../pdata/types.js';
import { idHex, int64BigInt, kvlistJson, rawJson, valueAsString, valueType } from '../../pdata/value.js';
import { isoNanos } from '../elasticsearch/document.js';
import { entry, type Entry } from '../helper/payloads.js';
import type { HttpSinkFormat } from './config.js';

export function recordJson(record: LogRecord, resourceJson: string, scope: InstrumentationScope | null | undefined): string {
  const parts: string[] = [];
  const ts = int64BigInt(record.timeUnixNano);
  const observed = int64BigInt(record.observedTimeUnixNano);
  if (ts !== 0n || observed !== 0n) parts.push(`"timestamp":${JSON.stringify(isoNanos(ts !== 0n ? ts : observed))}`);
  if (observed !== 0n) parts.push(`"observed_timestamp":${JSON.stringify(isoNanos(observed))}`);
  if (record.severityText) parts.push(`"severity_text":${JSON.stringify(record.severityText)}`);
  if (record.severityNumber) parts.push(`"severity_number":${record.severityNumber}`);
  if (valueType(record.body) !== 'Empty') parts.push(`"body":${rawJson(record.body)}`);
  if (record.attributes.length > 0) parts.push(`"attributes":${kvlistJson(record.attributes)}`);
  if (resourceJson !== '{}') parts.push(`"resource":${resourceJson}`);
  if (scope?.name) parts.push(`"scope":{"name":${JSON.stringify(scope.name)}${scope.version ? `,"version":${JSON.stringify(scope.version)}` : ''}}`);
  const traceId = idHex(record.traceId);
  const spanId = idHex(record.spanId);
  if (traceId) parts.push(`"trace_id":${JSON.stringify(traceId)}`);
  if (spanId) parts.push(`"span_id":${JSON.stringify(spanId)}`);
  return `{${parts.join(',')}}`;
}

/** Every record of the batch as an entry of the body, in batch order. */
export function encodeEntries(batch: LogsBatch, format: HttpSinkFormat): Entry[] {
  const entries: Entry[] = [];
  let item = 0;
  for (const rl of batch.resources) {
    const resourceJson = format === 'text' || format === 'text_json' ? '' : kvlistJson(rl.resource?.attributes ?? []);
    for (const sl of rl.scopeLogs) {
      for (const record of sl.logRecords) {
        const plain = format === 'text' || format === 'text_json';
        entries.push(entry(item++, plain ? valueAsString(record.body) : recordJson(record, resourceJson, sl.scope)));
      }
    }
  }
  return entries;
}

/** The body of one request. */
export function body(entries: readonly Entry[], format: HttpSinkFormat): Buffer {
  if (format === 'json') return Buffer.from(`[${entries.map((e) => e.text).join(',')}]`);
  if (format === 'text_json') return Buffer.from(JSON.stringify({ text: entries.map((e) => e.text).join('\n') }));
  return Buffer.from(entries.map((e) => `${e.text}\n`).join(''));
}

export const CONTENT_TYPE: Readonly<Record<HttpSinkFormat, string>> = { json: 'application/json', ndjson: 'application/x-ndjson', text: 'text/plain; charset=utf-8', text_json: 'application/json' };
