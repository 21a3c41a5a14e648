// The `ferry` command as a user meets it: help, version, components, validate with
// actionable errors, and the embedded default config serving OTLP, metrics and health.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { components } from '../src/components.js';
import { encodeExportRequest } from '../src/pdata/proto.js';
import type { FerryProcess } from './helpers/ferry.js';
import { CLI, metricValue, runFerryToEnd, startFerry, tempDir, writeConfig } from './helpers/ferry.js';
import { waitFor } from './helpers/index.js';

describe('ferry CLI', () => {
  it('runs as the `ferry` bin does: dist/cli.js executable, with the node flags of its #! line', () => {
    const out = execFileSync(CLI, ['--version'], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/^ferry \d+\.\d+\.\d+$/);
    // The command ferry exec runs is a child of ferry's node process: read that one's command line.
    const cmdline = execFileSync(CLI, ['exec', '--', 'sh', '-c', 'tr "\\0" " " < /proc/$PPID/cmdline'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(cmdline).toMatch(/node --max-semi-space-size=1 \S*dist\/cli\.js exec/);
  });

  it('gives the command `ferry exec` runs the user\'s MALLOC_ARENA_MAX, not the one of its #! line', () => {
    const run = (env: NodeJS.ProcessEnv) =>
      execFileSync(CLI, ['exec', '--', 'sh', '-c', 'echo "arenas=[$MALLOC_ARENA_MAX] sentinel=[$FERRY_USER_MALLOC_ARENA_MAX]"'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
    const { MALLOC_ARENA_MAX: _unused, ...withoutArenas } = process.env;
    expect(run(withoutArenas)).toContain('arenas=[] sentinel=[]');
    expect(run({ ...withoutArenas, MALLOC_ARENA_MAX: '8' })).toContain('arenas=[8] sentinel=[]');
  });

  it('prints help and version', async () => {
    const help = await runFerryToEnd(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ferry validate');
    expect(help.stdout).toContain('--config');
    const version = await runFerryToEnd(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^ferry \d+\.\d+\.\d+/);
  });

  it('rejects an unknown command or flag with exit code 2 and a hint', async () => {
    const r = await runFerryToEnd(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain('ferry --help');
    const f = await runFerryToEnd(['--nope']);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain("'--nope'");
  });

  it('lists every component with its signals', async () => {
    const r = await runFerryToEnd(['components']);
    expect(r.code).toBe(0);
    for (const [kind, map] of [
      ['receiver', components.receivers],
      ['processor', components.processors],
      ['exporter', components.exporters],
      ['extension', components.extensions],
    ] as const) {
      for (const f of map.values()) {
        const line = r.stdout.split('\n').find((l) => l.startsWith(kind) && l.split(/\s+/)[1] === f.type);
        expect(line, `${kind} ${f.type}`).toBeDefined();
        if ('signals' in f) expect(line).toContain(f.signals.join(','));
      }
    }
    const json = JSON.parse((await runFerryToEnd(['components', '--json'])).stdout) as { type: string; deprecatedTypes: string[]; configSchema: unknown }[];
    expect(json.find((c) => c.type === 'otlp_http')?.configSchema).toBeTypeOf('object');
    // Each component once, under its current name, with the older names it still answers to.
    expect(json.filter((c) => c.type === 'otlp_http' || c.type === 'otlphttp')).toHaveLength(1);
    expect(json.find((c) => c.type === 'otlp_grpc')?.deprecatedTypes).toEqual(['otlp']);
    expect(json.find((c) => c.type === 'debug')?.deprecatedTypes).toEqual(['logging']);
    expect(json.find((c) => c.type === 'prometheus_remote_write')?.deprecatedTypes).toEqual(['prometheusremotewrite']);
    expect(json.find((c) => c.type === 'aws_cloudwatch_logs')?.deprecatedTypes).toEqual(['awscloudwatchlogs']);
    const otlpLine = r.stdout.split('\n').find((l) => l.startsWith('exporter') && l.split(/\s+/)[1] === 'otlp_grpc');
    expect(otlpLine).toContain('(deprecated: otlp)');
  });

  it('prints a JSON Schema of a whole configuration that knows current and deprecated names', async () => {
    const r = await runFerryToEnd(['components', '--schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, { patternProperties: Record<string, { anyOf: { deprecated?: boolean }[] }> }> };
    const exporters = schema.properties.exporters?.patternProperties ?? {};
    const matching = (id: string) => Object.entries(exporters).filter(([p]) => new RegExp(p).test(id));
    expect(matching('otlp_http/backend')).toHaveLength(1);
    expect(matching('otlphttp')[0]?.[1].anyOf[0]?.deprecated).toBe(true);
    expect(matching('otlp_http')[0]?.[1].anyOf[0]?.deprecated).toBeUndefined();
    expect(matching('kafka')).toHaveLength(0);
    // The receiver keeps its name: otlp is a receiver type, not a deprecated one.
    expect(Object.keys(schema.properties.receivers?.patternProperties ?? {}).some((p) => new RegExp(p).test('otlp'))).toBe(true);
  });

  it('accepts the current exporter names and the old ones, warning on the old ones', async () => {
    const cfg = writeConfig(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:1
exporters:
  otlp_grpc:
    endpoint: 127.0.0.1:2
  otlp_http:
    endpoint: http://127.0.0.1:3
  prometheus_remote_write:
    endpoint: http://127.0.0.1:4/api/v1/write
  otlp/old:
    endpoint: 127.0.0.1:2
  logging:
    loglevel: debug
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [otlp_grpc, otlp_http, prometheus_remote_write, otlp/old, logging]
`);
    const r = await runFerryToEnd(['validate', '--config', cfg]);
    expect(r.stderr).toContain('exporters.otlp/old: exporter type "otlp" is deprecated; its current name is "otlp_grpc" (write otlp_grpc/old:)');
    expect(r.stderr).toContain('exporters.logging: exporter type "logging" is deprecated; its current name is "debug"');
    expect(r.stderr).not.toContain('"otlp_http" is deprecated');
    expect(r.code).toBe(0);
  });

  it('takes --set in the form of the Collector\'s help: --set=processors.batch.timeout=2s', async () => {
    const cfg = writeConfig('receivers:\n  otlp:\n    protocols:\n      http:\nprocessors:\n  batch:\nexporters:\n  debug:\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [debug]\n');
    expect((await runFerryToEnd(['validate', '--config', cfg, '--set=processors.batch.timeout=2s'])).code).toBe(0);
    // The value lands where the dots say: a bad one is reported at that path (the value itself
    // redacted, as every --set value is: it may be a secret).
    const bad = await runFerryToEnd(['validate', '--config', cfg, '--set=processors.batch.timeout=forever']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('processors.batch.timeout: "***" is not a duration');
    expect(bad.stderr).not.toContain('forever');
  });

  it('validates a good configuration without binding anything', async () => {
    const cfg = writeConfig(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:1
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
`);
    const r = await runFerryToEnd(['validate', '--config', cfg]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('configuration is valid');
  });

  it('reports every error in a bad configuration with file, path and fix, and exits 1', async () => {
    const dir = tempDir();
    const base = join(dir, 'base.yaml');
    writeFileSync(
      base,
      `
receivers:
  otlp:
    protocols:
      http:
exporters:
  otlphttp/backend:
    endpiont: http://127.0.0.1:9
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp/backend, fiel]
`,
    );
    const overlay = join(dir, 'overlay.yaml');
    writeFileSync(overlay, `processors:\n  batchh:\n`);
    const r = await runFerryToEnd(['validate', '--config', base, '--config', overlay]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('base.yaml');
    expect(r.stderr).toContain('exporters.otlphttp/backend');
    expect(r.stderr).toContain('endpiont');
    expect(r.stderr).toMatch(/did you mean "?endpoint"?/);
    expect(r.stderr).toContain('fiel');
    expect(r.stderr).toContain(`did you mean the "file" exporter? define it under exporters:`);
    expect(r.stderr).toContain('overlay.yaml');
    expect(r.stderr).toMatch(/did you mean "?batch"?/);
  });

  it('fails to start with a clear message when a port is taken, exit 1', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const cfg = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
exporters:
  debug:
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
`);
    const r = await runFerryToEnd(['--config', cfg]);
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr).toContain('address already in use');
  });
});

// The README's promise: `npm start` (no --config) serves OTLP on 4317/4318,
// self-metrics on 8888 and health on 13133, and prints what it receives.
describe('ferry with the embedded default configuration', () => {
  let ferry: FerryProcess;
  beforeAll(async () => {
    ferry = await startFerry([]);
  });
  afterAll(async () => {
    const code = await ferry?.stop();
    expect(code).toBe(0);
    expect(ferry.stderr()).toContain('shutdown complete');
  });

  it('is healthy, serves self-metrics, and prints received logs via the debug exporter', async () => {
    const health = await fetch('http://127.0.0.1:13133/');
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('Server available');

    const body = encodeExportRequest('logs', [
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'default-test' } }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'hi' }, attributes: [] }, { body: { stringValue: 'there' }, attributes: [] }] }] },
    ]);
    // A broken client first: the collector answers 400 and keeps serving.
    const bad = await fetch('http://127.0.0.1:4318/v1/logs', { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0xff, 0xff]) });
    expect(bad.status).toBe(400);
    const ok = await fetch('http://127.0.0.1:4318/v1/logs', { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    expect(ok.status).toBe(200);
    await waitFor(() => /log records["']?: 2/.test(ferry.stdout()), 'debug exporter output');
    expect(await metricValue('http://127.0.0.1:8888/metrics', 'otelcol_receiver_accepted_log_records_total', { receiver: 'otlp', transport: 'http' })).toBe(2);
  });
});
