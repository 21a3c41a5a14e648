// OpenTelemetry logs as Datadog log entries, the way Datadog's own OTLP mapping does it
// (opentelemetry-mapping-go pkg/otlp/logs and pkg/otlp/attributes, used by the contrib exporter).
import type { LogsBatch } from '../../pdata/batch.js';
import { int64BigInt as nanos, valueAsString, valueType } from '../../pdata/value.js';
import type { AnyValue, KeyValue, LogRecord } from '../../pdata/types.js';
import { cutUtf8, entry, type Entry } from '../helper/payloads.js';

/** The Logs intake's limit for one log (https://docs.datadoghq.com/api/latest/logs/#send-logs): 1 MB. */
export const MAX_LOG_BYTES = 1_000_000;
/** What replaces the cut end of a value that made a log too large (the Datadog Agent's marker). */
export const TRUNCATED_MARKER = '...TRUNCATED...';

// Unified service tagging and the semantic conventions Datadog turns into tags
// (attributes.go coreMapping, containerMappings, kubernetesMapping).
const CORE_TAGS: ReadonlyArray<readonly [tag: string, keys: readonly string[]]> = [
  ['env', ['datadog.env', 'deployment.environment.name', 'deployment.environment']],
  ['service', ['datadog.service', 'service.name']],
  ['version', ['datadog.version', 'service.version']],
];
const RESOURCE_TAGS: Readonly<Record<string, string>> = {
  'container.id': 'container_id',
  'container.name': 'container_name',
  'container.image.name': 'image_name',
  'container.image.tag': 'image_tag',
  'container.runtime': 'runtime',
  'cloud.provider': 'cloud_provider',
  'cloud.region': 'region',
  'cloud.availability_zone': 'zone',
  'aws.ecs.task.family': 'task_family',
  'aws.ecs.task.arn': 'task_arn',
  'aws.ecs.cluster.arn': 'ecs_cluster_name',
  'aws.ecs.task.revision': 'task_version',
  'aws.ecs.container.arn': 'ecs_container_name',
  'k8s.container.name': 'kube_container_name',
  'k8s.cluster.name': 'kube_cluster_name',
  'k8s.deployment.name': 'kube_deployment',
  'k8s.replicaset.name': 'kube_replica_set',
  'k8s.statefulset.name': 'kube_stateful_set',
  'k8s.daemonset.name': 'kube_daemon_set',
  'k8s.job.name': 'kube_job',
  'k8s.cronjob.name': 'kube_cronjob',
  'k8s.namespace.name': 'kube_namespace',
  'k8s.pod.name': 'pod_name',
  'app.kubernetes.io/name': 'kube_app_name',
  'app.kubernetes.io/instance': 'kube_app_instance',
  'app.kubernetes.io/version': 'kube_app_version',
  'app.kubernetes.io/component': 'kube_app_component',
  'app.kubernetes.io/part-of': 'kube_app_part_of',
  'app.kubernetes.io/managed-by': 'kube_app_managed_by',
};
const CUSTOM_TAG_PREFIX = 'datadog.container.tag.';

/** Hosts Datadog's mapping never reports as a log's host. */
const INVALID_HOSTS = new Set(['0.0.0.0', '127.0.0.1', 'localhost', 'localhost.localdomain', 'localhost6.localdomain6', 'ip6-localhost']);

/** Top-level fields of an HTTPLogItem: an attribute of the same name goes in as otel.<name>. */
const RESERVED = new Set(['message', 'ddsource', 'ddtags', 'hostname', 'service', 'status']);

type Attrs = ReadonlyMap<string, AnyValue | null | undefined>;

function attrMap(kvs: readonly KeyValue[] | undefined): Map<string, AnyValue | null | undefined> {
  const m = new Map<string, AnyValue | null | undefined>();
  for (const kv of kvs ?? []) m.set(kv.key, kv.value);
  return m;
}

function textMap(attrs: Attrs): Map<string, string> {
  const m = new Map<string, string>();
  for (const [key, value] of attrs) m.set(key, valueAsString(value));
  return m;
}

function str(attrs: Attrs, key: string): string | undefined {
  if (!attrs.has(key)) return undefined;
  return valueAsString(attrs.get(key));
}

/** Resource attributes as Datadog tags, datadog.* attributes winning over the conventions. */
export function resourceTags(attrs: Attrs): string[] {
  const tags: string[] = [];
  for (const [tag, keys] of CORE_TAGS) {
    for (const key of keys) {
      const v = str(attrs, key);
      if (v) {
        tags.push(`${tag}:${v}`);
        break;
      }
    }
  }
  for (const [key, value] of attrs) {
    const tag = RESOURCE_TAGS[key];
    const v = valueAsString(value);
    if (v === '') continue;
    if (tag !== undefined) tags.push(`${tag}:${v}`);
    else if (key.startsWith(CUSTOM_TAG_PREFIX) && key.length > CUSTOM_TAG_PREFIX.length) tags.push(`${key.slice(CUSTOM_TAG_PREFIX.length)}:${v}`);
  }
  return tags;
}

