// The count connector: exact counts of spans, span events, log records and data points, the
// Collector's default metric names, OTTL conditions and attribute grouping with defaults.
import { describe, expect, it } from 'vitest';
import { countConnector } from '../../src/connectors/count/index.js';
import type { CountConfig } from '../../src/connectors/count/index.js';
import { makeBatch } from '../../src/pdata/batch.js';
import type { Signal } from '../../src/pdata/types.js';
import { CollectingConsumer, testContext } from '../helpers/index.js';
import { makeMetrics, makeSpans } from '../pdata/fixtures.js';
import { attrsOf, kvs, logsBatch } from '../processors/helpers.js';

function connector(config: Partial<CountConfig>, from: Signal) {
  const next = new CollectingConsumer();
  const c = countConnector.create({ error_mode: 'propagate', ...config } as CountConfig, testContext('count', 'connector' as never), from, { signal: 'metrics', all: next, pipelines: new Map([['metrics', next]]) });
  const points = () =>
    next.batches.flatMap((b) => (b.signal === 'metrics' ? b.resources.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.sum!.dataPoints.map((p) => ({ name: m.name, resource: attrsOf(r.resource?.attributes), a: attrsOf(p.attributes), n: Number(p.asInt) }))))) : []));
  return { c, points };
}

describe('count connector', () => {
  it('counts spans and span events under the Collector default names, per resource', async () => {
    const { c, points } = connector({}, 'traces');
    const rs = makeSpans(7, { resources: 2 });
    const events = (i: number) => rs[i]!.scopeSpans.flatMap((s) => s.spans.flatMap((sp) => sp.events)).length;
    const spans = (i: number) => rs[i]!.scopeSpans.flatMap((s) => s.spans).length;
    await c.consume(makeBatch('traces', rs));
    expect(points().map((p) => [p.name, p.n])).toEqual([
      ['trace.span.count', spans(0)],
      ...(events(0) > 0 ? [['trace.span.event.count', events(0)]] : []),
      ['trace.span.count', spans(1)],
      ...(events(1) > 0 ? [['trace.span.event.count', events(1)]] : []),
    ]);
    expect(points()[0]!.resource).toEqual(attrsOf(rs[0]!.resource?.attributes));
  });

  it('counts log records matching conditions, per attribute value, with a default', async () => {
    const { c, points } = connector({ logs: { 'log.errors': { description: 'errors', conditions: ['severity_number >= SEVERITY_NUMBER_ERROR'], attributes: [{ key: 'env', default_value: 'unknown' }] } } }, 'logs');
    await c.consume(
      logsBatch([
        { resource: { env: 'prod' }, records: [{ severityNumber: 17 }, { severityNumber: 9 }, { severityNumber: 21, attributes: kvs({ env: 'canary' }) }] },
        { records: [{ severityNumber: 17 }, { severityNumber: 18 }] },
      ]),
    );
    expect(points().map((p) => [p.name, p.a, p.n])).toEqual([
      ['log.errors', { env: 'prod' }, 1],
      ['log.errors', { env: 'canary' }, 1],
      ['log.errors', { env: 'unknown' }, 2],
    ]);
  });

  it('counts metrics and data points', async () => {
    const { c, points } = connector({}, 'metrics');
    const rm = makeMetrics();
    await c.consume(makeBatch('metrics', rm));
    const metrics = rm.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const dps = metrics.reduce((n, m) => n + (m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram ?? m.summary)!.dataPoints.length, 0);
    const total = (name: string) => points().filter((p) => p.name === name).reduce((n, p) => n + p.n, 0);
    expect(total('metric.count')).toBe(metrics.length);
    expect(total('metric.datapoint.count')).toBe(dps);
  });
});
