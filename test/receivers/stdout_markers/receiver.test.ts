// The receiver with real commands and stdin: records in order with resource and exit
// record, batching, backpressure that pauses the child, retries, and shutdown.
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { countItems } from '../../../src/pdata/batch.js';
import type { StdoutMarkersConfig } from '../../../src/receivers/stdout_markers/index.js';
import { MARKER_ERRORS_METRIC, StdoutMarkersReceiver } from '../../../src/receivers/stdout_markers/index.js';
import type { ReceiverOptions } from '../../../src/receivers/stdout_markers/index.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testContext, testHost, waitFor } from '../../helpers/index.js';
import { GateConsumer, attrs, bodies, plain } from './helpers.js';

const running: StdoutMarkersReceiver[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.shutdown()));
});

const FAST_RETRY = { enabled: true, initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '0', multiplier: 1.5, randomization_factor: 0 };

function receiver(config: Partial<StdoutMarkersConfig>, options: ReceiverOptions = {}, telemetry = new SelfTelemetry({ defaultMetrics: false })) {
  const logs = new GateConsumer();
  const metrics = new GateConsumer();
  const r = new StdoutMarkersReceiver({ retry_on_failure: FAST_RETRY, ...config }, testContext('stdout_markers/test', 'receiver', telemetry), { logs, metrics }, undefined, options);
  running.push(r);
  return { r, logs, metrics, telemetry };
}

/** A node -e script as a command. */
const node = (script: string): string[] => [process.execPath, '-e', script];

