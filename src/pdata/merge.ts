// Merging and splitting batches at resource/scope level, without copying items:
// the batch processor appends incoming batches and cuts them at send_batch_max_size.
import type { Batch, BatchOf } from './batch.js';
import { makeBatch, metricPointCount } from './batch.js';
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  Metric,
  Resource,
  ResourceLogs,
  ResourceMetrics,
  ResourceSpans,
  ScopeLogs,
  ScopeMetrics,
  ScopeSpans,
  Signal,
} from './types.js';

/**
 * Append `batch`'s resources to `target` (same signal), by reference: nothing is
 * copied, so neither batch may be changed afterwards by anyone but the new owner.
 */
export function appendResources(target: Batch, batch: Batch): void {
  if (target.signal !== batch.signal) {
    throw new Error(`cannot append a ${batch.signal} batch to a ${target.signal} batch`);
  }
  // A loop, not push(...spread): a spread of a very large array overflows the stack.
  const into = target.resources as unknown[];
  for (const r of batch.resources) into.push(r);
}

/**
 * Cut a batch after its first `maxItems` items (log records, spans, metric data
 * points), keeping their order. Returns `[head, rest]`; `rest` is empty when the
 * batch fits. The input is not modified: whole resources, scopes and metrics are
 * shared by reference, and only the resource, scope or metric that straddles the
 * cut is rebuilt, appearing in both halves with the head getting copies of its
 * resource, scope and metric metadata (so a later change to one half never shows
 * in the other). Items themselves are never copied nor duplicated.
 */
export function splitBatch<B extends Batch>(batch: B, maxItems: number): [B, B] {
  if (!Number.isInteger(maxItems) || maxItems < 0) throw new RangeError(`maxItems must be a non-negative integer, got ${maxItems}`);
  const b = batch as Batch;
  switch (b.signal) {
    case 'logs': {
      const [head, rest] = splitTwoLevel<ResourceLogs, ScopeLogs>(b.resources, maxItems, logsShape);
      return pair(b, head, rest) as [B, B];
    }
    case 'traces': {
      const [head, rest] = splitTwoLevel<ResourceSpans, ScopeSpans>(b.resources, maxItems, tracesShape);
      return pair(b, head, rest) as [B, B];
    }
    case 'metrics': {
      const [head, rest] = splitTwoLevel<ResourceMetrics, ScopeMetrics>(b.resources, maxItems, metricsShape);
      return pair(b, head, rest) as [B, B];
    }
  }
}

function pair<S extends Signal>(b: BatchOf<S>, head: BatchOf<S>['resources'], rest: BatchOf<S>['resources']): [BatchOf<S>, BatchOf<S>] {
  return [makeBatch(b.signal as S, head, b.context), makeBatch(b.signal as S, rest, b.context)];
}

// ---- resource → scope → items (logs, traces; metrics cut their scopes by data point)

interface TwoLevelShape<R, S> {
  scopes(r: R): S[];
  withScopes(r: R, scopes: S[], copyResource: boolean): R;
  count(s: S): number;
  /** `s` cut after its first `k` items (0 < k < count): the head gets a copy of the scope. */
  cut(s: S, k: number): [S, S];
}

const logsShape: TwoLevelShape<ResourceLogs, ScopeLogs> = {
  scopes: (r) => r.scopeLogs,
  withScopes: (r, scopeLogs, copy) => ({ ...r, resource: copy ? cloneResource(r.resource) : r.resource, scopeLogs }),
  count: (s) => s.logRecords.length,
  cut: (s, k) => [
    { ...s, scope: cloneScope(s.scope), logRecords: s.logRecords.slice(0, k) },
    { ...s, logRecords: s.logRecords.slice(k) },
  ],
};

const tracesShape: TwoLevelShape<ResourceSpans, ScopeSpans> = {
  scopes: (r) => r.scopeSpans,
  withScopes: (r, scopeSpans, copy) => ({ ...r, resource: copy ? cloneResource(r.resource) : r.resource, scopeSpans }),
  count: (s) => s.spans.length,
  cut: (s, k) => [
    { ...s, scope: cloneScope(s.scope), spans: s.spans.slice(0, k) },
    { ...s, spans: s.spans.slice(k) },
  ],
};

