// The attributes processor: actions on log record, span and data point attributes, the
// include/exclude selection for each signal, and the per-signal configuration checks.
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../../src/pdata/batch.js';
import type { Metric, ResourceSpans, Span } from '../../../src/pdata/types.js';
import { dataPoints } from '../../../src/processors/internal/metrics.js';
import { makeMetrics, makeSpans } from '../../pdata/fixtures.js';
import { attrsOf, errorLines, kvs, loadProcessors, logsBatch, makeProcessor, receivedLogs } from '../helpers.js';

const records = () =>
  logsBatch(
    [
      {
        resource: { 'service.name': 'api' },
        records: [
          { severityNumber: 9, severityText: 'INFO', body: { stringValue: 'user logged in' }, attributes: kvs({ n: 1, password: 'hunter2' }) },
          { severityNumber: 17, severityText: 'ERROR', body: { stringValue: 'db timeout' }, attributes: kvs({ n: 2, password: 'x', db: 'orders' }) },
          { severityNumber: 0, body: { stringValue: 'plain line' }, attributes: kvs({ n: 3 }) },
        ],
      },
      { resource: { 'service.name': 'worker' }, records: [{ severityNumber: 13, body: { stringValue: 'slow job' }, attributes: kvs({ n: 4, password: 'p' }) }] },
    ],
    { metadata: { 'x-step': ['build'] } },
  );

const byN = (next: Parameters<typeof receivedLogs>[0]) =>
  Object.fromEntries(receivedLogs(next).map((l) => [String(attrsOf(l.record.attributes).n), attrsOf(l.record.attributes)]));

describe('attributes processor on logs', () => {
  it('applies the actions in order to every record', async () => {
    const { processor, next } = await makeProcessor(
      'attributes',
      `actions:
  - {key: step_id, from_context: metadata.x-step, action: insert}
  - {key: password, action: delete}
  - {key: n, action: convert, converted_type: string}
  - {key: copy, from_attribute: n, action: upsert}`,
    );
    await processor.consume(records());
    expect(byN(next)).toEqual({
      '1': { n: '1', step_id: 'build', copy: '1' },
      '2': { n: '2', db: 'orders', step_id: 'build', copy: '2' },
      '3': { n: '3', step_id: 'build', copy: '3' },
      '4': { n: '4', step_id: 'build', copy: '4' },
    });
  });

  it('changes only records matching include and not exclude (services do not apply to logs: resources do)', async () => {
    const { processor, next } = await makeProcessor(
      'attributes',
      `include:
  match_type: strict
  resources: [{key: service.name, value: api}]
exclude:
  match_type: regexp
  log_bodies: ["^db "]
actions:
  - {key: touched, value: true, action: insert}`,
    );
    await processor.consume(records());
    const got = byN(next);
    expect(got['1']?.touched).toBe(true);
    expect(got['2']).not.toHaveProperty('touched'); // excluded by body
    expect(got['3']?.touched).toBe(true);
    expect(got['4']).not.toHaveProperty('touched'); // worker: not included
  });

  it('matches log_severity_number with match_undefined, and severity texts and attributes by regexp', async () => {
    const { processor, next } = await makeProcessor(
      'attributes',
      `include:
  match_type: strict
  log_severity_number: {min: WARN, match_undefined: true}
actions:
  - {key: loud, value: 1, action: insert}`,
    );
    await processor.consume(records());
    expect(Object.entries(byN(next)).filter(([, a]) => a.loud === 1).map(([n]) => n)).toEqual(['2', '3', '4']);

    const second = await makeProcessor(
      'attributes',
      `include:
  match_type: regexp
  log_severity_texts: ["^(INFO|ERROR)$"]
  attributes: [{key: password, value: "^h"}]
actions:
  - {key: password, action: hash}`,
    );
    await second.processor.consume(records());
    const got = byN(second.next);
    expect(String(got['1']?.password)).toMatch(/^[0-9a-f]{64}$/);
    expect(got['2']?.password).toBe('x');
  });

  it('declares that it mutates', async () => {
    expect((await makeProcessor('attributes', 'actions: [{key: a, value: 1, action: insert}]')).processor.mutatesData).toBe(true);
  });
});

