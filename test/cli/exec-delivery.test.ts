// `ferry exec` as a process: when the collector cannot be reached it says at exit what it
// could not deliver, where and why; OTEL_EXPORTER_OTLP_PROTOCOL=grpc sends over OTLP/gRPC.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOtlpFile } from '../fixtures/scripts/expected.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { runFerry, startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';

async function exec(argv: string[], env: NodeJS.ProcessEnv) {
  const p = runFerry(['exec', '--flush-timeout', '2s', '--', ...argv], { env: { OTEL_EXPORTER_OTLP_PROTOCOL: '', OTEL_EXPORTER_OTLP_ENDPOINT: '', ...env } });
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

const step = ['sh', '-c', 'echo "::{\\"logs\\":[{\\"level\\":\\"ERROR\\",\\"message\\":\\"build failed\\"}]}::"; echo plain; exit 5'];

describe('ferry exec: delivery', () => {
  it('names the endpoint and the cause of what it could not deliver (connection refused), and keeps the exit code', async () => {
    const port = await freePort(); // nobody listens there
    const run = await exec(step, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(5);
    expect(run.stdout).toContain('plain');
    const line = run.stderr.split('\n').find((l) => l.startsWith('ferry exec: could not deliver'));
    expect(line).toMatch(new RegExp(`^ferry exec: could not deliver \\d+ items? to http://127\\.0\\.0\\.1:${port} \\(exporter otlp_http\\): connection refused \\(.*ECONNREFUSED`));
  }, 60_000);

  it('does the same over gRPC', async () => {
    const port = await freePort();
    const run = await exec(step, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(new RegExp(`ferry exec: could not deliver .* to http://127\\.0\\.0\\.1:${port} \\(exporter otlp_grpc\\): (connection refused|unavailable)`));
  }, 60_000);
});

describe('ferry exec: OTEL_EXPORTER_OTLP_PROTOCOL=grpc', () => {
  const dir = tempDir('ferry-exec-grpc-');
  const out = join(dir, 'out.jsonl');
  let b: FerryProcess;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    b = await startFerry([
      '--config',
      writeConfig(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${port}
exporters:
  file:
    path: ${out}
    flush_interval: 50ms
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    logs: {receivers: [otlp], exporters: [file]}
`),
    ]);
  });
  afterAll(async () => {
    await b?.stop();
  });

  it('sends the records over OTLP/gRPC to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const run = await exec(step, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'grpc-step' });
    expect(run.code).toBe(5);
    expect(run.stderr).not.toContain('could not deliver');
    expect(run.stderr).not.toContain('not supported');
    await waitFor(() => readOtlpFile(out).logs.length >= 3, 'records over gRPC', 30_000);
    const logs = readOtlpFile(out).logs;
    expect(logs.map((l) => [l.resource['service.name'], l.record.severityText, l.record.body?.stringValue])).toEqual([
      ['grpc-step', 'ERROR', 'build failed'],
      ['grpc-step', 'INFO', 'plain'],
      ['grpc-step', 'ERROR', 'process exited with code 5'],
    ]);
  }, 60_000);
});
