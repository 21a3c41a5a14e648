// Unit tests for appendResources and splitBatch: every cut of every signal keeps
// each item exactly once, in order, under its own resource, scope and metric.
import { describe, expect, it } from 'vitest';
import type { Batch, LogsBatch, MetricsBatch, TracesBatch } from '../../src/pdata/batch.js';
import { countItems, makeBatch } from '../../src/pdata/batch.js';
import { appendResources, splitBatch } from '../../src/pdata/merge.js';
import { decodeExportRequest, encodeExportRequest } from '../../src/pdata/proto.js';
import { encodeJsonExportRequest } from '../../src/pdata/json.js';
import type { KeyValue, Metric, NumberDataPoint, ResourceLogs, ResourceMetrics, ResourceSpans } from '../../src/pdata/types.js';
import { str } from '../helpers/values.js';

const attr = (attrs: readonly KeyValue[] | undefined, key: string): string => String(attrs?.find((a) => a.key === key)?.value?.stringValue);

/** Resources r0..: resource i has scopes s0.. with shape[i][j] items each. */
function logs(shape: number[][]): LogsBatch {
  const resources: ResourceLogs[] = shape.map((scopes, r) => ({
    resource: { attributes: [str('service.name', `r${r}`)] },
    schemaUrl: `https://schema/r${r}`,
    scopeLogs: scopes.map((n, s) => ({
      scope: { name: `s${s}`, version: '1', attributes: [str('scope.attr', `r${r}s${s}`)] },
      schemaUrl: `https://schema/r${r}s${s}`,
      logRecords: Array.from({ length: n }, (_, i) => ({ body: { stringValue: `r${r}s${s}i${i}` }, attributes: [] })),
    })),
  }));
  return makeBatch('logs', resources, { clientAddress: '127.0.0.1' });
}

function traces(shape: number[][]): TracesBatch {
  const resources: ResourceSpans[] = shape.map((scopes, r) => ({
    resource: { attributes: [str('service.name', `r${r}`)] },
    scopeSpans: scopes.map((n, s) => ({
      scope: { name: `s${s}`, attributes: [] },
      spans: Array.from({ length: n }, (_, i) => ({
        traceId: new Uint8Array(16).fill(1),
        spanId: new Uint8Array(8).fill(i + 1),
        name: `r${r}s${s}i${i}`,
        attributes: [],
        events: [],
        links: [],
      })),
    })),
  }));
  return makeBatch('traces', resources);
}

const point = (id: string): NumberDataPoint => ({ attributes: [str('id', id)], asInt: 1, exemplars: [] });
const points = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => point(`${prefix}p${i}`));

/** Metrics: resource i, scope j holds metrics with shape[i][j][k] points, cycling through the five types. */
function metrics(shape: number[][][]): MetricsBatch {
  const resources: ResourceMetrics[] = shape.map((scopes, r) => ({
    resource: { attributes: [str('service.name', `r${r}`)] },
    scopeMetrics: scopes.map((ms, s) => ({
      scope: { name: `s${s}`, attributes: [] },
      metrics: ms.map((n, k): Metric => {
        const p = `r${r}s${s}m${k}`;
        const base = { name: `${p}`, unit: 'By', description: `metric ${p}`, metadata: [str('meta', p)] };
        switch (k % 5) {
          case 0:
            return { ...base, gauge: { dataPoints: points(p, n) } };
          case 1:
            return { ...base, sum: { dataPoints: points(p, n), aggregationTemporality: 2, isMonotonic: true } };
          case 2:
            return {
              ...base,
              histogram: {
                aggregationTemporality: 1,
                dataPoints: Array.from({ length: n }, (_, i) => ({ attributes: [str('id', `${p}p${i}`)], bucketCounts: [1], explicitBounds: [], exemplars: [] })),
              },
            };
          case 3:
            return {
              ...base,
              exponentialHistogram: {
                aggregationTemporality: 1,
                dataPoints: Array.from({ length: n }, (_, i) => ({ attributes: [str('id', `${p}p${i}`)], exemplars: [] })),
              },
            };
          default:
            return { ...base, summary: { dataPoints: Array.from({ length: n }, (_, i) => ({ attributes: [str('id', `${p}p${i}`)], quantileValues: [] })) } };
        }
      }),
    })),
  }));
  return makeBatch('metrics', resources);
}

function metricPoints(m: Metric): { attributes: KeyValue[] }[] {
  return m.gauge?.dataPoints ?? m.sum?.dataPoints ?? m.histogram?.dataPoints ?? m.exponentialHistogram?.dataPoints ?? m.summary?.dataPoints ?? [];
}

