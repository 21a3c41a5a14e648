// Stream labels and tenant of a log record, the way the contrib loki exporter (its
// pkg/translator/loki) derives them: default labels, the loki.* attribute hints, and the
// label lists earlier releases took from the configuration.
import type { AnyValue, KeyValue, LogRecord } from '../../pdata/types.js';
import { valueAsString, valueType } from '../../pdata/value.js';
import type { LokiConfig, RecordLabelField } from './config.js';
import { sortedLabels } from '../../prometheus/labels.js';

export const HINT_ATTRIBUTES = 'loki.attribute.labels';
export const HINT_RESOURCES = 'loki.resource.labels';
export const HINT_TENANT = 'loki.tenant';
export const HINT_FORMAT = 'loki.format';
const HINTS = new Set([HINT_ATTRIBUTES, HINT_RESOURCES, HINT_TENANT, HINT_FORMAT]);

/** Attributes by key, first occurrence winning, as pcommon.Map.Get reads them. */
export type AttributeMap = Map<string, AnyValue>;

export function attributeMap(kvs: readonly KeyValue[] | undefined): AttributeMap {
  const m: AttributeMap = new Map();
  for (const kv of kvs ?? []) if (!m.has(kv.key)) m.set(kv.key, kv.value ?? {});
  return m;
}

/** Severity number → the level text the contrib exporter puts in the `level` label. */
const LEVELS = ['UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'INFO', 'INFO2', 'INFO3', 'INFO4', 'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3', 'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4'];
/** plog.SeverityNumber.String(), for `labels.record.severityN`. */
const SEVERITY_NAMES = ['Unspecified', 'Trace', 'Trace2', 'Trace3', 'Trace4', 'Debug', 'Debug2', 'Debug3', 'Debug4', 'Info', 'Info2', 'Info3', 'Info4', 'Warn', 'Warn2', 'Warn3', 'Warn4', 'Error', 'Error2', 'Error3', 'Error4', 'Fatal', 'Fatal2', 'Fatal3', 'Fatal4'];

export function severityLevel(n: number): string {
  return LEVELS[n] ?? String(n);
}

/**
 * A label name as Prometheus' translator normalizes it (Loki refuses dots): every character
 * outside [a-zA-Z0-9_] becomes _, a leading digit gets "key_", a single leading _ gets "key".
 */
export function normalizeLabel(name: string): string {
  if (name === '') return name;
  let out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(out)) out = `key_${out}`;
  else if (out.startsWith('_') && !out.startsWith('__')) out = `key${out}`;
  return out;
}

/** The attribute names a hint value lists: "a, b" or a list of names. */
function hintNames(v: AnyValue): string[] {
  switch (valueType(v)) {
    case 'Str':
      return (v.stringValue ?? '').split(',').map((s) => s.trim());
    case 'Slice':
      return (v.arrayValue?.values ?? []).map((x) => valueAsString(x).trim());
    default:
      return [valueAsString(v).trim()];
  }
}

/** `a.b.c` looked up directly, else as a path into nested maps (the contrib's getNestedAttribute). */
function lookup(attrs: AttributeMap, name: string): AnyValue | undefined {
  const direct = attrs.get(name);
  if (direct !== undefined) return direct;
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const head = attrs.get(name.slice(0, dot));
  if (head === undefined || valueType(head) !== 'Map') return undefined;
  return lookup(attributeMap(head.kvlistValue?.values), name.slice(dot + 1));
}

function selectLabels(out: Map<string, string>, attrs: AttributeMap, hint: AnyValue): void {
  for (const name of hintNames(hint)) {
    if (name === '') continue;
    const v = lookup(attrs, name);
    if (v !== undefined) out.set(name, valueAsString(v));
  }
}

/** One record's outcome: labels (normalized names), the attributes left for the line, tenant and line format. */
export interface RecordLabels {
  /** Label name → value, sorted by name. */
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** Record attributes that are not labels nor hints (the line and structured metadata carry them). */
  readonly attributes: AttributeMap;
  readonly resourceAttributes: AttributeMap;
  /** From the loki.tenant hint; undefined when there is none. */
  readonly tenant: string | undefined;
  /** From the loki.format hint; undefined when there is none. */
  readonly format: string | undefined;
}

function recordField(field: RecordLabelField, record: LogRecord): string {
  switch (field) {
    case 'traceID':
      return Buffer.from(record.traceId ?? []).toString('hex');
    case 'spanID':
      return Buffer.from(record.spanId ?? []).toString('hex');
    case 'severity':
      return record.severityText ?? '';
    case 'severityN':
      return SEVERITY_NAMES[record.severityNumber ?? 0] ?? String(record.severityNumber);
  }
}

