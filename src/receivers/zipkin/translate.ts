// Zipkin v2 spans → OTLP, as the Collector's translator does (contrib pkg/translator/zipkin/
// zipkinv2, ToTranslator): one resource per local service, one scope per instrumentation library.
import Long from 'long';
import { AttributeMap } from '../span_attributes.js';
import type { AnyValue, KeyValue, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink } from '../../pdata/types.js';
import { SpanDecodeError } from '../span_http.js';
import type { ZipkinSpan } from './model.js';
import { hexId, sameId } from './model.js';

/** The Collector's placeholder for a span without a local service name: its resource stays empty. */
const NO_SERVICE_NAME = 'OTLPResourceNoServiceName';
const TAG_SERVICE_NAME_SOURCE = 'otlp.service.name.source';
const START_TIME_ABSENT = 'otel.zipkin.absentField.startTime';

export const SpanKind = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

// Scope keys: the current `otel.scope.*` (spec 1.10+) and the deprecated `otel.library.*` the
// Collector's translator reads; the current one wins when a span carries both.
const SCOPE_NAME_KEYS = ['otel.scope.name', 'otel.library.name'];
const SCOPE_VERSION_KEYS = ['otel.scope.version', 'otel.library.version'];

/** Resource attribute names of semantic conventions 1.6.1: tags with these names describe the resource, not the span. */
const RESOURCE_KEYS: readonly string[] = [
  'cloud.provider', 'cloud.account.id', 'cloud.region', 'cloud.availability_zone', 'cloud.platform',
  'aws.ecs.container.arn', 'aws.ecs.cluster.arn', 'aws.ecs.launchtype', 'aws.ecs.task.arn', 'aws.ecs.task.family', 'aws.ecs.task.revision',
  'aws.eks.cluster.arn', 'aws.log.group.names', 'aws.log.group.arns', 'aws.log.stream.names', 'aws.log.stream.arns',
  'container.name', 'container.id', 'container.runtime', 'container.image.name', 'container.image.tag',
  'deployment.environment', 'device.id', 'device.model.identifier', 'device.model.name',
  'faas.name', 'faas.id', 'faas.version', 'faas.instance', 'faas.max_memory',
  'host.id', 'host.name', 'host.type', 'host.arch', 'host.image.name', 'host.image.id', 'host.image.version',
  'k8s.cluster.name', 'k8s.node.name', 'k8s.node.uid', 'k8s.namespace.name', 'k8s.pod.uid', 'k8s.pod.name', 'k8s.container.name',
  'k8s.container.restart_count', 'k8s.replicaset.uid', 'k8s.replicaset.name', 'k8s.deployment.uid', 'k8s.deployment.name',
  'k8s.statefulset.uid', 'k8s.statefulset.name', 'k8s.daemonset.uid', 'k8s.daemonset.name', 'k8s.job.uid', 'k8s.job.name',
  'k8s.cronjob.uid', 'k8s.cronjob.name',
  'os.type', 'os.description', 'os.name', 'os.version',
  'process.pid', 'process.executable.name', 'process.executable.path', 'process.command', 'process.command_line', 'process.command_args',
  'process.owner', 'process.runtime.name', 'process.runtime.version', 'process.runtime.description',
  'service.name', 'service.namespace', 'service.instance.id', 'service.version',
  'telemetry.sdk.name', 'telemetry.sdk.language', 'telemetry.sdk.version', 'telemetry.auto.version',
  'webengine.name', 'webengine.version', 'webengine.description',
  // OpenCensus leftovers the Collector also keeps off spans.
  'opencensus.starttime', 'opencensus.exporterversion', 'opencensus.resourcetype',
];

const NON_SPAN_KEYS: ReadonlySet<string> = new Set([...RESOURCE_KEYS, TAG_SERVICE_NAME_SOURCE, ...SCOPE_NAME_KEYS, ...SCOPE_VERSION_KEYS]);

const KINDS: Readonly<Record<string, number>> = { CLIENT: SpanKind.CLIENT, SERVER: SpanKind.SERVER, PRODUCER: SpanKind.PRODUCER, CONSUMER: SpanKind.CONSUMER };

/**
 * `otel.status_code` values: the Collector's translator knows the enum names; OpenTelemetry's
 * own Zipkin exporters write "OK" and "ERROR" (spec, non-OTLP mapping), accepted here too.
 */
const STATUS_CODES: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: StatusCode.UNSET,
  STATUS_CODE_OK: StatusCode.OK,
  STATUS_CODE_ERROR: StatusCode.ERROR,
  UNSET: StatusCode.UNSET,
  OK: StatusCode.OK,
  ERROR: StatusCode.ERROR,
};

