// OTLP conformance of src/pdata: data made by the OpenTelemetry JS SDK and serialized by its own
// otlp-transformer (protobuf and JSON) must decode field for field, and round-trip to identical bytes.
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, ValueType, createTraceState, trace } from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ResourceMetrics as SdkResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { cloneBatch, deepClone } from '../../src/pdata/clone.js';
import {
  decodeJsonExportRequest,
  decodeJsonExportResponse,
  decodeJsonStatus,
  encodeJsonExportRequest,
  encodeJsonExportResponse,
  encodeJsonStatus,
} from '../../src/pdata/json.js';
import {
  OtlpDecodeError,
  decodeExportRequest,
  decodeExportResponse,
  decodeStatus,
  encodeExportRequest,
  encodeExportResponse,
  encodeStatus,
} from '../../src/pdata/proto.js';
import type { AnyValue, KeyValue, Metric, ResourceLogs, ResourceMetrics, ResourceSpans, ResourcesOf, Signal } from '../../src/pdata/types.js';
import { T0, makeLogs, makeMetrics, makeSpans, ns, spanIdHex, traceIdHex } from './fixtures.js';

// ---- helpers ---------------------------------------------------------------------------------

const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('hex');
const nanos = (t: HrTime): string => (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();
const str = (v: unknown): string => String(v ?? 0);

/** An AnyValue as a plain JS value that says which oneof member held it. */
function plain(v: AnyValue | null | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue != null && Object.hasOwn(v, 'stringValue')) return v.stringValue;
  if (Object.hasOwn(v, 'boolValue')) return v.boolValue;
  if (Object.hasOwn(v, 'intValue')) return { int: str(v.intValue) };
  if (Object.hasOwn(v, 'doubleValue')) return { double: v.doubleValue };
  if (Object.hasOwn(v, 'bytesValue')) return { bytes: hex(v.bytesValue ?? undefined) };
  if (v.arrayValue) return v.arrayValue.values.map(plain);
  if (v.kvlistValue) return attrs(v.kvlistValue.values);
  return { empty: true };
}

function attrs(kvs: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((kvs ?? []).map((kv) => [kv.key, plain(kv.value)]));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): void {
  expect(Buffer.from(a).toString('hex')).toBe(Buffer.from(b).toString('hex'));
}

/** binary → ours → OTLP/JSON (ours) → ours → binary: identical bytes. */
function expectJsonRoundTrip<S extends Signal>(signal: S, resources: ResourcesOf[S]): void {
  const binary = encodeExportRequest(signal, resources);
  const json = encodeJsonExportRequest(signal, resources);
  const again = decodeJsonExportRequest(signal, json);
  bytesEqual(encodeExportRequest(signal, again), binary);
  // And the JSON itself is stable through a decode.
  expect(encodeJsonExportRequest(signal, again)).toBe(json);
}

/** SDK OTLP/JSON decoded by us gives the same message as SDK protobuf decoded by us. */
function expectSdkJsonMatchesBinary<S extends Signal>(signal: S, sdkBinary: Uint8Array, sdkJson: Uint8Array): void {
  const fromBinary = decodeExportRequest(signal, sdkBinary);
  const fromJson = decodeJsonExportRequest(signal, sdkJson);
  // Both through deepClone, which reads every item: records nobody read are re-encoded as the
  // sender wrote them (the SDK writes explicit zeros), so compare the canonical encodings.
  bytesEqual(encodeExportRequest(signal, deepClone(signal, fromJson)), encodeExportRequest(signal, deepClone(signal, fromBinary)));
}

function expectCloneEquivalent<S extends Signal>(signal: S, resources: ResourcesOf[S]): void {
  const copy = deepClone(signal, resources);
  expect(copy).not.toBe(resources);
  bytesEqual(encodeExportRequest(signal, copy), encodeExportRequest(signal, resources));
  expect(encodeJsonExportRequest(signal, copy)).toBe(encodeJsonExportRequest(signal, resources));
}

// ---- logs ------------------------------------------------------------------------------------

const TS: HrTime = [1_700_000_000, 123_456_789];
const OBSERVED: HrTime = [1_700_000_001, 987_654_321];
const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

