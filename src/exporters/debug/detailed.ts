// `verbosity: detailed`: every field of every item, laid out line for line as the
// Collector's debug exporter prints it (its internal/otlptext marshalers).
import type { Batch } from '../../pdata/batch.js';
import type {
  Exemplar,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  InstrumentationScope,
  Int64,
  KeyValue,
  Metric,
  NumberDataPoint,
  Resource,
  SpanEvent,
  SpanLink,
  SummaryDataPoint,
} from '../../pdata/types.js';
import {
  fixed6,
  idString,
  int64String,
  isSet,
  severityName,
  spanKindName,
  statusCodeName,
  temporalityName,
  timestampString,
  valueToString,
} from './text.js';

class Lines {
  readonly out: string[] = [];

  add(line: string): void {
    this.out.push(line);
  }

  /** `    Name           : value`, the span field layout (Go's `%-15s`). */
  field(name: string, value: string): void {
    this.out.push(`    ${name.padEnd(15)}: ${value}`);
  }

  /** A header and its `-> key: Type(value)` lines; a header like `     -> Attributes` indents them further. */
  attributes(header: string, attrs: readonly KeyValue[] | null | undefined): void {
    if (!attrs || attrs.length === 0) return;
    this.out.push(`${header}:`);
    const arrow = header.indexOf('->');
    const prefix = (arrow >= 0 ? header.slice(0, arrow) : '') + '     ->';
    for (const kv of attrs) this.out.push(`${prefix} ${kv.key}: ${valueToString(kv.value)}`);
  }

  resource(r: Resource | null | undefined, schemaUrl: string | undefined): void {
    this.add(`Resource SchemaURL: ${schemaUrl ?? ''}`);
    this.attributes('Resource attributes', r?.attributes);
    const refs = r?.entityRefs ?? [];
    if (refs.length === 0) return;
    this.add('Resource entity refs:');
    refs.forEach((ref, i) => {
      this.add(`     -> Entity ref #${i}:`);
      this.add(`          -> Type: ${ref.type ?? ''}`);
      if (ref.schemaUrl) this.add(`          -> Schema URL: ${ref.schemaUrl}`);
      if (ref.idKeys.length > 0) {
        this.add('          -> ID keys:');
        for (const k of ref.idKeys) this.add(`               -> ${k}`);
      }
      if (ref.descriptionKeys.length > 0) {
        this.add('          -> Description keys:');
        for (const k of ref.descriptionKeys) this.add(`               -> ${k}`);
      }
    });
  }

  scope(kind: string, s: InstrumentationScope | null | undefined, schemaUrl: string | undefined): void {
    this.add(`${kind} SchemaURL: ${schemaUrl ?? ''}`);
    this.add(`InstrumentationScope ${s?.name ?? ''} ${s?.version ?? ''}`);
    this.attributes('InstrumentationScope attributes', s?.attributes);
  }

  text(): string {
    return this.out.length === 0 ? '' : this.out.join('\n') + '\n';
  }
}