/**
 * The host a resource describes, in the order of Datadog's hostname mapping: a literal `host`,
 * datadog.host.name, none on ECS Fargate, the cloud host id (AWS, Azure), the Kubernetes node
 * (with its cluster), host.id, host.name. Loopback names do not count.
 */
export function hostnameFromAttributes(attrs: Attrs): string | undefined {
  const found = ((): string | undefined => {
    if (attrs.has('host')) return str(attrs, 'host');
    if (attrs.has('datadog.host.name')) return str(attrs, 'datadog.host.name');
    if (str(attrs, 'aws.ecs.launchtype') === 'fargate') return undefined;
    const cloud = str(attrs, 'cloud.provider');
    if (cloud === 'aws' || cloud === 'azure') return str(attrs, 'host.id') ?? str(attrs, 'host.name');
    if (cloud === 'gcp') return str(attrs, 'host.name');
    const node = str(attrs, 'k8s.node.name');
    if (node !== undefined) {
      const cluster = str(attrs, 'k8s.cluster.name');
      return cluster ? `${node}-${cluster}` : node;
    }
    return str(attrs, 'host.id') ?? str(attrs, 'host.name');
  })();
  return found === undefined || found === '' || INVALID_HOSTS.has(found) ? undefined : found;
}

/** OpenTelemetry severity number → Datadog status, by the ranges of the log data model. */
export function statusFromSeverityNumber(n: number): string {
  if (n <= 4) return 'trace';
  if (n <= 8) return 'debug';
  if (n <= 12) return 'info';
  if (n <= 16) return 'warn';
  if (n <= 20) return 'error';
  if (n <= 24) return 'fatal';
  return 'error';
}

function nonZero(id: Uint8Array | undefined, length: number): id is Uint8Array {
  return id !== undefined && id.byteLength === length && id.some((b) => b !== 0);
}

/** Datadog's 64-bit id of an OpenTelemetry id: the low 64 bits, in decimal. */
export function lowBitsDecimal(id: Uint8Array): string {
  return Buffer.from(id.subarray(id.byteLength - 8)).readBigUInt64BE().toString();
}

const HEX_TRACE = /^[0-9a-fA-F]{32}$/;
const HEX_SPAN = /^[0-9a-fA-F]{16}$/;

/** Map-valued attributes become dotted keys (10 levels, as Datadog's mapping), everything else its string form. */
function flatten(put: (key: string, value: string) => void, key: string, value: AnyValue | null | undefined, depth: number): void {
  if (valueType(value) !== 'Map' || depth >= 10) {
    put(key, valueAsString(value));
    return;
  }
  for (const kv of value?.kvlistValue?.values ?? []) flatten(put, `${key}.${kv.key}`, kv.value, depth + 1);
}

/** Record attribute names (lower-cased) Datadog's mapping reads as message, status, ids or tags. */
const REMAPPED = new Set(['msg', 'message', 'log', 'status', 'severity', 'level', 'syslog.severity', 'traceid', 'trace_id', 'contextmap.traceid', 'oteltraceid', 'spanid', 'span_id', 'contextmap.spanid', 'otelspanid', 'ddtags']);

function isoMillis(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}


export interface DatadogLogOptions {
  readonly ddsource: string;
  /** Configured tags (logs.ddtags), already split. */
  readonly tags: readonly string[];
  /** logs.service: for logs without service.name. */
  readonly service?: string;
  /** hostname, else the machine's: for logs whose attributes name no host. */
  readonly hostname: string;
}

/** A log entry as an ordered set of string fields (the HTTPLogItem with its additional properties). */
export type LogFields = Map<string, string>;