/** Every item as "resource/scope/item", checking it sits under the resource and scope it was created in. */
function flatten(batch: Batch): string[] {
  const out: string[] = [];
  switch (batch.signal) {
    case 'logs':
      for (const r of batch.resources)
        for (const s of r.scopeLogs)
          for (const l of s.logRecords) {
            const id = String(l.body?.stringValue);
            expect(id.startsWith(`${attr(r.resource?.attributes, 'service.name')}${s.scope?.name}`)).toBe(true);
            expect(attr(s.scope?.attributes, 'scope.attr')).toBe(id.slice(0, id.indexOf('i')));
            out.push(id);
          }
      return out;
    case 'traces':
      for (const r of batch.resources)
        for (const s of r.scopeSpans)
          for (const sp of s.spans) {
            expect(sp.name.startsWith(`${attr(r.resource?.attributes, 'service.name')}${s.scope?.name}`)).toBe(true);
            out.push(sp.name);
          }
      return out;
    case 'metrics':
      for (const r of batch.resources)
        for (const s of r.scopeMetrics)
          for (const m of s.metrics)
            for (const p of metricPoints(m)) {
              const id = attr(p.attributes, 'id');
              expect(id.startsWith(`${attr(r.resource?.attributes, 'service.name')}${s.scope?.name}${m.name.slice(m.name.indexOf('m'))}`)).toBe(true);
              expect(id.startsWith(`${m.name}p`)).toBe(true);
              out.push(id);
            }
      return out;
  }
}

function scopesOf(batch: Batch): number {
  switch (batch.signal) {
    case 'logs':
      return batch.resources.reduce((n, r) => n + r.scopeLogs.length, 0);
    case 'traces':
      return batch.resources.reduce((n, r) => n + r.scopeSpans.length, 0);
    case 'metrics':
      return batch.resources.reduce((n, r) => n + r.scopeMetrics.length, 0);
  }
}

const fixtures: Record<string, () => Batch> = {
  logs: () => logs([[3, 2], [1], [4, 1, 2]]),
  traces: () => traces([[2], [3, 3], [1, 1]]),
  metrics: () => metrics([[[2, 3], [1]], [[4, 1, 2, 3, 2]], [[1, 1]]]),
};

describe('appendResources', () => {
  it('appends the resources by reference, in order', () => {
    const a = logs([[1]]);
    const b = logs([[2], [1]]);
    const first = a.resources[0];
    appendResources(a, b);
    expect(a.resources).toHaveLength(3);
    expect(a.resources[0]).toBe(first);
    expect(a.resources[1]).toBe(b.resources[0]);
    expect(a.resources[2]).toBe(b.resources[1]);
    expect(countItems(a)).toBe(4);
  });

  it('refuses to mix signals', () => {
    expect(() => appendResources(logs([[1]]), traces([[1]]))).toThrow(/traces batch to a logs batch/);
  });
});

describe.each(Object.keys(fixtures))('splitBatch (%s)', (signal) => {
  const make = fixtures[signal] as () => Batch;

  it('keeps every item exactly once and in order, for every cut', () => {
    const original = make();
    const all = flatten(original);
    const snapshot = JSON.stringify(original);
    for (let k = 0; k <= all.length + 1; k++) {
      const [head, rest] = splitBatch(original, k);
      expect(head.signal).toBe(signal);
      expect(rest.signal).toBe(signal);
      expect(flatten(head)).toEqual(all.slice(0, k));
      expect(flatten(rest)).toEqual(all.slice(k));
      expect(countItems(head)).toBe(Math.min(k, all.length));
      // At most one resource and one scope are cut, so at most one of each is duplicated.
      expect(head.resources.length + rest.resources.length).toBeLessThanOrEqual(original.resources.length + 1);
      expect(scopesOf(head) + scopesOf(rest)).toBeLessThanOrEqual(scopesOf(original) + 1);
      expect(head.context).toBe(original.context);
      expect(rest.context).toBe(original.context);
    }
    // The input is untouched.
    expect(JSON.stringify(original)).toBe(snapshot);
  });

  it('chunks a batch into pieces of at most N items', () => {
    const original = make();
    const all = flatten(original);
    let rest = original;
    const seen: string[] = [];
    let chunks = 0;
    while (countItems(rest) > 0) {
      const [head, next] = splitBatch(rest, 4);
      expect(countItems(head)).toBe(Math.min(4, countItems(rest)));
      seen.push(...flatten(head));
      rest = next;
      chunks++;
    }
    expect(seen).toEqual(all);
    expect(chunks).toBe(Math.ceil(all.length / 4));
  });

  it('returns the whole batch as head when it fits', () => {
    const original = make();
    const [head, rest] = splitBatch(original, countItems(original));
    expect(head.resources).toHaveLength(original.resources.length);
    head.resources.forEach((r, i) => expect(r).toBe(original.resources[i]));
    expect(rest.resources).toEqual([]);
  });

  it('rejects a negative or fractional size', () => {
    expect(() => splitBatch(make(), -1)).toThrow(RangeError);
    expect(() => splitBatch(make(), 1.5)).toThrow(RangeError);
  });
});

