// Messages a newcomer can act on: each mistake gets its cause and its fix, from the real CLI.
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runFerry, writeConfig } from '../helpers/ferry.js';
import { freePort } from '../helpers/index.js';

async function ferry(args: string[]) {
  const p = runFerry(args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stderr: p.stderr() };
}

const PIPELINE = `exporters:
  debug:
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    logs: {receivers: [otlp], exporters: [debug]}
`;

describe('messages a newcomer can act on', () => {
  it('--confg: did you mean --config', async () => {
    const run = await ferry(['--confg', 'x.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option "--confg": did you mean --config?');
  }, 30_000);

  it('--set without "=": the form, with an example', async () => {
    const run = await ferry(['validate', '--set', 'a.b.c']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--set "a.b.c": no "=": write --set KEY=VALUE, with . or :: between the levels of KEY');
    expect(run.stderr).toContain('--set KEY=VALUE');
    expect(run.stderr).toContain('--set exporters::debug::verbosity=detailed');
  }, 30_000);

  it('endpoint: localhost without a port is refused, naming the key and an example with the port', async () => {
    const run = await ferry(['validate', '--config', writeConfig(`receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: localhost\n${PIPELINE}`)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('receivers.otlp.protocols.http.endpoint: "localhost" has no port');
    expect(run.stderr).toContain('such as endpoint: localhost:4318');
  }, 30_000);

  it('a port in use names the setting to change', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const run = await ferry(['--config', writeConfig(`receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:${port}\n${PIPELINE}`)]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot listen on 127.0.0.1:${port}: address already in use`);
      expect(run.stderr).toContain(`set receivers.otlp.protocols.http.endpoint to a free port, e.g. 127.0.0.1:${port + 1}`);
      const metrics = await ferry([
        '--config',
        writeConfig(`receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\n${PIPELINE.replace('{metrics: {level: none}}', `{metrics: {address: 127.0.0.1:${port}}}`)}`),
      ]);
      expect(metrics.code).toBe(1);
      expect(metrics.stderr).toContain(`cannot listen on 127.0.0.1:${port}: address already in use`);
      expect(metrics.stderr).toContain('set service.telemetry.metrics.address to a free port');
    } finally {
      holder.close();
    }
  }, 60_000);

  it('a key at the wrong indentation gets one message that says so', async () => {
    const run = await ferry(['validate', '--config', writeConfig(`receivers:\n  otlp:\n    protocols:\n      http:\n      endpoint: 127.0.0.1:4318\n${PIPELINE}`)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid configuration (1 error)');
    expect(run.stderr).toContain('receivers.otlp.protocols.endpoint: unknown key "endpoint" at this level, but receivers.otlp.protocols.grpc.endpoint and receivers.otlp.protocols.http.endpoint are known keys: check its indentation');
    expect(run.stderr).toContain('indent "endpoint:" two more spaces, under "grpc:" or "http:"');
  }, 30_000);

  it('pipeline keys written where pipeline ids go get one message each about indentation, nothing contradictory', async () => {
    const yaml = `receivers:\n  otlp:\n    protocols:\n      http:\nexporters:\n  debug:\nservice:\n  pipelines:\n    logs:\n    receivers: [otlp]\n    exporters: [debug]\n`;
    const run = await ferry(['validate', '--config', writeConfig(yaml)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid configuration (2 errors)');
    expect(run.stderr).toContain('service.pipelines.receivers: "receivers" is a key of a pipeline, written where pipeline ids go: check its indentation (fix: indent "receivers:" two more spaces, under "logs:")');
    expect(run.stderr).toContain('service.pipelines.exporters: "exporters" is a key of a pipeline, written where pipeline ids go: check its indentation');
    expect(run.stderr).not.toContain('must be a map');
    expect(run.stderr).not.toContain('has no receivers');
  }, 30_000);
});
