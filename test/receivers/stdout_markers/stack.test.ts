// Nothing a script reports is lost silently: misspelled markers become WARN records with
// their error (and are counted), stderr is WARN by default, and a stack trace on stderr
// (Node, Python, Java) is one record, from real processes and line by line.
import { afterEach, describe, expect, it } from 'vitest';
import type { Line } from '../../../src/receivers/stdout_markers/lines.js';
import type { StdoutMarkersConfig } from '../../../src/receivers/stdout_markers/index.js';
import { MARKER_ERRORS_METRIC, StdoutMarkersReceiver } from '../../../src/receivers/stdout_markers/index.js';
import { StackJoiner } from '../../../src/receivers/stdout_markers/stack.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testContext, testHost } from '../../helpers/index.js';
import { GateConsumer, attrs, bodies } from './helpers.js';

const running: StdoutMarkersReceiver[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.shutdown()));
});

async function run(command: string[], config: Partial<StdoutMarkersConfig> = {}) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logs = new GateConsumer();
  const metrics = new GateConsumer();
  const r = new StdoutMarkersReceiver({ command, ...config }, testContext('stdout_markers/t', 'receiver', telemetry), { logs, metrics });
  running.push(r);
  await r.start(testHost);
  await r.done;
  const records = logs.records().filter((x) => x.eventName !== 'process.exit');
  const stream = (name: string) => records.filter((x) => attrs(x.attributes)['log.iostream'] === name);
  return { records, stream, telemetry: await telemetry.registry.metrics() };
}

const node = (script: string): string[] => [process.execPath, '-e', script];

describe('script logs lose nothing silently', () => {
  it('keeps a marker with a misspelled key as a WARN record with ferry.marker.error, counted', async () => {
    const script = `
      console.log('::{"log":[{"level":"ERROR","message":"the build failed"}]}::');
      console.log('::{"Logs":[{"level":"ERROR","message":"again"}]}::');
      console.log('::{}::');
      console.log('::{"logs":[{"level":"ERROR","message":"kept"}]}::');`;
    const { records, telemetry } = await run(node(script));
    expect(records.map((x) => [x.severityText, x.body?.stringValue, attrs(x.attributes)['ferry.marker.error']])).toEqual([
      ['WARN', '::{"log":[{"level":"ERROR","message":"the build failed"}]}::', 'unknown key "log" (did you mean "logs"?): a marker holds only logs, metrics, outputs'],
      ['WARN', '::{"Logs":[{"level":"ERROR","message":"again"}]}::', 'unknown key "Logs" (did you mean "logs"?): a marker holds only logs, metrics, outputs'],
      ['WARN', '::{}::', 'empty marker: it holds none of logs, metrics, outputs'],
      ['ERROR', 'kept', undefined],
    ]);
    expect(telemetry).toContain(`${MARKER_ERRORS_METRIC}{receiver="stdout_markers/t"} 3`);
  });

  it('makes plain stderr lines WARN by default, stderr_level changes it', async () => {
    const script = `console.error('progress 50%'); console.log('out');`;
    const dflt = await run(node(script));
    expect(dflt.stream('stderr').map((x) => [x.body?.stringValue, x.severityText, x.severityNumber])).toEqual([['progress 50%', 'WARN', 13]]);
    expect(dflt.stream('stdout').map((x) => x.severityText)).toEqual(['INFO']);
    const set = await run(node(script), { stderr_level: 'ERROR' });
    expect(set.stream('stderr').map((x) => x.severityText)).toEqual(['ERROR']);
  });

  it('makes an uncaught Node error with its stack one record, and the lines around it their own', async () => {
    const script = `console.error('before'); setTimeout(() => { function deep() { throw new Error('boom'); } deep(); }, 10);`;
    const { stream } = await run(node(script));
    const err = stream('stderr');
    expect(err[0]?.body?.stringValue).toBe('before');
    // Node prints the source line and a caret first, then "Error: boom" and its frames.
    const trace = err.find((x) => (x.body?.stringValue ?? '').startsWith('Error: boom'));
    const text = trace?.body?.stringValue ?? '';
    expect(text.split('\n').length).toBeGreaterThan(3);
    expect(text.split('\n').slice(1).every((l) => /^\s+at /.test(l))).toBe(true);
    expect(text).toContain('at deep');
    // No frame is a record of its own.
    expect(err.filter((x) => /^\s+at /.test(x.body?.stringValue ?? ''))).toEqual([]);
  });

  it('makes a console.trace() of a marker (Kestra logger.trace in Node) one TRACE record with the stack as code.stacktrace', async () => {
    const script = `function step() { console.trace('::' + JSON.stringify({ logs: [{ level: 'TRACE', message: 'entering step' }] }) + '::'); } step(); console.error('after');`;
    const { stream } = await run(node(script));
    const err = stream('stderr');
    expect(bodies(err)).toEqual(['entering step', 'after']);
    expect(err[0]?.severityText).toBe('TRACE');
    const stack = String(attrs(err[0]?.attributes)['code.stacktrace']);
    expect(stack).toMatch(/^\s+at step /);
    expect(stack.split('\n').every((l) => /^\s+at /.test(l))).toBe(true);
    expect(err[1]?.severityText).toBe('WARN');
  });

  it('makes a Python traceback, chained, one record ending with the exception line', async () => {
    const script = ['import sys', 'print("start", file=sys.stderr, flush=True)', 'try:', '    {}["k"]', 'except KeyError as e:', '    raise ValueError("bad config") from e'].join('\n');
    const { stream } = await run(['python3', '-c', script]);
    const err = bodies(stream('stderr'));
    expect(err).toHaveLength(2);
    expect(err[0]).toBe('start');
    const tb = err[1] as string;
    expect(tb.startsWith('Traceback (most recent call last):\n  File "<string>", line 4')).toBe(true);
    expect(tb).toContain("KeyError: 'k'");
    expect(tb).toContain('The above exception was the direct cause of the following exception:');
    expect(tb.endsWith('ValueError: bad config')).toBe(true);
  });
});

