// The debug exporter: its three verbosity levels in the Collector's text formats,
// sampling, the use_internal_logger prefix, and its self-metrics.
import { describe, expect, it } from 'vitest';
import { compileConfigSchema } from '../../../src/config/validate.js';
import { createDebugExporter, debugExporter } from '../../../src/exporters/debug/index.js';
import type { DebugConfig } from '../../../src/exporters/debug/index.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { decodeExportRequest, encodeExportRequest } from '../../../src/pdata/proto.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testContext, testHost } from '../../helpers/index.js';
import { logsBatch, metricsBatch, tracesBatch } from './fixtures.js';

class Capture {
  readonly writes: string[] = [];
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
  get text(): string {
    return this.writes.join('');
  }
}

function exporter(config: Partial<DebugConfig>, options: { now?: () => number; telemetry?: SelfTelemetry } = {}) {
  const out = new Capture();
  const ctx = testContext('debug', 'exporter', options.telemetry);
  const exp = createDebugExporter({ use_internal_logger: false, ...config }, ctx, { out, now: options.now });
  return { exp, out };
}

describe('debug exporter config', () => {
  it('has the Collector defaults and rejects an unknown verbosity', () => {
    const validate = compileConfigSchema(debugExporter.configSchema);
    const config: Record<string, unknown> = {};
    expect(validate(config)).toBe(true);
    expect(config).toEqual({ verbosity: 'basic', sampling_initial: 2, sampling_thereafter: 1, use_internal_logger: true });
    expect(validate({ verbosity: 'detailled' })).toBe(false);
  });
});

