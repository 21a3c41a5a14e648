// Conversion to OTLP: records' severity, body, attributes, trace ids and event names;
// metrics' types, delta start times, histogram buckets; the exit record; the encoded round trip.
import { describe, expect, it } from 'vitest';
import { decodeExportRequest, encodeExportRequest } from '../../../src/pdata/proto.js';
import type { AnyValue, LogRecord } from '../../../src/pdata/types.js';
import { Converter, TIMER_BOUNDS, logsBatch, metricsBatch, toAnyValue, toResource } from '../../../src/receivers/stdout_markers/convert.js';
import type { ConverterOptions, Origin } from '../../../src/receivers/stdout_markers/convert.js';
import type { Line } from '../../../src/receivers/stdout_markers/lines.js';
import { parseTraceparent } from '../../../src/receivers/stdout_markers/traceparent.js';
import { attrs, plain } from '../../helpers/values.js';


const START = 1_700_000_000_000_000_000n;
const line = (text: string, truncated = false): Line => ({ text, truncated, bytes: Buffer.byteLength(text), endOffset: 0 });

function converter(options: Partial<ConverterOptions> = {}): Converter {
  return new Converter({ plainLevel: { stdout: 'INFO', stderr: 'ERROR' }, attributes: [], trace: undefined, startTimeNs: START, maxLineBytes: 1024, ...options });
}

function records(c: Converter, text: string, origin: Origin = 'stdout', t = START + 5n): LogRecord[] {
  return c.line(line(text), origin, t).records;
}

describe('Converter: log records', () => {
  it('makes a plain stdout line an INFO record and a stderr line an ERROR record, with log.iostream', () => {
    const c = converter();
    const [out] = records(c, 'hello', 'stdout');
    const [err] = records(c, 'oops', 'stderr');
    expect(out).toMatchObject({ severityNumber: 9, severityText: 'INFO', timeUnixNano: String(START + 5n), observedTimeUnixNano: String(START + 5n) });
    expect(plain(out?.body)).toBe('hello');
    expect(attrs(out?.attributes)).toEqual({ 'log.iostream': 'stdout' });
    expect(err).toMatchObject({ severityNumber: 17, severityText: 'ERROR' });
    expect(attrs(err?.attributes)).toEqual({ 'log.iostream': 'stderr' });
    expect(out?.traceId).toBeUndefined();
  });

  it('uses the configured plain levels and attributes; a file line has no log.iostream', () => {
    const c = converter({ plainLevel: { stdout: 'DEBUG', stderr: 'WARN' }, attributes: [{ key: 'team', value: { stringValue: 'data' } }] });
    expect(records(c, 'a', 'stdout')[0]).toMatchObject({ severityNumber: 5, severityText: 'DEBUG' });
    expect(records(c, 'b', 'stderr')[0]).toMatchObject({ severityNumber: 13, severityText: 'WARN' });
    const [f] = records(c, 'c', 'file');
    expect(f).toMatchObject({ severityText: 'DEBUG' });
    expect(attrs(f?.attributes)).toEqual({ team: 'data' });
  });

  it('turns marker logs into records with their severity and message', () => {
    const rs = records(converter(), '::{"logs":[{"level":"WARN","message":"disk low"},{"level":"TRACE","message":"t"}]}::', 'stderr');
    expect(rs.map((r) => [r.severityNumber, r.severityText, plain(r.body), attrs(r.attributes)])).toEqual([
      [13, 'WARN', 'disk low', { 'log.iostream': 'stderr' }],
      [1, 'TRACE', 't', { 'log.iostream': 'stderr' }],
    ]);
  });

  it('turns outputs into one record with event name "outputs" and nested values as kvlists', () => {
    const [r] = records(converter(), '::{"outputs":{"artifact":"a.tgz","count":3,"ratio":0.5,"ok":true,"meta":{"sha":"abc","tags":["x","y"]},"none":null}}::');
    expect(r?.eventName).toBe('outputs');
    expect(r?.severityText).toBe('INFO');
    expect(attrs(r?.attributes)).toEqual({
      artifact: 'a.tgz',
      count: 3,
      ratio: 0.5,
      ok: true,
      meta: { sha: 'abc', tags: ['x', 'y'] },
      none: null,
      'log.iostream': 'stdout',
    });
    expect(r?.attributes.find((kv) => kv.key === 'meta')?.value?.kvlistValue).toBeDefined();
  });

  it('keeps a malformed marker as a WARN record with the raw line and ferry.marker.error', () => {
    const c = converter();
    const text = '::{"logs":[{"level":"INFO"}]}::';
    const out = c.line(line(text), 'stdout', START);
    expect(out.malformed).toBe(true);
    expect(out.records).toHaveLength(1);
    expect(out.records[0]).toMatchObject({ severityNumber: 13, severityText: 'WARN' });
    expect(plain(out.records[0]?.body)).toBe(text);
    expect(attrs(out.records[0]?.attributes)).toEqual({ 'log.iostream': 'stdout', 'ferry.marker.error': 'logs[0].message: missing' });
  });

  it('marks a cut line, and a cut marker as malformed', () => {
    const c = converter({ maxLineBytes: 8 });
    const cutPlain = c.line(line('abcdefgh', true), 'stdout', START);
    expect(cutPlain.malformed).toBe(false);
    expect(attrs(cutPlain.records[0]?.attributes)).toEqual({ 'log.iostream': 'stdout', 'ferry.line.truncated': true });
    const cutMarker = c.line(line('::{"logs', true), 'stdout', START);
    expect(cutMarker.malformed).toBe(true);
    expect(cutMarker.records[0]?.severityText).toBe('WARN');
    expect(attrs(cutMarker.records[0]?.attributes)).toEqual({
      'log.iostream': 'stdout',
      'ferry.line.truncated': true,
      'ferry.marker.error': 'a marker longer than max_line_bytes (8) was cut',
    });
  });

  it('stamps every record with the TRACEPARENT trace id, span id and flags', () => {
    const trace = parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    if ('error' in trace) throw new Error(trace.error);
    const c = converter({ trace });
    for (const r of [...records(c, 'plain'), ...records(c, '::{"logs":[{"message":"m"}],"outputs":{"a":1}}::')]) {
      expect(Buffer.from(r.traceId ?? []).toString('hex')).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(Buffer.from(r.spanId ?? []).toString('hex')).toBe('b7ad6b7169203331');
      expect(r.flags).toBe(1);
    }
  });

  it('writes the exit record with code, duration, pid and arguments', () => {
    const c = converter();
    const ok = c.exit({ code: 0, signal: undefined, durationMs: 1500, pid: 42, argv: ['python3', 'x.py'] }, START + 9n);
    expect(ok).toMatchObject({ severityText: 'INFO', eventName: 'process.exit', timeUnixNano: String(START + 9n) });
    expect(plain(ok.body)).toBe('process exited with code 0');
    expect(attrs(ok.attributes)).toEqual({ 'process.exit.code': 0, 'ferry.process.duration': 1.5, 'process.command_args': ['python3', 'x.py'], 'process.pid': 42 });
    const killed = c.exit({ code: 137, signal: 'SIGKILL', durationMs: 10, pid: undefined, argv: ['sh'] });
    expect(killed.severityText).toBe('ERROR');
    expect(plain(killed.body)).toBe('process killed by SIGKILL (exit code 137)');
    expect(attrs(killed.attributes)).toMatchObject({ 'process.exit.code': 137, 'ferry.process.signal': 'SIGKILL' });
  });
});

