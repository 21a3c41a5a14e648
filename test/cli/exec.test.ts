// `ferry exec` as a real process against a small OTLP/HTTP capture server: output copied
// byte for byte, exit codes and signals passed through, the OTEL_* environment honoured,
// the flush bounded; and its argument and environment parsing, unit by unit.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT_FERRY_FAILED, ExecUsageError, envResource, execConfigSources, parseExecArgs, parseOtelKeyValues, runExec } from '../../src/cli/exec.js';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import { decodeExportRequest } from '../../src/pdata/proto.js';
import type { ResourceLogs, ResourceMetrics } from '../../src/pdata/types.js';
import { CLI, tempDir, writeConfig } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';
import { LANGUAGES, SCRIPTS, attrs, flatten, plain } from '../fixtures/scripts/expected.js';
import type { Received } from '../fixtures/scripts/expected.js';

interface Captured {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly logs: ResourceLogs[];
  readonly metrics: ResourceMetrics[];
}

/** An OTLP/HTTP endpoint that records what it is sent (protobuf or JSON, gzip or not). */
class CaptureServer {
  readonly requests: Captured[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = String(req.headers['content-type']).includes('json');
        const signal = req.url === '/v1/metrics' ? 'metrics' : 'logs';
        const decoded = json ? decodeJsonExportRequest(signal, JSON.parse(body.toString('utf8'))) : decodeExportRequest(signal, body);
        this.requests.push({
          path: req.url ?? '',
          headers: req.headers,
          logs: signal === 'logs' ? (decoded as ResourceLogs[]) : [],
          metrics: signal === 'metrics' ? (decoded as ResourceMetrics[]) : [],
        });
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : undefined);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  received(runKey: string): Received {
    const all = flatten(
      this.requests.flatMap((r) => r.logs),
      this.requests.flatMap((r) => r.metrics),
    );
    return { logs: all.logs.filter((l) => l.resource.run_key === runKey), metrics: all.metrics.filter((m) => m.resource.run_key === runKey) };
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

interface ExecRun {
  readonly child: ReturnType<typeof spawn>;
  readonly stdout: () => Buffer;
  readonly stderr: () => string;
  readonly exited: Promise<number | string>;
}

/** `ferry exec` with raw byte capture (the shared helper decodes to strings). */
function ferryExec(args: readonly string[], env: NodeJS.ProcessEnv = {}): ExecRun {
  const child = spawn(process.execPath, [CLI, 'exec', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  void exited.then(() => clearTimeout(timer));
  return { child, stdout: () => Buffer.concat(out), stderr: () => err, exited };
}

const server = new CaptureServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

const otlpEnv = (runKey: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.port}`,
  OTEL_RESOURCE_ATTRIBUTES: `run_key=${runKey}`,
  ...extra,
});

// Real processes, mostly waiting: run side by side to keep the file short.
describe.concurrent('ferry exec: the child’s output and exit', () => {
  it('copies stdout and stderr byte for byte (invalid UTF-8, CRLF, no final newline, a 2 MiB line)', async () => {
    const script = `
      process.stdout.write(Buffer.from([0x61, 0xff, 0xfe, 0x0d, 0x0a, 0x62]));
      process.stdout.write('\\n' + 'x'.repeat(2 * 1024 * 1024) + '\\n');
      process.stderr.write('err\\r\\n');
      process.stdout.write('no newline at the end');`;
    const run = ferryExec(['--', process.execPath, '-e', script], otlpEnv('bytes'));
    expect(await run.exited).toBe(0);
    const expected = Buffer.concat([Buffer.from([0x61, 0xff, 0xfe, 0x0d, 0x0a, 0x62]), Buffer.from('\n' + 'x'.repeat(2 * 1024 * 1024) + '\n' + 'no newline at the end')]);
    expect(run.stdout().equals(expected)).toBe(true);
    expect(run.stderr()).toBe('err\r\n');
    await waitFor(() => server.received('bytes').logs.length >= 5, 'the records', 20_000);
    const got = server.received('bytes').logs.map((l) => l.record);
    const out = got.filter((r) => attrs(r.attributes)['log.iostream'] === 'stdout');
    expect(out.map((r) => String(plain(r.body)).slice(0, 30))).toEqual(['a\uFFFD\uFFFD', 'b', 'x'.repeat(30), 'no newline at the end']);
    expect(attrs(out[2]?.attributes)['ferry.line.truncated']).toBe(true);
    expect(String(plain(out[2]?.body)).length).toBe(1024 * 1024);
  });

  it.each(LANGUAGES)('passes SIGTERM to a %s script that traps it and exits 7', async (lang) => {
    const run = ferryExec(['--', ...SCRIPTS[lang], 'trap'], otlpEnv(`trap-${lang}`));
    await waitFor(() => run.stdout().toString().includes('ready'), 'the script to be ready', 20_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(7);
    expect(run.stdout().toString()).toBe('ready\ngot SIGTERM\n');
    await waitFor(() => server.received(`trap-${lang}`).logs.some((l) => l.record.eventName === 'process.exit'), 'the exit record', 20_000);
    const exit = server.received(`trap-${lang}`).logs.find((l) => l.record.eventName === 'process.exit');
    expect(attrs(exit?.record.attributes)['process.exit.code']).toBe(7);
  });

  it('lets the child get SIGPIPE when the reader of the output goes away, as without Ferry', async () => {
    const run = ferryExec(['--', 'sh', '-c', 'while :; do echo y; done'], otlpEnv('sigpipe'));
    await waitFor(() => run.stdout().length > 0, 'some output', 20_000);
    run.child.stdout?.destroy();
    expect(await run.exited).toBe(128 + 13);
  });

  it('exits 137 when the child is killed by SIGKILL', async () => {
    const run = ferryExec(['--', ...SCRIPTS.shell, 'kill9'], otlpEnv('kill9'));
    expect(await run.exited).toBe(137);
    expect(run.stdout().toString()).toBe('about to be killed\n');
    await waitFor(() => server.received('kill9').logs.some((l) => l.record.eventName === 'process.exit'), 'the exit record', 20_000);
    const exit = server.received('kill9').logs.find((l) => l.record.eventName === 'process.exit');
    expect(attrs(exit?.record.attributes)).toMatchObject({ 'process.exit.code': 137, 'ferry.process.signal': 'SIGKILL' });
  });

  it('forwards SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 (no terminal)', async () => {
    const script = `
      for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']) process.on(s, () => console.log('got ' + s));
      process.on('SIGTERM', () => process.exit(9));
      console.log('ready');
      setInterval(() => {}, 1000);`;
    const run = ferryExec(['--', process.execPath, '-e', script], otlpEnv('signals'));
    await waitFor(() => run.stdout().toString().includes('ready'), 'ready', 20_000);
    for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) {
      run.child.kill(s);
      await waitFor(() => run.stdout().toString().includes(`got ${s}`), `${s} to arrive`, 20_000);
    }
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(9);
  });

  it('exits 127 for a command not found, 126 for one that cannot run', async () => {
    const missing = ferryExec(['--', '/nonexistent/ferry-cmd'], otlpEnv('missing'));
    expect(await missing.exited).toBe(127);
    expect(missing.stderr()).toContain('ferry exec: /nonexistent/ferry-cmd: command not found');
    const dir = tempDir();
    const notExecutable = writeConfig('not a program', dir);
    const denied = ferryExec(['--', notExecutable], otlpEnv('denied'));
    expect(await denied.exited).toBe(126);
    expect(denied.stderr()).toContain('permission denied');
  });

  it('exits 125 for its own usage and configuration errors', async () => {
    const bad = ferryExec(['--bogus', '--', 'true']);
    const noReceiver = ferryExec(['--config', writeConfig('receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\nexporters:\n  debug:\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [debug]\n'), '--', 'true']);
    expect(await bad.exited).toBe(EXIT_FERRY_FAILED);
    expect(bad.stderr()).toBe('ferry exec: unknown option "--bogus" (put the command after --)\nRun "ferry exec --help" for usage.\n');
    expect(await noReceiver.exited).toBe(125);
    expect(noReceiver.stderr()).toContain('has no stdout_markers receiver');
  });

  it('prints its help', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runExec(['--help'])).toBe(0);
      expect(String(write.mock.calls[0]?.[0])).toContain('Usage: ferry exec');
    } finally {
      write.mockRestore();
    }
  });
});

describe.concurrent('ferry exec: the OTEL_* environment and the flush', () => {
  it('builds the resource from OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME and --resource, sends OTEL_EXPORTER_OTLP_HEADERS, takes TRACEPARENT', async () => {
    const run = ferryExec(['--resource', 'step_id=deploy', '--resource', 'attempt=2', '--', 'sh', '-c', 'echo hello'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.port}`,
      OTEL_RESOURCE_ATTRIBUTES: 'run_key=env,pipeline_run_id=run%2042%2Cb, step_id=ignored,service.name=ignored',
      OTEL_SERVICE_NAME: 'etl',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0k$en,x-team=data',
      TRACEPARENT: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toBe('');
    await waitFor(() => server.received('env').logs.length >= 2, 'records', 20_000);
    const [hello] = server.received('env').logs;
    expect(hello?.resource).toEqual({ run_key: 'env', pipeline_run_id: 'run 42,b', step_id: 'deploy', attempt: '2', 'service.name': 'etl' });
    expect(plain(hello?.record.body)).toBe('hello');
    expect(Buffer.from(hello?.record.traceId ?? []).toString('hex')).toBe('0af7651916cd43dd8448eb211c80319c');
    const req = server.requests.find((r) => r.logs.some((rl) => attrs(rl.resource?.attributes).run_key === 'env'));
    expect(req?.headers.authorization).toBe('Bearer t0k$en');
    expect(req?.headers['x-team']).toBe('data');
    expect(req?.path).toBe('/v1/logs');
  });

  it('names an unnamed service unknown_service:<command> and speaks http/json when asked', async () => {
    const run = ferryExec(['--', 'sh', '-c', 'echo hi'], otlpEnv('json', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }));
    expect(await run.exited).toBe(0);
    await waitFor(() => server.received('json').logs.length >= 1, 'records', 20_000);
    expect(server.received('json').logs[0]?.resource['service.name']).toBe('unknown_service:sh');
    const req = server.requests.find((r) => r.logs.some((rl) => attrs(rl.resource?.attributes).run_key === 'json'));
    expect(req?.headers['content-type']).toContain('application/json');
  });

