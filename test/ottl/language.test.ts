// OTTL the language: the grammar (literals, maps, lists, math, where/and/or/not, comparisons),
// the paths of each context, load-time refusals with their column and fix, and error_mode.
import { describe, expect, it } from 'vitest';
import { OttlSyntaxError, compileCondition, compileStatement, inferContext, runGroup } from '../../src/ottl/index.js';
import type { ContextName, TCtx } from '../../src/ottl/index.js';
import type { ResourceMetrics, ResourceSpans } from '../../src/pdata/types.js';
import { evaluate, kvsOf, logItem, runOnLog, typedMap } from './helpers.js';

function refusal(statement: string, context: ContextName = 'log'): { message: string; column: number; fix?: string } {
  try {
    compileStatement(statement, context);
  } catch (err) {
    if (err instanceof OttlSyntaxError) return { message: err.message, column: err.column, fix: err.fix };
    throw err;
  }
  throw new Error(`accepted: ${statement}`);
}

describe('OTTL grammar and values', () => {
  it('literals: strings with escapes, ints, floats, bools, nil, bytes, maps and lists', () => {
    expect(evaluate('"a\\"b\\\\c\\n"')).toBe('a"b\\c\n');
    expect(evaluate('-42')).toBe(-42n);
    expect(evaluate('1.5e3')).toBe(1500);
    expect(evaluate('true')).toBe(true);
    expect(evaluate('nil')).toBeUndefined();
    expect(evaluate('0xDEADbeef')).toEqual({ bytes: 'deadbeef' });
    expect(evaluate('{"a": 1, "b": ["x", 2.5, {"c": false}]}')).toEqual({ a: 1n, b: ['x', 2.5, { c: false }] });
  });

  it('math: precedence, parentheses, ints stay ints, time arithmetic', () => {
    expect(evaluate('1 + 2 * 3')).toBe(7n);
    expect(evaluate('(1 + 2) * 3')).toBe(9n);
    expect(evaluate('7 / 2')).toBe(3n);
    expect(evaluate('1.5 * 2.0 - 1.0')).toBe(2);
    expect(evaluate('Int(attributes["n"]) * 1000', { n: '3' })).toBe(3000n);
    const r = runOnLog(['set(time_unix_nano, 5000)', 'set(observed_time_unix_nano, 2000)', 'set(attributes["d"], UnixNano(time) - UnixNano(observed_time))']);
    expect(r.attributes.d).toBe(3000n);
  });

  it('where: comparisons across types, and/or/not, parentheses, converters as conditions', () => {
    const attrs = { code: 500n, ratio: 0.5, name: 'checkout', ok: true };
    const when = (cond: string): boolean => 'hit' in runOnLog([`set(attributes["hit"], true) where ${cond}`], attrs).attributes;
    expect(when('attributes["code"] >= 500')).toBe(true);
    expect(when('attributes["code"] == 500.0')).toBe(true);
    expect(when('attributes["ratio"] < 1')).toBe(true);
    expect(when('attributes["name"] == "checkout" and attributes["code"] != 200')).toBe(true);
    expect(when('attributes["name"] == "cart" or attributes["missing"] == nil')).toBe(true);
    expect(when('not (attributes["name"] == "checkout")')).toBe(false);
    expect(when('attributes["code"] == "500"')).toBe(false);
    expect(when('attributes["code"] != "500"')).toBe(true);
    expect(when('attributes["name"] > 1')).toBe(false);
    expect(when('attributes["ok"] == true and IsMatch(attributes["name"], "^check")')).toBe(true);
    expect(when('(attributes["code"] + 1) * 2 == 1002')).toBe(true);
    expect(when('attributes["missing"] != nil')).toBe(false);
  });

  it('enums and the log paths: severity, body, ids, time, flags', () => {
    const r = runOnLog([
      'set(severity_number, SEVERITY_NUMBER_WARN) where IsMatch(body, "(?i)warn")',
      'set(severity_text, "WARN") where severity_number == SEVERITY_NUMBER_WARN',
      'set(trace_id.string, "0102030405060708090a0b0c0d0e0f10")',
      'set(span_id, SpanID(0x0102030405060708))',
      'set(attributes["tid"], trace_id.string)',
      'set(time, Time("2024-01-02 03:04:05", "%Y-%m-%d %H:%M:%S"))',
      'set(attributes["body"], body)',
      'set(body, Concat(["[", severity_text, "] ", body], ""))',
    ], {}, 'a Warning line');
    expect(r.log.severityNumber).toBe(13);
    expect(r.log.severityText).toBe('WARN');
    expect(r.attributes.tid).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(Buffer.from(r.log.spanId!).toString('hex')).toBe('0102030405060708');
    expect(BigInt(String(r.log.timeUnixNano))).toBe(BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n);
    expect(r.body).toBe('[WARN] a Warning line');
    expect(r.attributes.body).toBe('a Warning line');
  });

  it('resource and scope paths from the log context, and the cache', () => {
    const item = logItem({ attributes: kvsOf({ user: 'ann' }) }, { 'service.name': 'api' });
    for (const s of [
      'set(resource.attributes["seen.by"], "ferry")',
      'set(attributes["svc"], resource.attributes["service.name"])',
      'set(instrumentation_scope.version, "2")',
      'set(cache["u"], attributes["user"])',
      'set(attributes["from_cache"], cache["u"])',
      'set(log.attributes["prefixed"], scope.name)',
    ]) compileStatement(s, 'log').run(item.ctx);
    expect(typedMap(item.rl.resource!.attributes)).toEqual({ 'service.name': 'api', 'seen.by': 'ferry' });
    expect(typedMap(item.log.attributes)).toEqual({ user: 'ann', svc: 'api', from_cache: 'ann', prefixed: 'scope' });
    expect(item.rl.scopeLogs[0]!.scope!.version).toBe('2');
  });

  it('span, span event, metric and data point paths', () => {
    const rs: ResourceSpans = {
      resource: { attributes: [] },
      scopeSpans: [{ scope: null, spans: [{ traceId: new Uint8Array(16), spanId: new Uint8Array(8), name: 'GET /api/products/42', kind: 2, attributes: [], events: [{ name: 'exception', attributes: [] }], links: [], status: { code: 2 } }] }],
    };
    const span = rs.scopeSpans[0]!.spans[0]!;
    const ctx: TCtx = { resources: rs, scopes: rs.scopeSpans[0], span };
    compileStatement('replace_match(name, "GET /api/products/*", "GET /api/products/{productId}")', 'span').run(ctx);
    compileStatement('set(attributes["error"], true) where status.code == STATUS_CODE_ERROR and kind == SPAN_KIND_SERVER', 'span').run(ctx);
    compileStatement('set(attributes["kind"], kind.string)', 'span').run(ctx);
    compileStatement('set(attributes["span"], span.name)', 'spanevent').run({ ...ctx, event: span.events[0], eventIndex: 0 });
    expect(span.name).toBe('GET /api/products/{productId}');
    expect(typedMap(span.attributes)).toEqual({ error: true, kind: 'Server' });
    expect(typedMap(span.events[0]!.attributes)).toEqual({ span: 'GET /api/products/{productId}' });

    const rm: ResourceMetrics = {
      resource: null,
      scopeMetrics: [{ scope: null, metrics: [{ name: 'http.server.duration', sum: { dataPoints: [{ attributes: [], asInt: 7, exemplars: [] }], aggregationTemporality: 2, isMonotonic: true } }] }],
    };
    const metric = rm.scopeMetrics[0]!.metrics[0]!;
    const point = metric.sum!.dataPoints[0]!;
    const mctx: TCtx = { resources: rm, scopes: rm.scopeMetrics[0], metric, point };
    compileStatement('set(attributes["type"], "sum") where metric.type == METRIC_DATA_TYPE_SUM and metric.aggregation_temporality == AGGREGATION_TEMPORALITY_CUMULATIVE', 'datapoint').run(mctx);
    compileStatement('set(value_double, Double(value_int) / 2.0)', 'datapoint').run(mctx);
    compileStatement('set(name, Concat(["app", name], "."))', 'metric').run(mctx);
    compileStatement('set(resource.attributes["r"], 1)', 'metric').run(mctx);
    expect(typedMap(point.attributes)).toEqual({ type: 'sum' });
    expect(point.asDouble).toBe(3.5);
    expect(point.asInt).toBeNull();
    expect(metric.name).toBe('app.http.server.duration');
    expect(typedMap(rm.resource!.attributes)).toEqual({ r: 1n });
  });
});

