// The label set of a Prometheus series made from an OTLP point: its attributes, the
// instrumentation scope, job/instance from the resource, and target_info for the rest.
import type { InstrumentationScope, KeyValue, Resource } from '../pdata/types.js';
import { valueAsString } from '../pdata/value.js';
import { attributeLabels, byKey, labelName } from './naming.js';

export const SERVICE_NAME = 'service.name';
export const SERVICE_NAMESPACE = 'service.namespace';
export const SERVICE_INSTANCE_ID = 'service.instance.id';
const IDENTIFYING = new Set([SERVICE_NAME, SERVICE_NAMESPACE, SERVICE_INSTANCE_ID]);

export type Labels = Map<string, string>;

export interface LabelOptions {
  /** `resource_to_telemetry_conversion.enabled`: every resource attribute becomes a label too. */
  readonly resourceToTelemetry: boolean;
  /** `resource_to_telemetry_conversion.exclude_service_attributes`: but not service.name/namespace/instance.id. */
  readonly excludeServiceAttributes: boolean;
  /** otel_scope_name / otel_scope_version / otel_scope_schema_url and otel_scope_<attribute> labels. */
  readonly scopeLabels: boolean;
}

/** A resource as the Prometheus exporters see it: job, instance, and its attributes. */
export interface ResourceInfo {
  /** `<service.namespace>/<service.name>`, or `<service.name>`; undefined without service.name. */
  readonly job: string | undefined;
  /** service.instance.id. */
  readonly instance: string | undefined;
  readonly attributes: readonly KeyValue[];
}

function attribute(attributes: readonly KeyValue[], key: string): string | undefined {
  const kv = attributes.find((a) => a.key === key);
  return kv === undefined ? undefined : valueAsString(kv.value);
}

export function resourceInfo(resource: Resource | null | undefined): ResourceInfo {
  const attributes = resource?.attributes ?? [];
  const name = attribute(attributes, SERVICE_NAME);
  const namespace = attribute(attributes, SERVICE_NAMESPACE);
  const job = name === undefined ? undefined : namespace ? `${namespace}/${name}` : name;
  return { job, instance: attribute(attributes, SERVICE_INSTANCE_ID), attributes };
}

function setIfValue(labels: Labels, name: string, value: string | undefined): void {
  if (value !== undefined && value !== '') labels.set(name, value);
}

/**
 * The labels of one point (without `__name__`, `le`, `quantile`). Point attributes first,
 * with the resource's attributes over them when resource_to_telemetry_conversion is on (the
 * Collector copies them onto every point); then the scope labels and job/instance, which
 * replace an attribute of the same label name.
 */
export function pointLabels(
  attributes: readonly KeyValue[],
  resource: ResourceInfo,
  scope: { scope: InstrumentationScope | null | undefined; schemaUrl: string | undefined },
  options: LabelOptions,
): Labels {
  const pairs = new Map<string, string>();
  for (const kv of attributes) pairs.set(kv.key, valueAsString(kv.value));
  if (options.resourceToTelemetry) {
    for (const kv of resource.attributes) {
      if (options.excludeServiceAttributes && IDENTIFYING.has(kv.key)) continue;
      pairs.set(kv.key, valueAsString(kv.value));
    }
  }
  const labels = attributeLabels(pairs);
  if (options.scopeLabels) {
    const s = scope.scope;
    const scopeAttributes = attributeLabels((s?.attributes ?? []).map((kv) => [`otel_scope_${kv.key}`, valueAsString(kv.value)] as const));
    for (const [name, value] of scopeAttributes) labels.set(name, value);
    setIfValue(labels, 'otel_scope_name', s?.name);
    setIfValue(labels, 'otel_scope_version', s?.version);
    setIfValue(labels, 'otel_scope_schema_url', scope.schemaUrl);
  }
  setIfValue(labels, 'job', resource.job);
  setIfValue(labels, 'instance', resource.instance);
  return labels;
}

/**
 * The labels of a resource's `target_info`: its attributes except the three that make
 * job and instance, plus job and instance. Undefined when the resource has neither job nor
 * instance (nothing to join on) or no other attribute (nothing to tell).
 */
export function targetInfoLabels(resource: ResourceInfo): Labels | undefined {
  if (resource.job === undefined && resource.instance === undefined) return undefined;
  const rest = resource.attributes.filter((kv) => !IDENTIFYING.has(kv.key));
  const labels = attributeLabels(rest.map((kv) => [kv.key, valueAsString(kv.value)] as const));
  if (labels.size === 0) return undefined;
  labels.delete('job');
  labels.delete('instance');
  setIfValue(labels, 'job', resource.job);
  setIfValue(labels, 'instance', resource.instance);
  return labels;
}

/**
 * Configured labels (`const_labels`, `external_labels`) with sanitized names. They come
 * last and never replace a label of the data, as the Collector's remote-write translator does.
 */
export function configuredLabels(config: Readonly<Record<string, string>> | undefined): Labels {
  const out: Labels = new Map();
  for (const [key, value] of Object.entries(config ?? {})) {
    const name = labelName(key);
    if (name !== '' && value !== '') out.set(name, value);
  }
  return out;
}

/** `labels` plus the configured ones it does not already have. */
export function withConfiguredLabels(labels: Labels, configured: Labels): Labels {
  if (configured.size === 0) return labels;
  const out = new Map(labels);
  for (const [name, value] of configured) if (!out.has(name)) out.set(name, value);
  return out;
}

/** The labels as [name, value] pairs sorted by name (the order remote write requires). */
export function sortedLabels(labels: Labels): Array<[string, string]> {
  return [...labels].sort(byKey);
}
