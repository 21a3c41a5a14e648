// The filter processor's OTTL conditions (logs.log_record, traces.span, traces.spanevent,
// metrics.metric, metrics.datapoint): exact drops and counts, the caller's data untouched,
// error_mode, and include/exclude still applied alongside.
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/consumer.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import type { ResourceMetrics, ResourceSpans } from '../../../src/pdata/types.js';
import type { SelfTelemetry } from '../../../src/telemetry/self.js';
import { attrsOf, kvs, logsBatch, makeProcessor, receivedLogs } from '../helpers.js';

async function count(t: SelfTelemetry, name: string): Promise<number> {
  const values = (await t.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.reduce((n, v) => n + v.value, 0);
}

const records = () =>
  logsBatch([
    { resource: { 'service.name': 'api' }, records: [1, 5, 9, 13, 17].map((sev, i) => ({ severityNumber: sev, body: { stringValue: i === 2 ? 'GET /health' : `line ${i}` }, attributes: kvs({ i }) })) },
    { resource: { 'service.name': 'noisy' }, records: [{ severityNumber: 17, body: { stringValue: 'x' }, attributes: kvs({ i: 5 }) }] },
  ]);

describe('filter processor: OTTL conditions', () => {
  it('logs.log_record: drops records matching any condition; the caller keeps its batch', async () => {
    const { processor, next, telemetry } = await makeProcessor(
      'filter',
      `logs:
  log_record:
    - severity_number < SEVERITY_NUMBER_INFO
    - IsMatch(body, "/health")
    - resource.attributes["service.name"] == "noisy"`,
    );
    const batch = records();
    await processor.consume(batch);
    expect(receivedLogs(next).map((l) => attrsOf(l.record.attributes).i)).toEqual([3, 4]);
    expect(next.batches[0]!.resources).toHaveLength(1);
    expect(await count(telemetry, 'otelcol_processor_filter_logs_filtered_total')).toBe(4);
    expect(batch.signal === 'logs' && batch.resources[0]!.scopeLogs[0]!.logRecords).toHaveLength(5);
  });

  it('traces.span and traces.spanevent: spans dropped and counted, events removed from the spans kept', async () => {
    const { processor, next, telemetry } = await makeProcessor('filter', 'traces:\n  span: [\'attributes["http.route"] == "/health"\']\n  spanevent: [\'name == "debug"\']', 'traces');
    const rs: ResourceSpans[] = [
      {
        resource: { attributes: kvs({ 'service.name': 'api' }) },
        scopeSpans: [
          {
            scope: null,
            spans: [
              { traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(1), name: 'health', attributes: kvs({ 'http.route': '/health' }), events: [], links: [] },
              { traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), name: 'work', attributes: kvs({ 'http.route': '/work' }), events: [{ name: 'debug', attributes: [] }, { name: 'exception', attributes: [] }], links: [] },
            ],
          },
        ],
      },
    ];
    await processor.consume(makeBatch('traces', rs));
    const out = next.batches[0]!;
    if (out.signal !== 'traces') throw new Error('not traces');
    const spans = out.resources[0]!.scopeSpans[0]!.spans;
    expect(spans.map((s) => [s.name, s.events.map((e) => e.name)])).toEqual([['work', ['exception']]]);
    expect(rs[0]!.scopeSpans[0]!.spans[1]!.events).toHaveLength(2);
    expect(await count(telemetry, 'otelcol_processor_filter_spans_filtered_total')).toBe(1);
  });

  it('metrics.metric and metrics.datapoint: whole metrics, single points, and metrics left empty', async () => {
    const { processor, next, telemetry } = await makeProcessor('filter', 'metrics:\n  metric: [\'name == "drop.me"\']\n  datapoint: [\'attributes["env"] == "dev"\']', 'metrics');
    const point = (env: string, v: number) => ({ attributes: kvs({ env }), asInt: v, exemplars: [] });
    const rm: ResourceMetrics[] = [
      {
        resource: { attributes: [] },
        scopeMetrics: [
          {
            scope: null,
            metrics: [
              { name: 'drop.me', gauge: { dataPoints: [point('prod', 1), point('prod', 2)] } },
              { name: 'mixed', sum: { dataPoints: [point('prod', 3), point('dev', 4)], aggregationTemporality: 2, isMonotonic: true } },
              { name: 'dev.only', gauge: { dataPoints: [point('dev', 5)] } },
            ],
          },
        ],
      },
    ];
    await processor.consume(makeBatch('metrics', rm));
    const out = next.batches[0]!;
    if (out.signal !== 'metrics') throw new Error('not metrics');
    const metrics = out.resources[0]!.scopeMetrics[0]!.metrics;
    expect(metrics.map((m) => [m.name, m.sum?.dataPoints.map((p) => p.asInt)])).toEqual([['mixed', [3]]]);
    expect(metrics[0]!.sum!.isMonotonic).toBe(true);
    expect(await count(telemetry, 'otelcol_processor_filter_datapoints_filtered_total')).toBe(4);
  });

  it('error_mode: propagate refuses the batch; ignore keeps the item and counts the failure', async () => {
    const cond = 'logs:\n  log_record:\n    - Substring(body, 0, 6) == "line 0"';
    const strict = await makeProcessor('filter', cond);
    await expect(strict.processor.consume(records())).rejects.toBeInstanceOf(PermanentError);
    const lenient = await makeProcessor('filter', `error_mode: ignore\n${cond}`);
    await lenient.processor.consume(records());
    // "x" is too short for Substring: kept; "line 0" dropped; the other four kept.
    expect(receivedLogs(lenient.next).map((l) => attrsOf(l.record.attributes).i)).toEqual([1, 2, 3, 4, 5]);
    expect(await count(lenient.telemetry, 'ferry_ottl_errors_total')).toBe(1);
  });

  it('include/exclude and min_severity still apply alongside the conditions', async () => {
    const { processor, next } = await makeProcessor('filter', 'logs:\n  min_severity: WARN\n  exclude:\n    match_type: strict\n    resource_attributes: [{key: service.name, value: noisy}]\n  log_record: [\'attributes["i"] == 4\']');
    await processor.consume(records());
    expect(receivedLogs(next).map((l) => attrsOf(l.record.attributes).i)).toEqual([3]);
  });
});