/** The detailed text of a batch, one line per field, ending in a newline. */
export function detailedText(batch: Batch): string {
  const b = new Lines();
  switch (batch.signal) {
    case 'logs':
      batch.resources.forEach((rl, i) => {
        b.add(`ResourceLog #${i}`);
        b.resource(rl.resource, rl.schemaUrl);
        rl.scopeLogs.forEach((sl, j) => {
          b.add(`ScopeLogs #${j}`);
          b.scope('ScopeLogs', sl.scope, sl.schemaUrl);
          sl.logRecords.forEach((lr, k) => {
            b.add(`LogRecord #${k}`);
            b.add(`ObservedTimestamp: ${timestampString(lr.observedTimeUnixNano)}`);
            b.add(`Timestamp: ${timestampString(lr.timeUnixNano)}`);
            b.add(`SeverityText: ${lr.severityText ?? ''}`);
            b.add(`SeverityNumber: ${severityName(lr.severityNumber)}(${lr.severityNumber ?? 0})`);
            if (lr.eventName) b.add(`EventName: ${lr.eventName}`);
            b.add(`Body: ${valueToString(lr.body)}`);
            b.attributes('Attributes', lr.attributes);
            b.add(`Trace ID: ${idString(lr.traceId)}`);
            b.add(`Span ID: ${idString(lr.spanId)}`);
            b.add(`Flags: ${lr.flags ?? 0}`);
          });
        });
      });
      break;
    case 'traces':
      batch.resources.forEach((rs, i) => {
        b.add(`ResourceSpans #${i}`);
        b.resource(rs.resource, rs.schemaUrl);
        rs.scopeSpans.forEach((ss, j) => {
          b.add(`ScopeSpans #${j}`);
          b.scope('ScopeSpans', ss.scope, ss.schemaUrl);
          ss.spans.forEach((span, k) => {
            b.add(`Span #${k}`);
            b.field('Trace ID', idString(span.traceId));
            b.field('Parent ID', idString(span.parentSpanId));
            b.field('ID', idString(span.spanId));
            b.field('Name', span.name ?? '');
            b.field('Kind', spanKindName(span.kind));
            if (span.traceState) b.field('TraceState', span.traceState);
            b.field('Start time', timestampString(span.startTimeUnixNano));
            b.field('End time', timestampString(span.endTimeUnixNano));
            b.field('Status code', statusCodeName(span.status?.code));
            b.field('Status message', span.status?.message ?? '');
            b.field('DroppedAttributesCount', String(span.droppedAttributesCount ?? 0));
            b.field('DroppedEventsCount', String(span.droppedEventsCount ?? 0));
            b.field('DroppedLinksCount', String(span.droppedLinksCount ?? 0));
            b.attributes('Attributes', span.attributes);
            events(b, span.events);
            links(b, span.links);
          });
        });
      });
      break;
    case 'metrics':
      batch.resources.forEach((rm, i) => {
        b.add(`ResourceMetrics #${i}`);
        b.resource(rm.resource, rm.schemaUrl);
        rm.scopeMetrics.forEach((sm, j) => {
          b.add(`ScopeMetrics #${j}`);
          b.scope('ScopeMetrics', sm.scope, sm.schemaUrl);
          sm.metrics.forEach((m, k) => {
            b.add(`Metric #${k}`);
            metric(b, m);
          });
        });
      });
      break;
  }
  return b.text();
}

function events(b: Lines, list: readonly SpanEvent[] | null | undefined): void {
  if (!list || list.length === 0) return;
  b.add('Events:');
  list.forEach((e, i) => {
    b.add(`SpanEvent #${i}`);
    b.add(`     -> Name: ${e.name ?? ''}`);
    b.add(`     -> Timestamp: ${timestampString(e.timeUnixNano)}`);
    b.add(`     -> DroppedAttributesCount: ${e.droppedAttributesCount ?? 0}`);
    b.attributes('     -> Attributes:', e.attributes);
  });
}

function links(b: Lines, list: readonly SpanLink[] | null | undefined): void {
  if (!list || list.length === 0) return;
  b.add('Links:');
  list.forEach((l, i) => {
    b.add(`SpanLink #${i}`);
    b.add(`     -> Trace ID: ${idString(l.traceId)}`);
    b.add(`     -> ID: ${idString(l.spanId)}`);
    b.add(`     -> TraceState: ${l.traceState ?? ''}`);
    b.add(`     -> DroppedAttributesCount: ${l.droppedAttributesCount ?? 0}`);
    b.attributes('     -> Attributes:', l.attributes);
  });
}

function metricType(m: Metric): string {
  if (m.gauge) return 'Gauge';
  if (m.sum) return 'Sum';
  if (m.histogram) return 'Histogram';
  if (m.exponentialHistogram) return 'ExponentialHistogram';
  if (m.summary) return 'Summary';
  return 'Empty';
}

function metric(b: Lines, m: Metric): void {
  b.add('Descriptor:');
  b.add(`     -> Name: ${m.name ?? ''}`);
  b.add(`     -> Description: ${m.description ?? ''}`);
  b.add(`     -> Unit: ${m.unit ?? ''}`);
  b.add(`     -> DataType: ${metricType(m)}`);
  b.attributes('     -> Metadata', m.metadata);
  if (m.gauge) numberPoints(b, m.gauge.dataPoints);
  else if (m.sum) {
    b.add(`     -> IsMonotonic: ${m.sum.isMonotonic === true}`);
    b.add(`     -> AggregationTemporality: ${temporalityName(m.sum.aggregationTemporality)}`);
    numberPoints(b, m.sum.dataPoints);
  } else if (m.histogram) {
    b.add(`     -> AggregationTemporality: ${temporalityName(m.histogram.aggregationTemporality)}`);
    m.histogram.dataPoints.forEach((p, i) => histogramPoint(b, p, i));
  } else if (m.exponentialHistogram) {
    b.add(`     -> AggregationTemporality: ${temporalityName(m.exponentialHistogram.aggregationTemporality)}`);
    m.exponentialHistogram.dataPoints.forEach((p, i) => exponentialPoint(b, p, i));
  } else if (m.summary) m.summary.dataPoints.forEach((p, i) => summaryPoint(b, p, i));
}