describe('OTTL at load: refused with the column and a fix', () => {
  it('a statement that does not parse', () => {
    expect(refusal('set(attributes["a"], "x"')).toMatchObject({ column: 25, message: 'expected "," or ")" but found the end of the statement' });
    expect(refusal('set(attributes["a"] "x")')).toMatchObject({ column: 21 });
    expect(refusal('set(attributes["a"], "unterminated)')).toMatchObject({ column: 22, message: 'unterminated string' });
    expect(refusal('ParseJSON(body)')).toMatchObject({ column: 1, fix: expect.stringContaining('set(') });
  });

  it('an unknown function, path, context or enum', () => {
    expect(refusal('sett(attributes["a"], 1)')).toMatchObject({ column: 1, message: 'unknown editor sett', fix: 'did you mean set?' });
    expect(refusal('set(attributes["a"], ParseJson(body))')).toMatchObject({ column: 22, message: 'unknown converter ParseJson', fix: 'did you mean ParseJSON?' });
    expect(refusal('set(atributes["a"], 1)')).toMatchObject({ column: 5, message: 'unknown path atributes in the log context', fix: expect.stringContaining('did you mean attributes?') });
    expect(refusal('set(attributes["a"], span.name)')).toMatchObject({ column: 22, message: 'the path span.name is not available in the log context' });
    expect(refusal('set(severity_number, SEVERITY_NUMBER_WARNING)')).toMatchObject({ column: 22, message: 'unknown enum SEVERITY_NUMBER_WARNING' });
  });

  it('an argument of the wrong type or shape', () => {
    expect(refusal('delete_key(body.string, "a")')).toMatchObject({ column: 12, message: "delete_key's argument target must be pcommon.Map, not string" });
    expect(refusal('set("literal", 1)')).toMatchObject({ column: 5, message: "set's argument target must be a path to a field (it is changed in place)" });
    expect(refusal('keep_keys(attributes, "a")')).toMatchObject({ column: 23, message: "keep_keys's argument keys must be a list of strings", fix: 'write ["a", "b"]' });
    expect(refusal('set(attributes["a"], ToUpperCase(1))')).toMatchObject({ column: 34, message: "ToUpperCase's argument target must be string, not int64" });
    expect(refusal('replace_pattern(body, "(unclosed", "x")')).toMatchObject({ column: 23 });
    expect(refusal('merge_maps(attributes, ParseJSON(body), "replace")')).toMatchObject({ column: 41 });
    expect(refusal('set(attributes["a"])')).toMatchObject({ message: 'set is missing its argument value' });
    expect(refusal('truncate_all(attributes, 10, 1, 2, 3)')).toMatchObject({ message: expect.stringContaining('takes at most 4') });
    expect(refusal('set(attributes["a"], 1) where attributes["b"]')).toMatchObject({ column: 31 });
    expect(refusal('set(attributes["a"], "x" + 1)')).toMatchObject({ column: 22, message: 'string cannot be used in arithmetic (+)' });
  });

  it('infers the context of a flat list of statements from its path prefixes', () => {
    expect(inferContext(['set(log.attributes["a"], resource.attributes["b"])'], ['resource', 'scope', 'log'])).toEqual({ context: 'log' });
    expect(inferContext(['truncate_all(resource.attributes, 4095)'], ['resource', 'scope', 'log'])).toEqual({ context: 'resource' });
    expect(inferContext(['set(span.name, "x")', 'set(spanevent.name, "y")'], ['resource', 'scope', 'span', 'spanevent'])).toEqual({ context: 'spanevent' });
    expect(inferContext(['set(attributes["a"], "span.name")'], ['resource', 'scope', 'log']).problem).toBe('no path names its context');
    expect(inferContext(['set(span.name, "x")'], ['resource', 'scope', 'log']).problem).toContain('span');
  });
});

