// OTTL's contexts (the Collector's ottlresource, ottlscope, ottllog, ottlspan, ottlspanevent,
// ottlmetric, ottldatapoint): which paths each level knows, their types, and how to read and set them.
import type {
  AnyValue,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  LogRecord,
  Metric,
  NumberDataPoint,
  Resource,
  Span,
  SpanEvent,
  SummaryDataPoint,
} from '../pdata/types.js';
import { isSet } from '../pdata/value.js';
import type { Ty, Value } from './values.js';
import { OList, OMap, OTime, bigIntToInt64, bigIntToUint64, fromAny, int64ToBigInt, ownArray, toAny } from './values.js';

/** `request` is the routing connector's: the request's metadata (headers), `request["X-Tenant"]`. */
export type ContextName = 'resource' | 'scope' | 'log' | 'span' | 'spanevent' | 'metric' | 'datapoint' | 'request';
export const CONTEXT_NAMES: readonly ContextName[] = ['resource', 'scope', 'log', 'span', 'spanevent', 'metric', 'datapoint'];

export type DataPoint = NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint;

/** What a statement runs against: the item of its context and the levels above it. */
export interface TCtx {
  /** ResourceLogs / ResourceSpans / ResourceMetrics. */
  readonly resources: { resource?: Resource | null; schemaUrl?: string };
  readonly scopes?: { scope?: InstrumentationScope | null; schemaUrl?: string };
  readonly log?: LogRecord;
  readonly span?: Span;
  readonly event?: SpanEvent;
  readonly eventIndex?: number;
  readonly metric?: Metric;
  readonly point?: DataPoint;
  /** The `cache` map: per item, from the first statement that touches it to the last. */
  cache?: KeyValue[];
  /** Request metadata, for the routing connector's `request` context. */
  readonly request?: Readonly<Record<string, readonly string[]>>;
}

/** A resolved path: its static type, a getter, and a setter when it can be set. */
export interface PathAccess {
  readonly ty: Ty;
  readonly get: (c: TCtx) => Value;
  readonly set?: (c: TCtx, v: Value) => void;
}

/** The contexts whose paths each context can reach (its own and the levels above). */
const REACHES: Readonly<Record<ContextName, readonly ContextName[]>> = {
  resource: ['resource'],
  scope: ['resource', 'scope'],
  log: ['resource', 'scope', 'log'],
  span: ['resource', 'scope', 'span'],
  spanevent: ['resource', 'scope', 'span', 'spanevent'],
  metric: ['resource', 'scope', 'metric'],
  datapoint: ['resource', 'scope', 'metric', 'datapoint'],
  request: ['request'],
};
export const reaches = (ctx: ContextName, other: ContextName): boolean => REACHES[ctx].includes(other);

/** A path's leading context name (`instrumentation_scope` is the older name of `scope`). */
export function contextOfName(name: string): ContextName | undefined {
  if (name === 'instrumentation_scope') return 'scope';
  return (CONTEXT_NAMES as readonly string[]).includes(name) ? (name as ContextName) : undefined;
}

// ---- building blocks

const must = <T>(x: T | undefined, what: string): T => {
  if (x === undefined) throw new Error(`OTTL: no ${what} in this context`);
  return x;
};

function resourceOf(c: TCtx): Resource {
  const h = c.resources;
  if (!h.resource) h.resource = { attributes: [] };
  return h.resource;
}
function scopeOf(c: TCtx): InstrumentationScope {
  const h = must(c.scopes, 'scope');
  if (!h.scope) h.scope = { attributes: [] };
  return h.scope;
}

function attributes(holder: (c: TCtx) => object): PathAccess {
  return {
    ty: 'map',
    get: (c) => new OMap(ownArray<KeyValue>(holder(c), 'attributes')),
    set: (c, v) => {
      if (v instanceof OMap) (holder(c) as { attributes: KeyValue[] }).attributes = (toAny(v).kvlistValue?.values ?? []) as KeyValue[];
    },
  };
}

