// The marker protocol, rule by rule: what is plain, what is a marker, and the exact
// error text of every way a marker can be malformed.
import { describe, expect, it } from 'vitest';
import { parseIsoDuration, parseLevel, parseLine, SEVERITY_NUMBER } from '../../../src/receivers/stdout_markers/markers.js';
import type { ParsedLine } from '../../../src/receivers/stdout_markers/markers.js';

const marker = (obj: unknown): string => `::${JSON.stringify(obj)}::`;

function errorOf(line: string): string {
  const p = parseLine(line);
  if (p.kind !== 'malformed') throw new Error(`expected malformed, got ${JSON.stringify(p)}`);
  return p.error;
}

function markerOf(line: string): Extract<ParsedLine, { kind: 'marker' }>['marker'] {
  const p = parseLine(line);
  if (p.kind !== 'marker') throw new Error(`expected a marker, got ${JSON.stringify(p)}`);
  return p.marker;
}

describe('parseLine: plain lines', () => {
  it.each([
    ['an ordinary line', 'hello world'],
    ['an empty line', ''],
    ['leading whitespace before the marker', '  ::{"logs":[]}::'],
    ['a JSON array between colons', '::[1,2]::'],
    ['a single colon', ':{"logs":[]}:'],
    ['a JSON line without colons', '{"logs":[]}'],
    ['a line that merely contains a marker', 'x ::{"logs":[]}::'],
    ['a double colon followed by text', ':: not json'],
  ])('%s is plain', (_, line) => {
    expect(parseLine(line)).toEqual({ kind: 'plain' });
  });
});

describe('parseLine: markers', () => {
  it('reads logs with every level and maps severity numbers', () => {
    const m = markerOf(marker({ logs: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].map((level, i) => ({ level, message: `m${i}` })) }));
    expect(m.logs).toEqual([
      { level: 'TRACE', message: 'm0' },
      { level: 'DEBUG', message: 'm1' },
      { level: 'INFO', message: 'm2' },
      { level: 'WARN', message: 'm3' },
      { level: 'ERROR', message: 'm4' },
      { level: 'FATAL', message: 'm5' },
    ]);
    expect(SEVERITY_NUMBER).toEqual({ TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 });
  });

  it('accepts levels in any case, WARNING for WARN, and a missing or null level as INFO', () => {
    const m = markerOf(marker({ logs: [{ level: 'warn', message: 'a' }, { level: 'Warning', message: 'b' }, { message: 'c' }, { level: null, message: 'd' }] }));
    expect(m.logs.map((l) => l.level)).toEqual(['WARN', 'WARN', 'INFO', 'INFO']);
    expect(parseLevel('error')).toBe('ERROR');
    expect(parseLevel('loud')).toBeUndefined();
  });

  it('reads metrics of each type with tags', () => {
    const m = markerOf(
      marker({
        metrics: [
          { name: 'rows', type: 'counter', value: 42, tags: { table: 'users', shard: 3, hot: true } },
          { name: 'queue', type: 'gauge', value: -1.5 },
          { name: 'step', type: 'timer', value: 2.25 },
          { name: 'step2', type: 'TIMER', value: 'PT1M30S' },
        ],
      }),
    );
    expect(m.metrics).toEqual([
      { name: 'rows', type: 'counter', value: 42, tags: [['table', 'users'], ['shard', 3], ['hot', true]] },
      { name: 'queue', type: 'gauge', value: -1.5, tags: [] },
      { name: 'step', type: 'timer', value: 2.25, tags: [] },
      { name: 'step2', type: 'timer', value: 90, tags: [] },
    ]);
  });

  it('reads outputs as an object of any JSON values', () => {
    const m = markerOf(marker({ outputs: { artifact: 'a.tgz', size: 12, nested: { ok: true, list: [1, 'x'] }, none: null } }));
    expect(m.outputs).toEqual({ artifact: 'a.tgz', size: 12, nested: { ok: true, list: [1, 'x'] }, none: null });
    expect(m.logs).toEqual([]);
    expect(m.metrics).toEqual([]);
  });

  it('accepts null logs/metrics/outputs', () => {
    const m = markerOf(marker({ logs: null, metrics: null, outputs: null }));
    expect(m).toEqual({ logs: [], metrics: [], outputs: undefined });
  });

  it('refuses a misspelled or unknown top-level key, naming the key and the right one', () => {
    expect(errorOf('::{"log":[{"level":"ERROR","message":"lost"}]}::')).toBe('unknown key "log" (did you mean "logs"?): a marker holds only logs, metrics, outputs');
    expect(errorOf('::{"Logs":[{"level":"ERROR","message":"lost"}]}::')).toBe('unknown key "Logs" (did you mean "logs"?): a marker holds only logs, metrics, outputs');
    expect(errorOf('::{"output":{"a":1}}::')).toBe('unknown key "output" (did you mean "outputs"?): a marker holds only logs, metrics, outputs');
    expect(errorOf(marker({ version: 2, logs: [{ message: 'x' }] }))).toBe('unknown key "version": a marker holds only logs, metrics, outputs');
  });

  it('refuses a marker with none of logs, metrics, outputs', () => {
    expect(errorOf('::{}::')).toBe('empty marker: it holds none of logs, metrics, outputs');
  });

  it('trims trailing whitespace and a CR, and keeps all three keys from one line', () => {
    const m = markerOf(`${marker({ logs: [{ level: 'INFO', message: 'x' }], metrics: [{ name: 'n', type: 'gauge', value: 1 }], outputs: { k: 'v' } })} \t\r`);
    expect(m.logs).toHaveLength(1);
    expect(m.metrics).toHaveLength(1);
    expect(m.outputs).toEqual({ k: 'v' });
  });

  it('ignores unknown keys inside entries', () => {
    expect(markerOf(marker({ logs: [{ message: 'x', time: 1 }] })).logs).toEqual([{ level: 'INFO', message: 'x' }]);
  });
});