describe('StackJoiner', () => {
  const line = (text: string): Line => ({ text, truncated: false, bytes: Buffer.byteLength(text), endOffset: 0 });
  function join(texts: string[], maxBytes = 1024): Line[] {
    const out: Line[] = [];
    const j = new StackJoiner(maxBytes, (l) => out.push(l), 1_000_000);
    for (const t of texts) j.push(line(t));
    j.flush();
    return out;
  }

  it('joins Java frames, Caused by and "... N more"; leaves other lines alone', () => {
    const java = ['Exception in thread "main" java.lang.IllegalStateException: x', '\tat a.B.c(B.java:1)', 'Caused by: java.io.IOException: y', '\tat a.D.e(D.java:2)', '\t... 3 more'];
    expect(join(['one', ...java, 'two', 'three']).map((l) => l.text)).toEqual(['one', java.join('\n'), 'two', 'three']);
  });

  it('lets a marker through at once, never as part of a trace', () => {
    expect(join(['Error: x', '::{"logs":[]}::', '    at f (a.js:1)']).map((l) => l.text)).toEqual(['Error: x', '::{"logs":[]}::', '    at f (a.js:1)']);
  });

  it('bounds a long trace to max_line_bytes, marked truncated', () => {
    const frames = Array.from({ length: 100 }, (_, i) => `    at f${i} (a.js:${i})`);
    const [joined] = join(['Error: x', ...frames], 200);
    expect(joined?.truncated).toBe(true);
    expect(Buffer.byteLength(joined?.text ?? '')).toBeLessThanOrEqual(200);
    expect(joined?.bytes).toBe(['Error: x', ...frames].join('\n').length);
  });

  it('emits a held line once stderr goes quiet', async () => {
    const out: string[] = [];
    const j = new StackJoiner(1024, (l) => out.push(l.text), 20);
    j.push(line('alone'));
    expect(out).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(out).toEqual(['alone']);
  });
});
