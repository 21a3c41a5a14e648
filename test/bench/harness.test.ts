// The benchmark harness must not rot: its payloads and the sink's wire reading agree with
// Ferry's decoder, and a tiny real run (load generator → Ferry → sink) delivers what was accepted.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCodecs } from '../../bench/ferry.js';
import { buildTemplates, stamped } from '../../bench/payloads.js';
import { percentile } from '../../bench/runner.js';
import { ferryLaunchConfig } from '../../bench/scenarios.js';
import { STAMP_KEY, tallyRequest } from '../../bench/wire.js';
import { countItems, makeBatch } from '../../src/pdata/batch.js';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import { decodeExportRequest, encodeExportRequest } from '../../src/pdata/proto.js';
import { SIGNALS } from '../../src/pdata/types.js';
import type { InstrumentationScope } from '../../src/pdata/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function stampOf(scope: InstrumentationScope | null | undefined): number | undefined {
  return scope?.attributes.find((a) => a.key === STAMP_KEY)?.value?.doubleValue ?? undefined;
}

describe('bench payloads and the sink\'s reading of them', () => {
  it.each(SIGNALS)('%s: 100 items per request, stamped, counted on the wire as Ferry counts them', async (signal) => {
    const codecs = await loadCodecs();
    for (const encoding of ['protobuf', 'json'] as const) {
      const [template] = buildTemplates(codecs, signal, encoding, 100, 1);
      const body = stamped(template!, 123456.789);
      const resources = encoding === 'protobuf' ? decodeExportRequest(signal, body) : decodeJsonExportRequest(signal, body.toString('utf8'));
      expect(countItems(makeBatch(signal, resources)), encoding).toBe(100);
      const first = resources[0] as unknown as Record<string, { scope?: InstrumentationScope | null }[]>;
      const scopes = first[{ logs: 'scopeLogs', traces: 'scopeSpans', metrics: 'scopeMetrics' }[signal]]!;
      expect(stampOf(scopes[0]!.scope), encoding).toBe(123456.789);
    }
    // The sink reads what Ferry sends: re-encoded, several requests in one.
    const [a, b] = buildTemplates(codecs, signal, 'protobuf', 100, 2);
    const merged = [...decodeExportRequest(signal, stamped(a!, 1.5)), ...decodeExportRequest(signal, stamped(b!, 2.5))];
    const tally = tallyRequest(signal, Buffer.from(encodeExportRequest(signal, merged as never)));
    expect(tally).toEqual([
      { items: 100, stampMs: 1.5 },
      { items: 100, stampMs: 2.5 },
    ]);
  });

  it('weighs latency percentiles by items', () => {
    expect(percentile([10, 20, 30], [1, 1, 98], 0.5)).toBe(30);
    expect(percentile([10, 20, 30], [98, 1, 1], 0.99)).toBe(20);
    expect(percentile([], [], 0.5)).toBeNaN();
  });
});

describe('the Ferry setups the scenarios run', () => {
  it.each(['bench', 'sidecar', 'queue-batch', 'persistent'] as const)('%s: ferry validate accepts it', (setup) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bench-setup-'));
    const c = ferryLaunchConfig(setup, { grpc: 14317, http: 14318, metrics: 18888, health: 13133, sink: 14319 }, dir, ROOT, false, setup !== 'sidecar');
    if (c.write) writeFileSync(c.write.path, c.write.text);
    if (setup === 'queue-batch' || setup === 'persistent') expect(c.write?.text).toMatch(/sending_queue:\n(.*\n)*?\s+batch: \{\}/);
    if (setup === 'persistent') expect(c.write?.text).toMatch(/file_storage\/queue:\n(.*\n)*?\s+fsync: true/);
    const out = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'validate', ...c.args], { env: { ...process.env, ...c.env }, encoding: 'utf8', stdio: 'pipe' });
    expect(out).toMatch(/configuration is valid: 3 pipeline\(s\)/);
  });
});

