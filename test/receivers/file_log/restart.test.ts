// A real Ferry process tailing a growing file with `storage`, stopped in the middle of it and
// restarted: after SIGTERM no line is lost or repeated; after SIGKILL none is lost (lines
// written out but not yet checkpointed may come again: at-least-once).
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FerryProcess } from '../../helpers/ferry.js';
import { metricValue, startFerry, tempDir, writeConfig } from '../../helpers/ferry.js';
import { completeJsonLines, freePort, waitFor } from '../../helpers/index.js';

let ferry: FerryProcess | undefined;
let writer: NodeJS.Timeout | undefined;

afterEach(async () => {
  clearInterval(writer);
  await ferry?.stop();
  ferry = undefined;
});

function bodiesIn(path: string): string[] {
  const out: string[] = [];
  for (const req of completeJsonLines(path) as { resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[] }[]) {
    for (const rl of req.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) out.push(r.body.stringValue);
  }
  return out;
}

async function setup() {
  const dir = tempDir('ferry-filelog-restart-');
  const metricsPort = await freePort();
  const input = join(dir, 'app.log');
  const output = join(dir, 'out.jsonl');
  writeFileSync(input, '');
  const config = writeConfig(
    `
extensions:
  file_storage:
    directory: ${dir}/state
    create_directory: true
receivers:
  filelog:
    include: [${dir}/*.log]
    start_at: beginning
    poll_interval: 50ms
    storage: file_storage
exporters:
  file:
    path: ${output}
    append: true
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [filelog]
      exporters: [file]
`,
    dir,
  );
  let next = 0;
  // The file keeps growing while Ferry runs, stops and starts again: 100 lines every 20 ms.
  const append = (n: number): void => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`line ${next++} ${'p'.repeat(60)}`);
    appendFileSync(input, lines.join('\n') + '\n');
  };
  writer = setInterval(() => append(100), 20);
  return { config, output, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, written: () => next, stopWriting: () => clearInterval(writer) };
}

async function startAndShip(s: Awaited<ReturnType<typeof setup>>): Promise<FerryProcess> {
  const p = await startFerry(['--config', s.config]);
  await waitFor(async () => (await metricValue(s.metricsUrl, 'otelcol_receiver_accepted_log_records_total', { receiver: 'filelog' }).catch(() => 0)) > 1_000, 'some lines shipped');
  return p;
}

describe('file_log with storage across restarts of a real Ferry', () => {
  it('stopped (SIGTERM) then killed (SIGKILL) in the middle of a growing file: no line lost; repeats only after the kill', async () => {
    const s = await setup();
    ferry = await startAndShip(s);
    ferry.child.kill('SIGTERM');
    await ferry.exited;
    const atTerm = bodiesIn(s.output).length;

    ferry = await startAndShip(s);
    ferry.child.kill('SIGKILL');
    await ferry.exited;
    const atKill = bodiesIn(s.output);
    // Across the graceful restart: every line exactly once, in order — and it was mid-file.
    expect(atTerm).toBeGreaterThan(0);
    expect(atKill.length).toBeGreaterThan(atTerm);
    expect(atKill.every((b, i) => b.startsWith(`line ${i} `))).toBe(true);

    ferry = await startFerry(['--config', s.config]);
    await new Promise((r) => setTimeout(r, 200));
    s.stopWriting();
    const total = s.written();
    await waitFor(() => new Set(bodiesIn(s.output)).size === total, `all ${total} lines`, 30_000);
    const got = bodiesIn(s.output);
    // After the kill: nothing lost; only lines written out before the kill (after the last
    // stored offset) may come again (at-least-once).
    expect(new Set(got).size).toBe(total);
    const before = new Set(atKill);
    const repeated = got.slice(atKill.length).filter((b) => before.has(b));
    expect(got.length - total).toBe(repeated.length);
  }, 60_000);
});