describe('Converter and metricsBatch: metrics', () => {
  const resource = toResource({ 'service.name': 'svc', run: 7 });

  it('makes counters delta monotonic sums whose start is the previous report of the same series', () => {
    const c = converter();
    const m = (tags: string, t: bigint) => c.line(line(`::{"metrics":[{"name":"rows","type":"counter","value":5,"tags":${tags}}]}::`), 'stdout', t).points;
    const points = [...m('{"t":"a"}', START + 10n), ...m('{"t":"a"}', START + 20n), ...m('{"t":"b"}', START + 30n)];
    const batch = metricsBatch(resource, points);
    const [metric] = batch.resources[0]?.scopeMetrics[0]?.metrics ?? [];
    expect(batch.resources).toHaveLength(1);
    expect(attrs(batch.resources[0]?.resource?.attributes)).toEqual({ 'service.name': 'svc', run: 7 });
    expect(metric?.name).toBe('rows');
    expect(metric?.sum?.isMonotonic).toBe(true);
    expect(metric?.sum?.aggregationTemporality).toBe(1);
    expect(metric?.sum?.dataPoints.map((p) => [p.startTimeUnixNano, p.timeUnixNano, p.asInt, attrs(p.attributes)])).toEqual([
      [String(START), String(START + 10n), 5, { t: 'a' }],
      [String(START + 10n), String(START + 20n), 5, { t: 'a' }],
      [String(START), String(START + 30n), 5, { t: 'b' }],
    ]);
  });

  it('makes gauges gauges (int or double), and keeps names of different types apart', () => {
    const c = converter();
    const points = c.line(line('::{"metrics":[{"name":"q","type":"gauge","value":3},{"name":"q","type":"gauge","value":2.5},{"name":"q","type":"counter","value":1}]}::'), 'stdout', START + 1n).points;
    const metrics = metricsBatch(resource, points).resources[0]?.scopeMetrics[0]?.metrics ?? [];
    expect(metrics).toHaveLength(2);
    expect(metrics[0]?.gauge?.dataPoints.map((p) => [p.asInt, p.asDouble, p.startTimeUnixNano])).toEqual([
      [3, undefined, undefined],
      [undefined, 2.5, undefined],
    ]);
    expect(metrics[1]?.sum?.dataPoints[0]?.asInt).toBe(1);
  });

  it('makes timers second histograms with one observation in the right bucket', () => {
    const c = converter();
    const points = c.line(line('::{"metrics":[{"name":"step","type":"timer","value":"PT1.5S","tags":{"s":"x"}},{"name":"step","type":"timer","value":7200}]}::'), 'stdout', START + 1n).points;
    const [metric] = metricsBatch(resource, points).resources[0]?.scopeMetrics[0]?.metrics ?? [];
    expect(metric?.unit).toBe('s');
    expect(metric?.histogram?.aggregationTemporality).toBe(1);
    const [a, b] = metric?.histogram?.dataPoints ?? [];
    expect(a).toMatchObject({ count: 1, sum: 1.5, min: 1.5, max: 1.5, startTimeUnixNano: String(START) });
    expect(a?.explicitBounds).toEqual(TIMER_BOUNDS);
    expect(a?.bucketCounts).toHaveLength(TIMER_BOUNDS.length + 1);
    expect(a?.bucketCounts[TIMER_BOUNDS.indexOf(2.5)]).toBe(1);
    expect(a?.bucketCounts.reduce((n, x) => Number(n) + Number(x), 0)).toBe(1);
    expect(b?.bucketCounts[TIMER_BOUNDS.length]).toBe(1); // above the last bound
    expect(attrs(a?.attributes)).toEqual({ s: 'x' });
  });

  it('survives the protobuf round trip (int64 times, kvlists, histograms)', () => {
    const c = converter({ trace: undefined });
    const converted = c.line(line('::{"logs":[{"level":"ERROR","message":"é€"}],"metrics":[{"name":"t","type":"timer","value":0.2},{"name":"n","type":"counter","value":1.5}],"outputs":{"o":{"k":[1,2]}}}::'), 'stderr');
    const logs = decodeExportRequest('logs', encodeExportRequest('logs', logsBatch(resource, converted.records).resources));
    const lr = logs[0]?.scopeLogs[0]?.logRecords ?? [];
    expect(lr.map((r) => plain(r.body))).toEqual(['é€', 'outputs']);
    expect(attrs(lr[1]?.attributes)).toEqual({ o: { k: [1, 2] }, 'log.iostream': 'stderr' });
    expect(logs[0]?.scopeLogs[0]?.scope?.name).toBe('ferry/stdout_markers');
    const metrics = decodeExportRequest('metrics', encodeExportRequest('metrics', metricsBatch(resource, converted.points).resources));
    const ms = metrics[0]?.scopeMetrics[0]?.metrics ?? [];
    expect(ms.map((m) => m.name)).toEqual(['t', 'n']);
    expect(ms[1]?.sum?.dataPoints[0]?.asDouble).toBe(1.5);
    expect(ms[0]?.histogram?.dataPoints[0]?.sum).toBe(0.2);
  });
});

