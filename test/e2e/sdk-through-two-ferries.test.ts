// The core promise, end to end with real processes: the OpenTelemetry JS SDK's
// exporters (grpc, http/protobuf, http/json) → Ferry A → (otlp and otlphttp
// exporters) → Ferry B → file exporter; every record, attribute, id and timestamp
// must arrive intact, and both Ferries' self-metrics must count exactly what was sent.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPLogExporter as GrpcLogs } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogs } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogs } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraces } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraces } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraces } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPMetricExporter as GrpcMetrics } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetrics } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetrics } from '@opentelemetry/exporter-metrics-otlp-proto';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import type { ResourceLogs, ResourceMetrics, ResourceSpans, Signal } from '../../src/pdata/types.js';
import { completeJsonLines, freePort, waitFor } from '../helpers/index.js';
import { attrs, plain } from '../helpers/values.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { metricValue, startFerry, tempDir, writeConfig } from '../helpers/ferry.js';

const TRANSPORTS = ['grpc', 'http/protobuf', 'http/json'] as const;
type Transport = (typeof TRANSPORTS)[number];
const LOGS_PER_TRANSPORT = 5;

const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');
const nanos = (hr: [number, number]) => (BigInt(hr[0]) * 1_000_000_000n + BigInt(hr[1])).toString();


function readFileExport<S extends Signal>(path: string, signal: S): ReturnType<typeof decodeJsonExportRequest<S>> {
  const out: unknown[] = [];
  for (const parsed of completeJsonLines(path)) {
    const key = signal === 'logs' ? 'resourceLogs' : signal === 'traces' ? 'resourceSpans' : 'resourceMetrics';
    if (!(key in parsed)) continue;
    out.push(...(decodeJsonExportRequest(signal, parsed) as unknown[]));
  }
  return out as ReturnType<typeof decodeJsonExportRequest<S>>;
}

const logRecords = (rs: ResourceLogs[]) =>
  rs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((lr) => ({ resource: attrs(r.resource?.attributes), scope: s.scope, lr }))));
const spans = (rs: ResourceSpans[]) =>
  rs.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ resource: attrs(r.resource?.attributes), scope: s.scope, span }))));
const metrics = (rs: ResourceMetrics[]) =>
  rs.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => ({ resource: attrs(r.resource?.attributes), m }))));