/** Epoch microseconds → nanoseconds; past 2^53 ns, so a Long. */
export function microsToNanos(us: number): Long {
  return Long.fromNumber(us, true).multiply(1000);
}

const str = (v: string): AnyValue => ({ stringValue: v });
const int = (v: number): AnyValue => ({ intValue: Long.fromNumber(v) });

/** The Collector's DetermineValueType for parse_string_tags: int, double, bool, or string. */
function parsedTag(value: string): AnyValue {
  if (/^-?\d+$/.test(value)) {
    const big = BigInt(value);
    if (big >= -(2n ** 63n) && big < 2n ** 63n) return { intValue: Long.fromString(value) };
    return str(value); // out of int64: Go's ParseInt fails; keep the text
  }
  if (/^-?\d+\.\d+$/.test(value)) return { doubleValue: Number(value) };
  if (value === 'true' || value === 'false') return { boolValue: value === 'true' };
  return str(value);
}

function localServiceName(s: ZipkinSpan): string {
  return s.localEndpoint?.serviceName || NO_SERVICE_NAME;
}

function scopeName(s: ZipkinSpan): string {
  for (const k of SCOPE_NAME_KEYS) {
    const v = s.tags.get(k);
    if (v !== undefined) return v;
  }
  return '';
}

function first(tags: Map<string, string>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = tags.get(k);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** `{"k":v,...}` of an encoded event or link: strings, integers, doubles and booleans, as the Collector reads it. */
function jsonAttributes(text: string, what: string): KeyValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SpanDecodeError(`${what}: invalid JSON attributes: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SpanDecodeError(`${what}: attributes must be a JSON object`);
  const out: KeyValue[] = [];
  for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v === 'string') out.push({ key, value: str(v) });
    else if (typeof v === 'number') out.push({ key, value: Number.isInteger(v) ? { intValue: Long.fromNumber(v) } : { doubleValue: v } });
    else if (typeof v === 'boolean') out.push({ key, value: { boolValue: v } });
  }
  return out;
}

function droppedCount(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new SpanDecodeError(`${what}: invalid dropped attributes count "${text}"`);
  return Number(text);
}

/** Annotations → events; "name|{json attributes}|dropped" is the Collector's encoding of an OTLP event. */
function events(s: ZipkinSpan): SpanEvent[] {
  return s.annotations.map((a, i) => {
    const parts = a.value.split('|');
    const event: SpanEvent = { timeUnixNano: microsToNanos(a.timestamp), name: parts[0] as string, attributes: [] };
    if (parts.length < 3) return event;
    const what = `annotation ${i} of span "${s.name}"`;
    event.attributes = jsonAttributes(parts.slice(1, -1).join('|'), what);
    event.droppedAttributesCount = droppedCount(parts[parts.length - 1] as string, what);
    return event;
  });
}

/** Tags `otlp.link.0`, `otlp.link.1`, …: "traceId|spanId|traceState|{json attributes}|dropped". */
function links(tags: Map<string, string>): SpanLink[] {
  const out: SpanLink[] = [];
  for (let i = 0; i < 128; i++) {
    const key = `otlp.link.${i}`;
    const value = tags.get(key);
    if (value === undefined) break;
    tags.delete(key);
    const parts = value.split('|');
    if (parts.length < 5) continue;
    const unquote = (p: string): string => (p.length >= 2 && p.startsWith('"') && p.endsWith('"') ? p.slice(1, -1) : p);
    const traceHex = unquote(parts[0] as string);
    const spanHex = unquote(parts[1] as string);
    if (traceHex !== '' && traceHex.length !== 32) throw new SpanDecodeError(`tag ${key}: invalid length for ID`);
    if (spanHex !== '' && spanHex.length !== 16) throw new SpanDecodeError(`tag ${key}: invalid length for ID`);
    out.push({
      traceId: hexId(traceHex, 16, `${key} trace id`),
      spanId: hexId(spanHex, 8, `${key} span id`),
      traceState: parts[2] as string,
      attributes: jsonAttributes(parts.slice(3, -1).join('|'), `tag ${key}`),
      droppedAttributesCount: droppedCount(parts[parts.length - 1] as string, `tag ${key}`),
    });
  }
  return out;
}

function spanKind(s: ZipkinSpan, tags: Map<string, string>): number {
  const kind = s.kind === undefined ? undefined : KINDS[s.kind];
  if (kind !== undefined) return kind;
  const tagged = tags.get('span.kind');
  if (tagged === undefined) return SpanKind.UNSPECIFIED;
  tags.delete('span.kind');
  return tagged === 'internal' ? SpanKind.INTERNAL : SpanKind.UNSPECIFIED;
}

function status(tags: Map<string, string>): { code: number; message?: string } | undefined {
  let result: { code: number; message?: string } | undefined;
  const code = tags.get('otel.status_code');
  if (code !== undefined) {
    result = { code: STATUS_CODES[code.toUpperCase()] ?? StatusCode.UNSET };
    tags.delete('otel.status_code');
    const message = tags.get('otel.status_description');
    if (message !== undefined) {
      result.message = message;
      tags.delete('otel.status_description');
    }
  }
  if (tags.get('error') === 'true') {
    result = { ...result, code: StatusCode.ERROR };
    tags.delete('error');
  }
  return result;
}

function toSpan(s: ZipkinSpan, tags: Map<string, string>, parseStringTags: boolean): Span {
  const span: Span = { traceId: s.traceId, spanId: s.id, name: s.name, attributes: [], events: [], links: [] };
  const traceState = tags.get('w3c.tracestate');
  if (traceState !== undefined) {
    span.traceState = traceState;
    tags.delete('w3c.tracestate');
  }
  if (s.parentId !== undefined && !sameId(s.parentId, s.id)) span.parentSpanId = s.parentId;
  span.kind = spanKind(s, tags);
  const st = status(tags);
  if (st !== undefined) span.status = st;
  span.links = links(tags);

  const attrs = new AttributeMap();
  for (const [key, value] of tags) {
    if (NON_SPAN_KEYS.has(key)) continue;
    attrs.put(key, parseStringTags ? parsedTag(value) : str(value));
  }
  const local = s.localEndpoint;
  if (local?.ipv4 !== undefined) attrs.put('net.host.ip', str(local.ipv4));
  if (local?.ipv6 !== undefined) attrs.put('net.host.ip', str(local.ipv6));
  if (local?.port !== undefined) attrs.put('net.host.port', int(local.port));
  const remote = s.remoteEndpoint;
  if (remote?.serviceName !== undefined) attrs.put('peer.service', str(remote.serviceName));
  if (remote?.ipv4 !== undefined) attrs.put('net.peer.ip', str(remote.ipv4));
  if (remote?.ipv6 !== undefined) attrs.put('net.peer.ip', str(remote.ipv6));
  if (remote?.port !== undefined) attrs.put('net.peer.port', int(remote.port));

  // Zipkin allows an absent start; OTLP needs one: Unix time zero, flagged for the way back.
  const start = s.timestamp ?? 0;
  if (s.timestamp === undefined) attrs.put(START_TIME_ABSENT, { boolValue: true });
  span.startTimeUnixNano = microsToNanos(start);
  span.endTimeUnixNano = microsToNanos(start + (s.duration ?? 0));
  span.attributes = attrs.toKeyValues();
  span.events = events(s);
  return span;
}

function resourceAttributes(tags: Map<string, string>, serviceName: string): KeyValue[] {
  if (serviceName === NO_SERVICE_NAME) return [];
  const attrs = new AttributeMap();
  attrs.put(tags.get(TAG_SERVICE_NAME_SOURCE) || 'service.name', str(serviceName));
  for (const key of RESOURCE_KEYS) {
    const v = tags.get(key);
    if (v !== undefined) attrs.put(key, str(v));
  }
  return attrs.toKeyValues();
}

/**
 * Zipkin v2 spans to OTLP resource spans. Spans are grouped, in a stable order, by local
 * service name (the resource, with the resource-convention tags of the group's first span)
 * and then by instrumentation scope name.
 */
export function zipkinToOtlp(spans: readonly ZipkinSpan[], parseStringTags: boolean): ResourceSpans[] {
  const keyed = spans.map((s) => ({ s, service: localServiceName(s), scope: scopeName(s) }));
  keyed.sort((a, b) => (a.service === b.service ? (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0) : a.service < b.service ? -1 : 1));
  const out: ResourceSpans[] = [];
  let resource: ResourceSpans | undefined;
  let scope: ScopeSpans | undefined;
  let prevService: string | undefined;
  let prevScope: string | undefined;
  for (const { s, service, scope: scopeKey } of keyed) {
    const tags = new Map(s.tags);
    if (service !== prevService || resource === undefined) {
      resource = { resource: { attributes: resourceAttributes(tags, service) }, scopeSpans: [] };
      out.push(resource);
      prevService = service;
      scope = undefined;
    }
    if (scope === undefined || scopeKey !== prevScope) {
      const name = scopeKey === '' ? undefined : scopeKey;
      const version = name === undefined ? undefined : first(tags, SCOPE_VERSION_KEYS);
      scope = { scope: { name: name ?? '', version: version ?? '', attributes: [] }, spans: [] };
      resource.scopeSpans.push(scope);
      prevScope = scopeKey;
    }
    scope.spans.push(toSpan(s, tags, parseStringTags));
  }
  return out;
}