describe('logs: OpenTelemetry JS SDK → otlp-transformer → ours', () => {
  let records: ReadableLogRecord[];
  let binary: Uint8Array;
  let decoded: ResourceLogs[];

  beforeAll(() => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.4.2', 'process.pid': 4242 }),
      processors: [new SimpleLogRecordProcessor({ exporter })],
      logRecordLimits: { attributeCountLimit: 9 },
    });
    const logger = provider.getLogger('ferry.conformance', '2.0.1', {
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      attributes: { 'scope.attr': 'yes' },
    });
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    logger.emit({
      timestamp: TS,
      observedTimestamp: OBSERVED,
      severityNumber: SeverityNumber.WARN2,
      severityText: 'WARN2',
      eventName: 'order.rejected',
      body: 'order 77 rejected: card declined',
      context: ctx,
      attributes: {
        'a.string': 'hello',
        'a.bool': true,
        'a.int': 42,
        'a.negative': -7,
        'a.double': 3.25,
        'a.array': ['x', 'y'],
        'a.map': { inner: 'v', n: 1, deep: { list: [true, false] } },
        'a.bytes': new Uint8Array([0, 1, 2, 254, 255]),
        'a.empty': '',
        'a.dropped1': 1,
        'a.dropped2': 2,
      },
    });
    logger.emit({
      timestamp: [1_700_000_002, 5],
      observedTimestamp: [1_700_000_002, 6],
      severityNumber: SeverityNumber.ERROR,
      body: { message: 'structured', code: 500, ratio: 0.5, tags: ['a', 1, 2.5, false], raw: new Uint8Array([9, 8]) },
    });
    logger.emit({ timestamp: [1_700_000_003, 0], observedTimestamp: [1_700_000_003, 1], body: new Uint8Array([0xde, 0xad]) });
    records = exporter.getFinishedLogRecords();
    binary = ProtobufLogsSerializer.serializeRequest(records)!;
    decoded = decodeExportRequest('logs', binary);
  });

  it('decodes the resource, scope and schema URLs', () => {
    expect(decoded).toHaveLength(1);
    const rl = decoded[0]!;
    expect(attrs(rl.resource?.attributes)).toMatchObject({
      'service.name': 'checkout',
      'service.version': '1.4.2',
      'process.pid': { int: '4242' },
    });
    expect(rl.resource?.droppedAttributesCount ?? 0).toBe(0);
    expect(rl.scopeLogs).toHaveLength(1);
    const sl = rl.scopeLogs[0]!;
    expect(sl.scope?.name).toBe('ferry.conformance');
    expect(sl.scope?.version).toBe('2.0.1');
    expect(attrs(sl.scope?.attributes)).toEqual({ 'scope.attr': 'yes' });
    expect(sl.schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
    expect(sl.logRecords).toHaveLength(3);
  });

  it('decodes timestamps to the nanosecond, severity, event name, trace context and flags', () => {
    const [first, second, third] = decoded[0]!.scopeLogs[0]!.logRecords;
    expect(str(first!.timeUnixNano)).toBe('1700000000123456789');
    expect(str(first!.observedTimeUnixNano)).toBe('1700000001987654321');
    expect(str(first!.timeUnixNano)).toBe(nanos(records[0]!.hrTime));
    expect(first!.severityNumber).toBe(14);
    expect(first!.severityText).toBe('WARN2');
    expect(first!.eventName).toBe('order.rejected');
    expect(hex(first!.traceId)).toBe(TRACE_ID);
    expect(hex(first!.spanId)).toBe(SPAN_ID);
    expect(first!.flags).toBe(1);
    expect(str(second!.timeUnixNano)).toBe('1700000002000000005');
    expect(second!.severityNumber).toBe(17);
    expect(second!.severityText).toBe('');
    expect(hex(second!.traceId)).toBe('');
    expect(second!.flags ?? 0).toBe(0);
    expect(third!.severityNumber ?? 0).toBe(0);
  });

  it('decodes every attribute value type and the dropped count', () => {
    const first = decoded[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(attrs(first.attributes)).toEqual({
      'a.string': 'hello',
      'a.bool': true,
      'a.int': { int: '42' },
      'a.negative': { int: '-7' },
      'a.double': { double: 3.25 },
      'a.array': ['x', 'y'],
      'a.map': { inner: 'v', n: { int: '1' }, deep: { list: [true, false] } },
      'a.bytes': { bytes: '000102feff' },
      'a.empty': '',
    });
    expect(first.droppedAttributesCount).toBe(2);
  });

  it('decodes string, kvlist and bytes bodies', () => {
    const [first, second, third] = decoded[0]!.scopeLogs[0]!.logRecords;
    expect(plain(first!.body)).toBe('order 77 rejected: card declined');
    expect(plain(second!.body)).toEqual({
      message: 'structured',
      code: { int: '500' },
      ratio: { double: 0.5 },
      tags: ['a', { int: '1' }, { double: 2.5 }, false],
      raw: { bytes: '0908' },
    });
    expect(plain(third!.body)).toEqual({ bytes: 'dead' });
  });

  it("decodes the SDK's OTLP/JSON to the same message as its protobuf", () => {
    expectSdkJsonMatchesBinary('logs', binary, JsonLogsSerializer.serializeRequest(records)!);
  });

  it('round-trips through our OTLP/JSON to identical bytes, and clones to identical bytes', () => {
    expectJsonRoundTrip('logs', decoded);
    expectCloneEquivalent('logs', decoded);
  });

  it('writes the spec OTLP/JSON: hex ids, integer enums, int64 as strings, base64 bytes', () => {
    const json = JSON.parse(encodeJsonExportRequest('logs', decoded)) as {
      resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    const record = json.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(record).toMatchObject({
      timeUnixNano: '1700000000123456789',
      observedTimeUnixNano: '1700000001987654321',
      severityNumber: 14,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: 1,
      eventName: 'order.rejected',
      droppedAttributesCount: 2,
    });
    const byKey = Object.fromEntries((record.attributes as { key: string; value: unknown }[]).map((a) => [a.key, a.value]));
    expect(byKey['a.int']).toEqual({ intValue: '42' });
    expect(byKey['a.bytes']).toEqual({ bytesValue: Buffer.from([0, 1, 2, 254, 255]).toString('base64') });
    expect(byKey['a.empty']).toEqual({ stringValue: '' });
  });
});

// ---- traces ----------------------------------------------------------------------------------

describe('traces: OpenTelemetry JS SDK → otlp-transformer → ours', () => {
  let spans: ReadableSpan[];
  let binary: Uint8Array;
  let decoded: ResourceSpans[];
  const LINKED_TRACE = '0af7651916cd43dd8448eb211c80319c';
  const LINKED_SPAN = 'b7ad6b7169203331';

  beforeAll(() => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'frontend' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
      spanLimits: { attributeCountLimit: 7, eventCountLimit: 2, linkCountLimit: 1 },
    });
    const tracer = provider.getTracer('ferry.conformance', '2.0.1');
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: createTraceState('vendor=abc,other=1'),
    });
    const server = tracer.startSpan(
      'GET /checkout',
      {
        kind: SpanKind.SERVER,
        startTime: TS,
        attributes: {
          'http.request.method': 'GET',
          'http.response.status_code': 200,
          'server.ok': true,
          'duration.ratio': 0.125,
          'tags': ['a', 'b'],
          'codes': [1, 2, 3],
          'weights': [0.5, 1.5],
          'dropped.one': 'x',
        },
        links: [
          { context: { traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: true }, attributes: { 'link.kind': 'follows' } },
          { context: { traceId: LINKED_TRACE, spanId: 'b7ad6b7169203332', traceFlags: TraceFlags.NONE } },
        ],
      },
      parent,
    );
    server.addEvent('cache.miss', { 'cache.key': 'cart:77' }, [1_700_000_000, 200_000_001]);
    server.addEvent('retry', { attempt: 2 }, [1_700_000_000, 300_000_000]);
    server.addEvent('over.limit', {}, [1_700_000_000, 400_000_000]);
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
    const child = tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: [1_700_000_000, 150_000_000] }, trace.setSpan(ROOT_CONTEXT, server));
    child.setStatus({ code: SpanStatusCode.OK });
    child.end([1_700_000_000, 180_000_000]);
    server.end([1_700_000_001, 5]);
    tracer.startSpan('internal', { kind: SpanKind.INTERNAL, startTime: [1_700_000_010, 0] }).end([1_700_000_010, 1]);
    spans = exporter.getFinishedSpans();
    binary = ProtobufTraceSerializer.serializeRequest(spans)!;
    decoded = decodeExportRequest('traces', binary);
  });

  const find = (name: string) => decoded[0]!.scopeSpans[0]!.spans.find((s) => s.name === name)!;

  it('decodes resource, scope and all spans', () => {
    expect(attrs(decoded[0]!.resource?.attributes)).toMatchObject({ 'service.name': 'frontend' });
    const ss = decoded[0]!.scopeSpans[0]!;
    expect(ss.scope?.name).toBe('ferry.conformance');
    expect(ss.scope?.version).toBe('2.0.1');
    expect(ss.spans.map((s) => s.name).sort()).toEqual(['GET /checkout', 'SELECT orders', 'internal']);
  });

  it('decodes ids, parent, trace state, kind, flags and exact timestamps', () => {
    const server = find('GET /checkout');
    const sdk = spans.find((s) => s.name === 'GET /checkout')!;
    expect(hex(server.traceId)).toBe(TRACE_ID);
    expect(hex(server.spanId)).toBe(sdk.spanContext().spanId);
    expect(hex(server.parentSpanId)).toBe(SPAN_ID);
    expect(server.traceState).toBe('vendor=abc,other=1');
    expect(server.kind).toBe(2); // SPAN_KIND_SERVER
    // sampled, HAS_IS_REMOTE and IS_REMOTE (the parent is remote)
    expect(server.flags).toBe(0x301);
    expect(str(server.startTimeUnixNano)).toBe('1700000000123456789');
    expect(str(server.endTimeUnixNano)).toBe('1700000001000000005');

    const child = find('SELECT orders');
    expect(child.kind).toBe(3);
    expect(hex(child.parentSpanId)).toBe(hex(server.spanId));
    expect(child.flags).toBe(0x101); // local parent: HAS_IS_REMOTE only
    expect(find('internal').kind).toBe(1);
    expect(hex(find('internal').parentSpanId)).toBe('');
  });

  it('decodes attributes of every type the trace API allows, and dropped attribute counts', () => {
    const server = find('GET /checkout');
    expect(attrs(server.attributes)).toEqual({
      'http.request.method': 'GET',
      'http.response.status_code': { int: '200' },
      'server.ok': true,
      'duration.ratio': { double: 0.125 },
      'tags': ['a', 'b'],
      'codes': [{ int: '1' }, { int: '2' }, { int: '3' }],
      'weights': [{ double: 0.5 }, { double: 1.5 }],
    });
    expect(server.droppedAttributesCount).toBe(1);
  });

  it('decodes events, links, status and their dropped counts', () => {
    const server = find('GET /checkout');
    expect(server.events.map((e) => [e.name, str(e.timeUnixNano), attrs(e.attributes)])).toEqual([
      ['retry', '1700000000300000000', { attempt: { int: '2' } }],
      ['over.limit', '1700000000400000000', {}],
    ]);
    expect(server.droppedEventsCount).toBe(1);
    // The SDK keeps one of the two links (linkCountLimit: 1) and counts the other as dropped.
    const sdkLinks = spans.find((s) => s.name === 'GET /checkout')!.links;
    expect(server.links.map((l) => [hex(l.traceId), hex(l.spanId), l.flags, attrs(l.attributes)])).toEqual(
      sdkLinks.map((l) => [l.context.traceId, l.context.spanId, 0x100 | l.context.traceFlags | (l.context.isRemote ? 0x200 : 0), l.attributes ?? {}]),
    );
    expect(server.links).toHaveLength(1);
    expect(hex(server.links[0]!.traceId)).toBe(LINKED_TRACE);
    expect(server.droppedLinksCount).toBe(1);
    expect(server.status?.code).toBe(2);
    expect(server.status?.message).toBe('payment failed');
    expect(find('SELECT orders').status?.code).toBe(1);
    expect(find('internal').status?.code ?? 0).toBe(0);
  });

  it("decodes the SDK's OTLP/JSON to the same message as its protobuf", () => {
    expectSdkJsonMatchesBinary('traces', binary, JsonTraceSerializer.serializeRequest(spans)!);
  });

  it('round-trips through our OTLP/JSON to identical bytes, and clones to identical bytes', () => {
    expectJsonRoundTrip('traces', decoded);
    expectCloneEquivalent('traces', decoded);
  });
});

