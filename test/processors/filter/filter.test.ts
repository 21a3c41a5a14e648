// The filter processor: the min_severity level filter, the Collector's include/exclude for
// logs, spans and metrics, exact drop counts, empty containers removed, callers acknowledged.
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../../src/pdata/batch.js';
import type { ResourceMetrics, ResourceSpans } from '../../../src/pdata/types.js';
import type { SelfTelemetry } from '../../../src/telemetry/self.js';
import { makeMetrics, makeSpans } from '../../pdata/fixtures.js';
import { attrsOf, errorLines, kvs, loadProcessors, logsBatch, makeProcessor, receivedLogs } from '../helpers.js';

async function counter(t: SelfTelemetry, name: string): Promise<number> {
  const m = t.registry.getSingleMetric(name);
  const values = (await m?.get())?.values ?? [];
  return values.filter((v) => v.labels.filter === 'filter').reduce((n, v) => n + v.value, 0);
}

// Severity 0 (unspecified) through FATAL, one record each, over two resources.
const levels = () =>
  logsBatch([
    {
      resource: { 'service.name': 'api', env: 'prod' },
      records: [
        { severityNumber: 0, body: { stringValue: 'plain stdout line' }, attributes: kvs({ i: 0 }) },
        { severityNumber: 1, severityText: 'TRACE', body: { stringValue: 'trace detail' }, attributes: kvs({ i: 1 }) },
        { severityNumber: 5, severityText: 'DEBUG', body: { stringValue: 'debug detail' }, attributes: kvs({ i: 2 }) },
        { severityNumber: 9, severityText: 'INFO', body: { stringValue: 'request served' }, attributes: kvs({ i: 3, route: '/health' }) },
      ],
    },
    {
      resource: { 'service.name': 'worker', env: 'dev' },
      records: [
        { severityNumber: 14, severityText: 'WARN2', body: { stringValue: 'slow job' }, attributes: kvs({ i: 4 }) },
        { severityNumber: 17, severityText: 'ERROR', body: { stringValue: 'job failed: timeout' }, attributes: kvs({ i: 5 }) },
        { severityNumber: 21, severityText: 'FATAL', body: { stringValue: 'out of disk' }, attributes: kvs({ i: 6 }) },
      ],
    },
  ]);

const kept = (next: Parameters<typeof receivedLogs>[0]): number[] => receivedLogs(next).map((l) => attrsOf(l.record.attributes).i as number);

describe('filter processor: min_severity', () => {
  it('drops records below the level, keeps unspecified severity, and counts the drops', async () => {
    const { processor, next, telemetry } = await makeProcessor('filter', 'logs:\n  min_severity: info');
    expect(processor.mutatesData).toBe(false);
    const batch = levels();
    await processor.consume(batch);
    expect(kept(next)).toEqual([0, 3, 4, 5, 6]);
    expect(await counter(telemetry, 'otelcol_processor_filter_logs_filtered_total')).toBe(2);
    // The caller's batch is untouched: the processor builds new containers.
    expect(batch.signal === 'logs' && batch.resources[0]!.scopeLogs[0]!.logRecords).toHaveLength(4);
  });

  it('drops unspecified severity too with keep_unspecified_severity: false, and removes emptied resources', async () => {
    const { processor, next, telemetry } = await makeProcessor('filter', 'logs:\n  min_severity: WARN\n  keep_unspecified_severity: false');
    await processor.consume(levels());
    expect(kept(next)).toEqual([4, 5, 6]);
    expect(next.batches[0]!.resources).toHaveLength(1);
    expect(attrsOf(next.batches[0]!.resources[0]!.resource?.attributes)['service.name']).toBe('worker');
    expect(await counter(telemetry, 'otelcol_processor_filter_logs_filtered_total')).toBe(4);
  });

  it('acknowledges a batch it drops entirely, without sending anything on', async () => {
    const { processor, next, telemetry } = await makeProcessor('filter', 'logs:\n  min_severity: FATAL2\n  keep_unspecified_severity: false');
    next.fail = new Error('must not be called');
    await expect(processor.consume(levels())).resolves.toBeUndefined();
    expect(next.batches).toHaveLength(0);
    expect(await counter(telemetry, 'otelcol_processor_filter_logs_filtered_total')).toBe(7);
  });

  it('passes a batch that loses nothing through as it is', async () => {
    const { processor, next } = await makeProcessor('filter', 'logs:\n  min_severity: TRACE');
    const batch = levels();
    await processor.consume(batch);
    expect(next.batches[0]).toBe(batch);
  });
});

