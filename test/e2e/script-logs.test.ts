// Script logs end to end, with real processes: shell, Python and Node steps run under
// `ferry exec` and as stdout_markers receivers in a Ferry, shipping over OTLP/HTTP to a
// second Ferry (otlp receiver → file exporter); every record, metric and resource is
// checked at the far end, and 100,000 lines printed as fast as possible all arrive.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../helpers/index.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { runFerry, startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { EXPECTED_METRICS, EXPECTED_RECORDS, LANGUAGES, SCRIPTS, STDERR, STDOUT, attrs, expectStepTelemetry, ofRun, plain, readOtlpFile } from '../fixtures/scripts/expected.js';
import type { Received } from '../fixtures/scripts/expected.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const FLOOD = 100_000;
/** Waits of these process tests: generous, for a CI machine whose 2 cores run other test files too. */
const SLOW_MS = 30_000;

describe('script logs: shell, Python and Node steps → Ferry → Ferry B → file', () => {
  const dir = tempDir('ferry-script-logs-');
  const out = { small: join(dir, 'small.jsonl'), flood: join(dir, 'flood.jsonl') };
  let b: FerryProcess;
  let a: FerryProcess | undefined;
  const port = { small: 0, flood: 0 };

  beforeAll(async () => {
    port.small = await freePort();
    port.flood = await freePort();
    const bConfig = writeConfig(`
receivers:
  otlp/small:
    protocols:
      http:
        endpoint: 127.0.0.1:${port.small}
  otlp/flood:
    protocols:
      http:
        endpoint: 127.0.0.1:${port.flood}
exporters:
  file/small:
    path: ${out.small}
    flush_interval: 50ms
  file/flood:
    path: ${out.flood}
    flush_interval: 50ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs/small: {receivers: [otlp/small], exporters: [file/small]}
    metrics/small: {receivers: [otlp/small], exporters: [file/small]}
    logs/flood: {receivers: [otlp/flood], exporters: [file/flood]}
`);
    b = await startFerry(['--config', bConfig]);
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  const small = (key: string, value: string): Received => ofRun(readOtlpFile(out.small), key, value);

  async function execStep(argv: readonly string[], env: NodeJS.ProcessEnv, args: string[] = []) {
    const p = runFerry(['exec', ...args, '--', ...argv], { env });
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
    const code = await p.exited;
    clearTimeout(timer);
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  }

  it.each(LANGUAGES)('%s under ferry exec: output unchanged, exit code kept, every record and metric at the far end', async (lang) => {
    const argv = [...SCRIPTS[lang], 'normal', '3'];
    const run = await execStep(
      argv,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port.small}`,
        OTEL_SERVICE_NAME: `step-${lang}`,
        OTEL_RESOURCE_ATTRIBUTES: `pipeline_run_id=run%2C42,run_key=exec-${lang},service.name=overridden`,
        TRACEPARENT,
      },
      ['--resource', 'step_id=build'],
    );
    expect(run.code).toBe(3);
    expect(run.stdout).toBe(STDOUT);
    expect(run.stderr).toBe(STDERR);
    await waitFor(() => small('run_key', `exec-${lang}`).logs.length >= EXPECTED_RECORDS && small('run_key', `exec-${lang}`).metrics.length >= EXPECTED_METRICS, `exec-${lang} telemetry`, SLOW_MS);
    expectStepTelemetry(small('run_key', `exec-${lang}`), {
      exitCode: 3,
      argv,
      traceId: TRACE_ID,
      resource: { 'service.name': `step-${lang}`, pipeline_run_id: 'run,42', run_key: `exec-${lang}`, step_id: 'build' },
    });
  }, 90_000);

  it('every language as a stdout_markers receiver, and 100,000 lines without a loss', async () => {
    const metricsPort = await freePort();
    const receivers = LANGUAGES.map(
      (lang) => `
  stdout_markers/${lang}:
    command: ${JSON.stringify([...SCRIPTS[lang], 'normal', '0'])}
    env:
      TRACEPARENT: ${lang === 'python' ? TRACEPARENT : '""'}
    resource:
      service.name: step-${lang}
      run_key: receiver-${lang}
      pipeline_run_id: \${env:RUN_ID}`,
    ).join('');
    const aConfig = writeConfig(`
receivers:${receivers}
  stdout_markers/flood:
    command: ${JSON.stringify([...SCRIPTS.python, 'flood', String(FLOOD)])}
    resource:
      run_key: receiver-flood
exporters:
  otlphttp/small:
    endpoint: http://127.0.0.1:${port.small}
  otlphttp/flood:
    endpoint: http://127.0.0.1:${port.flood}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [${LANGUAGES.map((l) => `stdout_markers/${l}`).join(', ')}]
      exporters: [otlphttp/small]
    metrics:
      receivers: [${LANGUAGES.map((l) => `stdout_markers/${l}`).join(', ')}]
      exporters: [otlphttp/small]
    logs/flood:
      receivers: [stdout_markers/flood]
      exporters: [otlphttp/flood]
`);
    a = await startFerry(['--config', aConfig], { env: { RUN_ID: 'run-7' } });
    for (const lang of LANGUAGES) {
      const key = `receiver-${lang}`;
      await waitFor(() => small('run_key', key).logs.length >= EXPECTED_RECORDS && small('run_key', key).metrics.length >= EXPECTED_METRICS, `${key} telemetry`, SLOW_MS);
      expectStepTelemetry(small('run_key', key), {
        exitCode: 0,
        argv: [...SCRIPTS[lang], 'normal', '0'],
        traceId: lang === 'python' ? TRACE_ID : undefined,
        resource: { 'service.name': `step-${lang}`, run_key: key, pipeline_run_id: 'run-7' },
      });
    }
    const records = await floodRecords('receiver-flood', FLOOD + 1);
    expectFlood(records);
    await a.stop();
    a = undefined;
  }, 90_000);

  it('100,000 lines printed as fast as possible under ferry exec all arrive', async () => {
    const run = await execStep([...SCRIPTS.shell, 'flood', String(FLOOD)], {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port.flood}`,
      OTEL_RESOURCE_ATTRIBUTES: 'run_key=exec-flood',
    });
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBe(Array.from({ length: FLOOD }, (_, i) => `line ${i}\n`).join('').length);
    expect(run.stderr).toBe('');
    expectFlood(await floodRecords('exec-flood', FLOOD + 1));
  }, 90_000);

  /** Wait until the flood file stops growing with at least `want` records of the run, then read them. */
  async function floodRecords(runKey: string, want: number) {
    let records: Received['logs'] = [];
    let size = -1;
    const deadline = Date.now() + SLOW_MS;
    while (Date.now() < deadline) {
      const now = statSafe(out.flood);
      if (now !== size) {
        size = now;
        records = ofRun(readOtlpFile(out.flood), 'run_key', runKey).logs;
        if (records.length >= want) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return records;
  }

  /**
   * Every line exactly once. The exporters' sending queues send batches in parallel, so
   * batches may land out of order; the records' timestamps keep the order they were read in.
   */
  function expectFlood(records: Received['logs']): void {
    expect(records).toHaveLength(FLOOD + 1);
    const byTime = [...records].sort((x, y) => (BigInt(String(x.record.timeUnixNano)) < BigInt(String(y.record.timeUnixNano)) ? -1 : 1));
    const bodies = byTime.map((r) => plain(r.record.body));
    for (let i = 0; i < FLOOD; i++) if (bodies[i] !== `line ${i}`) expect(bodies[i]).toBe(`line ${i}`);
    expect(attrs(byTime[FLOOD]?.record.attributes)['process.exit.code']).toBe(0);
  }
});

function statSafe(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}