// ---- metrics ---------------------------------------------------------------------------------

class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('metrics: OpenTelemetry JS SDK → otlp-transformer → ours', () => {
  let sdk: SdkResourceMetrics;
  let binary: Uint8Array;
  let decoded: ResourceMetrics[];

  beforeAll(async () => {
    const reader = new CollectingReader({
      aggregationTemporalitySelector: (type) => (type === 'UP_DOWN_COUNTER' ? AggregationTemporality.CUMULATIVE : type === 'HISTOGRAM' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE),
    });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'billing' }),
      readers: [reader],
      views: [
        { instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } } },
        { instrumentName: 'request.duration', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [0.1, 1, 10] } } },
      ],
    });
    const meter = provider.getMeter('ferry.conformance', '2.0.1');
    const requests = meter.createCounter('requests', { unit: '{request}', description: 'Requests served', valueType: ValueType.INT });
    requests.add(3, { route: '/a' });
    requests.add(4, { route: '/a' });
    requests.add(5, { route: '/b' });
    const inflight = meter.createUpDownCounter('inflight', { valueType: ValueType.DOUBLE });
    inflight.add(2.5);
    inflight.add(-4);
    const duration = meter.createHistogram('request.duration', { unit: 's' });
    for (const v of [0.05, 0.5, 0.7, 5, 50]) duration.record(v, { route: '/a' });
    const size = meter.createHistogram('payload.size', { unit: 'By' });
    for (const v of [0, 1, 2, 3, 1024, 4096]) size.record(v);
    meter.createGauge('temperature', { unit: 'Cel' }).record(21.5, { room: 'lab' });
    meter.createObservableGauge('queue.depth', { valueType: ValueType.INT }).addCallback((r) => r.observe(17, { queue: 'q1' }));
    const result = await reader.collect();
    sdk = result.resourceMetrics;
    binary = ProtobufMetricsSerializer.serializeRequest(sdk)!;
    decoded = decodeExportRequest('metrics', binary);
  });

  const metric = (name: string): Metric => decoded[0]!.scopeMetrics[0]!.metrics.find((m) => m.name === name)!;
  const sdkPoint = (name: string, i = 0) => sdk.scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === name)!.dataPoints[i]!;

  it('decodes resource, scope and every metric', () => {
    expect(attrs(decoded[0]!.resource?.attributes)).toMatchObject({ 'service.name': 'billing' });
    expect(decoded[0]!.scopeMetrics[0]!.scope?.name).toBe('ferry.conformance');
    expect(decoded[0]!.scopeMetrics[0]!.metrics.map((m) => m.name).sort()).toEqual(
      ['inflight', 'payload.size', 'queue.depth', 'request.duration', 'requests', 'temperature'],
    );
  });

  it('decodes a monotonic cumulative int sum with exact timestamps', () => {
    const m = metric('requests');
    expect(m.unit).toBe('{request}');
    expect(m.description).toBe('Requests served');
    expect(m.sum?.isMonotonic).toBe(true);
    expect(m.sum?.aggregationTemporality).toBe(2);
    const points = m.sum!.dataPoints.map((p) => [attrs(p.attributes), str(p.asInt), Object.hasOwn(p, 'asDouble')]);
    expect(points).toEqual([
      [{ route: '/a' }, '7', false],
      [{ route: '/b' }, '5', false],
    ]);
    const p = m.sum!.dataPoints[0]!;
    expect(str(p.startTimeUnixNano)).toBe(nanos(sdkPoint('requests').startTime));
    expect(str(p.timeUnixNano)).toBe(nanos(sdkPoint('requests').endTime));
  });

  it('decodes a non-monotonic double sum', () => {
    const m = metric('inflight');
    expect(m.sum?.isMonotonic ?? false).toBe(false);
    expect(m.sum?.aggregationTemporality).toBe(2);
    expect(m.sum!.dataPoints[0]!.asDouble).toBe(-1.5);
  });

  it('decodes gauges (synchronous double, observable int)', () => {
    const temp = metric('temperature').gauge!.dataPoints[0]!;
    expect(temp.asDouble).toBe(21.5);
    expect(attrs(temp.attributes)).toEqual({ room: 'lab' });
    const depth = metric('queue.depth').gauge!.dataPoints[0]!;
    expect(str(depth.asInt)).toBe('17');
    expect(str(depth.timeUnixNano)).toBe(nanos(sdkPoint('queue.depth').endTime));
  });

  it('decodes an explicit-bucket delta histogram with sum, min and max', () => {
    const m = metric('request.duration');
    expect(m.histogram?.aggregationTemporality).toBe(1);
    const p = m.histogram!.dataPoints[0]!;
    expect(str(p.count)).toBe('5');
    expect(p.sum).toBeCloseTo(56.25, 10);
    expect(p.min).toBe(0.05);
    expect(p.max).toBe(50);
    expect(p.explicitBounds).toEqual([0.1, 1, 10]);
    expect(p.bucketCounts.map(str)).toEqual(['1', '2', '1', '1']);
  });

  it('decodes an exponential histogram', () => {
    const m = metric('payload.size');
    const p = m.exponentialHistogram!.dataPoints[0]!;
    const expected = sdkPoint('payload.size').value as {
      count: number; sum: number; min: number; max: number; scale: number; zeroCount: number;
      positive: { offset: number; bucketCounts: number[] };
    };
    expect(m.exponentialHistogram?.aggregationTemporality).toBe(1); // a HISTOGRAM instrument: delta
    expect(str(p.count)).toBe('6');
    expect(p.sum).toBe(5126);
    expect(p.min).toBe(0);
    expect(p.max).toBe(4096);
    expect(p.scale).toBe(expected.scale);
    expect(str(p.zeroCount)).toBe('1');
    expect(p.positive?.offset ?? 0).toBe(expected.positive.offset);
    expect(p.positive!.bucketCounts.map(str)).toEqual(expected.positive.bucketCounts.map(String));
  });

  it("decodes the SDK's OTLP/JSON to the same message as its protobuf", () => {
    expectSdkJsonMatchesBinary('metrics', binary, JsonMetricsSerializer.serializeRequest(sdk)!);
  });

  it('round-trips through our OTLP/JSON to identical bytes, and clones to identical bytes', () => {
    expectJsonRoundTrip('metrics', decoded);
    expectCloneEquivalent('metrics', decoded);
  });
});

