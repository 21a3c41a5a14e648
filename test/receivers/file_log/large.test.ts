// A large file at bounded memory: a real Ferry reads ~200 MB of lines (2 million) while its
// RSS is sampled; reading is chunked and paused by the pipeline, so RSS does not follow the file.
// (The issue asks for 1 GiB; 200 MB keeps CI time reasonable — `npm run bench` reads 1 GiB.)
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FerryProcess } from '../../helpers/ferry.js';
import { metricValue, startFerry, tempDir, writeConfig } from '../../helpers/ferry.js';
import { freePort, waitFor } from '../../helpers/index.js';

let ferry: FerryProcess | undefined;
afterEach(async () => {
  await ferry?.stop();
  ferry = undefined;
});

const LINES = 2_000_000;
const LINE = (i: number): string => `2024-05-01T10:00:00.000Z INFO request ${String(i).padStart(8, '0')} served in 12 ms ${'x'.repeat(40)}\n`;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

describe('file_log: a large file at bounded RSS', () => {
  it('reads 2 million lines (~200 MB) with RSS far below the file size', async () => {
    const dir = tempDir('ferry-filelog-large-');
    const path = join(dir, 'big.log');
    const fd = openSync(path, 'w');
    let bytes = 0;
    for (let i = 0; i < LINES; i += 10_000) {
      let chunk = '';
      for (let j = i; j < i + 10_000; j++) chunk += LINE(j);
      bytes += writeSync(fd, chunk);
    }
    closeSync(fd);
    const metricsPort = await freePort();
    const config = writeConfig(
      `
receivers:
  file_log:
    include: [${path}]
    start_at: beginning
exporters:
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [file_log]
      exporters: [debug]
`,
      dir,
    );
    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    ferry = await startFerry(['--config', config]);
    const pid = ferry.child.pid as number;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
    try {
      await waitFor(async () => (await metricValue(url, 'otelcol_receiver_accepted_log_records_total', { receiver: 'file_log' })) === LINES, `all ${LINES} lines`, 120_000);
    } finally {
      clearInterval(sampler);
    }
    expect(bytes).toBeGreaterThan(190 * 1024 * 1024);
    // Ferry idles at ~70 MiB; the file is ~200 MiB. Chunked reading keeps the peak well under it.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(180);
  }, 150_000);
});