describe('OpenTelemetry SDK → Ferry A → Ferry B → file', () => {
  let a: FerryProcess;
  let b: FerryProcess;
  const ports: Record<string, number> = {};
  const dir = tempDir('ferry-e2e-');
  const out = { grpc: join(dir, 'via-grpc.jsonl'), http: join(dir, 'via-http.jsonl') };
  const sentSpans: Record<Transport, ReadableSpan[]> = { grpc: [], 'http/protobuf': [], 'http/json': [] };
  const logTimes: Record<Transport, [number, number][]> = { grpc: [], 'http/protobuf': [], 'http/json': [] };

  beforeAll(async () => {
    for (const k of ['aGrpc', 'aHttp', 'aMetrics', 'bGrpc', 'bHttp', 'bMetrics']) ports[k] = await freePort();
    // Ferry B: one receiver per upstream exporter, each into its own file, so we can
    // tell that both the otlp (gRPC) and the otlphttp exporter delivered everything.
    const bConfig = writeConfig(`
receivers:
  otlp/grpc:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${ports.bGrpc}
  otlp/http:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.bHttp}
exporters:
  file/grpc:
    path: ${out.grpc}
  file/http:
    path: ${out.http}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${ports.bMetrics}
  pipelines:
${(['logs', 'traces', 'metrics'] as const)
  .flatMap((s) => [
    `    ${s}/grpc:\n      receivers: [otlp/grpc]\n      exporters: [file/grpc]`,
    `    ${s}/http:\n      receivers: [otlp/http]\n      exporters: [file/http]`,
  ])
  .join('\n')}
`);
    const aConfig = writeConfig(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${ports.aGrpc}
      http:
        endpoint: 127.0.0.1:${ports.aHttp}
processors:
  batch:
    timeout: 50ms
exporters:
  otlp/b:
    endpoint: 127.0.0.1:${ports.bGrpc}
    tls:
      insecure: true
  otlphttp/b:
    endpoint: http://127.0.0.1:${ports.bHttp}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${ports.aMetrics}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp/b, otlphttp/b]
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp/b, otlphttp/b]
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp/b, otlphttp/b]
`);
    b = await startFerry(['--config', bConfig]);
    a = await startFerry(['--config', aConfig]);

    for (const t of TRANSPORTS) {
      const grpcUrl = `http://127.0.0.1:${ports.aGrpc}`;
      const httpUrl = (path: string) => `http://127.0.0.1:${ports.aHttp}${path}`;
      const resource = resourceFromAttributes({ 'service.name': `e2e-${t}`, 'service.version': '1.2.3', 'transport.under.test': t });

      // ---- logs: every attribute value type, ids from an active span context, exact timestamps.
      const logExporter = t === 'grpc' ? new GrpcLogs({ url: grpcUrl }) : t === 'http/protobuf' ? new ProtoLogs({ url: httpUrl('/v1/logs') }) : new JsonLogs({ url: httpUrl('/v1/logs') });
      const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
      const logger = loggerProvider.getLogger('e2e-logger', '0.0.1');
      const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
      for (let i = 0; i < LOGS_PER_TRANSPORT; i++) {
        const ts: [number, number] = [1_700_000_000 + i, 123_456_789];
        logTimes[t].push(ts);
        logger.emit({
          body: `record ${i} via ${t}`,
          severityNumber: SeverityNumber.WARN,
          severityText: 'WARN',
          timestamp: ts,
          observedTimestamp: [1_700_000_100 + i, 987_654_321],
          context: trace.setSpanContext(context.active(), spanContext),
          attributes: {
            'attr.string': 'hello',
            'attr.int': 42 + i,
            'attr.double': 3.25,
            'attr.bool': true,
            'attr.strings': ['a', 'b'],
            'attr.ints': [1, 2, 3],
            index: i,
          } satisfies Attributes,
        });
      }
      await loggerProvider.forceFlush();
      await loggerProvider.shutdown();

      // ---- traces: parent/child, events, links, status; the in-memory copy is the truth.
      const memory = new InMemorySpanExporter();
      const traceExporter = t === 'grpc' ? new GrpcTraces({ url: grpcUrl }) : t === 'http/protobuf' ? new ProtoTraces({ url: httpUrl('/v1/traces') }) : new JsonTraces({ url: httpUrl('/v1/traces') });
      const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(traceExporter)] });
      const tracer = tracerProvider.getTracer('e2e-tracer', '0.0.2');
      const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER, attributes: { 'http.route': '/orders', 'http.status_code': 200 } });
      const child = tracer.startSpan(
        'child',
        { kind: SpanKind.CLIENT, links: [{ context: { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceFlags: 1 }, attributes: { 'link.kind': 'retry' } }] },
        trace.setSpan(context.active(), parent),
      );
      child.addEvent('cache miss', { key: 'order:7' });
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'backend timeout' });
      child.end();
      parent.end();
      await tracerProvider.forceFlush();
      sentSpans[t] = memory.getFinishedSpans();
      await tracerProvider.shutdown();

      // ---- metrics: a monotonic sum, an up-down sum, a histogram and a gauge.
      const metricExporter = t === 'grpc' ? new GrpcMetrics({ url: grpcUrl, temporalityPreference: AggregationTemporality.CUMULATIVE }) : t === 'http/protobuf' ? new ProtoMetrics({ url: httpUrl('/v1/metrics') }) : new JsonMetrics({ url: httpUrl('/v1/metrics') });
      const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
      const meterProvider = new MeterProvider({ resource, readers: [reader] });
      const meter = meterProvider.getMeter('e2e-meter');
      meter.createCounter('orders_total', { unit: '{order}' }).add(7, { region: 'eu' });
      meter.createUpDownCounter('queue_depth').add(-3);
      const h = meter.createHistogram('latency', { unit: 's' });
      for (const v of [0.1, 0.2, 3]) h.record(v, { route: '/orders' });
      meter.createGauge('temperature').record(21.5);
      await meterProvider.forceFlush();
      await meterProvider.shutdown();
    }
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('delivers every log record intact through both the otlp and the otlphttp exporter', async () => {
    const expected = LOGS_PER_TRANSPORT * TRANSPORTS.length;
    for (const file of [out.grpc, out.http]) {
      await waitFor(() => logRecords(readFileExport(file, 'logs')).length >= expected, `${expected} log records in ${file}`);
      const records = logRecords(readFileExport(file, 'logs'));
      expect(records).toHaveLength(expected);
      for (const t of TRANSPORTS) {
        const mine = records.filter((r) => r.resource['transport.under.test'] === t).sort((x, y) => Number(attrs(x.lr.attributes).index) - Number(attrs(y.lr.attributes).index));
        expect(mine).toHaveLength(LOGS_PER_TRANSPORT);
        mine.forEach(({ resource, scope, lr }, i) => {
          expect(resource).toMatchObject({ 'service.name': `e2e-${t}`, 'service.version': '1.2.3' });
          expect(scope?.name).toBe('e2e-logger');
          expect(scope?.version).toBe('0.0.1');
          expect(plain(lr.body)).toBe(`record ${i} via ${t}`);
          expect(lr.severityNumber).toBe(13);
          expect(lr.severityText).toBe('WARN');
          expect(lr.timeUnixNano?.toString()).toBe(nanos(logTimes[t][i] as [number, number]));
          expect(lr.observedTimeUnixNano?.toString()).toBe(nanos([1_700_000_100 + i, 987_654_321]));
          expect(hex(lr.traceId)).toBe('0af7651916cd43dd8448eb211c80319c');
          expect(hex(lr.spanId)).toBe('b7ad6b7169203331');
          expect(lr.flags).toBe(1);
          expect(attrs(lr.attributes)).toEqual({
            'attr.string': 'hello',
            'attr.int': 42 + i,
            'attr.double': 3.25,
            'attr.bool': true,
            'attr.strings': ['a', 'b'],
            'attr.ints': [1, 2, 3],
            index: i,
          });
        });
      }
    }
  });

  it('delivers every span with its ids, timestamps, events, links and status', async () => {
    const expected = 2 * TRANSPORTS.length;
    for (const file of [out.grpc, out.http]) {
      await waitFor(() => spans(readFileExport(file, 'traces')).length >= expected, `${expected} spans in ${file}`);
      const got = spans(readFileExport(file, 'traces'));
      expect(got).toHaveLength(expected);
      for (const t of TRANSPORTS) {
        for (const want of sentSpans[t]) {
          const match = got.find((g) => hex(g.span.spanId) === want.spanContext().spanId);
          expect(match, `span ${want.name} via ${t}`).toBeDefined();
          const { span, resource, scope } = match!;
          expect(resource['transport.under.test']).toBe(t);
          expect(scope?.name).toBe('e2e-tracer');
          expect(hex(span.traceId)).toBe(want.spanContext().traceId);
          expect(hex(span.parentSpanId)).toBe(want.parentSpanContext?.spanId ?? '');
          expect(span.name).toBe(want.name);
          expect(span.kind).toBe(want.kind + 1); // OTLP SpanKind is the API's + 1
          expect(span.startTimeUnixNano?.toString()).toBe(nanos(want.startTime));
          expect(span.endTimeUnixNano?.toString()).toBe(nanos(want.endTime));
          expect(attrs(span.attributes)).toEqual(want.attributes);
          expect(span.events.map((e) => ({ name: e.name, attrs: attrs(e.attributes), time: e.timeUnixNano?.toString() }))).toEqual(
            want.events.map((e) => ({ name: e.name, attrs: e.attributes ?? {}, time: nanos(e.time) })),
          );
          expect(span.links.map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), attrs: attrs(l.attributes) }))).toEqual(
            want.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attrs: l.attributes ?? {} })),
          );
          expect(span.status?.code ?? 0).toBe(want.status.code);
          expect(span.status?.message ?? '').toBe(want.status.message ?? '');
        }
      }
    }
  });

  it('delivers every metric type with its values', async () => {
    for (const file of [out.grpc, out.http]) {
      // Every transport's four metrics (a retried batch can repeat some before the others arrive).
      const complete = (): boolean => {
        const seen = metrics(readFileExport(file, 'metrics'));
        return TRANSPORTS.every((t) => ['orders_total', 'queue_depth', 'latency', 'temperature'].every((n) => seen.some((g) => g.resource['transport.under.test'] === t && g.m.name === n)));
      };
      await waitFor(complete, `metrics in ${file}`);
      const got = metrics(readFileExport(file, 'metrics'));
      for (const t of TRANSPORTS) {
        const mine = got.filter((g) => g.resource['transport.under.test'] === t);
        const by = (name: string) => mine.find((g) => g.m.name === name)?.m;
        const orders = by('orders_total');
        expect(orders?.unit).toBe('{order}');
        expect(orders?.sum?.isMonotonic).toBe(true);
        expect(Number(orders?.sum?.dataPoints[0]?.asDouble ?? orders?.sum?.dataPoints[0]?.asInt?.toString())).toBe(7);
        expect(attrs(orders?.sum?.dataPoints[0]?.attributes)).toEqual({ region: 'eu' });
        const depth = by('queue_depth');
        expect(depth?.sum?.isMonotonic).toBe(false);
        expect(Number(depth?.sum?.dataPoints[0]?.asDouble ?? depth?.sum?.dataPoints[0]?.asInt?.toString())).toBe(-3);
        const latency = by('latency')?.histogram?.dataPoints[0];
        expect(Number(latency?.count?.toString())).toBe(3);
        expect(latency?.sum).toBeCloseTo(3.3, 10);
        expect(latency?.min).toBe(0.1);
        expect(latency?.max).toBe(3);
        expect(latency?.bucketCounts.reduce<number>((n, c) => n + Number(c.toString()), 0)).toBe(3);
        expect(latency?.explicitBounds.length).toBeGreaterThan(0);
        const temp = by('temperature')?.gauge?.dataPoints[0];
        expect(temp?.asDouble).toBe(21.5);
      }
    }
  });

  it("counts exactly what was sent in both Ferries' self-metrics", async () => {
    const aUrl = `http://127.0.0.1:${ports.aMetrics}/metrics`;
    const bUrl = `http://127.0.0.1:${ports.bMetrics}/metrics`;
    const accepted = 'otelcol_receiver_accepted_log_records_total';
    expect(await metricValue(aUrl, accepted, { receiver: 'otlp', transport: 'grpc' })).toBe(LOGS_PER_TRANSPORT);
    expect(await metricValue(aUrl, accepted, { receiver: 'otlp', transport: 'http' })).toBe(2 * LOGS_PER_TRANSPORT);
    expect(await metricValue(aUrl, 'otelcol_receiver_accepted_spans_total', { receiver: 'otlp' })).toBe(6);
    expect(await metricValue(aUrl, 'otelcol_receiver_refused_log_records_total')).toBe(0);
    for (const exporter of ['otlp/b', 'otlphttp/b']) {
      await waitFor(async () => (await metricValue(aUrl, 'otelcol_exporter_sent_log_records_total', { exporter })) === 15, `${exporter} sent count`);
      expect(await metricValue(aUrl, 'otelcol_exporter_sent_spans_total', { exporter })).toBe(6);
      expect(await metricValue(aUrl, 'otelcol_exporter_send_failed_log_records_total', { exporter })).toBe(0);
    }
    expect(await metricValue(bUrl, accepted, { receiver: 'otlp/grpc', transport: 'grpc' })).toBe(15);
    expect(await metricValue(bUrl, accepted, { receiver: 'otlp/http', transport: 'http' })).toBe(15);
    expect(await metricValue(bUrl, 'otelcol_exporter_sent_log_records_total', { exporter: 'file/grpc' })).toBe(15);
    expect(await metricValue(aUrl, 'otelcol_process_uptime_seconds_total')).toBeGreaterThan(0);
    expect(await metricValue(aUrl, 'otelcol_process_memory_rss_bytes')).toBeGreaterThan(0);
  });
});