// ---- what the SDK cannot produce: summaries, exemplars, entity refs, edge values ---------------

describe('hand-built data the SDK cannot produce', () => {
  it('summary, exemplars and every metric type survive protobuf, JSON and clone', () => {
    const metrics = makeMetrics();
    const byName = Object.fromEntries(metrics[0]!.scopeMetrics[0]!.metrics.map((m) => [m.name, m]));
    const summary = byName['legacy.latency']!.summary!.dataPoints[1]!;
    expect(str(summary.count)).toBe('101');
    expect(summary.sum).toBe(2500.5);
    expect(summary.quantileValues.map((q) => [q.quantile ?? 0, q.value])).toEqual([[0, 1.5], [0.5, 20], [0.99, 95.25], [1, 120]]);
    const exemplar = byName['http.server.request.duration']!.histogram!.dataPoints[1]!.exemplars[0]!;
    expect(hex(exemplar.traceId)).toBe(traceIdHex(1));
    expect(hex(exemplar.spanId)).toBe(spanIdHex(1));
    expect(exemplar.asDouble).toBe(0.9);
    expect(str(exemplar.timeUnixNano)).toBe(ns(30e9));
    expect(attrs(exemplar.filteredAttributes)).toEqual({ 'user.id': 'u-1' });
    const exp = byName['rpc.payload.size']!.exponentialHistogram!.dataPoints[1]!;
    expect(exp.negative?.offset).toBe(-2);
    expect(exp.scale).toBe(2);
    expect(exp.zeroThreshold).toBe(1e-9);
    expectJsonRoundTrip('metrics', metrics);
    expectCloneEquivalent('metrics', metrics);
    const json = encodeJsonExportRequest('metrics', metrics);
    expect(json).toContain(`"exemplars":[{"filteredAttributes":[{"key":"user.id","value":{"stringValue":"u-1"}}],"timeUnixNano":"${ns(30e9)}","asDouble":0.9,"spanId":"${spanIdHex(0)}","traceId":"${traceIdHex(0)}"}]`);
  });

  it('entity refs, scope attributes, empty AnyValues, -0, NaN, ±Infinity and 64-bit extremes round-trip', () => {
    const resources = decodeExportRequest(
      'logs',
      encodeExportRequest('logs', [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 's' } }],
            entityRefs: [{ schemaUrl: 'https://x', type: 'service', idKeys: ['service.name'], descriptionKeys: ['a', 'b'] }],
          },
          scopeLogs: [
            {
              scope: { name: 'n', attributes: [{ key: 'k', value: {} }], droppedAttributesCount: 3 },
              logRecords: [
                {
                  timeUnixNano: '18446744073709551615',
                  attributes: [
                    { key: 'max', value: { intValue: '9223372036854775807' } },
                    { key: 'min', value: { intValue: '-9223372036854775808' } },
                    { key: 'zero', value: { intValue: 0 } },
                    { key: 'negzero', value: { doubleValue: -0 } },
                    { key: 'nan', value: { doubleValue: NaN } },
                    { key: 'inf', value: { doubleValue: Infinity } },
                    { key: 'ninf', value: { doubleValue: -Infinity } },
                    { key: 'novalue' },
                    { key: 'emptyarray', value: { arrayValue: { values: [] } } },
                    { key: 'emptybytes', value: { bytesValue: new Uint8Array(0) } },
                  ],
                },
              ],
            },
          ],
        },
      ] as unknown as ResourceLogs[]),
    );
    const record = resources[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(str(record.timeUnixNano)).toBe('18446744073709551615');
    expect(attrs(record.attributes)).toMatchObject({ max: { int: '9223372036854775807' }, min: { int: '-9223372036854775808' }, zero: { int: '0' } });
    expect(resources[0]!.resource!.entityRefs![0]).toMatchObject({ type: 'service', idKeys: ['service.name'], descriptionKeys: ['a', 'b'] });
    const json = encodeJsonExportRequest('logs', resources);
    expect(json).toContain('"entityRefs":[{"schemaUrl":"https://x","type":"service","idKeys":["service.name"],"descriptionKeys":["a","b"]}]');
    expect(json).toContain('{"key":"negzero","value":{"doubleValue":-0}}');
    expect(json).toContain('{"key":"nan","value":{"doubleValue":"NaN"}}');
    expect(json).toContain('{"key":"ninf","value":{"doubleValue":"-Infinity"}}');
    expect(json).toContain('{"key":"zero","value":{"intValue":"0"}}');
    expect(json).toContain('{"key":"novalue"}');
    expect(json).toContain('{"key":"k","value":{}}');
    expectJsonRoundTrip('logs', resources);
    expectCloneEquivalent('logs', resources);
  });

  it('skips fields unknown to this build, as the Go collector does, and clone keeps any kept by hand', () => {
    const known = Buffer.from(encodeExportRequest('logs', makeLogs(1)));
    // A LogRecord with field 99 (varint 5), as a newer sender might add: append it to the record.
    const decoded = decodeExportRequest('logs', known);
    const raw = Buffer.from([0x98, 0x06, 0x05]); // tag (99 << 3 | 0), value 5
    const lr = decoded[0]!.scopeLogs[0]!.logRecords[0]! as unknown as Record<string, unknown>;
    Object.defineProperty(lr, '$unknowns', { value: [raw], writable: true, enumerable: false, configurable: true });
    const withUnknown = encodeExportRequest('logs', decoded);
    expect(withUnknown.length).toBe(known.length + raw.length);
    bytesEqual(encodeExportRequest('logs', decodeExportRequest('logs', withUnknown)), known);
    bytesEqual(encodeExportRequest('logs', deepClone('logs', decoded)), withUnknown);
  });

  it('fixtures build what they say', () => {
    const logs = makeLogs(10, { resources: 3 });
    expect(logs.map((r) => r.scopeLogs[0]!.logRecords.length)).toEqual([4, 3, 3]);
    expect(str(logs[0]!.scopeLogs[0]!.logRecords[0]!.timeUnixNano)).toBe(T0.toString());
    expect(makeSpans(8, { resources: 2 }).map((r) => r.scopeSpans[0]!.spans.length)).toEqual([4, 4]);
    expectJsonRoundTrip('traces', makeSpans(8));
    expectCloneEquivalent('traces', makeSpans(8));
  });
});

