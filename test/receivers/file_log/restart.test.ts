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
  // The file keeps growing while Ferry runs, stops and starts again: 200 lines every 20 ms.
  const append = (n: number): void => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`line ${next++} ${'p'.repeat(60)}`);
    appendFileSync(input, lines.join('\n') + '\n');
  };
  writer = setInterval(() => append(200), 20);
  return { config, output, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, written: () => next, stopWriting: () => clearInterval(writer) };
}

async function runToTheEnd(s: Awaited<ReturnType<typeof setup>>, signal: 'SIGTERM' | 'SIGKILL'): Promise<{ got: string[]; atStop: number }> {
  ferry = await startFerry(['--config', s.config]);
  await waitFor(async () => (await metricValue(s.metricsUrl, 'otelcol_receiver_accepted_log_records_total', { receiver: 'filelog' }).catch(() => 0)) > 2_000, 'some lines shipped');
  ferry.child.kill(signal);
  await ferry.exited;
  const atStop = bodiesIn(s.output).length;
  // Lines keep coming while Ferry is down.
  await new Promise((r) => setTimeout(r, 300));
  ferry = await startFerry(['--config', s.config]);
  await new Promise((r) => setTimeout(r, 300));
  s.stopWriting();
  const total = s.written();
  await waitFor(() => new Set(bodiesIn(s.output)).size === total, `all ${total} lines`, 30_000);
  await ferry.stop();
  ferry = undefined;
  return { got: bodiesIn(s.output), atStop };
}

describe('file_log with storage across a restart of a real Ferry', () => {
  it('SIGTERM in the middle of a growing file: every line exactly once, in order', async () => {
    const s = await setup();
    const { got, atStop } = await runToTheEnd(s, 'SIGTERM');
    // Stopped mid-file: part of the lines arrived before the stop, the rest after.
    expect(atStop).toBeGreaterThan(0);
    expect(atStop).toBeLessThan(got.length);
    expect(got.length).toBe(s.written());
    expect(got.every((b, i) => b.startsWith(`line ${i} `))).toBe(true);
  }, 60_000);

  it('SIGKILL in the middle of a growing file: no line lost; repeats only from the last checkpoint', async () => {
    const s = await setup();
    const { got, atStop } = await runToTheEnd(s, 'SIGKILL');
    expect(atStop).toBeGreaterThan(0);
    const unique = new Set(got);
    expect(unique.size).toBe(s.written());
    // Only lines written out before the kill (after the last stored offset) may come again.
    const before = new Set(got.slice(0, atStop));
    const repeated = got.slice(atStop).filter((b) => before.has(b));
    expect(got.length - unique.size).toBe(repeated.length);
    expect(repeated.length).toBeLessThanOrEqual(atStop);
  }, 60_000);
});