describe('filter processor: include / exclude', () => {
  it('logs: keeps only include matches, then drops exclude matches (resource attributes, bodies, severity)', async () => {
    const { processor, next, telemetry } = await makeProcessor(
      'filter',
      `logs:
  include:
    match_type: strict
    resource_attributes: [{key: env, value: prod}]
  exclude:
    match_type: regexp
    bodies: ["^trace", "detail$"]`,
    );
    await processor.consume(levels());
    expect(kept(next)).toEqual([0, 3]);
    expect(await counter(telemetry, 'otelcol_processor_filter_logs_filtered_total')).toBe(5);

    const bySeverity = await makeProcessor('filter', 'logs:\n  exclude:\n    match_type: strict\n    severity_number: {min: ERROR, match_undefined: true}\n    record_attributes: []\n');
    await bySeverity.processor.consume(levels());
    expect(kept(bySeverity.next)).toEqual([1, 2, 3, 4]);

    const byText = await makeProcessor('filter', 'logs:\n  include:\n    match_type: regexp\n    severity_texts: ["^WARN"]\n    record_attributes: [{key: i}]\n');
    await byText.processor.consume(levels());
    expect(kept(byText.next)).toEqual([4]);
  });

  it('combines min_severity with include/exclude', async () => {
    const { processor, next } = await makeProcessor('filter', 'logs:\n  min_severity: INFO\n  exclude:\n    match_type: strict\n    record_attributes: [{key: route, value: /health}]');
    await processor.consume(levels());
    expect(kept(next)).toEqual([0, 4, 5, 6]);
  });

  it('spans: by span name and service, counting each dropped span', async () => {
    const { processor, next, telemetry } = await makeProcessor(
      'filter',
      `spans:
  exclude:
    match_type: regexp
    span_names: ["/items/[0-4]$"]
    services: ["^checkout-0$"]`,
      'traces',
    );
    await processor.consume(makeBatch('traces', makeSpans(10, { resources: 2 })));
    const names = (next.batches[0]!.resources as ResourceSpans[]).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
    expect(names).toEqual(['GET /api/v1/items/5', 'GET /api/v1/items/6', 'GET /api/v1/items/7', 'GET /api/v1/items/8', 'GET /api/v1/items/9']);
    expect(await counter(telemetry, 'otelcol_processor_filter_spans_filtered_total')).toBe(5);
  });

  it('metrics: by metric name, dropping whole metrics and counting their data points', async () => {
    const { processor, next, telemetry } = await makeProcessor(
      'filter',
      `metrics:
  include:
    match_type: regexp
    metric_names: ["^http\\\\.", "latency$"]
  exclude:
    match_type: strict
    metric_names: [http.server.request.duration]`,
      'metrics',
    );
    await processor.consume(makeBatch('metrics', makeMetrics()));
    const names = (next.batches[0]!.resources as ResourceMetrics[]).flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name)));
    expect(names).toEqual(['http.server.requests', 'legacy.latency']);
    expect(await counter(telemetry, 'otelcol_processor_filter_datapoints_filtered_total')).toBe(8);
  });

  it('metrics: by resource attributes', async () => {
    const { processor, next, telemetry } = await makeProcessor('filter', 'metrics:\n  exclude:\n    match_type: strict\n    resource_attributes: [{key: service.name, value: checkout-0}]', 'metrics');
    await processor.consume(makeBatch('metrics', makeMetrics()));
    expect(next.batches).toHaveLength(0);
    expect(await counter(telemetry, 'otelcol_processor_filter_datapoints_filtered_total')).toBe(12);
  });
});

describe('filter processor configuration', () => {
  it('checks OTTL conditions at load, with the path and column; refuses the keys Ferry does not have', async () => {
    const { errors } = await loadProcessors('  filter:\n    error_mode: ignore\n    logs:\n      log_record:\n        - severity_number < SEVERITY_NUMBER_WARNING\n      resource: [\'attributes["a"] == "b"\']\n    traces:\n      span: [\'nme == "x"\']\n');
    expect(errorLines(errors)).toEqual([
      'processors.filter.logs.resource: is not supported (fix: OTTL conditions are not supported by Ferry; use logs.log_record conditions (OTTL paths such as resource.attributes reach the resource) instead)',
    ]);
    const second = await loadProcessors('  filter:\n    logs:\n      log_record:\n        - severity_number < SEVERITY_NUMBER_WARNING\n    traces:\n      span: [\'nme == "x"\']\n');
    expect(errorLines(second.errors)).toEqual([
      expect.stringMatching(/^processors\.filter\.logs\.log_record\[0\]: column 19: unknown enum SEVERITY_NUMBER_WARNING, in:\n.*\n {18}\^ \(fix: did you mean SEVERITY_NUMBER_WARN\?\)$/),
      expect.stringMatching(/^processors\.filter\.traces\.span\[0\]: column 1: unknown path nme in the span context.*did you mean name\?/s),
    ]);
  });

  it('checks severities, regexps, and refuses expr', async () => {
    const { errors } = await loadProcessors(`  filter:
    logs:
      min_severity: LOUD
      include:
        match_type: regexp
        bodies: ["(unclosed"]
    metrics:
      exclude:
        match_type: expr
        expressions: ['MetricName == "x"']
`);
    expect(errorLines(errors)).toEqual([
      'processors.filter.logs.min_severity: "LOUD" is not a severity (fix: use one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL (or a numbered variant such as WARN2, or a number 1–24))',
      expect.stringMatching(/^processors\.filter\.logs\.include\.bodies\[0\]: invalid regular expression "\(unclosed": .*Unterminated group \(fix: fix the regular expression, or use match_type: strict\)$/),
      'processors.filter.metrics.exclude.match_type: expr expressions are not supported by Ferry (fix: use match_type: strict or regexp with metric_names (and resource_attributes))',
    ]);
  });

  it('accepts the level filter by name or number, and fills defaults', async () => {
    const { errors, configs } = await loadProcessors('  filter:\n    logs:\n      min_severity: 13\n');
    expect(errors).toEqual([]);
    expect(configs.get('filter')).toEqual({ error_mode: 'propagate', logs: { min_severity: 13, keep_unspecified_severity: true } });
  });
});