// ---- OTLP/JSON decoding rules ------------------------------------------------------------------

describe('OTLP/JSON decoding rules', () => {
  const record = (fields: Record<string, unknown>) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: [fields] }] }] });
  const decodeOne = (fields: Record<string, unknown>) => decodeJsonExportRequest('logs', record(fields))[0]!.scopeLogs[0]!.logRecords[0]!;

  it('accepts snake_case keys, enum names, int64 as numbers, ids in any case, and ignores unknown fields', () => {
    const lr = decodeOne({
      time_unix_nano: 1_700_000_000_000_000_000, // a double, but an exact one
      observedTimeUnixNano: '1700000000123456789',
      severity_number: 'SEVERITY_NUMBER_ERROR',
      traceId: TRACE_ID.toUpperCase(),
      span_id: SPAN_ID,
      body: { string_value: 'x' },
      attributes: [{ key: 'n', value: { int_value: 12 } }],
      somethingNew: { nested: [1, 2] },
      dropped_attributes_count: '3',
    });
    expect(str(lr.timeUnixNano)).toBe('1700000000000000000');
    expect(str(lr.observedTimeUnixNano)).toBe('1700000000123456789');
    expect(lr.severityNumber).toBe(17);
    expect(hex(lr.traceId)).toBe(TRACE_ID);
    expect(hex(lr.spanId)).toBe(SPAN_ID);
    expect(plain(lr.body)).toBe('x');
    expect(attrs(lr.attributes)).toEqual({ n: { int: '12' } });
    expect(lr.droppedAttributesCount).toBe(3);
  });

  it('treats empty ids and null values as absent', () => {
    const lr = decodeOne({ traceId: '', spanId: '', body: null, severityText: null });
    expect(Object.hasOwn(lr, 'traceId')).toBe(false);
    expect(Object.hasOwn(lr, 'body')).toBe(false);
    expect(lr.severityText).toBe('');
    bytesEqual(encodeExportRequest('logs', decodeJsonExportRequest('logs', record({ traceId: '' }))), encodeExportRequest('logs', decodeJsonExportRequest('logs', record({}))));
  });

  it('accepts base64url bytes and numeric strings for doubles', () => {
    const lr = decodeOne({ attributes: [{ key: 'b', value: { bytesValue: '_-8' } }, { key: 'd', value: { doubleValue: '2.5' } }] });
    expect(attrs(lr.attributes)).toEqual({ b: { bytes: 'ffef' }, d: { double: 2.5 } });
  });

  const nest = (depth: number): unknown => (depth === 0 ? { stringValue: 'leaf' } : { kvlistValue: { values: [{ key: 'k', value: nest(depth - 1) }] } });
  const cases: [string, unknown, string][] = [
    ['a bad trace id', record({ traceId: 'xyz' }), 'resourceLogs[0].scopeLogs[0].logRecords[0].traceId: expected 32 hex characters, got "xyz"'],
    ['a short span id', record({ spanId: 'abcd' }), 'resourceLogs[0].scopeLogs[0].logRecords[0].spanId: expected 16 hex characters, got "abcd"'],
    ['a base64 trace id', record({ traceId: 'W47/95gDgQPSabYzgT/GDA==' }), 'logRecords[0].traceId: expected 32 hex characters, got "W47/95gDgQPSabYzgT/GDA=="'],
    ['an object where an array belongs', { resourceLogs: { scopeLogs: [] } }, 'resourceLogs: expected an array, got an object'],
    ['a string where an object belongs', { resourceLogs: ['x'] }, 'resourceLogs[0]: expected an object, got "x"'],
    ['a bad timestamp', record({ timeUnixNano: '17e8' }), 'logRecords[0].timeUnixNano: expected an integer or a decimal string, got "17e8"'],
    ['a negative fixed64', record({ timeUnixNano: '-1' }), 'logRecords[0].timeUnixNano: expected an integer from 0 to 18446744073709551615, got "-1"'],
    ['an overflowing fixed64', record({ timeUnixNano: '18446744073709551616' }), 'got "18446744073709551616"'],
    ['an overflowing uint32', record({ droppedAttributesCount: 4294967296 }), 'droppedAttributesCount: expected an integer from 0 to 4294967295, got 4294967296'],
    ['an unknown enum name', record({ severityNumber: 'LOUD' }), 'severityNumber: expected an integer or a SeverityNumber name, got "LOUD"'],
    ['a number as a string field', record({ severityText: 5 }), 'severityText: expected a string, got 5'],
    ['a string as a bool', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [{ key: 'k', value: { boolValue: 'true' } }] }] }] }] }, 'logRecords[0].attributes[0].value.boolValue: expected true or false, got "true"'],
    ['two oneof members', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'a', intValue: 1 } }] }] }] }, 'logRecords[0].body.intValue: only one field of oneof "value" may be set, and stringValue is set too'],
    ['bad base64', { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { bytesValue: 'not base64!' } }] }] }] }, 'body.bytesValue: expected a base64 string, got "not base64!"'],
    ['a top-level array', [], 'ExportLogsServiceRequest: expected an object, got an array'],
    ['AnyValues nested too deep', record({ body: nest(200) }), 'logRecords[0].body.kvlistValue.values[0].value.kvlistValue'],
    ['malformed JSON text', '{"resourceLogs": [', 'invalid JSON: '],
    ['an empty body', '', 'invalid JSON: '],
  ];

  it.each(cases)('rejects %s with the path and the problem', (_name, input, message) => {
    let error: unknown;
    try {
      decodeJsonExportRequest('logs', input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect((error as Error).message).toContain(message);
  });

  it('decodes UTF-8 bytes as well as text and parsed values', () => {
    const text = encodeJsonExportRequest('logs', makeLogs(3));
    const fromBytes = decodeJsonExportRequest('logs', Buffer.from(text));
    bytesEqual(encodeExportRequest('logs', fromBytes), encodeExportRequest('logs', makeLogs(3)));
  });
});