type Rec = Record<string, unknown>;
function str(holder: (c: TCtx) => object, field: string): PathAccess {
  return {
    ty: 'string',
    get: (c) => ((holder(c) as Rec)[field] as string | undefined) ?? '',
    set: (c, v) => {
      if (typeof v === 'string') (holder(c) as Rec)[field] = v;
    },
  };
}
function int(holder: (c: TCtx) => object, field: string, unsigned = false): PathAccess {
  return {
    ty: 'int',
    get: (c) => int64ToBigInt((holder(c) as Rec)[field] as never),
    set: (c, v) => {
      if (typeof v === 'bigint') (holder(c) as Rec)[field] = unsigned ? bigIntToUint64(v) : bigIntToInt64(v);
    },
  };
}
/** A 32-bit field (severity_number, flags, kind, counts): a plain number. */
function int32(holder: (c: TCtx) => object, field: string): PathAccess {
  return {
    ty: 'int',
    get: (c) => BigInt(((holder(c) as Rec)[field] as number | undefined) ?? 0),
    set: (c, v) => {
      if (typeof v === 'bigint') (holder(c) as Rec)[field] = Number(BigInt.asIntN(32, v));
    },
  };
}
function float(holder: (c: TCtx) => object, field: string): PathAccess {
  return {
    ty: 'float',
    get: (c) => ((holder(c) as Rec)[field] as number | null | undefined) ?? 0,
    set: (c, v) => {
      if (typeof v === 'number') (holder(c) as Rec)[field] = v;
    },
  };
}
function time(holder: (c: TCtx) => object, field: string): PathAccess {
  return {
    ty: 'time',
    get: (c) => new OTime(int64ToBigInt((holder(c) as Rec)[field] as never)),
    set: (c, v) => {
      if (v instanceof OTime) (holder(c) as Rec)[field] = bigIntToUint64(v.ns);
    },
  };
}
function id(holder: (c: TCtx) => object, field: string, length: number, asString: boolean): PathAccess {
  const read = (c: TCtx): Uint8Array => {
    const b = (holder(c) as Rec)[field] as Uint8Array | undefined;
    return b && b.byteLength === length ? b : new Uint8Array(length);
  };
  if (asString) {
    return {
      ty: 'string',
      get: (c) => {
        const b = read(c);
        return b.every((x) => x === 0) ? '' : Buffer.from(b).toString('hex');
      },
      set: (c, v) => {
        if (typeof v === 'string' && new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(v)) (holder(c) as Rec)[field] = new Uint8Array(Buffer.from(v, 'hex'));
      },
    };
  }
  return {
    ty: 'bytes',
    get: read,
    set: (c, v) => {
      if (v instanceof Uint8Array && v.byteLength === length) (holder(c) as Rec)[field] = Uint8Array.from(v);
    },
  };
}
function list(holder: (c: TCtx) => object, field: string, kind: 'int' | 'float', unsigned = false): PathAccess {
  return {
    ty: 'list',
    get: (c) => {
      const xs = ((holder(c) as Rec)[field] as unknown[] | undefined) ?? [];
      return new OList(xs.map((x) => (kind === 'int' ? { intValue: bigIntToInt64(int64ToBigInt(x as never)) } : { doubleValue: x as number })));
    },
    set: (c, v) => {
      if (!(v instanceof OList)) return;
      (holder(c) as Rec)[field] = v.values.map((x) => {
        const y = fromAny(x);
        if (kind === 'int') return unsigned ? bigIntToUint64(typeof y === 'bigint' ? y : 0n) : bigIntToInt64(typeof y === 'bigint' ? y : 0n);
        return typeof y === 'number' ? y : typeof y === 'bigint' ? Number(y) : 0;
      });
    },
  };
}
const readOnly = (ty: Ty, get: (c: TCtx) => Value): PathAccess => ({ ty, get });

const cachePath: PathAccess = {
  ty: 'map',
  get: (c) => new OMap((c.cache ??= [])),
  set: (c, v) => {
    if (v instanceof OMap) c.cache = toAny(v).kvlistValue?.values ?? [];
  },
};

// ---- per context

const logOf = (c: TCtx): LogRecord => must(c.log, 'log record');
const spanOf = (c: TCtx): Span => must(c.span, 'span');
const eventOf = (c: TCtx): SpanEvent => must(c.event, 'span event');
const metricOf = (c: TCtx): Metric => must(c.metric, 'metric');
const pointOf = (c: TCtx): DataPoint => must(c.point, 'data point');

export const SPAN_KIND_NAMES = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const SPAN_KIND_ENUMS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];

/** METRIC_DATA_TYPE_* of a metric. */
export function metricType(m: Metric): number {
  if (isSet(m, 'gauge')) return 1;
  if (isSet(m, 'sum')) return 2;
  if (isSet(m, 'histogram')) return 3;
  if (isSet(m, 'exponentialHistogram')) return 4;
  if (isSet(m, 'summary')) return 5;
  return 0;
}
function metricData(m: Metric): { aggregationTemporality?: number; isMonotonic?: boolean } | undefined {
  return (m.sum ?? m.histogram ?? m.exponentialHistogram ?? undefined) as { aggregationTemporality?: number } | undefined;
}

const bodyPath: PathAccess = {
  ty: 'any',
  get: (c) => fromAny(logOf(c).body),
  set: (c, v) => {
    logOf(c).body = toAny(v);
  },
};

type Fields = Readonly<Record<string, PathAccess>>;

