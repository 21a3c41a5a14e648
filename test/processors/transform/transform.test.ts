// The transform processor: the grouped and flat statement forms, conditions, error_mode
// (propagate refuses the batch permanently; ignore counts and goes on), refusals at load with the
// config path, the column and a fix, and items left undecoded by resource-only statements.
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/consumer.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { untouchedItems } from '../../../src/pdata/lazy.js';
import { decodeExportRequest, encodeExportRequest } from '../../../src/pdata/proto.js';
import { makeLogs, makeSpans } from '../../pdata/fixtures.js';
import { attrsOf, errorLines, kvs, loadProcessors, logsBatch, makeProcessor, receivedLogs } from '../helpers.js';

async function errorsCounted(telemetry: { registry: { getSingleMetric(n: string): { get(): Promise<{ values: { value: number }[] }> } | undefined } }): Promise<number> {
  const m = telemetry.registry.getSingleMetric('ferry_ottl_errors_total');
  return ((await m?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);
}

describe('transform processor', () => {
  it('runs grouped statements with conditions, in order, on each item of their context', async () => {
    const { processor, next } = await makeProcessor(
      'transform',
      `log_statements:
  - context: log
    conditions:
      - IsMatch(body, "^\\\\{")
    statements:
      - merge_maps(attributes, ParseJSON(body), "upsert")
      - set(severity_text, attributes["level"])
  - context: resource
    statements:
      - set(attributes["env"], "prod") where attributes["env"] == nil`,
    );
    expect(processor.mutatesData).toBe(true);
    await processor.consume(
      logsBatch([
        { resource: { 'service.name': 'api' }, records: [{ body: { stringValue: '{"level":"warn","user":"ann"}' } }, { body: { stringValue: 'plain text' } }] },
        { resource: { env: 'dev' }, records: [{ body: { stringValue: '{"level":"info"}' } }] },
      ]),
    );
    const got = receivedLogs(next).map((l) => ({ resource: l.resource, attributes: attrsOf(l.record.attributes), severity: l.record.severityText }));
    expect(got).toEqual([
      { resource: { 'service.name': 'api', env: 'prod' }, attributes: { level: 'warn', user: 'ann' }, severity: 'warn' },
      { resource: { 'service.name': 'api', env: 'prod' }, attributes: {}, severity: undefined },
      { resource: { env: 'dev' }, attributes: { level: 'info' }, severity: 'info' },
    ]);
  });

  it('runs the flat list of strings with the context inferred per statement', async () => {
    const { processor, next } = await makeProcessor('transform', 'trace_statements:\n  - set(span.attributes["svc"], resource.attributes["service.name"])\n  - set(resource.attributes["seen"], true)\n  - set(spanevent.attributes["span"], span.name)', 'traces');
    const rs = makeSpans(2);
    await processor.consume(makeBatch('traces', rs));
    const b = next.batches[0]!;
    if (b.signal !== 'traces') throw new Error('not traces');
    expect(attrsOf(b.resources[0]!.resource!.attributes).seen).toBe(true);
    for (const s of b.resources[0]!.scopeSpans[0]!.spans) {
      expect(attrsOf(s.attributes).svc).toBe(attrsOf(b.resources[0]!.resource!.attributes)['service.name']);
      for (const e of s.events) expect(attrsOf(e.attributes).span).toBe(s.name);
    }
  });

  it('error_mode propagate refuses the batch (permanently) and counts; ignore counts and goes on', async () => {
    const statements = 'log_statements:\n  - context: log\n    statements:\n      - set(attributes["n"], Substring(body, 0, 3))\n      - set(attributes["after"], true)';
    const strict = await makeProcessor('transform', statements);
    const err = await strict.processor.consume(logsBatch([{ records: [{ body: { stringValue: 'abcdef' } }, { body: { stringValue: 'ab' } }] }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('failed to execute statement: set(attributes["n"], Substring(body, 0, 3))');
    expect(strict.next.batches).toHaveLength(0);
    expect(await errorsCounted(strict.telemetry as never)).toBe(1);

    const lenient = await makeProcessor('transform', `error_mode: ignore\n${statements}`);
    await lenient.processor.consume(logsBatch([{ records: [{ body: { stringValue: 'abcdef' } }, { body: { stringValue: 'ab' } }, { body: { stringValue: 'x' } }] }]));
    expect(receivedLogs(lenient.next).map((l) => attrsOf(l.record.attributes))).toEqual([{ n: 'abc', after: true }, { after: true }, { after: true }]);
    expect(await errorsCounted(lenient.telemetry as never)).toBe(2);
  });

  it('leaves log records undecoded when only resource statements run, and they still arrive intact', async () => {
    const { processor, next } = await makeProcessor('transform', 'log_statements:\n  - context: resource\n    statements:\n      - set(attributes["tier"], "edge")');
    const bytes = encodeExportRequest('logs', makeLogs(5));
    const resources = decodeExportRequest('logs', bytes);
    await processor.consume(makeBatch('logs', resources));
    const out = next.batches[0]!;
    if (out.signal !== 'logs') throw new Error('not logs');
    expect(untouchedItems(out.resources[0]!.scopeLogs[0]!)).toBeDefined();
    const again = decodeExportRequest('logs', encodeExportRequest('logs', out.resources));
    expect(attrsOf(again[0]!.resource!.attributes).tier).toBe('edge');
    expect(again[0]!.scopeLogs[0]!.logRecords).toHaveLength(5);
  });

  it('changes decoded (protobufjs) records and they encode with the change', async () => {
    const { processor, next } = await makeProcessor('transform', 'log_statements:\n  - set(log.attributes["copy"], log.body)\n  - set(log.severity_number, 17)\n  - delete_key(log.attributes, "i")');
    const resources = decodeExportRequest('logs', encodeExportRequest('logs', makeLogs(2)));
    await processor.consume(makeBatch('logs', resources));
    const out = next.batches[0]!;
    if (out.signal !== 'logs') throw new Error('not logs');
    const again = decodeExportRequest('logs', encodeExportRequest('logs', out.resources));
    for (const lr of again[0]!.scopeLogs[0]!.logRecords) {
      expect(lr.severityNumber).toBe(17);
      expect(attrsOf(lr.attributes).copy).toEqual(lr.body?.stringValue);
      expect('i' in attrsOf(lr.attributes)).toBe(false);
    }
  });

  it('ferry validate refuses bad statements with the path, the column and a fix', async () => {
    const { errors } = await loadProcessors(
      `  transform:
    log_statements:
      - context: log
        statements:
          - set(attributes["a"], ParseJson(body))
          - keep_keys(attributes, "only")
      - set(attributes["x"], 1)
      - context: span
        statements: ['set(name, "x")']
    trace_statements:
      - set(span.atributes["a"], 1)
`,
    );
    const lines = errorLines(errors);
    expect(lines).toContain('processors.transform.log_statements[2].context: "span" is not a context of logs statements (fix: use one of resource, scope, log)');
    expect(lines).toContainEqual(expect.stringMatching(/^processors\.transform\.log_statements\[0\]\.statements\[0\]: column 22: unknown converter ParseJson, in:\nset\(attributes\["a"\], ParseJson\(body\)\)\n {21}\^ \(fix: did you mean ParseJSON\?\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^processors\.transform\.log_statements\[0\]\.statements\[1\]: column 23: keep_keys's argument keys must be a list of strings/));
    expect(lines).toContainEqual(expect.stringMatching(/^processors\.transform\.log_statements\[1\]: cannot infer the context of "set\(attributes\[\\"x\\"\], 1\)": no path names its context \(fix: start paths with their context/));
    expect(lines).toContainEqual(expect.stringMatching(/^processors\.transform\.trace_statements\[0\]: column 5: unknown path span.atributes in the span context.*did you mean span\.attributes\?/s));
    expect(errors.every((e) => e.file === 'c.yaml')).toBe(true);
  });

  it('accepts the statements of the demo, New Relic and Honeycomb fixtures', async () => {
    const { errors } = await loadProcessors(
      `  transform:
    error_mode: ignore
    log_statements:
      - truncate_all(log.attributes, 4095)
      - context: log
        conditions: ['trace_id.string != ""']
        statements:
          - set(attributes["trace.id"], trace_id.string)
          - merge_maps(attributes, ParseJSON(body), "upsert") where IsMatch(body, "^\\\\{")
          - set(severity_number, SEVERITY_NUMBER_ERROR) where severity_text == "ERROR"
`,
    );
    expect(errorLines(errors)).toEqual([]);
    void kvs;
  });
});