// ---- malformed protobuf ----------------------------------------------------------------------

describe('malformed protobuf', () => {
  const good = encodeExportRequest('logs', makeLogs(5));

  it('reports a truncated body', () => {
    expect(() => decodeExportRequest('logs', good.subarray(0, good.length - 10))).toThrow(
      /^invalid protobuf ExportLogsServiceRequest: index out of range.* \(at byte \d+ of \d+\)$/,
    );
  });

  it('reports an invalid wire type', () => {
    const bad = Buffer.from([0x0f, 0x01]); // field 1, wire type 7
    expect(() => decodeExportRequest('traces', bad)).toThrow(OtlpDecodeError);
    expect(() => decodeExportRequest('traces', bad)).toThrow(/invalid protobuf ExportTraceServiceRequest: invalid wire type 7/);
  });

  it('reports a length that runs past the end', () => {
    const bad = Buffer.from([0x0a, 0x05, 0x0a, 0x01]); // resource_logs, length 5, only 2 bytes follow
    expect(() => decodeExportRequest('logs', bad)).toThrow(/^invalid protobuf ExportLogsServiceRequest: index out of range/);
  });

  it('decodes bytes fields as Buffers whatever kind of Uint8Array it was given', () => {
    const plainBytes = new Uint8Array(good);
    const record = decodeExportRequest('logs', plainBytes)[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(Buffer.isBuffer(record.traceId)).toBe(true);
    expect(record.traceId!.toString()).toBe(Buffer.from(traceIdHex(0), 'hex').toString());
  });

  it('refuses AnyValues nested deeper than protobufjs allows', () => {
    const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(n >>> 7)]);
    const field = (id: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([(id << 3) | 2, ...varint(body.length)]), body]);
    let value = field(1, Buffer.from('leaf')); // AnyValue { string_value }
    for (let i = 0; i < 150; i++) value = field(6, field(1, field(2, value))); // AnyValue { kvlist { values [ KeyValue { value } ] } }
    const request = field(1, field(2, field(2, field(5, value)))); // request → ResourceLogs → ScopeLogs → LogRecord.body
    expect(() => decodeExportRequest('logs', request)).toThrow(/^invalid protobuf ExportLogsServiceRequest: max depth exceeded/);
  });

  it('decodes an empty body as an empty request', () => {
    expect(decodeExportRequest('metrics', new Uint8Array(0))).toEqual([]);
  });
});