function pointHeader(b: Lines, kind: string, i: number, p: { attributes: KeyValue[]; startTimeUnixNano?: Int64; timeUnixNano?: Int64 }): void {
  b.add(`${kind} #${i}`);
  b.attributes('Data point attributes', p.attributes);
  b.add(`StartTimestamp: ${timestampString(p.startTimeUnixNano)}`);
  b.add(`Timestamp: ${timestampString(p.timeUnixNano)}`);
}

function numberPoints(b: Lines, points: readonly NumberDataPoint[]): void {
  points.forEach((p, i) => {
    pointHeader(b, 'NumberDataPoints', i, p);
    if (isSet(p, 'asInt')) b.add(`Value: ${int64String(p.asInt)}`);
    else if (isSet(p, 'asDouble')) b.add(`Value: ${fixed6(p.asDouble)}`);
    exemplars(b, p.exemplars);
  });
}

function histogramPoint(b: Lines, p: HistogramDataPoint, i: number): void {
  pointHeader(b, 'HistogramDataPoints', i, p);
  b.add(`Count: ${int64String(p.count)}`);
  if (isSet(p, 'sum')) b.add(`Sum: ${fixed6(p.sum)}`);
  if (isSet(p, 'min')) b.add(`Min: ${fixed6(p.min)}`);
  if (isSet(p, 'max')) b.add(`Max: ${fixed6(p.max)}`);
  p.explicitBounds.forEach((bound, j) => b.add(`ExplicitBounds #${j}: ${fixed6(bound)}`));
  p.bucketCounts.forEach((c, j) => b.add(`Buckets #${j}, Count: ${int64String(c)}`));
  exemplars(b, p.exemplars);
}

function exponentialPoint(b: Lines, p: ExponentialHistogramDataPoint, i: number): void {
  pointHeader(b, 'ExponentialHistogramDataPoints', i, p);
  b.add(`Count: ${int64String(p.count)}`);
  if (isSet(p, 'sum')) b.add(`Sum: ${fixed6(p.sum)}`);
  if (isSet(p, 'min')) b.add(`Min: ${fixed6(p.min)}`);
  if (isSet(p, 'max')) b.add(`Max: ${fixed6(p.max)}`);
  // Bucket index i covers (base^i, base^(i+1)] with base = 2^(2^-scale).
  const factor = Math.LN2 * Math.pow(2, -(p.scale ?? 0));
  const neg = p.negative?.bucketCounts ?? [];
  const negOffset = p.negative?.offset ?? 0;
  for (let j = 0; j < neg.length; j++) {
    const pos = neg.length - j - 1;
    const index = negOffset + pos;
    const lower = Math.exp(index * factor);
    const upper = Math.exp((index + 1) * factor);
    b.add(`Bucket [${fixed6(-upper)}, ${fixed6(-lower)}), Count: ${int64String(neg[pos])}`);
  }
  const zero = int64String(p.zeroCount);
  if (zero !== '0') b.add(`Bucket [0, 0], Count: ${zero}`);
  const posCounts = p.positive?.bucketCounts ?? [];
  const posOffset = p.positive?.offset ?? 0;
  posCounts.forEach((c, j) => {
    const index = posOffset + j;
    b.add(`Bucket (${fixed6(Math.exp(index * factor))}, ${fixed6(Math.exp((index + 1) * factor))}], Count: ${int64String(c)}`);
  });
  exemplars(b, p.exemplars);
}

function summaryPoint(b: Lines, p: SummaryDataPoint, i: number): void {
  pointHeader(b, 'SummaryDataPoints', i, p);
  b.add(`Count: ${int64String(p.count)}`);
  b.add(`Sum: ${fixed6(p.sum)}`);
  p.quantileValues.forEach((q, j) => b.add(`QuantileValue #${j}: Quantile ${fixed6(q.quantile)}, Value ${fixed6(q.value)}`));
}

function exemplars(b: Lines, list: readonly Exemplar[] | null | undefined): void {
  if (!list || list.length === 0) return;
  b.add('Exemplars:');
  list.forEach((e, i) => {
    b.add(`Exemplar #${i}`);
    b.add(`     -> Trace ID: ${idString(e.traceId)}`);
    b.add(`     -> Span ID: ${idString(e.spanId)}`);
    b.add(`     -> Timestamp: ${timestampString(e.timeUnixNano)}`);
    if (isSet(e, 'asInt')) b.add(`     -> Value: ${int64String(e.asInt)}`);
    else if (isSet(e, 'asDouble')) b.add(`     -> Value: ${fixed6(e.asDouble)}`);
    b.attributes('     -> FilteredAttributes', e.filteredAttributes);
  });
}