describe('a tiny bench run', () => {
  beforeAll(() => {
    // dist/ is built by the global setup; the harness itself is transpiled next to it.
    execFileSync(process.execPath, [path.join(ROOT, 'bench', 'build.mjs')], { cwd: ROOT });
  });

  it('delivers to the sink exactly what Ferry accepted, over HTTP and over gRPC with gzip', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'ferry-bench-test-'));
    const scenarios = ['logs-http-protobuf-10k', 'logs-grpc-gzip-10k'];
    const { code, output } = await runBench([...scenarios.flatMap((s) => ['--scenario', s]), '--seconds', '1', '--warmup', '0.5', '--no-ceiling', '--out', out], 40_000);
    expect(code, output).toBe(0);
    for (const name of scenarios) {
      const { result, checks } = JSON.parse(readFileSync(path.join(out, `${name}.json`), 'utf8')) as {
        result: { acceptedTotal: number; deliveredTotal: number; failedRequests: number; ferryCpuPercent: number; rssPeakMiB: number; latencyP99Ms: number; answerP99Ms: number };
        checks: { target: string; met: boolean }[];
      };
      expect(result.acceptedTotal, name).toBeGreaterThan(0);
      expect(result.deliveredTotal, name).toBe(result.acceptedTotal);
      expect(result.failedRequests, name).toBe(0);
      expect(result.ferryCpuPercent, name).toBeGreaterThan(0);
      expect(result.rssPeakMiB, name).toBeGreaterThan(10);
      expect(result.latencyP99Ms, name).toBeGreaterThan(0);
      expect(result.answerP99Ms, name).toBeGreaterThan(0);
      expect(checks.find((c) => c.target === 'delivered = accepted')?.met, name).toBe(true);
    }
    expect(output).toMatch(/\| logs-http-protobuf-10k \| 10,000\/s \|/);
  }, 45_000);

  it('runs an OpenTelemetry SDK app at its defaults through configs/sidecar.yaml: every emitted log record is delivered', async () => {
    // 1,000 logs/s for 1.5 s: fewer than the SDK's queue holds (2048), so nothing may be dropped in the app, however slow the answers.
    const out = mkdtempSync(path.join(tmpdir(), 'ferry-bench-test-'));
    const name = 'sdk-logs-http-1app-1k-sidecar';
    const { code, output } = await runBench(['--scenario', name, '--seconds', '1', '--warmup', '0.5', '--no-ceiling', '--out', out], 40_000);
    expect(code, output).toBe(0);
    const { result, checks } = JSON.parse(readFileSync(path.join(out, `${name}.json`), 'utf8')) as {
      result: {
        ferrySetup: string;
        acceptedTotal: number;
        deliveredTotal: number;
        ferryCpuPercent: number;
        sdk: { apps: number; emittedTotal: number; droppedInAppTotal: number; failedTotal: number; lostTotal: number; exports: number };
      };
      checks: { target: string; met: boolean }[];
    };
    expect(result.ferrySetup).toMatch(/configs\/sidecar\.yaml/);
    expect(result.sdk.apps).toBe(1);
    expect(result.sdk.emittedTotal).toBeGreaterThan(500);
    expect(result.sdk.exports).toBeGreaterThan(0);
    expect(result.sdk.droppedInAppTotal).toBe(0);
    expect(result.sdk.failedTotal).toBe(0);
    expect(result.acceptedTotal).toBe(result.sdk.emittedTotal);
    expect(result.deliveredTotal).toBe(result.sdk.emittedTotal);
    expect(result.sdk.lostTotal).toBe(0);
    expect(result.ferryCpuPercent).toBeGreaterThan(0);
    expect(checks.find((c) => c.target.startsWith('nothing lost'))?.met).toBe(true);
    expect(output).toMatch(/\| sdk-logs-http-1app-1k-sidecar \| configs\/sidecar\.yaml .*\| 1 SDK app, 1,000\/s \|/);
  }, 45_000);
});

/** Run dist/bench/run.js with `args`; killed after `timeoutMs`. */
async function runBench(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'run.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}
