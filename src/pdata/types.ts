// The OTLP data model as protobufjs decodes it from proto/ (camelCase fields,
// int64 as Long, bytes as Uint8Array). One model crosses every boundary in Ferry.
import type Long from 'long';

export type Signal = 'logs' | 'traces' | 'metrics';
export const SIGNALS: readonly Signal[] = ['logs', 'traces', 'metrics'];

/** int64/uint64/fixed64: Long once decoded; number or decimal string accepted when built by hand. */
export type Int64 = Long | number | string;

export interface AnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: ArrayValue | null;
  kvlistValue?: KeyValueList | null;
  bytesValue?: Uint8Array | null;
}
export interface ArrayValue { values: AnyValue[] }
export interface KeyValueList { values: KeyValue[] }
export interface KeyValue { key: string; value?: AnyValue | null }

export interface EntityRef {
  schemaUrl?: string;
  type?: string;
  idKeys: string[];
  descriptionKeys: string[];
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  entityRefs?: EntityRef[];
}

export interface InstrumentationScope {
  name?: string;
  version?: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

// ---- logs
export interface ResourceLogs { resource?: Resource | null; scopeLogs: ScopeLogs[]; schemaUrl?: string }
export interface ScopeLogs { scope?: InstrumentationScope | null; logRecords: LogRecord[]; schemaUrl?: string }
export interface LogRecord {
  timeUnixNano?: Int64;
  observedTimeUnixNano?: Int64;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue | null;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  eventName?: string;
}

// ---- traces
export interface ResourceSpans { resource?: Resource | null; scopeSpans: ScopeSpans[]; schemaUrl?: string }
export interface ScopeSpans { scope?: InstrumentationScope | null; spans: Span[]; schemaUrl?: string }
export interface Span {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  flags?: number;
  name: string;
  kind?: number;
  startTimeUnixNano?: Int64;
  endTimeUnixNano?: Int64;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  events: SpanEvent[];
  droppedEventsCount?: number;
  links: SpanLink[];
  droppedLinksCount?: number;
  status?: SpanStatus | null;
}
export interface SpanEvent { timeUnixNano?: Int64; name: string; attributes: KeyValue[]; droppedAttributesCount?: number }
export interface SpanLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState?: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}
export interface SpanStatus { message?: string; code?: number }

// ---- metrics
export interface ResourceMetrics { resource?: Resource | null; scopeMetrics: ScopeMetrics[]; schemaUrl?: string }
export interface ScopeMetrics { scope?: InstrumentationScope | null; metrics: Metric[]; schemaUrl?: string }
export interface Metric {
  name: string;
  description?: string;
  unit?: string;
  gauge?: Gauge | null;
  sum?: Sum | null;
  histogram?: Histogram | null;
  exponentialHistogram?: ExponentialHistogram | null;
  summary?: Summary | null;
  metadata?: KeyValue[];
}
export interface Gauge { dataPoints: NumberDataPoint[] }
export interface Sum { dataPoints: NumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean }
export interface Histogram { dataPoints: HistogramDataPoint[]; aggregationTemporality?: number }
export interface ExponentialHistogram { dataPoints: ExponentialHistogramDataPoint[]; aggregationTemporality?: number }
export interface Summary { dataPoints: SummaryDataPoint[] }

export interface Exemplar {
  filteredAttributes: KeyValue[];
  timeUnixNano?: Int64;
  asDouble?: number | null;
  asInt?: Int64 | null;
  spanId?: Uint8Array;
  traceId?: Uint8Array;
}
export interface NumberDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  asDouble?: number | null;
  asInt?: Int64 | null;
  exemplars: Exemplar[];
  flags?: number;
}
export interface HistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  count?: Int64;
  sum?: number | null;
  bucketCounts: Int64[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  flags?: number;
  min?: number | null;
  max?: number | null;
}
export interface ExponentialHistogramBuckets { offset?: number; bucketCounts: Int64[] }
export interface ExponentialHistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  count?: Int64;
  sum?: number | null;
  scale?: number;
  zeroCount?: Int64;
  positive?: ExponentialHistogramBuckets | null;
  negative?: ExponentialHistogramBuckets | null;
  flags?: number;
  exemplars: Exemplar[];
  min?: number | null;
  max?: number | null;
  zeroThreshold?: number;
}
export interface SummaryQuantile { quantile?: number; value?: number }
export interface SummaryDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  count?: Int64;
  sum?: number;
  quantileValues: SummaryQuantile[];
  flags?: number;
}

/** The resources array type for each signal. */
export interface ResourcesOf {
  logs: ResourceLogs[];
  traces: ResourceSpans[];
  metrics: ResourceMetrics[];
}
