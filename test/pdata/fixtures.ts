// Builders of realistic OTLP data for tests: each returns a resources array exactly as
// decodeExportRequest produces it (built by hand, encoded, decoded), deterministic for a given n.
import { decodeExportRequest, encodeExportRequest } from '../../src/pdata/proto.js';
import type { KeyValue, ResourceLogs, ResourceMetrics, ResourceSpans, ResourcesOf, Signal } from '../../src/pdata/types.js';

/** 2023-11-14T22:13:20.123456789Z in nanoseconds: beyond 2^53, so only exact handling keeps it. */
export const T0 = 1_700_000_000_123_456_789n;

/** Nanoseconds as the decimal string an int64 field is written in. */
export function ns(offset: number | bigint = 0): string {
  return (T0 + BigInt(offset)).toString();
}

/** A deterministic 16-byte trace id (hex) for item i. */
export function traceIdHex(i: number): string {
  return (0x0af7651916cd43ddn * 0x10000000000000000n + 0x8448eb211c80319cn + BigInt(i)).toString(16).padStart(32, '0');
}

/** A deterministic 8-byte span id (hex) for item i. */
export function spanIdHex(i: number): string {
  return (0xb7ad6b7169203331n + BigInt(i)).toString(16).padStart(16, '0');
}

function id(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

function roundTrip<S extends Signal>(signal: S, resources: unknown[]): ResourcesOf[S] {
  return decodeExportRequest(signal, encodeExportRequest(signal, resources as ResourcesOf[S]));
}

function resource(r: number): { attributes: KeyValue[]; droppedAttributesCount: number } {
  return {
    attributes: [
      { key: 'service.name', value: { stringValue: `checkout-${r}` } },
      { key: 'service.instance.id', value: { stringValue: `instance-${r}` } },
      { key: 'host.name', value: { stringValue: 'node-7' } },
    ],
    droppedAttributesCount: 0,
  };
}

function split(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  return Array.from({ length: parts }, (_, p) => base + (p < n % parts ? 1 : 0));
}

/**
 * `n` log records with a body, six attributes of mixed types, trace context and exact
 * nanosecond timestamps, spread over `resources` resources (one scope each).
 */
export function makeLogs(n: number, { resources = 1 }: { resources?: number } = {}): ResourceLogs[] {
  let i = 0;
  const out = split(n, resources).map((count, r) => {
    const logRecords = [];
    for (let k = 0; k < count; k++, i++) {
      logRecords.push({
        timeUnixNano: ns(i * 1000),
        observedTimeUnixNano: ns(i * 1000 + 7),
        severityNumber: [9, 13, 17, 5][i % 4],
        severityText: ['INFO', 'WARN', 'ERROR', 'DEBUG'][i % 4],
        body: { stringValue: `GET /api/v1/items/${i} answered 200 in ${i % 97} ms` },
        attributes: [
          { key: 'http.request.method', value: { stringValue: 'GET' } },
          { key: 'url.path', value: { stringValue: `/api/v1/items/${i}` } },
          { key: 'http.response.status_code', value: { intValue: 200 + (i % 3) } },
          { key: 'duration_ms', value: { doubleValue: (i % 97) + 0.25 } },
          { key: 'cache.hit', value: { boolValue: i % 2 === 0 } },
          { key: 'user.id', value: { stringValue: `user-${i % 100}` } },
        ],
        flags: 1,
        traceId: id(traceIdHex(i)),
        spanId: id(spanIdHex(i)),
        eventName: i % 10 === 0 ? 'item.fetched' : '',
      });
    }
    return {
      resource: resource(r),
      scopeLogs: [{ scope: { name: 'ferry.test', version: '1.0.0' }, logRecords, schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }],
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    };
  });
  return roundTrip('logs', out);
}

/** `n` spans with attributes, an event, a link, a status and a parent, spread over `resources` resources. */
export function makeSpans(n: number, { resources = 1 }: { resources?: number } = {}): ResourceSpans[] {
  let i = 0;
  const out = split(n, resources).map((count, r) => {
    const spans = [];
    for (let k = 0; k < count; k++, i++) {
      spans.push({
        traceId: id(traceIdHex(i >> 2)), // four spans per trace
        spanId: id(spanIdHex(i)),
        parentSpanId: i % 4 === 0 ? Buffer.alloc(0) : id(spanIdHex(i - 1)),
        traceState: i % 4 === 0 ? 'vendor=value' : '',
        flags: 0x101,
        name: `GET /api/v1/items/${i}`,
        kind: (i % 5) + 1,
        startTimeUnixNano: ns(i * 1000),
        endTimeUnixNano: ns(i * 1000 + 250_000),
        attributes: [
          { key: 'http.request.method', value: { stringValue: 'GET' } },
          { key: 'http.response.status_code', value: { intValue: 200 } },
          { key: 'server.address', value: { stringValue: 'items.internal' } },
        ],
        events: [{ timeUnixNano: ns(i * 1000 + 100), name: 'cache.miss', attributes: [{ key: 'cache.key', value: { stringValue: `item:${i}` } }] }],
        links:
          i % 3 === 0
            ? [{ traceId: id(traceIdHex(i + 10_000)), spanId: id(spanIdHex(i + 10_000)), traceState: '', attributes: [], flags: 0x301 }]
            : [],
        status: i % 7 === 0 ? { code: 2, message: 'upstream timed out' } : { code: 0, message: '' },
      });
    }
    return { resource: resource(r), scopeSpans: [{ scope: { name: 'ferry.test', version: '1.0.0' }, spans }] };
  });
  return roundTrip('traces', out);
}

const attrs = (route: string): KeyValue[] => [
  { key: 'http.route', value: { stringValue: route } },
  { key: 'http.request.method', value: { stringValue: 'GET' } },
];

/**
 * One metric of each type (gauge, monotonic and non-monotonic sum, histogram with exemplars,
 * exponential histogram, summary), two data points each: 12 data points.
 */
export function makeMetrics(): ResourceMetrics[] {
  const points = (make: (p: number) => Record<string, unknown>): Record<string, unknown>[] =>
    ['/items', '/orders'].map((route, p) => ({ attributes: attrs(route), startTimeUnixNano: ns(0), timeUnixNano: ns(60e9), ...make(p) }));
  const metrics = [
    { name: 'process.memory.usage', unit: 'By', description: 'Resident memory', gauge: { dataPoints: points((p) => ({ asInt: 52_428_800 + p })) } },
    {
      name: 'http.server.requests',
      unit: '{request}',
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points((p) => ({ asInt: 1234 + p })) },
    },
    {
      name: 'queue.depth',
      unit: '{item}',
      sum: { aggregationTemporality: 1, isMonotonic: false, dataPoints: points((p) => ({ asDouble: -3.5 + p })) },
    },
    {
      name: 'http.server.request.duration',
      unit: 's',
      histogram: {
        aggregationTemporality: 2,
        dataPoints: points((p) => ({
          count: 10 + p,
          sum: 1.75,
          min: 0.01,
          max: 0.9,
          bucketCounts: [2, 5, 3 + p],
          explicitBounds: [0.05, 0.25],
          exemplars: [
            { filteredAttributes: [{ key: 'user.id', value: { stringValue: 'u-1' } }], timeUnixNano: ns(30e9), asDouble: 0.9, traceId: id(traceIdHex(p)), spanId: id(spanIdHex(p)) },
          ],
        })),
      },
    },
    {
      name: 'rpc.payload.size',
      unit: 'By',
      exponentialHistogram: {
        aggregationTemporality: 1,
        dataPoints: points((p) => ({
          count: 7,
          sum: 4096.5,
          scale: 3 - p,
          zeroCount: 1,
          zeroThreshold: 1e-9,
          positive: { offset: 12, bucketCounts: [1, 2, 3] },
          negative: { offset: -2, bucketCounts: [p] },
          min: -1,
          max: 2048,
        })),
      },
    },
    {
      name: 'legacy.latency',
      unit: 'ms',
      summary: {
        dataPoints: points((p) => ({
          count: 100 + p,
          sum: 2500.5,
          quantileValues: [
            { quantile: 0, value: 1.5 },
            { quantile: 0.5, value: 20 },
            { quantile: 0.99, value: 95.25 },
            { quantile: 1, value: 120 },
          ],
        })),
      },
    },
  ];
  return roundTrip('metrics', [
    { resource: resource(0), scopeMetrics: [{ scope: { name: 'ferry.test', version: '1.0.0', attributes: [] }, metrics }] },
  ]);
}
