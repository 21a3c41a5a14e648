// The real OpenTelemetry JS SDK exporters as clients: every signal over gRPC,
// HTTP/protobuf and HTTP/JSON reaches the pipeline with attributes, ids and timestamps intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ResourceMetrics as SdkResourceMetrics } from '@opentelemetry/sdk-metrics';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { LogsBatch, MetricsBatch, TracesBatch } from '../../../src/pdata/batch.js';
import type { AnyValue, Int64, KeyValue } from '../../../src/pdata/types.js';
import type { Running } from './fixtures.js';
import { startReceiver } from './fixtures.js';

type Transport = 'grpc' | 'http/protobuf' | 'http/json';
const TRANSPORTS: readonly Transport[] = ['grpc', 'http/protobuf', 'http/json'];

interface SdkExporter<T> {
  export(items: T, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

let running: Running;
beforeAll(async () => {
  running = await startReceiver();
});
afterAll(async () => {
  await running.receiver.shutdown();
});

function url(transport: Transport, path: string): string {
  return transport === 'grpc' ? `http://127.0.0.1:${running.grpcPort}` : `http://127.0.0.1:${running.httpPort}${path}`;
}

/** Export through a real SDK exporter and resolve with its result code (0 = SUCCESS). */
async function exportThrough<T>(exporter: SdkExporter<T>, items: T): Promise<ExportResult> {
  try {
    return await new Promise<ExportResult>((resolve) => exporter.export(items, resolve));
  } finally {
    await exporter.shutdown();
  }
}

const resource = resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'test' });

function attr(list: readonly KeyValue[] | undefined, key: string): AnyValue | null | undefined {
  return list?.find((kv) => kv.key === key)?.value;
}

function nanos(v: Int64 | undefined): bigint {
  return BigInt(String(v ?? 0));
}

function hex(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? []).toString('hex');
}

describe.each(TRANSPORTS)('SDK exporters over %s', (transport) => {
  it('delivers spans', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
    const span = provider.getTracer('ferry-test', '1.2.3').startSpan('GET /cart', {
      kind: SpanKind.SERVER,
      startTime: [1_700_000_000, 123_456_789],
      attributes: { 'http.route': '/cart', 'http.status_code': 200, retry: true },
    });
    span.end([1_700_000_001, 5]);
    const spans: ReadableSpan[] = memory.getFinishedSpans();
    const exporter =
      transport === 'grpc'
        ? new TraceGrpc({ url: url(transport, '') })
        : transport === 'http/protobuf'
          ? new TraceProto({ url: url(transport, '/v1/traces') })
          : new TraceJson({ url: url(transport, '/v1/traces') });
    const before = running.consumers.traces.batches.length;
    expect((await exportThrough(exporter, spans)).code).toBe(0);

    const batch = running.consumers.traces.batches[before] as TracesBatch;
    const rs = batch.resources[0];
    expect(attr(rs?.resource?.attributes, 'service.name')?.stringValue).toBe('checkout');
    const scope = rs?.scopeSpans[0];
    expect(scope?.scope?.name).toBe('ferry-test');
    expect(scope?.scope?.version).toBe('1.2.3');
    const got = scope?.spans[0];
    expect(got?.name).toBe('GET /cart');
    expect(got?.kind).toBe(2); // SPAN_KIND_SERVER
    expect(hex(got?.traceId)).toBe(span.spanContext().traceId);
    expect(hex(got?.spanId)).toBe(span.spanContext().spanId);
    expect(nanos(got?.startTimeUnixNano)).toBe(1_700_000_000_123_456_789n);
    expect(nanos(got?.endTimeUnixNano)).toBe(1_700_000_001_000_000_005n);
    expect(attr(got?.attributes, 'http.route')?.stringValue).toBe('/cart');
    expect(Number(attr(got?.attributes, 'http.status_code')?.intValue)).toBe(200);
    expect(attr(got?.attributes, 'retry')?.boolValue).toBe(true);
  });

  it('delivers log records', async () => {
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    provider.getLogger('ferry-test').emit({
      body: 'payment accepted',
      severityNumber: 9,
      severityText: 'INFO',
      timestamp: [1_700_000_000, 987_654_321],
      attributes: { 'order.id': 'A-17', amount: 12.5 },
      context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
    });
    const records: ReadableLogRecord[] = memory.getFinishedLogRecords();
    const exporter =
      transport === 'grpc'
        ? new LogsGrpc({ url: url(transport, '') })
        : transport === 'http/protobuf'
          ? new LogsProto({ url: url(transport, '/v1/logs') })
          : new LogsJson({ url: url(transport, '/v1/logs') });
    const before = running.consumers.logs.batches.length;
    expect((await exportThrough(exporter, records)).code).toBe(0);

    const batch = running.consumers.logs.batches[before] as LogsBatch;
    expect(attr(batch.resources[0]?.resource?.attributes, 'deployment.environment')?.stringValue).toBe('test');
    const got = batch.resources[0]?.scopeLogs[0]?.logRecords[0];
    expect(got?.body?.stringValue).toBe('payment accepted');
    expect(got?.severityNumber).toBe(9);
    expect(got?.severityText).toBe('INFO');
    expect(nanos(got?.timeUnixNano)).toBe(1_700_000_000_987_654_321n);
    expect(hex(got?.traceId)).toBe(spanContext.traceId);
    expect(hex(got?.spanId)).toBe(spanContext.spanId);
    expect(attr(got?.attributes, 'order.id')?.stringValue).toBe('A-17');
    expect(attr(got?.attributes, 'amount')?.doubleValue).toBe(12.5);
  });

  it('delivers metric points', async () => {
    class PullReader extends MetricReader {
      protected async onShutdown(): Promise<void> {}
      protected async onForceFlush(): Promise<void> {}
    }
    const reader = new PullReader();
    const provider = new MeterProvider({ resource, readers: [reader] });
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const counter = provider.getMeter('ferry-test').createCounter('orders', { unit: '{order}', description: 'Orders placed' });
    counter.add(5, { region: 'eu' });
    counter.add(2, { region: 'us' });
    const { resourceMetrics } = await reader.collect();
    const collectedNs = BigInt(Date.now()) * 1_000_000n;
    const exporter =
      transport === 'grpc'
        ? new MetricsGrpc({ url: url(transport, '') })
        : transport === 'http/protobuf'
          ? new MetricsProto({ url: url(transport, '/v1/metrics') })
          : new MetricsJson({ url: url(transport, '/v1/metrics') });
    const before = running.consumers.metrics.batches.length;
    expect((await exportThrough<SdkResourceMetrics>(exporter, resourceMetrics)).code).toBe(0);
    await provider.shutdown();

    const batch = running.consumers.metrics.batches[before] as MetricsBatch;
    const metric = batch.resources[0]?.scopeMetrics[0]?.metrics[0];
    expect(metric?.name).toBe('orders');
    expect(metric?.unit).toBe('{order}');
    expect(metric?.description).toBe('Orders placed');
    expect(metric?.sum?.isMonotonic).toBe(true);
    const points = metric?.sum?.dataPoints ?? [];
    expect(points).toHaveLength(2);
    const eu = points.find((p) => attr(p.attributes, 'region')?.stringValue === 'eu');
    expect(eu?.asDouble).toBe(5);
    const t = nanos(eu?.timeUnixNano);
    expect(t >= startedNs - 1_000_000n && t <= collectedNs + 1_000_000n).toBe(true);
    expect(batch.context?.clientAddress).toBe('127.0.0.1');
  });
});