describe('parseLine: malformed markers, with their errors', () => {
  it.each<[string, string, string]>([
    ['no closing ::', '::{"logs":[]}', 'a marker must end with "}::" on the same line'],
    ['text after the closing ::', '::{"logs":[]}:: trailing', 'a marker must end with "}::" on the same line'],
    ['too short', '::{::', 'a marker must end with "}::" on the same line'],
    ['logs not an array', marker({ logs: { level: 'INFO' } }), 'logs: expected an array, got object'],
    ['a log entry not an object', marker({ logs: ['hello'] }), 'logs[0]: expected an object, got string'],
    ['a missing message', marker({ logs: [{ level: 'INFO' }] }), 'logs[0].message: missing'],
    ['a non-string message', marker({ logs: [{ level: 'INFO', message: 5 }] }), 'logs[0].message: expected a string, got number'],
    ['an unknown level', marker({ logs: [{ level: 'LOUD', message: 'x' }] }), 'logs[0].level: "LOUD" is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL'],
    ['a non-string level', marker({ logs: [{ level: 3, message: 'x' }] }), 'logs[0].level: expected a string, got number'],
    ['metrics not an array', marker({ metrics: 'x' }), 'metrics: expected an array, got string'],
    ['a metric entry not an object', marker({ metrics: [[1]] }), 'metrics[0]: expected an object, got array'],
    ['a missing name', marker({ metrics: [{ type: 'gauge', value: 1 }] }), 'metrics[0].name: missing'],
    ['a non-string name', marker({ metrics: [{ name: 1, type: 'gauge', value: 1 }] }), 'metrics[0].name: expected a string, got number'],
    ['an empty name', marker({ metrics: [{ name: '', type: 'gauge', value: 1 }] }), 'metrics[0].name: must not be empty'],
    ['a missing type', marker({ metrics: [{ name: 'n', value: 1 }] }), 'metrics[0].type: missing (counter, gauge or timer)'],
    ['a non-string type', marker({ metrics: [{ name: 'n', type: true, value: 1 }] }), 'metrics[0].type: expected a string, got boolean'],
    ['an unknown type', marker({ metrics: [{ name: 'n', type: 'histogram', value: 1 }] }), 'metrics[0].type: "histogram" is not one of counter, gauge, timer'],
    ['a missing value', marker({ metrics: [{ name: 'n', type: 'gauge' }] }), 'metrics[0].value: missing'],
    ['a string gauge value', marker({ metrics: [{ name: 'n', type: 'gauge', value: '1' }] }), 'metrics[0].value: expected a number, got string'],
    ['a null counter value', marker({ metrics: [{ name: 'n', type: 'counter', value: null }] }), 'metrics[0].value: expected a number, got null'],
    ['a negative counter', marker({ metrics: [{ name: 'n', type: 'counter', value: -1 }] }), 'metrics[0].value: a counter only goes up: the increment must be ≥ 0, got -1'],
    ['a negative timer', marker({ metrics: [{ name: 'n', type: 'timer', value: -2 }] }), 'metrics[0].value: a duration must be ≥ 0, got -2'],
    ['a boolean timer', marker({ metrics: [{ name: 'n', type: 'timer', value: true }] }), 'metrics[0].value: expected a number of seconds or an ISO-8601 duration string, got boolean'],
    ['a timer that is not a duration', marker({ metrics: [{ name: 'n', type: 'timer', value: '2 minutes' }] }), 'metrics[0].value: "2 minutes" is not an ISO-8601 duration (such as PT1.5S, PT2M or P1DT2H) nor a number of seconds'],
    ['a timer in months', marker({ metrics: [{ name: 'n', type: 'timer', value: 'P1M' }] }), 'metrics[0].value: "P1M": years and months have no fixed length in seconds; use weeks, days, hours, minutes or seconds (P30D, PT2H)'],
    ['tags not an object', marker({ metrics: [{ name: 'n', type: 'gauge', value: 1, tags: ['a'] }] }), 'metrics[0].tags: expected an object of string, number or boolean values, got array'],
    ['a nested tag', marker({ metrics: [{ name: 'n', type: 'gauge', value: 1, tags: { a: { b: 1 } } }] }), 'metrics[0].tags.a: expected a string, number or boolean, got object'],
    ['outputs not an object', marker({ outputs: [1, 2] }), 'outputs: expected an object, got array'],
    ['outputs a string', marker({ outputs: 'done' }), 'outputs: expected an object, got string'],
  ])('%s', (_, line, error) => {
    expect(errorOf(line)).toBe(error);
  });

  it('reports invalid JSON with the parser’s reason', () => {
    expect(errorOf('::{"logs": [}::')).toMatch(/^invalid JSON: /);
    expect(errorOf("::{'logs': []}::")).toMatch(/^invalid JSON: /);
  });

  it('keeps the JSON error short on a huge line', () => {
    const error = errorOf(`::{"logs": ${'x'.repeat(100_000)}}::`);
    expect(error.length).toBeLessThan(300);
  });

  it('lists every problem of a marker, then "and N more"', () => {
    expect(errorOf(marker({ logs: [{ level: 'INFO' }, { message: 1 }], outputs: 3 }))).toBe(
      'logs[0].message: missing; logs[1].message: expected a string, got number; outputs: expected an object, got number',
    );
    const many = errorOf(marker({ logs: Array.from({ length: 8 }, () => ({})) }));
    expect(many).toBe('logs[0].message: missing; logs[1].message: missing; logs[2].message: missing; logs[3].message: missing; logs[4].message: missing; and 3 more');
  });

  it('is all or nothing: one bad entry makes the whole marker malformed', () => {
    const p = parseLine(marker({ logs: [{ level: 'INFO', message: 'good' }], metrics: [{ name: 'n', type: 'gauge' }] }));
    expect(p.kind).toBe('malformed');
  });
});

describe('parseIsoDuration', () => {
  it.each<[string, number]>([
    ['PT1.5S', 1.5],
    ['PT2M', 120],
    ['P1DT2H', 93_600],
    ['PT1H30M', 5_400],
    ['P2W', 1_209_600],
    ['PT0S', 0],
    ['PT0,5S', 0.5],
    ['pt3s', 3],
    ['P1D', 86_400],
    ['PT1M0.25S', 60.25],
  ])('%s is %d s', (text, seconds) => {
    expect(parseIsoDuration(text)).toBe(seconds);
  });

  it.each(['P', 'PT', 'P1DT', '1.5S', 'PT1.5', 'PT-1S', 'T1S', 'PT1S2M', 'P1H', ''])('%s is not a duration', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });

  it('explains years, months and fractions before the last part', () => {
    expect(parseIsoDuration('P1Y')).toMatch(/years and months have no fixed length/);
    expect(parseIsoDuration('P1M')).toMatch(/years and months/);
    expect(parseIsoDuration('PT1.5H30M')).toBe('"PT1.5H30M": only the last part of a duration may have a fraction');
  });
});