// ---- responses and google.rpc.Status ---------------------------------------------------------

describe('Export responses and google.rpc.Status', () => {
  it('encode what the SDK exporters read back, and decode what they would send', () => {
    const logs = ProtobufLogsSerializer.deserializeResponse(encodeExportResponse('logs', { rejected: 3, errorMessage: 'bad record' }));
    expect(logs.partialSuccess).toMatchObject({ errorMessage: 'bad record' });
    expect(Number(logs.partialSuccess?.rejectedLogRecords)).toBe(3);
    const spans = ProtobufTraceSerializer.deserializeResponse(encodeExportResponse('traces', { rejected: 2, errorMessage: 'x' }));
    expect(Number(spans.partialSuccess?.rejectedSpans)).toBe(2);
    const points = ProtobufMetricsSerializer.deserializeResponse(encodeExportResponse('metrics', { rejected: 1, errorMessage: 'y' }));
    expect(Number(points.partialSuccess?.rejectedDataPoints)).toBe(1);
    expect(encodeExportResponse('logs')).toHaveLength(0);
    expect(decodeExportResponse('logs', new Uint8Array(0))).toEqual({});
    expect(decodeExportResponse('metrics', encodeExportResponse('metrics', { rejected: 9, errorMessage: 'z' }))).toEqual({ partialSuccess: { rejected: 9, errorMessage: 'z' } });
  });

  it('encode and decode responses as JSON', () => {
    expect(encodeJsonExportResponse('traces')).toBe('{}');
    const json = encodeJsonExportResponse('traces', { rejected: 4, errorMessage: 'too old' });
    expect(JSON.parse(json)).toEqual({ partialSuccess: { rejectedSpans: '4', errorMessage: 'too old' } });
    expect(decodeJsonExportResponse('traces', json)).toEqual({ partialSuccess: { rejected: 4, errorMessage: 'too old' } });
    expect(decodeJsonExportResponse('logs', '{"partialSuccess":{"rejectedLogRecords":2}}')).toEqual({ partialSuccess: { rejected: 2, errorMessage: '' } });
    expect(decodeJsonExportResponse('logs', '{}')).toEqual({});
  });

  it('encode and decode google.rpc.Status in protobuf and JSON', () => {
    const details = [{ typeUrl: 'type.googleapis.com/google.rpc.RetryInfo', value: new Uint8Array([0x0a, 0x02, 0x08, 0x05]) }];
    const status = { code: 14, message: 'server is overloaded', details };
    const decoded = decodeStatus(encodeStatus(status));
    expect(decoded.code).toBe(14);
    expect(decoded.message).toBe('server is overloaded');
    expect(decoded.details[0]!.typeUrl).toBe(details[0]!.typeUrl);
    expect(hex(decoded.details[0]!.value)).toBe('0a020805');
    const json = encodeJsonStatus(status);
    expect(JSON.parse(json)).toEqual({ code: 14, message: 'server is overloaded', details: [{ '@type': details[0]!.typeUrl, value: 'CgIIBQ==' }] });
    const back = decodeJsonStatus(json);
    expect(back).toMatchObject({ code: 14, message: 'server is overloaded' });
    expect(hex(back.details[0]!.value)).toBe('0a020805');
    expect(decodeStatus(encodeStatus({ message: 'bad data' }))).toEqual({ code: 0, message: 'bad data', details: [] });
    expect(() => decodeStatus(Buffer.from([0x12, 0x09, 0x61]))).toThrow(/^invalid protobuf Status: index out of range/);
  });
});

