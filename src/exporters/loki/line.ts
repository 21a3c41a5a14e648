// The log line of a Loki entry, in the contrib loki exporter's three formats: json (its
// default: one JSON object with body, ids, severity, attributes, resources and scope),
// logfmt, and raw (the body alone).
import type { AnyValue, InstrumentationScope, LogRecord } from '../../pdata/types.js';
import { goJsonString, idHex, int64String, valueAsString, valueType } from '../../pdata/value.js';
import type { AttributeMap } from './labels.js';
import { attributeMap } from './labels.js';

function goNumber(n: number): string {
  // Go refuses NaN and ±Inf; a line must still be written, and null is what JSON has.
  return Number.isFinite(n) ? JSON.stringify(n) : 'null';
}

/** An AnyValue as Go's json.Marshal writes pcommon.Value.AsRaw(): maps with sorted keys, bytes as base64, int64 exact. */
export function goJson(v: AnyValue | null | undefined): string {
  switch (valueType(v)) {
    case 'Empty':
      return 'null';
    case 'Str':
      return goJsonString(v?.stringValue ?? '');
    case 'Bool':
      return String(v?.boolValue === true);
    case 'Int':
      return int64String(v?.intValue);
    case 'Double':
      return goNumber(v?.doubleValue ?? 0);
    case 'Bytes':
      return goJsonString(Buffer.from(v?.bytesValue ?? []).toString('base64'));
    case 'Slice':
      return `[${(v?.arrayValue?.values ?? []).map(goJson).join(',')}]`;
    case 'Map':
      return goMapJson(attributeMap(v?.kvlistValue?.values));
  }
}

function goMapJson(m: AttributeMap): string {
  const keys = [...m.keys()].sort();
  return `{${keys.map((k) => `${goJsonString(k)}:${goJson(m.get(k))}`).join(',')}}`;
}

/** What a line is built from: the record with what became labels (and metadata) taken out. */
export interface LineInput {
  readonly record: LogRecord;
  readonly attributes: AttributeMap;
  readonly resourceAttributes: AttributeMap;
  readonly scope: InstrumentationScope | null | undefined;
  /** False when trace and span ids went to structured metadata instead. */
  readonly withIds: boolean;
}

/** The contrib's lokiEntry JSON: fields in its struct order, empty ones omitted. */
export function jsonLine(input: LineInput): string {
  const { record } = input;
  const parts: string[] = [];
  if (valueType(record.body) !== 'Empty') parts.push(`"body":${goJson(record.body)}`);
  const traceId = input.withIds ? idHex(record.traceId) : '';
  const spanId = input.withIds ? idHex(record.spanId) : '';
  if (traceId) parts.push(`"traceid":${goJsonString(traceId)}`);
  if (spanId) parts.push(`"spanid":${goJsonString(spanId)}`);
  if (record.severityText) parts.push(`"severity":${goJsonString(record.severityText)}`);
  if (record.flags) parts.push(`"flags":${record.flags >>> 0}`);
  if (input.attributes.size > 0) parts.push(`"attributes":${goMapJson(input.attributes)}`);
  if (input.resourceAttributes.size > 0) parts.push(`"resources":${goMapJson(input.resourceAttributes)}`);
  const scope = input.scope;
  if (scope?.name) {
    parts.push(`"instrumentation_scope":{"name":${goJsonString(scope.name)}${scope.version ? `,"version":${goJsonString(scope.version)}` : ''}}`);
  }
  return `{${parts.join(',')}}`;
}

// ---- logfmt

type KeyVal = [string, string];

/** Whether a character may not appear bare in logfmt: space, =, quote, backslash, or a control character. */
function special(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c <= 0x20 || c === 0x7f || ch === '=' || ch === '"' || ch === '\\' || /\s/.test(ch);
}

/** A logfmt key: go-logfmt refuses spaces, = and quotes in keys; we replace them instead of dropping the entry. */
function logfmtKey(k: string): string {
  const cleaned = [...k].map((ch) => (special(ch) ? '_' : ch)).join('');
  return cleaned === '' ? '_' : cleaned;
}

