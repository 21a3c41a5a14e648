// `verbosity: normal`: about one line per item, as the Collector's debug exporter
// writes it (its internal/normal marshalers): a line per resource, scope and item.
import type { Batch } from '../../pdata/batch.js';
import type { InstrumentationScope, KeyValue, Metric, NumberDataPoint } from '../../pdata/types.js';
import { attributePairs, goFloat, idString, int64String, isSet, valueAsString } from './text.js';

/** ` k=v k2=v2`, or nothing without attributes. */
function attributesSuffix(attrs: readonly KeyValue[] | null | undefined): string {
  const pairs = attributePairs(attrs);
  return pairs.length > 0 ? ' ' + pairs.join(' ') : '';
}

function resourceLine(kind: string, i: number, schemaUrl: string | undefined, attrs: readonly KeyValue[] | null | undefined): string {
  return `${kind} #${i}${schemaUrl ? ` [${schemaUrl}]` : ''}${attributesSuffix(attrs)}`;
}

/** ` name@version [schema]`, each part only when set. */
function scopeLine(kind: string, j: number, scope: InstrumentationScope | null | undefined, schemaUrl: string | undefined): string {
  let details = scope?.name ?? '';
  if (scope?.version) details += '@' + scope.version;
  if (schemaUrl) details += (details ? ' ' : '') + `[${schemaUrl}]`;
  // The Collector numbers scope lines with the resource's index; we use the scope's own.
  return `${kind} #${j}${details ? ' ' + details : ''}${attributesSuffix(scope?.attributes)}`;
}

/** The normal text of a batch, one line per item, ending in a newline. */
export function normalText(batch: Batch): string {
  const out: string[] = [];
  switch (batch.signal) {
    case 'logs':
      batch.resources.forEach((rl, i) => {
        out.push(resourceLine('ResourceLog', i, rl.schemaUrl, rl.resource?.attributes));
        rl.scopeLogs.forEach((sl, j) => {
          out.push(scopeLine('ScopeLog', j, sl.scope, sl.schemaUrl));
          for (const lr of sl.logRecords) out.push(`${valueAsString(lr.body)} ${attributePairs(lr.attributes).join(' ')}`);
        });
      });
      break;
    case 'traces':
      batch.resources.forEach((rs, i) => {
        out.push(resourceLine('ResourceTraces', i, rs.schemaUrl, rs.resource?.attributes));
        rs.scopeSpans.forEach((ss, j) => {
          out.push(scopeLine('ScopeTraces', j, ss.scope, ss.schemaUrl));
          for (const span of ss.spans) out.push(`${span.name ?? ''} ${idString(span.traceId)} ${idString(span.spanId)}${attributesSuffix(span.attributes)}`);
        });
      });
      break;
    case 'metrics':
      batch.resources.forEach((rm, i) => {
        out.push(resourceLine('ResourceMetrics', i, rm.schemaUrl, rm.resource?.attributes));
        rm.scopeMetrics.forEach((sm, j) => {
          out.push(scopeLine('ScopeMetrics', j, sm.scope, sm.schemaUrl));
          for (const m of sm.metrics) out.push(...metricLines(m));
        });
      });
      break;
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

/** `name{k=v,k2=v2} value`, one per data point. */
function metricLines(m: Metric): string[] {
  const line = (attrs: readonly KeyValue[], value: string) => `${m.name ?? ''}{${attributePairs(attrs).join(',')}} ${value}`;
  const number = (p: NumberDataPoint) => line(p.attributes, isSet(p, 'asInt') ? int64String(p.asInt) : isSet(p, 'asDouble') ? goFloat(p.asDouble) : '');
  if (m.gauge) return m.gauge.dataPoints.map(number);
  if (m.sum) return m.sum.dataPoints.map(number);
  if (m.histogram) {
    return m.histogram.dataPoints.map((p) => {
      let value = `count=${int64String(p.count)}`;
      if (isSet(p, 'sum')) value += ` sum=${goFloat(p.sum)}`;
      if (isSet(p, 'min')) value += ` min=${goFloat(p.min)}`;
      if (isSet(p, 'max')) value += ` max=${goFloat(p.max)}`;
      p.bucketCounts.forEach((c, k) => {
        const bound = k < p.explicitBounds.length ? `le${goFloat(p.explicitBounds[k])}=` : '';
        value += ` ${bound}${int64String(c)}`;
      });
      return line(p.attributes, value);
    });
  }
  if (m.exponentialHistogram) {
    return m.exponentialHistogram.dataPoints.map((p) => {
      let value = `count=${int64String(p.count)}`;
      if (isSet(p, 'sum')) value += ` sum=${goFloat(p.sum)}`;
      if (isSet(p, 'min')) value += ` min=${goFloat(p.min)}`;
      if (isSet(p, 'max')) value += ` max=${goFloat(p.max)}`;
      return line(p.attributes, value);
    });
  }
  if (m.summary) {
    return m.summary.dataPoints.map((p) => {
      let value = `count=${int64String(p.count)} sum=${(p.sum ?? 0).toFixed(6)}`;
      for (const q of p.quantileValues) value += ` q${goFloat(q.quantile)}=${goFloat(q.value)}`;
      return line(p.attributes, value);
    });
  }
  return [];
}