describe('attributes processor on spans and metrics', () => {
  const spansOf = (rs: ResourceSpans[]): Span[] => rs.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

  it('selects spans by services, span_names and span_kinds', async () => {
    const { processor, next } = await makeProcessor(
      'attributes',
      `include:
  match_type: regexp
  services: ["^checkout-1$"]
  span_names: ["/items/[0-9]*[02468]$"]
exclude:
  match_type: strict
  span_kinds: [SPAN_KIND_PRODUCER]
actions:
  - {key: picked, value: yes, action: upsert}`,
      'traces',
    );
    await processor.consume(makeBatch('traces', makeSpans(12, { resources: 2 })));
    const spans = spansOf(next.batches[0]!.resources as ResourceSpans[]);
    const picked = spans.filter((s) => attrsOf(s.attributes).picked === 'yes').map((s) => s.name);
    // checkout-1 holds spans 6..11; the even ones are 6, 8, 10; kind is (i % 5) + 1, so 8 is a PRODUCER.
    expect(picked).toEqual(['GET /api/v1/items/6', 'GET /api/v1/items/10']);
  });

  it('changes data point attributes of metrics selected by metric_names, and points selected by attributes', async () => {
    const { processor, next } = await makeProcessor(
      'attributes',
      `include:
  match_type: regexp
  metric_names: ["^http\\\\."]
  attributes: [{key: http.route, value: orders}]
actions:
  - {key: team, value: payments, action: insert}`,
      'metrics',
    );
    await processor.consume(makeBatch('metrics', makeMetrics()));
    const metrics: Metric[] = next.batches[0]!.resources.flatMap((r) => ('scopeMetrics' in r ? r.scopeMetrics.flatMap((s) => s.metrics) : []));
    const tagged = metrics.flatMap((m) => dataPoints(m).filter((p) => attrsOf(p.attributes).team === 'payments').map((p) => `${m.name} ${String(attrsOf(p.attributes)['http.route'])}`));
    expect(tagged).toEqual(['http.server.requests /orders', 'http.server.request.duration /orders']);
  });

  it('refuses match properties that do not apply to the pipeline\'s signal, naming the pipeline', async () => {
    const { errors } = await loadProcessors('  attributes:\n    include:\n      match_type: strict\n      span_names: [a]\n    actions: [{key: a, value: 1, action: insert}]\n', 'logs');
    expect(errorLines(errors)).toEqual([
      'processors.attributes.include.span_names: span_names does not apply to logs (the processor is in pipeline "logs") (fix: remove it, or use a separate processor for logs (logs can match on log_bodies, log_severity_texts, log_severity_number, attributes, resources, resource_attributes, libraries))',
    ]);
    expect((await loadProcessors('  attributes:\n    include:\n      match_type: strict\n      span_names: [a]\n    actions: [{key: a, value: 1, action: insert}]\n', 'traces')).errors).toEqual([]);
  });

  it('checks actions, regexps, severities and match_type', async () => {
    const { errors } = await loadProcessors(`  attributes:
    include:
      span_names: [a]
    exclude:
      match_type: regexp
      attributes: [{key: k, value: "(x"}]
      log_severity_number: {min: LOUD}
    actions:
      - {key: a, action: frobnicate}
`);
    expect(errorLines(errors)).toEqual([
      'processors.attributes.actions[0].action: unknown action "frobnicate" (fix: use one of: insert, update, upsert, delete, hash, extract, convert)',
      'processors.attributes.include.match_type: match_type is required to compare strings and values (fix: add match_type: strict (equal) or regexp (regular expression))',
      expect.stringMatching(/^processors\.attributes\.exclude\.attributes\[0\]\.value: invalid regular expression "\(x": .*Unterminated group/),
      'processors.attributes.exclude.log_severity_number.min: "LOUD" is not a severity (fix: use one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL (or a numbered variant such as WARN2, or a number 1–24))',
    ]);
    expect(errorLines((await loadProcessors('  attributes:\n')).errors)[0]).toMatch(/^processors\.attributes\.actions: missing required field "actions"/);
  });
});