describe('toAnyValue', () => {
  it('maps JSON to AnyValue and bounds the depth', () => {
    expect(toAnyValue(2 ** 60)).toEqual({ doubleValue: 2 ** 60 });
    expect(toAnyValue(-3)).toEqual({ intValue: -3 });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    let v = toAnyValue(deep as never);
    let depth = 0;
    while (v.arrayValue) {
      v = v.arrayValue.values[0] as AnyValue;
      depth++;
    }
    expect(depth).toBe(64);
    expect(v.stringValue).toMatch(/^\[\[\[/);
  });
});

describe('parseTraceparent', () => {
  it.each([
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0', 'expected 00-<32 lower-case hex trace id>-<16 hex span id>-<2 hex flags>'],
    ['00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01', 'expected 00-<32 lower-case hex trace id>-<16 hex span id>-<2 hex flags>'],
    ['ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'version ff is invalid'],
    ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra', 'version 00 has exactly four fields'],
    ['00-00000000000000000000000000000000-b7ad6b7169203331-01', 'the trace id is all zeros'],
    ['00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', 'the span id is all zeros'],
  ])('%s is invalid: %s', (value, error) => {
    expect(parseTraceparent(value)).toEqual({ error });
  });

  it('accepts a later version with extra fields, and unsampled flags', () => {
    const t = parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-what-ever');
    expect('error' in t).toBe(false);
    if (!('error' in t)) expect(t.flags).toBe(0);
  });
});