describe('debug exporter', () => {
  it('basic: one summary line per batch with the counts', async () => {
    const { exp, out } = exporter({ verbosity: 'basic' });
    await exp.start(testHost);
    await exp.consume(logsBatch());
    await exp.consume(tracesBatch());
    await exp.consume(metricsBatch());
    await exp.shutdown();
    expect(out.text).toBe(
      'Logs\t{"resource logs": 1, "log records": 2}\n' +
        'Traces\t{"resource spans": 1, "spans": 1}\n' +
        'Metrics\t{"resource metrics": 1, "metrics": 5, "data points": 5}\n',
    );
  });

  it("as the retired logging exporter: loglevel debug prints every field, warn only the counts", async () => {
    const detailed = exporter({ verbosity: 'basic', loglevel: 'debug' });
    await detailed.exp.consume(logsBatch());
    expect(detailed.out.text).toContain('LogRecord #0');
    const basic = exporter({ verbosity: 'detailed', loglevel: 'warn' });
    await basic.exp.consume(logsBatch());
    expect(basic.out.text).toBe('Logs\t{"resource logs": 1, "log records": 2}\n');
  });

  it('with use_internal_logger, lines carry the log timestamp, level and component fields', async () => {
    const out = new Capture();
    const exp = createDebugExporter({ verbosity: 'basic' }, testContext('debug/x', 'exporter'), { out, now: () => Date.UTC(2025, 3, 17, 8, 40, 44, 559) });
    await exp.consume(logsBatch());
    expect(out.text).toBe(
      '2025-04-17T08:40:44.559Z\tinfo\tLogs\t{"otelcol.component.id": "debug/x", "otelcol.component.kind": "exporter", "otelcol.signal": "logs", "resource logs": 1, "log records": 2}\n',
    );
  });

  it('normal: a line per resource, scope and item', async () => {
    const { exp, out } = exporter({ verbosity: 'normal' });
    await exp.consume(logsBatch());
    await exp.consume(tracesBatch());
    await exp.consume(metricsBatch());
    expect(out.writes[0]).toBe(
      'Logs\t{"resource logs": 1, "log records": 2}\n' +
        'ResourceLog #0 [https://opentelemetry.io/schemas/1.25.0] service.name=checkout\n' +
        'ScopeLog #0 app@1.2\n' +
        'order placed order.id=42 paid=true\n' +
        '{"a":["x\\u003cy","/wA="],"z":1.5} \n' +
        '\n',
    );
    expect(out.writes[1]).toBe(
      'Traces\t{"resource spans": 1, "spans": 1}\n' +
        'ResourceTraces #0 service.name=checkout\n' +
        'ScopeTraces #0 http\n' +
        'GET /cart 0102030405060708090a0b0c0d0e0f10 1112131415161718 http.status_code=500\n' +
        '\n',
    );
    expect(out.writes[2]).toBe(
      'Metrics\t{"resource metrics": 1, "metrics": 5, "data points": 5}\n' +
        'ResourceMetrics #0\n' +
        'ScopeMetrics #0 meter@0.1\n' +
        'queue.size{host=a} 123\n' +
        'requests{} 4.56\n' +
        'latency{host=a} count=3 sum=15 min=1 max=10 le5=2 1\n' +
        'size{} count=3 sum=1.25\n' +
        'rtt{} count=1 sum=15.000000 q0.5=15\n' +
        '\n',
    );
  });

  it('detailed: logs, field by field', async () => {
    const { exp, out } = exporter({ verbosity: 'detailed' });
    await exp.consume(logsBatch());
    expect(out.text).toBe(
      [
        'Logs\t{"resource logs": 1, "log records": 2}',
        'ResourceLog #0',
        'Resource SchemaURL: https://opentelemetry.io/schemas/1.25.0',
        'Resource attributes:',
        '     -> service.name: Str(checkout)',
        'ScopeLogs #0',
        'ScopeLogs SchemaURL: ',
        'InstrumentationScope app 1.2',
        'LogRecord #0',
        'ObservedTimestamp: 1970-01-01 00:00:00 +0000 UTC',
        'Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC',
        'SeverityText: Info',
        'SeverityNumber: Info(9)',
        'Body: Str(order placed)',
        'Attributes:',
        '     -> order.id: Int(42)',
        '     -> paid: Bool(true)',
        'Trace ID: 0102030405060708090a0b0c0d0e0f10',
        'Span ID: 1112131415161718',
        'Flags: 1',
        'LogRecord #1',
        'ObservedTimestamp: 2020-02-11 20:26:13.000000789 +0000 UTC',
        'Timestamp: 1970-01-01 00:00:00 +0000 UTC',
        'SeverityText: ',
        'SeverityNumber: Error(17)',
        'EventName: app.crash',
        'Body: Map({"a":["x\\u003cy","/wA="],"z":1.5})',
        'Trace ID: ',
        'Span ID: ',
        'Flags: 0',
        '',
        '',
      ].join('\n'),
    );
  });

  it('detailed: spans with events and links', async () => {
    const { exp, out } = exporter({ verbosity: 'detailed' });
    await exp.consume(tracesBatch());
    expect(out.writes[0]?.split('\n')).toEqual([
      'Traces\t{"resource spans": 1, "spans": 1}',
      'ResourceSpans #0',
      'Resource SchemaURL: ',
      'Resource attributes:',
      '     -> service.name: Str(checkout)',
      'ScopeSpans #0',
      'ScopeSpans SchemaURL: ',
      'InstrumentationScope http ',
      'Span #0',
      '    Trace ID       : 0102030405060708090a0b0c0d0e0f10',
      '    Parent ID      : ',
      '    ID             : 1112131415161718',
      '    Name           : GET /cart',
      '    Kind           : Server',
      '    TraceState     : ot=th:0',
      '    Start time     : 2020-02-11 20:26:12.000000321 +0000 UTC',
      '    End time       : 2020-02-11 20:26:13.000000789 +0000 UTC',
      '    Status code    : Error',
      '    Status message : boom',
      '    DroppedAttributesCount: 1',
      '    DroppedEventsCount: 0',
      '    DroppedLinksCount: 0',
      'Attributes:',
      '     -> http.status_code: Int(500)',
      'Events:',
      'SpanEvent #0',
      '     -> Name: retry',
      '     -> Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC',
      '     -> DroppedAttributesCount: 2',
      '     -> Attributes::',
      '          -> attempt: Int(2)',
      'Links:',
      'SpanLink #0',
      '     -> Trace ID: 0102030405060708090a0b0c0d0e0f10',
      '     -> ID: 2122232425262728',
      '     -> TraceState: ',
      '     -> DroppedAttributesCount: 0',
      '',
      '',
    ]);
  });

  it('detailed: every metric type', async () => {
    const { exp, out } = exporter({ verbosity: 'detailed' });
    await exp.consume(metricsBatch());
    expect(out.writes[0]?.split('\n')).toEqual([
      'Metrics\t{"resource metrics": 1, "metrics": 5, "data points": 5}',
      'ResourceMetrics #0',
      'Resource SchemaURL: ',
      'ScopeMetrics #0',
      'ScopeMetrics SchemaURL: ',
      'InstrumentationScope meter 0.1',
      'Metric #0',
      'Descriptor:',
      '     -> Name: queue.size',
      '     -> Description: ',
      '     -> Unit: 1',
      '     -> DataType: Gauge',
      'NumberDataPoints #0',
      'Data point attributes:',
      '     -> host: Str(a)',
      'StartTimestamp: 2020-02-11 20:26:12.000000321 +0000 UTC',
      'Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC',
      'Value: 123',
      'Metric #1',
      'Descriptor:',
      '     -> Name: requests',
      '     -> Description: served',
      '     -> Unit: {request}',
      '     -> DataType: Sum',
      '     -> IsMonotonic: true',
      '     -> AggregationTemporality: Cumulative',
      'NumberDataPoints #0',
      'StartTimestamp: 1970-01-01 00:00:00 +0000 UTC',
      'Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC',
      'Value: 4.560000',
      'Metric #2',
      'Descriptor:',
      '     -> Name: latency',
      '     -> Description: ',
      '     -> Unit: ms',
      '     -> DataType: Histogram',
      '     -> AggregationTemporality: Delta',
      'HistogramDataPoints #0',
      'Data point attributes:',
      '     -> host: Str(a)',
      'StartTimestamp: 1970-01-01 00:00:00 +0000 UTC',
      'Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC',
      'Count: 3',
      'Sum: 15.000000',
      'Min: 1.000000',
      'Max: 10.000000',
      'ExplicitBounds #0: 5.000000',
      'Buckets #0, Count: 2',
      'Buckets #1, Count: 1',
      'Exemplars:',
      'Exemplar #0',
      '     -> Trace ID: 0102030405060708090a0b0c0d0e0f10',
      '     -> Span ID: 1112131415161718',
      '     -> Timestamp: 2020-02-11 20:26:13.000000789 +0000 UTC',
      '     -> Value: 10.000000',
      '     -> FilteredAttributes:',
      '          -> user: Str(u1)',
      'Metric #3',
      'Descriptor:',
      '     -> Name: size',
      '     -> Description: ',
      '     -> Unit: ',
      '     -> DataType: ExponentialHistogram',
      '     -> AggregationTemporality: Delta',
      'ExponentialHistogramDataPoints #0',
      'StartTimestamp: 1970-01-01 00:00:00 +0000 UTC',
      'Timestamp: 1970-01-01 00:00:00 +0000 UTC',
      'Count: 3',
      'Sum: 1.250000',
      'Bucket [-1.414214, -1.000000), Count: 1',
      'Bucket [0, 0], Count: 1',
      'Bucket (0.500000, 0.707107], Count: 1',
      'Bucket (0.707107, 1.000000], Count: 1',
      'Metric #4',
      'Descriptor:',
      '     -> Name: rtt',
      '     -> Description: ',
      '     -> Unit: ',
      '     -> DataType: Summary',
      'SummaryDataPoints #0',
      'StartTimestamp: 1970-01-01 00:00:00 +0000 UTC',
      'Timestamp: 1970-01-01 00:00:00 +0000 UTC',
      'Count: 1',
      'Sum: 15.000000',
      'QuantileValue #0: Quantile 0.500000, Value 15.000000',
      '',
      '',
    ]);
  });

  it('prints data decoded from protobuf exactly as the objects it was encoded from', async () => {
    for (const verbosity of ['normal', 'detailed'] as const) {
      const { exp, out } = exporter({ verbosity });
      for (const batch of [logsBatch(), tracesBatch(), metricsBatch()]) {
        const decoded = makeBatch(batch.signal, decodeExportRequest(batch.signal, encodeExportRequest(batch.signal, batch.resources)));
        await exp.consume(batch);
        await exp.consume(decoded);
      }
      expect(out.writes).toHaveLength(6);
      for (let i = 0; i < 6; i += 2) expect(out.writes[i + 1]).toBe(out.writes[i]);
    }
  });

  it('samples like zap: sampling_initial per second, then every sampling_thereafter-th', async () => {
    let clock = 10_000;
    const { exp, out } = exporter({ verbosity: 'basic', sampling_initial: 2, sampling_thereafter: 3 }, { now: () => clock });
    for (let i = 0; i < 10; i++) await exp.consume(logsBatch());
    // Printed: 1st, 2nd, then the 5th and 8th.
    expect(out.writes).toHaveLength(4);
    // Traces count on their own.
    await exp.consume(tracesBatch());
    expect(out.writes).toHaveLength(5);
    // A new second starts afresh.
    clock += 1000;
    await exp.consume(logsBatch());
    await exp.consume(logsBatch());
    await exp.consume(logsBatch());
    expect(out.writes).toHaveLength(7);
  });

  it('counts what it printed as sent', async () => {
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const { exp } = exporter({}, { telemetry });
    await exp.consume(logsBatch());
    await exp.consume(metricsBatch());
    const logs = await telemetry.registry.getSingleMetric('otelcol_exporter_sent_log_records_total')?.get();
    expect(logs?.values).toEqual([{ labels: { exporter: 'debug' }, value: 2 }]);
    const points = await telemetry.registry.getSingleMetric('otelcol_exporter_sent_metric_points_total')?.get();
    expect(points?.values).toEqual([{ labels: { exporter: 'debug' }, value: 5 }]);
  });
});

describe('debug exporter output_paths', () => {
  it('writes to the files in output_paths when use_internal_logger is false', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'ferry-debug-'));
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    const exp = createDebugExporter({ use_internal_logger: false, output_paths: [a, b] }, testContext('debug', 'exporter'));
    await exp.consume(logsBatch());
    await exp.shutdown();
    for (const f of [a, b]) expect(readFileSync(f, 'utf8')).toBe('Logs\t{"resource logs": 1, "log records": 2}\n');
  });
});