/** One log record as a Datadog log entry. */
export function logFields(record: LogRecord, resource: ReadonlyMap<string, string>, scope: ReadonlyMap<string, string>, base: { host?: string; service?: string; tags: readonly string[] }, options: DatadogLogOptions): LogFields {
  const recordAttrs = attrMap(record.attributes);
  const extra = new Map<string, string>();
  let message: string | undefined;
  let status: string | undefined;
  const attributeTags: string[] = [];
  const ids = new Map<string, string>();
  const put = (key: string, value: string): void => {
    extra.set(RESERVED.has(key) ? `otel.${key}` : key, value);
  };
  // The remappings Datadog's backend applies to attribute names, done here as the mapping does.
  for (const [key, value] of recordAttrs) {
    const lower = key.toLowerCase();
    if (!REMAPPED.has(lower)) {
      flatten(put, key, value, 1);
      continue;
    }
    const text = valueAsString(value);
    switch (lower) {
      case 'msg':
      case 'message':
      case 'log':
        message = text;
        break;
      case 'status':
      case 'severity':
      case 'level':
      case 'syslog.severity':
        status = text;
        break;
      case 'traceid':
      case 'trace_id':
      case 'contextmap.traceid':
      case 'oteltraceid':
        if (HEX_TRACE.test(text) && !ids.has('dd.trace_id')) {
          ids.set('dd.trace_id', lowBitsDecimal(Buffer.from(text, 'hex')));
          ids.set('otel.trace_id', text);
        } else if (!HEX_TRACE.test(text)) put(key, text);
        break;
      case 'spanid':
      case 'span_id':
      case 'contextmap.spanid':
      case 'otelspanid':
        if (HEX_SPAN.test(text) && !ids.has('dd.span_id')) {
          ids.set('dd.span_id', lowBitsDecimal(Buffer.from(text, 'hex')));
          ids.set('otel.span_id', text);
        } else if (!HEX_SPAN.test(text)) put(key, text);
        break;
      case 'ddtags':
        attributeTags.push(...text.split(',').filter((t) => t !== ''));
        break;
    }
  }
  for (const [key, text] of resource) put(key, text);
  for (const [key, text] of scope) put(key, text);
  for (const [k, v] of ids) extra.set(k, v);
  // The record's own trace context wins over ids found in attributes.
  if (nonZero(record.traceId, 16)) {
    extra.set('dd.trace_id', lowBitsDecimal(record.traceId));
    extra.set('otel.trace_id', Buffer.from(record.traceId).toString('hex'));
  }
  if (nonZero(record.spanId, 8)) {
    extra.set('dd.span_id', lowBitsDecimal(record.spanId));
    extra.set('otel.span_id', Buffer.from(record.spanId).toString('hex'));
  }
  if (record.severityText) {
    status ??= record.severityText;
    extra.set('otel.severity_text', record.severityText);
  }
  if (record.severityNumber) {
    status ??= statusFromSeverityNumber(record.severityNumber);
    extra.set('otel.severity_number', String(record.severityNumber));
  }
  // The spec's rule for a record without a time of event: its observed time.
  let ts = nanos(record.timeUnixNano);
  if (ts === 0n) ts = nanos(record.observedTimeUnixNano);
  if (ts > 0n) {
    extra.set('@timestamp', isoMillis(ts));
    extra.set('otel.timestamp', ts.toString());
  }

  const host = base.host ?? hostnameFromAttributes(recordAttrs) ?? options.hostname;
  const service = base.service ?? str(recordAttrs, 'service.name') ?? options.service;
  const tags = [...new Set([...base.tags, ...options.tags, ...attributeTags])];
  const fields: LogFields = new Map();
  fields.set('message', message ?? valueAsString(record.body));
  fields.set('ddsource', options.ddsource);
  if (tags.length > 0) fields.set('ddtags', tags.join(','));
  if (host) fields.set('hostname', host);
  if (service) fields.set('service', service);
  if (status) fields.set('status', status);
  for (const [k, v] of extra) if (!fields.has(k)) fields.set(k, v);
  return fields;
}

export function fieldsJson(fields: LogFields): string {
  return JSON.stringify(Object.fromEntries(fields));
}

/**
 * The log's JSON within `maxBytes`: while it is larger, the longest field value is cut and
 * ends with TRUNCATED_MARKER. Datadog would truncate such a log itself; Ferry does it first so
 * that a log of several MB still fits a request (the intake takes 5 MB per request).
 */
export function fitLog(fields: LogFields, maxBytes: number): { json: string; bytes: number; truncated: boolean } {
  let json = fieldsJson(fields);
  let bytes = Buffer.byteLength(json);
  let truncated = false;
  for (let round = 0; round < 16 && bytes > maxBytes; round++) {
    let longest: string | undefined;
    let longestBytes = -1;
    for (const [k, v] of fields) {
      const b = Buffer.byteLength(v);
      if (b > longestBytes) {
        longest = k;
        longestBytes = b;
      }
    }
    if (longest === undefined || longestBytes <= TRUNCATED_MARKER.length) break;
    const excess = bytes - maxBytes;
    // Every byte cut from the value takes at least one byte off its JSON form.
    const keep = Math.max(0, longestBytes - excess - Buffer.byteLength(TRUNCATED_MARKER));
    fields.set(longest, cutUtf8(fields.get(longest) ?? '', keep) + TRUNCATED_MARKER);
    json = fieldsJson(fields);
    bytes = Buffer.byteLength(json);
    truncated = true;
  }
  return { json, bytes, truncated };
}

/** Every log record of the batch as an entry (in running item order), and how many had to be truncated. */
export function encodeLogs(batch: LogsBatch, options: DatadogLogOptions): { entries: Entry[]; truncated: number } {
  const entries: Entry[] = [];
  let truncated = 0;
  let item = 0;
  for (const rl of batch.resources) {
    const resource = attrMap(rl.resource?.attributes);
    const base = { host: hostnameFromAttributes(resource), service: str(resource, 'service.name') || undefined, tags: resourceTags(resource) };
    // Resource and scope attributes as text once, not for each record.
    const resourceText = textMap(resource);
    for (const sl of rl.scopeLogs) {
      const scopeText = textMap(attrMap(sl.scope?.attributes));
      for (const record of sl.logRecords) {
        const fitted = fitLog(logFields(record, resourceText, scopeText, base, options), MAX_LOG_BYTES);
        if (fitted.truncated) truncated++;
        entries.push(entry(item++, fitted.json, fitted.bytes));
      }
    }
  }
  return { entries, truncated };
}