describe('splitBatch at resource and scope boundaries', () => {
  it('shares whole resources and copies nothing at a resource boundary', () => {
    const original = logs([[3, 2], [1], [4]]);
    const [head, rest] = splitBatch(original, 5);
    expect(head.resources).toHaveLength(1);
    expect(head.resources[0]).toBe(original.resources[0]);
    expect(rest.resources[0]).toBe(original.resources[1]);
    expect(rest.resources[1]).toBe(original.resources[2]);
  });

  it('shares whole scopes and copies the resource at a scope boundary', () => {
    const original = logs([[3, 2]]);
    const [head, rest] = splitBatch(original, 3);
    const [h, t] = [head.resources[0] as ResourceLogs, rest.resources[0] as ResourceLogs];
    expect(h.scopeLogs[0]).toBe(original.resources[0]?.scopeLogs[0]);
    expect(t.scopeLogs[0]).toBe(original.resources[0]?.scopeLogs[1]);
    expect(h.resource).not.toBe(t.resource);
    expect(h.resource).toEqual(t.resource);
    expect(h.schemaUrl).toBe('https://schema/r0');
    expect(t.schemaUrl).toBe('https://schema/r0');
  });

  it('cuts inside a scope: both halves carry the resource, the scope and their schema URLs, as separate objects', () => {
    const original = logs([[5]]);
    const [head, rest] = splitBatch(original, 2);
    const [h, t] = [head.resources[0] as ResourceLogs, rest.resources[0] as ResourceLogs];
    expect(h.scopeLogs[0]?.logRecords).toHaveLength(2);
    expect(t.scopeLogs[0]?.logRecords).toHaveLength(3);
    expect(h.scopeLogs[0]?.scope).toEqual(t.scopeLogs[0]?.scope);
    expect(h.scopeLogs[0]?.scope).not.toBe(t.scopeLogs[0]?.scope);
    expect(h.scopeLogs[0]?.schemaUrl).toBe('https://schema/r0s0');
    expect(t.scopeLogs[0]?.schemaUrl).toBe('https://schema/r0s0');
    // Changing one half's resource or scope does not show in the other.
    h.resource?.attributes.push(str('added', 'x'));
    (h.scopeLogs[0]?.scope?.attributes[0]?.value ?? {}).stringValue = 'changed';
    expect(t.resource?.attributes).toHaveLength(1);
    expect(attr(t.scopeLogs[0]?.scope?.attributes, 'scope.attr')).toBe('r0s0');
    expect(original.resources[0]?.resource?.attributes).toHaveLength(1);
    // Items are shared, never copied.
    expect(h.scopeLogs[0]?.logRecords[0]).toBe(original.resources[0]?.scopeLogs[0]?.logRecords[0]);
    expect(t.scopeLogs[0]?.logRecords[0]).toBe(original.resources[0]?.scopeLogs[0]?.logRecords[2]);
  });

  it('keeps empty resources and scopes on their side of the cut', () => {
    const original = logs([[0], [2, 0, 2], [0]]);
    const [head, rest] = splitBatch(original, 3);
    expect(flatten(head)).toEqual(['r1s0i0', 'r1s0i1', 'r1s2i0']);
    expect(flatten(rest)).toEqual(['r1s2i1']);
    expect(head.resources[0]).toBe(original.resources[0]);
    expect(rest.resources.at(-1)).toBe(original.resources[2]);
  });
});