const RESOURCE: Fields = {
  attributes: attributes(resourceOf),
  dropped_attributes_count: int32(resourceOf, 'droppedAttributesCount'),
  schema_url: str((c) => c.resources, 'schemaUrl'),
};
const SCOPE: Fields = {
  name: str(scopeOf, 'name'),
  version: str(scopeOf, 'version'),
  attributes: attributes(scopeOf),
  dropped_attributes_count: int32(scopeOf, 'droppedAttributesCount'),
  schema_url: str((c) => must(c.scopes, 'scope'), 'schemaUrl'),
};
const LOG: Fields = {
  time_unix_nano: int(logOf, 'timeUnixNano', true),
  observed_time_unix_nano: int(logOf, 'observedTimeUnixNano', true),
  time: time(logOf, 'timeUnixNano'),
  observed_time: time(logOf, 'observedTimeUnixNano'),
  severity_number: int32(logOf, 'severityNumber'),
  severity_text: str(logOf, 'severityText'),
  body: bodyPath,
  'body.string': {
    ty: 'string',
    get: (c) => {
      const v = fromAny(logOf(c).body);
      return typeof v === 'string' ? v : v === null ? '' : JSON.stringify(v);
    },
    set: (c, v) => {
      if (typeof v === 'string') logOf(c).body = { stringValue: v };
    },
  },
  attributes: attributes(logOf),
  dropped_attributes_count: int32(logOf, 'droppedAttributesCount'),
  flags: int32(logOf, 'flags'),
  trace_id: id(logOf, 'traceId', 16, false),
  'trace_id.string': id(logOf, 'traceId', 16, true),
  span_id: id(logOf, 'spanId', 8, false),
  'span_id.string': id(logOf, 'spanId', 8, true),
  event_name: str(logOf, 'eventName'),
};
const statusOf = (c: TCtx): object => {
  const s = spanOf(c);
  if (!s.status) s.status = {};
  return s.status;
};
const SPAN: Fields = {
  trace_id: id(spanOf, 'traceId', 16, false),
  'trace_id.string': id(spanOf, 'traceId', 16, true),
  span_id: id(spanOf, 'spanId', 8, false),
  'span_id.string': id(spanOf, 'spanId', 8, true),
  parent_span_id: id(spanOf, 'parentSpanId', 8, false),
  'parent_span_id.string': id(spanOf, 'parentSpanId', 8, true),
  trace_state: str(spanOf, 'traceState'),
  name: str(spanOf, 'name'),
  kind: int32(spanOf, 'kind'),
  'kind.string': readOnly('string', (c) => SPAN_KIND_NAMES[spanOf(c).kind ?? 0] ?? ''),
  'kind.deprecated_string': readOnly('string', (c) => SPAN_KIND_ENUMS[spanOf(c).kind ?? 0] ?? ''),
  start_time_unix_nano: int(spanOf, 'startTimeUnixNano', true),
  end_time_unix_nano: int(spanOf, 'endTimeUnixNano', true),
  start_time: time(spanOf, 'startTimeUnixNano'),
  end_time: time(spanOf, 'endTimeUnixNano'),
  attributes: attributes(spanOf),
  dropped_attributes_count: int32(spanOf, 'droppedAttributesCount'),
  dropped_events_count: int32(spanOf, 'droppedEventsCount'),
  dropped_links_count: int32(spanOf, 'droppedLinksCount'),
  'status.code': int32(statusOf, 'code'),
  'status.message': str(statusOf, 'message'),
  flags: int32(spanOf, 'flags'),
};
const SPANEVENT: Fields = {
  time_unix_nano: int(eventOf, 'timeUnixNano', true),
  time: time(eventOf, 'timeUnixNano'),
  name: str(eventOf, 'name'),
  attributes: attributes(eventOf),
  dropped_attributes_count: int32(eventOf, 'droppedAttributesCount'),
  event_index: readOnly('int', (c) => BigInt(c.eventIndex ?? 0)),
};
const METRIC: Fields = {
  name: str(metricOf, 'name'),
  description: str(metricOf, 'description'),
  unit: str(metricOf, 'unit'),
  type: readOnly('int', (c) => BigInt(metricType(metricOf(c)))),
  aggregation_temporality: {
    ty: 'int',
    get: (c) => BigInt(metricData(metricOf(c))?.aggregationTemporality ?? 0),
    set: (c, v) => {
      const d = metricData(metricOf(c));
      if (d && typeof v === 'bigint') d.aggregationTemporality = Number(v);
    },
  },
  is_monotonic: {
    ty: 'bool',
    get: (c) => metricOf(c).sum?.isMonotonic ?? false,
    set: (c, v) => {
      const s = metricOf(c).sum;
      if (s && typeof v === 'boolean') s.isMonotonic = v;
    },
  },
  metadata: {
    ty: 'map',
    get: (c) => new OMap(ownArray<KeyValue>(metricOf(c), 'metadata')),
    set: (c, v) => {
      if (v instanceof OMap) metricOf(c).metadata = toAny(v).kvlistValue?.values ?? [];
    },
  },
};
const bucketsOf = (which: 'positive' | 'negative') => (c: TCtx): object => {
  const p = pointOf(c) as ExponentialHistogramDataPoint;
  if (!p[which]) p[which] = { bucketCounts: [] };
  return p[which] as object;
};
const DATAPOINT: Fields = {
  attributes: attributes(pointOf),
  start_time_unix_nano: int(pointOf, 'startTimeUnixNano', true),
  time_unix_nano: int(pointOf, 'timeUnixNano', true),
  start_time: time(pointOf, 'startTimeUnixNano'),
  time: time(pointOf, 'timeUnixNano'),
  value_double: {
    ty: 'float',
    get: (c) => ((pointOf(c) as NumberDataPoint).asDouble ?? 0),
    set: (c, v) => {
      if (typeof v !== 'number') return;
      const p = pointOf(c) as NumberDataPoint;
      p.asInt = null;
      p.asDouble = v;
    },
  },
  value_int: {
    ty: 'int',
    get: (c) => int64ToBigInt((pointOf(c) as NumberDataPoint).asInt),
    set: (c, v) => {
      if (typeof v !== 'bigint') return;
      const p = pointOf(c) as NumberDataPoint;
      p.asDouble = null;
      p.asInt = bigIntToInt64(v);
    },
  },
  flags: int32(pointOf, 'flags'),
  count: int(pointOf, 'count', true),
  sum: float(pointOf, 'sum'),
  bucket_counts: list(pointOf, 'bucketCounts', 'int', true),
  explicit_bounds: list(pointOf, 'explicitBounds', 'float'),
  scale: int32(pointOf, 'scale'),
  zero_count: int(pointOf, 'zeroCount', true),
  'positive.offset': int32(bucketsOf('positive'), 'offset'),
  'positive.bucket_counts': list(bucketsOf('positive'), 'bucketCounts', 'int', true),
  'negative.offset': int32(bucketsOf('negative'), 'offset'),
  'negative.bucket_counts': list(bucketsOf('negative'), 'bucketCounts', 'int', true),
};