describe('OTTL error_mode', () => {
  const group = (mode: 'ignore' | 'silent' | 'propagate') => ({
    context: 'log' as const,
    conditions: [],
    statements: ['set(attributes["parsed"], ParseJSON(body))', 'set(attributes["after"], true)'].map((s) => compileStatement(s, 'log')),
    errorMode: mode,
  });

  it('ignore and silent go on to the next statement; each failure is reported once', () => {
    for (const mode of ['ignore', 'silent'] as const) {
      const item = logItem({ body: { stringValue: 'not json' } });
      const errors: string[] = [];
      runGroup(group(mode), item.ctx, (err, text) => errors.push(`${text}: ${err.message}`));
      expect(typedMap(item.log.attributes)).toEqual({ after: true });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('set(attributes["parsed"], ParseJSON(body))');
    }
  });

  it('propagate stops at the failing statement and throws, naming it', () => {
    const item = logItem({ body: { intValue: 3 } });
    expect(() => runGroup(group('propagate'), item.ctx, () => undefined)).toThrow('failed to execute statement: set(attributes["parsed"], ParseJSON(body)), expected string but got int64');
    expect(item.log.attributes).toEqual([]);
  });

  it('a condition that fails counts as false', () => {
    const cond = compileCondition('Substring(body, 0, 100) == "x"', 'log');
    const item = logItem({ body: { stringValue: 'short' } });
    expect(() => cond(item.ctx)).toThrow('invalid range');
  });
});