function splitTwoLevel<R, S>(resources: readonly R[], maxItems: number, shape: TwoLevelShape<R, S>): [R[], R[]] {
  const head: R[] = [];
  const rest: R[] = [];
  let room = maxItems;
  let i = 0;
  // Whole resources while they fit (empty ones ride along with the head).
  for (; i < resources.length; i++) {
    const r = resources[i] as R;
    const n = shape.scopes(r).reduce((sum, s) => sum + shape.count(s), 0);
    if (n > room) break;
    head.push(r);
    room -= n;
  }
  if (i === resources.length) return [head, rest];
  if (room === 0) return [head, resources.slice(i)];

  // The resource that straddles the cut: its scopes before the cut go to the head.
  const r = resources[i] as R;
  const scopes = shape.scopes(r);
  const headScopes: S[] = [];
  let j = 0;
  for (; j < scopes.length; j++) {
    const n = shape.count(scopes[j] as S);
    if (n > room) break;
    headScopes.push(scopes[j] as S);
    room -= n;
  }
  const restScopes: S[] = [];
  if (room > 0) {
    // The scope that straddles the cut (j < scopes.length: the resource did not fit).
    const [h, t] = shape.cut(scopes[j] as S, room);
    headScopes.push(h);
    restScopes.push(t);
    j++;
  }
  for (; j < scopes.length; j++) restScopes.push(scopes[j] as S);
  head.push(shape.withScopes(r, headScopes, true));
  rest.push(shape.withScopes(r, restScopes, false));
  for (i++; i < resources.length; i++) rest.push(resources[i] as R);
  return [head, rest];
}

// ---- metrics: resource → scope → metric → data points

function scopeMetricsPoints(s: ScopeMetrics): number {
  let n = 0;
  for (const m of s.metrics) n += metricPointCount(m);
  return n;
}

const metricsShape: TwoLevelShape<ResourceMetrics, ScopeMetrics> = {
  scopes: (r) => r.scopeMetrics,
  withScopes: (r, scopeMetrics, copy) => ({ ...r, resource: copy ? cloneResource(r.resource) : r.resource, scopeMetrics }),
  count: scopeMetricsPoints,
  cut: (s, k) => {
    const [head, rest] = cutMetrics(s.metrics, k);
    return [
      { ...s, scope: cloneScope(s.scope), metrics: head },
      { ...s, metrics: rest },
    ];
  },
};

/**
 * Metrics cut after their first `k` data points; a metric that straddles the cut
 * appears in both halves with its name, unit, description and type. A metric with
 * no data points stays on the side of the cut where it stands.
 */
function cutMetrics(metrics: readonly Metric[], k: number): [Metric[], Metric[]] {
  const head: Metric[] = [];
  const rest: Metric[] = [];
  let pos = 0;
  for (const m of metrics) {
    const n = metricPointCount(m);
    const start = pos;
    pos += n;
    if (n === 0) (start < k ? head : rest).push(m);
    else if (pos <= k) head.push(m);
    else if (start >= k) rest.push(m);
    else {
      head.push(sliceMetric(m, 0, k - start, true));
      rest.push(sliceMetric(m, k - start, n, false));
    }
  }
  return [head, rest];
}

/** A metric with data points [from, to) of `m`, keeping its name, unit, description and type. */
function sliceMetric(m: Metric, from: number, to: number, copyMetadata: boolean): Metric {
  const out: Metric = { ...m };
  if (copyMetadata && m.metadata) out.metadata = m.metadata.map(cloneKeyValue);
  if (m.gauge) out.gauge = { ...m.gauge, dataPoints: m.gauge.dataPoints.slice(from, to) };
  else if (m.sum) out.sum = { ...m.sum, dataPoints: m.sum.dataPoints.slice(from, to) };
  else if (m.histogram) out.histogram = { ...m.histogram, dataPoints: m.histogram.dataPoints.slice(from, to) };
  else if (m.exponentialHistogram) out.exponentialHistogram = { ...m.exponentialHistogram, dataPoints: m.exponentialHistogram.dataPoints.slice(from, to) };
  else if (m.summary) out.summary = { ...m.summary, dataPoints: m.summary.dataPoints.slice(from, to) };
  return out;
}

// ---- copies of the small containers that end up in both halves

/** Set members only: a decoded message keeps its defaults (bytesValue [] …) on the prototype. */
const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

function cloneAnyValue(v: AnyValue): AnyValue {
  if (own(v, 'arrayValue') && v.arrayValue) return { arrayValue: { values: v.arrayValue.values.map(cloneAnyValue) } };
  if (own(v, 'kvlistValue') && v.kvlistValue) return { kvlistValue: { values: v.kvlistValue.values.map(cloneKeyValue) } };
  if (own(v, 'bytesValue') && v.bytesValue) return { bytesValue: v.bytesValue.slice() };
  // Scalars: the spread copies exactly the own (set) member.
  return { ...v };
}

function cloneKeyValue(kv: KeyValue): KeyValue {
  return kv.value ? { key: kv.key, value: cloneAnyValue(kv.value) } : { key: kv.key };
}

function cloneResource(r: Resource | null | undefined): Resource | null | undefined {
  if (!r) return r;
  const out: Resource = { ...r, attributes: (r.attributes ?? []).map(cloneKeyValue) };
  if (own(r, 'entityRefs') && r.entityRefs) out.entityRefs = r.entityRefs.map((e) => ({ ...e, idKeys: [...e.idKeys], descriptionKeys: [...e.descriptionKeys] }));
  return out;
}

function cloneScope(s: InstrumentationScope | null | undefined): InstrumentationScope | null | undefined {
  if (!s) return s;
  return { ...s, attributes: (s.attributes ?? []).map(cloneKeyValue) };
}