const REQUEST: Fields = {
  // The first value of each header / gRPC metadata key (lower-cased, as receivers keep them).
  request: readOnly('map', (c) => new OMap(Object.entries(c.request ?? {}).map(([key, values]) => ({ key, value: { stringValue: values[0] ?? '' } })))),
};

const FIELDS: Readonly<Record<ContextName, Fields>> = { resource: RESOURCE, scope: SCOPE, log: LOG, span: SPAN, spanevent: SPANEVENT, metric: METRIC, datapoint: DATAPOINT, request: REQUEST };

/** The fields a context knows, for error messages. */
export function fieldNames(ctx: ContextName): string[] {
  return [...Object.keys(FIELDS[ctx]), 'cache'];
}

/** A field of `ctx` by its dotted name (`attributes`, `trace_id.string`, `cache`), or undefined. */
export function contextField(ctx: ContextName, dotted: string): PathAccess | undefined {
  if (dotted === 'cache') return cachePath;
  return FIELDS[ctx][dotted];
}

/** OTTL's enums (int64 values) by name. */
export const ENUMS: ReadonlyMap<string, bigint> = new Map<string, bigint>([
  ...['UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'INFO', 'INFO2', 'INFO3', 'INFO4', 'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3', 'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4'].map(
    (n, i) => [`SEVERITY_NUMBER_${n}`, BigInt(i)] as [string, bigint],
  ),
  ...SPAN_KIND_ENUMS.map((n, i) => [n, BigInt(i)] as [string, bigint]),
  ['STATUS_CODE_UNSET', 0n],
  ['STATUS_CODE_OK', 1n],
  ['STATUS_CODE_ERROR', 2n],
  ...['NONE', 'GAUGE', 'SUM', 'HISTOGRAM', 'EXPONENTIAL_HISTOGRAM', 'SUMMARY'].map((n, i) => [`METRIC_DATA_TYPE_${n}`, BigInt(i)] as [string, bigint]),
  ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 0n],
  ['AGGREGATION_TEMPORALITY_DELTA', 1n],
  ['AGGREGATION_TEMPORALITY_CUMULATIVE', 2n],
  ['FLAG_NONE', 0n],
  ['FLAG_NO_RECORDED_VALUE', 1n],
]);

export type { AnyValue };