  it('runs two at once (no self-metrics port to fight over) with a clean stderr', async () => {
    const runs = [ferryExec(['--', 'sh', '-c', 'echo one'], otlpEnv('twin-1')), ferryExec(['--', 'sh', '-c', 'echo two'], otlpEnv('twin-2'))];
    expect(await Promise.all(runs.map((r) => r.exited))).toEqual([0, 0]);
    expect(runs.map((r) => r.stderr())).toEqual(['', '']);
    await waitFor(() => server.received('twin-1').logs.length >= 2 && server.received('twin-2').logs.length >= 2, 'both runs', 20_000);
  });

  it('gives up on an unreachable backend after --flush-timeout and still exits with the child’s code', async () => {
    const deadPort = await freePort();
    const started = Date.now();
    const run = ferryExec(['--flush-timeout', '1s', '--', 'sh', '-c', 'echo lost; exit 4'], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${deadPort}` });
    expect(await run.exited).toBe(4);
    expect(run.stdout().toString()).toBe('lost\n');
    // Without the bound the exporter would retry for 30 s.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('ferry exec: arguments and environment', () => {
  it('parses options up to -- or the first word, the rest is the command', () => {
    expect(parseExecArgs(['-c', 'a.yaml', '--config=b.yaml', '--resource', 'k=v=w', '--flush-timeout', '2s', '--', 'python3', '-u', 'x.py'])).toEqual({
      configs: ['a.yaml', 'b.yaml'],
      sets: [],
      resource: { k: 'v=w' },
      flushTimeoutMs: 2000,
      argv: ['python3', '-u', 'x.py'],
      help: false,
    });
    expect(parseExecArgs(['sh', '-c', 'echo --config']).argv).toEqual(['sh', '-c', 'echo --config']);
    expect(parseExecArgs(['--', '--weird-name']).argv).toEqual(['--weird-name']);
    expect(parseExecArgs(['--help']).help).toBe(true);
  });

  it.each([
    [[], 'no command: use ferry exec [options] -- CMD [ARGS...]'],
    [['--nope', 'x'], 'unknown option "--nope" (put the command after --)'],
    [['--resource', 'novalue', 'x'], '--resource "novalue": expected KEY=VALUE, such as --resource step_id=build'],
    [['--config'], '--config needs a value'],
    [['--flush-timeout', 'soon', 'x'], '--flush-timeout: invalid duration "soon": use a number with a unit, such as 200ms, 5s or 1m30s'],
  ])('rejects %j', (args, message) => {
    expect(() => parseExecArgs(args)).toThrow(new ExecUsageError(message));
  });

  it('reads OTEL key=value lists with percent-decoding, discarding an invalid one whole', () => {
    expect(parseOtelKeyValues(' a=1 , b=x%20y%2Cz,,c%3Dd=e=f ')).toEqual({ values: { a: '1', b: 'x y,z', 'c=d': 'e=f' } });
    expect(parseOtelKeyValues('a=1,broken')).toEqual({ error: '"broken" is not key=value' });
    expect(parseOtelKeyValues('a=%zz')).toEqual({ error: '"a=%zz" has an invalid percent-encoding' });
    expect(parseOtelKeyValues('error=x')).toEqual({ values: { error: 'x' } });
  });

  it('lets OTEL_SERVICE_NAME win over service.name in OTEL_RESOURCE_ATTRIBUTES, and warns about a bad list', () => {
    const warnings: string[] = [];
    expect(envResource({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=a,x=1', OTEL_SERVICE_NAME: 'b' }, (w) => warnings.push(w))).toEqual({ 'service.name': 'b', x: '1' });
    expect(envResource({ OTEL_RESOURCE_ATTRIBUTES: 'x' }, (w) => warnings.push(w))).toEqual({});
    expect(warnings).toEqual(['ignoring OTEL_RESOURCE_ATTRIBUTES: "x" is not key=value']);
  });

  it('keeps $ in OTEL_EXPORTER_OTLP_HEADERS literal and maps http/json', () => {
    const sources = execConfigSources(parseExecArgs(['x']), { OTEL_EXPORTER_OTLP_HEADERS: 'k=a$b', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, () => undefined);
    const env = sources.find((s) => typeof s !== 'string' && s.name === 'env:OTEL_EXPORTER_OTLP_*');
    expect(typeof env !== 'string' && env?.text).toContain('k: a$$b');
    expect(typeof env !== 'string' && env?.text).toContain('encoding: json');
    expect(execConfigSources(parseExecArgs(['-c', 'mine.yaml', 'x']), {}, () => undefined)).toEqual([expect.objectContaining({ name: 'exec:defaults' }), 'mine.yaml']);
  });
});
