// kill -9 at ten random moments under ~20,000 records/s, with a persistent queue that batches
// (sending_queue.batch): every record Ferry answered 200 arrives after the restarts. Duplicates
// are counted by source: the sender re-sending what the kill left unanswered, and the exporter
// re-sending the batch that was on the wire at the kill (one consumer: at most one batch a kill).
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../helpers/backend.js';
import { faultConfig } from '../helpers/faults.js';
import { startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';
import { LoadSender } from '../helpers/load.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const KILLS = 10;
const MAX_BATCH = 2000;

describe('kill -9 at random moments, persistent queue batching in the queue', () => {
  it('delivers every accepted record; duplicates from the exporter stay under one batch per kill', async () => {
    const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    const backend = await FakeBackend.start(backendPort);
    cleanups.push(() => backend.down());
    // A backend that takes a little time per request keeps a backlog in the log at the kills.
    backend.policy = () => ({ delayMs: 15 });
    const config = writeConfig(
      faultConfig({
        httpPort,
        metricsPort,
        backendUrl: backend.url,
        storageDir: tempDir('ferry-crash-batch-'),
        exporterExtra: [
          '    sending_queue:',
          '      storage: file_storage/q',
          '      num_consumers: 1',
          '      batch:',
          '        flush_timeout: 100ms',
          '        min_size: 1000',
          `        max_size: ${MAX_BATCH}`,
        ].join('\n'),
      }),
    );
    // 4 lanes of 100 records, paced: about 20,000 records/s while Ferry is up.
    const sender = new LoadSender({ url: `http://127.0.0.1:${httpPort}`, prefix: 'kb', recordsPerRequest: 100, maxAttempts: 1000, retryDelayMs: 50, pauseMs: 15 });
    cleanups.push(() => sender.close());
    const load = sender.run(4);

    let lastAccepted = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const ferry = await startFerry(['--config', config]);
      cleanups.push(() => ferry.stop(1000));
      // A random moment, once this run has taken some records.
      await waitFor(() => sender.accepted.size > lastAccepted + 500, `records accepted before kill ${kill + 1}`, 20_000);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 600));
      ferry.child.kill('SIGKILL');
      await ferry.exited;
      lastAccepted = sender.accepted.size;
    }
    const last = await startFerry(['--config', config]);
    cleanups.push(() => last.stop(5000));
    await waitFor(() => sender.accepted.size > lastAccepted + 500, 'records accepted after the last restart', 20_000);
    sender.stop();
    await load;
    await waitFor(() => sender.missing(backend.delivered).length === 0, 'every accepted record at the backend', 30_000);

    let bySender = 0;
    let byExporter = 0;
    for (const [id, n] of backend.delivered) {
      if (n > 1 && sender.resent.has(id)) bySender += n - 1;
      else if (n > 1) byExporter += n - 1;
    }
    const row = { kills: KILLS, sent: sender.sent.size, accepted: sender.accepted.size, delivered: backend.uniqueDelivered(), duplicates: backend.duplicates(), bySender, byExporter };
    console.log(`[fault] kill -9 x${KILLS}, persistent queue with batch: ${JSON.stringify(row)}`);
    expect(sender.missing(backend.delivered)).toEqual([]);
    expect(byExporter).toBeLessThanOrEqual(KILLS * MAX_BATCH);
    expect(bySender).toBeLessThanOrEqual(sender.resent.size);
    expect(row.delivered).toBeGreaterThanOrEqual(row.accepted);
  }, 120_000);
});