describe('splitBatch of metrics at data-point level', () => {
  it('a metric cut in two keeps its name, unit, description, type and temporality on both sides', () => {
    const original = metrics([[[2, 5]]]);
    const [head, rest] = splitBatch(original, 4);
    const hm = head.resources[0]?.scopeMetrics[0]?.metrics ?? [];
    const tm = rest.resources[0]?.scopeMetrics[0]?.metrics ?? [];
    expect(hm).toHaveLength(2);
    expect(tm).toHaveLength(1);
    const [h, t] = [hm[1] as Metric, tm[0] as Metric];
    for (const m of [h, t]) {
      expect(m.name).toBe('r0s0m1');
      expect(m.unit).toBe('By');
      expect(m.description).toBe('metric r0s0m1');
      expect(m.sum?.aggregationTemporality).toBe(2);
      expect(m.sum?.isMonotonic).toBe(true);
      expect(attr(m.metadata, 'meta')).toBe('r0s0m1');
    }
    expect(h.sum?.dataPoints.map((p) => attr(p.attributes, 'id'))).toEqual(['r0s0m1p0', 'r0s0m1p1']);
    expect(t.sum?.dataPoints.map((p) => attr(p.attributes, 'id'))).toEqual(['r0s0m1p2', 'r0s0m1p3', 'r0s0m1p4']);
    expect(h.metadata).not.toBe(t.metadata);
    // The first metric fitted whole: shared, not rebuilt.
    expect(hm[0]).toBe(original.resources[0]?.scopeMetrics[0]?.metrics[0]);
    // The original metric still has all its points.
    expect(original.resources[0]?.scopeMetrics[0]?.metrics[1]?.sum?.dataPoints).toHaveLength(5);
  });

  it.each([
    ['gauge', 0],
    ['sum', 1],
    ['histogram', 2],
    ['exponentialHistogram', 3],
    ['summary', 4],
  ] as const)('cuts a %s metric', (type, index) => {
    const shape = [0, 0, 0, 0, 0];
    shape[index] = 3;
    const original = metrics([[shape]]);
    const [head, rest] = splitBatch(original, 1);
    const h = head.resources[0]?.scopeMetrics[0]?.metrics.find((m) => metricPoints(m).length > 0) as Metric;
    const t = rest.resources[0]?.scopeMetrics[0]?.metrics.find((m) => metricPoints(m).length > 0) as Metric;
    expect(h[type]).toBeTruthy();
    expect(t[type]).toBeTruthy();
    expect(metricPoints(h)).toHaveLength(1);
    expect(metricPoints(t)).toHaveLength(2);
    expect(h.name).toBe(t.name);
    if (type === 'histogram' || type === 'exponentialHistogram') {
      expect(h[type]?.aggregationTemporality).toBe(1);
      expect(t[type]?.aggregationTemporality).toBe(1);
    }
    // Metrics with no points before the cut stay in the head, those after it in the rest.
    expect(head.resources[0]?.scopeMetrics[0]?.metrics).toHaveLength(index + 1);
    expect(rest.resources[0]?.scopeMetrics[0]?.metrics).toHaveLength(5 - index);
  });
});

describe('splitBatch of decoded protobuf messages', () => {
  /** Typed attribute values of every kind, for the copy made at the cut to carry over. */
  const attrs: KeyValue[] = [
    { key: 's', value: { stringValue: 'text' } },
    { key: 'i', value: { intValue: 42 } },
    { key: 'd', value: { doubleValue: 2.5 } },
    { key: 'b', value: { boolValue: false } },
    { key: 'y', value: { bytesValue: Uint8Array.from([1, 2]) } },
    { key: 'a', value: { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'x' }] } } },
    { key: 'm', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }] } } },
  ];

  /** Each resource's attributes as OTLP/JSON, keyed by its service.name. */
  function resourceAttributes(batch: Batch): Map<string, string> {
    const out = new Map<string, string>();
    for (const r of batch.resources) {
      const one = makeBatch(batch.signal, [r] as never) as Batch;
      const parsed = JSON.parse(encodeJsonExportRequest(one.signal, one.resources as never)) as Record<string, { resource?: { attributes?: unknown[] } }[]>;
      const attributes = Object.values(parsed)[0]?.[0]?.resource?.attributes ?? [];
      out.set(attr(r.resource?.attributes, 'service.name'), JSON.stringify(attributes));
    }
    return out;
  }

  it.each(['logs', 'traces', 'metrics'] as const)('the halves of a decoded %s batch re-encode to exactly the original data', (signal) => {
    const source = (fixtures[signal] as () => Batch)();
    for (const r of source.resources) r.resource?.attributes.push(...attrs);
    const decoded = makeBatch(signal, decodeExportRequest(signal, encodeExportRequest(signal, source.resources as never)) as never) as Batch;
    const original = resourceAttributes(decoded);
    const total = countItems(decoded);
    for (let k = 1; k < total; k++) {
      const [head, rest] = splitBatch(decoded, k);
      // Each half goes through the wire format and back, then the halves are joined again.
      const joined = makeBatch(signal, [] as never) as Batch;
      for (const half of [head, rest]) {
        for (const [name, json] of resourceAttributes(half)) expect(json).toBe(original.get(name));
        appendResources(joined, makeBatch(signal, decodeExportRequest(signal, encodeExportRequest(signal, half.resources as never)) as never) as Batch);
      }
      expect(flatten(joined)).toEqual(flatten(decoded));
    }
  });
});