describe('stdout_markers receiver: command', () => {
  it('ships stdout and stderr lines and markers in order, under the resource, then the exit record', async () => {
    const script = `
      console.log('plain out');
      console.error('plain err');
      console.log('::' + JSON.stringify({ logs: [{ level: 'WARN', message: 'careful' }], metrics: [{ name: 'rows', type: 'counter', value: 3, tags: { t: 'users' } }] }) + '::');
      console.log('::{"logs": oops}::');
      process.exitCode = 4;`;
    const { r, logs, metrics, telemetry } = receiver({ command: node(script), resource: { 'service.name': 'step', pipeline_run_id: 'run-1', attempt: 2 } });
    await r.start(testHost);
    const exit = await r.done;
    expect(exit?.code).toBe(4);
    const recs = logs.records();
    // stdout and stderr are separate pipes: order is kept within each stream.
    const out = recs.filter((x) => attrs(x.attributes)['log.iostream'] === 'stdout');
    expect(bodies(out)).toEqual(['plain out', 'careful', '::{"logs": oops}::']);
    expect(out.map((x) => x.severityText)).toEqual(['INFO', 'WARN', 'WARN']);
    expect(attrs(out[2]?.attributes)['ferry.marker.error']).toMatch(/^invalid JSON/);
    const err = recs.filter((x) => attrs(x.attributes)['log.iostream'] === 'stderr');
    expect(bodies(err)).toEqual(['plain err']);
    expect(err[0]?.severityNumber).toBe(13);
    const last = recs[recs.length - 1];
    expect(last?.eventName).toBe('process.exit');
    expect(attrs(last?.attributes)).toMatchObject({ 'process.exit.code': 4 });
    expect(Number(attrs(last?.attributes)['ferry.process.duration'])).toBeGreaterThan(0);
    for (const b of logs.batches) expect(attrs(b.resources[0]?.resource?.attributes)).toEqual({ 'service.name': 'step', pipeline_run_id: 'run-1', attempt: 2 });
    const [rows] = metrics.metrics();
    expect(rows?.sum?.dataPoints[0]?.asInt).toBe(3);
    expect(attrs(metrics.batches[0]?.resources[0]?.resource?.attributes)).toMatchObject({ 'service.name': 'step' });
    const text = await telemetry.registry.metrics();
    expect(text).toContain(`${MARKER_ERRORS_METRIC}{receiver="stdout_markers/test"} 1`);
    expect(text).toContain('otelcol_receiver_accepted_log_records_total{receiver="stdout_markers/test",transport="command"} 5');
  });

  it('passes cwd and env to the command, and takes TRACEPARENT from that environment', async () => {
    const { r, logs } = receiver({
      command: node('console.log(process.cwd() + " " + process.env.STEP)'),
      cwd: '/tmp',
      env: { STEP: 'build', TRACEPARENT: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    await r.start(testHost);
    await r.done;
    const [first] = logs.records();
    expect(plain(first?.body)).toBe('/tmp build');
    expect(Buffer.from(first?.traceId ?? []).toString('hex')).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(first?.flags).toBe(1);
  });

  it('ignores an invalid TRACEPARENT', async () => {
    const { r, logs } = receiver({ command: node('console.log("x")'), env: { TRACEPARENT: 'nonsense' } });
    await r.start(testHost);
    await r.done;
    expect(logs.records()[0]?.traceId).toBeUndefined();
  });

  it('reports the exit code of a command a signal killed as 128 + the signal', async () => {
    const { r, logs } = receiver({ command: node('console.log("bye"); process.kill(process.pid, "SIGKILL")') });
    await r.start(testHost);
    const exit = await r.done;
    expect(exit).toMatchObject({ code: 137, signal: 'SIGKILL' });
    expect(attrs(logs.records().at(-1)?.attributes)).toMatchObject({ 'process.exit.code': 137, 'ferry.process.signal': 'SIGKILL' });
  });

  it('fails to start when the command does not exist', async () => {
    const { r } = receiver({ command: ['/nonexistent/ferry-test-cmd'] });
    await expect(r.start(testHost)).rejects.toThrow('/nonexistent/ferry-test-cmd: command not found');
  });

  it('batches 100,000 lines into few consume calls and loses none', async () => {
    const { r, logs } = receiver({ command: node('const b = []; for (let i = 0; i < 100000; i++) b.push("line " + i); process.stdout.write(b.join("\\n") + "\\n")') });
    await r.start(testHost);
    await r.done;
    const recs = logs.records();
    expect(recs).toHaveLength(100_001); // + the exit record
    expect(plain(recs[0]?.body)).toBe('line 0');
    expect(plain(recs[99_999]?.body)).toBe('line 99999');
    expect(logs.calls).toBeLessThan(400);
    // Up to 1000 lines, plus the rest of the 64 KiB chunk being split (lines here are ≥ 7 bytes).
    for (const b of logs.batches) expect(countItems(b)).toBeLessThanOrEqual(1000 + 65_536 / 7);
  });

  it('stops reading while the pipeline holds a batch: the child blocks, memory stays bounded, nothing is lost', async () => {
    const lines = 200_000;
    const { r, logs } = receiver(
      { command: node(`let i = 0; const w = () => { while (i < ${lines}) { if (!process.stdout.write("l" + i++ + "\\n")) return process.stdout.once("drain", w); } }; w();`) },
      { limits: { maxBatchLines: 100, maxBatchBytes: 1 << 20, flushIntervalMs: 20 } },
    );
    logs.hold();
    await r.start(testHost);
    await waitFor(() => r.readingPaused, 'reading to pause');
    // Give the child time to fill the pipe; it must not be able to finish.
    await new Promise((res) => setTimeout(res, 300));
    expect(r.readingPaused).toBe(true);
    // One batch in flight + at most one batch and one 64 KiB chunk of lines held.
    expect(r.heldLines).toBeLessThanOrEqual(100 + 65_536 / 2);
    let exited = false;
    void r.exited.then(() => (exited = true));
    expect(exited).toBe(false);
    logs.release();
    await r.done;
    const recs = logs.records();
    expect(recs).toHaveLength(lines + 1);
    expect(bodies(recs.slice(0, lines))).toEqual(Array.from({ length: lines }, (_, i) => `l${i}`));
  });

  it('retries a retryable refusal with backoff until it is accepted, pausing meanwhile', async () => {
    const { r, logs, telemetry } = receiver({ command: node('console.log("a"); console.log("b")') });
    logs.refuse = (call) => (call <= 3 ? new RetryableError('busy') : undefined);
    await r.start(testHost);
    await r.done;
    expect(bodies(logs.records()).slice(0, 2)).toEqual(['a', 'b']);
    expect(logs.calls).toBeGreaterThanOrEqual(4);
    const text = await telemetry.registry.metrics();
    expect(text).toMatch(/otelcol_receiver_refused_log_records_total\{receiver="stdout_markers\/test",transport="command"\} [1-9]/);
  });

  it('drops a permanently refused batch without retrying it', async () => {
    const { r, logs } = receiver({ command: node('console.log("a")') });
    logs.refuse = (call) => (call === 1 ? new PermanentError('bad data') : undefined);
    await r.start(testHost);
    await r.done;
    expect(logs.calls).toBeLessThanOrEqual(2);
    expect(bodies(logs.records())).not.toContain('a');
  });

  it('gives up after retry_on_failure.max_elapsed_time', async () => {
    const { r, logs } = receiver({
      command: node('console.log("a")'),
      retry_on_failure: { ...FAST_RETRY, max_elapsed_time: '100ms', max_interval: '20ms' },
    });
    logs.refuse = () => new RetryableError('down');
    await r.start(testHost);
    await r.done;
    expect(logs.records()).toHaveLength(0);
    expect(logs.calls).toBeGreaterThan(2);
  });

  it('cuts over-long lines at max_line_bytes', async () => {
    const { r, logs } = receiver({ command: node('console.log("z".repeat(5000)); console.log("ok")'), max_line_bytes: 100 });
    await r.start(testHost);
    await r.done;
    const [cut, ok] = logs.records();
    expect(plain(cut?.body)).toBe('z'.repeat(100));
    expect(attrs(cut?.attributes)['ferry.line.truncated']).toBe(true);
    expect(plain(ok?.body)).toBe('ok');
  });

  it('at shutdown asks a running command to stop and delivers what it printed', async () => {
    const { r, logs } = receiver({ command: node('process.on("SIGTERM", () => { console.log("stopping"); process.exit(0) }); console.log("up"); setInterval(() => {}, 1000)') });
    await r.start(testHost);
    await waitFor(() => bodies(logs.records()).includes('up'), 'the first line');
    await r.shutdown();
    expect(bodies(logs.records())).toEqual(['up', 'stopping', 'process exited with code 0']);
  });

  it('stops waiting for output a background process holds open once the command has exited', async () => {
    const { r, logs } = receiver({ command: ['sh', '-c', 'sleep 3 & echo parent done'] }, { lingerMs: 200 });
    await r.start(testHost);
    const exit = await r.done;
    expect(exit?.code).toBe(0);
    expect(bodies(logs.records())).toEqual(['parent done', 'process exited with code 0']);
  });

  it('drops lines with a warning when no pipeline takes that signal', async () => {
    const metrics = new GateConsumer();
    const r = new StdoutMarkersReceiver({ command: node('console.log("plain"); console.log(\'::{"metrics":[{"name":"g","type":"gauge","value":1}]}::\')') }, testContext('stdout_markers'), { metrics });
    running.push(r);
    await r.start(testHost);
    await r.done;
    expect(metrics.metrics().map((m) => m.name)).toEqual(['g']);
  });
});

describe('stdout_markers receiver: stdin', () => {
  it('reads lines from stdin as stdout until it ends', async () => {
    const input = new PassThrough();
    const { r, logs } = receiver({ stdin: true }, { stdin: input });
    await r.start(testHost);
    input.write('one\n::{"outputs":{"x":1}}::\ntw');
    input.end('o');
    const exit = await r.done;
    expect(exit).toBeUndefined();
    expect(bodies(logs.records())).toEqual(['one', 'outputs', 'two']);
    expect(logs.records().every((x) => attrs(x.attributes)['log.iostream'] === 'stdout')).toBe(true);
  });
});