export function recordLabels(config: LokiConfig, record: LogRecord, resource: AttributeMap): RecordLabels {
  const enabled = (name: 'exporter' | 'job' | 'instance' | 'level'): boolean => config.default_labels_enabled[name] !== false;
  const attrs = attributeMap(record.attributes);
  const res = new Map(resource);
  // Labels keyed by the attribute (or default label) name, normalized only at the end, as the contrib does.
  const labels = new Map<string, string>();
  /** Source attributes promoted by the configured label maps: not repeated in the line. */
  const promotedRecord = new Set<string>();
  const promotedResource = new Set<string>();

  // The level label is an attribute hint the exporter adds itself (addLogLevelAttributeAndHint).
  let attributeHint = attrs.get(HINT_ATTRIBUTES);
  const severity = record.severityNumber ?? 0;
  if (enabled('level') && severity !== 0) {
    if (!attrs.has('level')) attrs.set('level', { stringValue: severityLevel(severity) });
    if (attributeHint === undefined) attributeHint = { stringValue: 'level' };
    else if (valueType(attributeHint) === 'Slice') attributeHint = { arrayValue: { values: [...(attributeHint.arrayValue?.values ?? []), { stringValue: 'level' }] } };
    else attributeHint = { stringValue: `${valueAsString(attributeHint)},level` };
  }

  if (enabled('exporter')) labels.set('exporter', 'OTLP');
  const serviceName = res.get('service.name');
  if (enabled('job') && serviceName !== undefined) {
    const namespace = res.get('service.namespace');
    labels.set('job', namespace === undefined ? valueAsString(serviceName) : `${valueAsString(namespace)}/${valueAsString(serviceName)}`);
  }
  const instance = res.get('service.instance.id');
  if (enabled('instance') && instance !== undefined) labels.set('instance', valueAsString(instance));

  const resourceHint = res.get(HINT_RESOURCES);
  if (resourceHint !== undefined) selectLabels(labels, res, resourceHint);
  const recordResourceHint = attrs.get(HINT_RESOURCES);
  if (recordResourceHint !== undefined) selectLabels(labels, res, recordResourceHint);
  if (attributeHint !== undefined) selectLabels(labels, attrs, attributeHint);
  // The tenant's attribute is a label too (so that one tenant's streams are told apart).
  const tenantHintRes = res.get(HINT_TENANT);
  const tenantHintRecord = attrs.get(HINT_TENANT);
  if (tenantHintRes !== undefined) selectLabels(labels, res, tenantHintRes);
  else if (tenantHintRecord !== undefined) selectLabels(labels, attrs, tenantHintRecord);

  for (const [attr, label] of Object.entries(config.labels.resource ?? {})) {
    const v = res.get(attr);
    if (v === undefined) continue;
    labels.set(label || attr, valueAsString(v));
    promotedResource.add(attr);
  }
  for (const [attr, label] of Object.entries(config.labels.attributes ?? {})) {
    const v = attrs.get(attr);
    if (v === undefined) continue;
    labels.set(label || attr, valueAsString(v));
    promotedRecord.add(attr);
  }
  for (const [field, label] of Object.entries(config.labels.record ?? {}) as Array<[RecordLabelField, string]>) {
    const v = recordField(field, record);
    if (v !== '') labels.set(label, v);
  }

  // The tenant: the value of the attribute the hint names (resource first), as GetTenantFromTenantHint.
  let tenant: string | undefined;
  const tenantHint = tenantHintRes ?? tenantHintRecord;
  if (tenantHint !== undefined) {
    const name = valueAsString(tenantHint);
    const v = res.get(name) ?? attrs.get(name);
    if (v !== undefined) tenant = valueAsString(v);
  }
  const formatHint = res.get(HINT_FORMAT) ?? attrs.get(HINT_FORMAT);

  // What became a label (and every hint) leaves the attributes, so the line does not repeat it.
  const drop = (m: AttributeMap, promoted: Set<string>): void => {
    for (const key of [...m.keys()]) if (HINTS.has(key) || labels.has(key) || promoted.has(key)) m.delete(key);
  };
  drop(attrs, promotedRecord);
  drop(res, promotedResource);

  const normalized = new Map<string, string>();
  // An empty value means "no such label" to Loki (as to Prometheus): leave it out.
  for (const [name, value] of labels) if (value !== '') normalized.set(normalizeLabel(name), value);
  const sorted = sortedLabels(normalized);
  return { labels: sorted, attributes: attrs, resourceAttributes: res, tenant, format: formatHint === undefined ? undefined : valueAsString(formatHint) };
}

/** Go's strconv.Quote for the characters a label value can hold: what Prometheus' LabelSet.String() writes. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A label set in Prometheus notation, `{job="api", level="INFO"}`: the stream's identity in protobuf pushes. */
export function labelString(labels: ReadonlyArray<readonly [string, string]>): string {
  return `{${labels.map(([k, v]) => `${k}=${goQuote(v)}`).join(', ')}}`;
}