// ---- clone -----------------------------------------------------------------------------------

describe('deepClone', () => {
  it('copies deeply: mutating the copy leaves the original and its bytes alone', () => {
    const original = makeSpans(4);
    const before = Buffer.from(encodeExportRequest('traces', original));
    const copy = deepClone('traces', original);
    const span = copy[0]!.scopeSpans[0]!.spans[0]!;
    span.name = 'renamed';
    span.attributes.push({ key: 'added', value: { stringValue: 'v' } });
    span.attributes[0]!.value!.stringValue = 'POST';
    span.traceId[0] = 0xff;
    copy[0]!.resource!.attributes.length = 0;
    span.events[0]!.attributes[0]!.key = 'changed';
    bytesEqual(encodeExportRequest('traces', original), before);
    expect(Buffer.from(encodeExportRequest('traces', copy)).equals(before)).toBe(false);
  });

  it('gives message instances like the decoder, with Buffer ids', () => {
    const original = makeLogs(2);
    const copy = deepClone('logs', original);
    const a = original[0]!.scopeLogs[0]!.logRecords[0]!;
    const b = copy[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(Object.getPrototypeOf(b)).toBe(Object.getPrototypeOf(a));
    expect(Buffer.isBuffer(b.traceId)).toBe(true);
    expect(b.traceId).not.toBe(a.traceId);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(b).toEqual(a);
  });

  it('turns hand-built plain objects into encodable message instances', () => {
    const plainLogs = [{ scopeLogs: [{ logRecords: [{ attributes: [{ key: 'k', value: { intValue: 5 } }], timeUnixNano: '1700000000000000001', body: { stringValue: '' } }] }] }];
    const copy = deepClone('logs', plainLogs as unknown as ResourceLogs[]);
    bytesEqual(encodeExportRequest('logs', copy), encodeExportRequest('logs', plainLogs as unknown as ResourceLogs[]));
  });

  it('clones a batch without touching its other fields', () => {
    const batch = { signal: 'metrics' as const, resources: makeMetrics(), context: { clientAddress: '127.0.0.1' } };
    const copy = cloneBatch(batch);
    expect(copy.signal).toBe('metrics');
    expect(copy.context).toBe(batch.context);
    expect(copy.resources).not.toBe(batch.resources);
    bytesEqual(encodeExportRequest('metrics', copy.resources), encodeExportRequest('metrics', batch.resources));
  });
});