/** A logfmt value, quoted (with JSON's escapes, which go-logfmt's quoting matches) when it holds a special character. */
function logfmtValue(v: string): string {
  if (v === '') return '""';
  return [...v].some(special) ? JSON.stringify(v) : v;
}

/** A value as logfmt pairs: maps and slices flattened with prefix_ keys (the contrib's valueToKeyvals). */
function valueToKeyvals(key: string, v: AnyValue | null | undefined): KeyVal[] {
  switch (valueType(v)) {
    case 'Empty':
      return [];
    case 'Map': {
      const prefix = key === '' ? '' : `${key}_`;
      return (v?.kvlistValue?.values ?? []).flatMap((kv) => valueToKeyvals(prefix + kv.key, kv.value));
    }
    case 'Slice': {
      const prefix = key === '' ? '' : `${key}_`;
      return (v?.arrayValue?.values ?? []).flatMap((x, i) => valueToKeyvals(`${prefix}${i}`, x));
    }
    default:
      return [[key, valueAsString(v)]];
  }
}

/** `k=v k2="quoted v"` pairs, or undefined when the text is not entirely logfmt. */
function parseLogfmt(body: string): KeyVal[] | undefined {
  const out: KeyVal[] = [];
  const text = body.trimEnd();
  const re = /\s*([^\s="]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    const raw = m[2] ?? '';
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        return undefined;
      }
    }
    out.push([m[1] ?? '', value]);
    pos = re.lastIndex;
  }
  return out.length > 0 ? out : undefined;
}

function replaceOrAppend(kvs: KeyVal[], key: string, value: string): void {
  const i = kvs.findIndex(([k]) => k === key);
  if (i >= 0) kvs[i] = [key, value];
  else kvs.push([key, value]);
}

/**
 * The contrib's logfmt line: the body's own pairs (a string body that is already logfmt),
 * or msg=<body>; then traceID, spanID, severity, flags, attribute_*, resource_* and the scope.
 * Unlike go-logfmt's lenient parser, a body is taken as logfmt only when every token is key=value,
 * so that a sentence stays one msg.
 */
export function logfmtLine(input: LineInput): string {
  const { record } = input;
  let kvs: KeyVal[];
  switch (valueType(record.body)) {
    case 'Empty':
      kvs = [];
      break;
    case 'Str':
      kvs = parseLogfmt(record.body?.stringValue ?? '') ?? [['msg', record.body?.stringValue ?? '']];
      break;
    case 'Map':
      kvs = valueToKeyvals('', record.body);
      break;
    case 'Slice':
      kvs = valueToKeyvals('body', record.body);
      break;
    default:
      kvs = [['msg', valueAsString(record.body)]];
  }
  if (input.withIds) {
    const traceId = idHex(record.traceId);
    const spanId = idHex(record.spanId);
    if (traceId) replaceOrAppend(kvs, 'traceID', traceId);
    if (spanId) replaceOrAppend(kvs, 'spanID', spanId);
  }
  if (record.severityText) replaceOrAppend(kvs, 'severity', record.severityText);
  if (record.flags) replaceOrAppend(kvs, 'flags', String(record.flags >>> 0));
  for (const [k, v] of input.attributes) kvs.push(...valueToKeyvals(`attribute_${k}`, v));
  for (const [k, v] of input.resourceAttributes) kvs.push(...valueToKeyvals(`resource_${k}`, v));
  if (input.scope?.name) {
    kvs.push(['instrumentation_scope_name', input.scope.name]);
    if (input.scope.version) kvs.push(['instrumentation_scope_version', input.scope.version]);
  }
  return kvs.map(([k, v]) => `${logfmtKey(k)}=${logfmtValue(v)}`).join(' ');
}

/** The raw format: the body as a string (maps and slices as JSON). */
export function rawLine(input: LineInput): string {
  return valueAsString(input.record.body);
}
