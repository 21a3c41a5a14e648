// The persistent sending queue on a real file_storage directory: accepted data survives a
// restart, delivered data is not re-sent, the duplicate window, the disk budget.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/consumer.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { waitFor } from '../../helpers/index.js';
import { makeLogs } from '../../pdata/fixtures.js';
import { FakeBackend, queuedExporter, storageHost, tagged, type QueueSetup } from './queue-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function run(backend: FakeBackend, storage: Awaited<ReturnType<typeof storageHost>>, queue: Record<string, unknown> = {}): Promise<QueueSetup> {
  const s = queuedExporter(backend, { storage: 'file_storage/q', ...queue });
  await s.exporter.start(storage.host);
  cleanups.push(() => s.exporter.shutdown(Date.now() + 100));
  return s;
}

async function storage(dir?: string, config: Record<string, unknown> = {}) {
  const s = await storageHost(dir, config);
  cleanups.push(() => s.cleanup());
  return s;
}

describe('sending queue (persistent)', () => {
  it('keeps what it accepted across a restart and delivers it, in order, once the backend is back', async () => {
    const first = await storage();
    const down = new FakeBackend();
    down.mode = 'down';
    const a = await run(down, first);
    for (let i = 0; i < 5; i++) await a.exporter.consume(tagged(i));
    const queueDir = join(first.dir, 'exporter_otlphttp_q');
    expect(readdirSync(queueDir).some((n) => n.endsWith('.seg'))).toBe(true);
    await a.exporter.shutdown(Date.now() + 100);
    expect(a.exporter.queueLeftover()).toEqual({ persistent: true, items: 10, requests: 5 });
    expect(a.logger.lines.some((l) => l.message.includes('stay in its log'))).toBe(true);
    await first.ext.shutdown();

    const second = await storage(first.dir);
    const up = new FakeBackend();
    const b = await run(up, second, { num_consumers: 1 });
    await waitFor(() => up.delivered.length === 5, 'redelivery');
    expect(up.deliveredBodies()).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`b${i}-0`, `b${i}-1`]));
    expect(b.logger.lines.find((l) => l.message.includes('recovered'))?.fields).toMatchObject({ batches: 5, items: 10 });
    await waitFor(async () => (await b.metric('otelcol_exporter_queue_size')) === 0, 'an empty queue');
  });

  it('does not re-send what was delivered before a restart', async () => {
    const first = await storage();
    const up = new FakeBackend();
    const a = await run(up, first);
    for (let i = 0; i < 4; i++) await a.exporter.consume(tagged(i));
    await waitFor(() => up.delivered.length === 4, 'delivery');
    await a.exporter.shutdown(Date.now() + 1000);
    expect(a.exporter.queueLeftover().requests).toBe(0);
    await first.ext.shutdown();

    const second = await storage(first.dir);
    const again = new FakeBackend();
    const b = await run(again, second);
    await b.exporter.consume(tagged(9));
    await waitFor(() => again.delivered.length === 1, 'the new batch');
    expect(again.deliveredBodies()).toEqual(['b9-0', 'b9-1']);
  });

  it('re-sends after a restart what was on the wire when the process stopped: the duplicate window, at most num_consumers batches', async () => {
    const first = await storage();
    const hold = new FakeBackend();
    hold.mode = 'hold';
    const a = await run(hold, first, { num_consumers: 2 });
    for (let i = 0; i < 5; i++) await a.exporter.consume(tagged(i));
    await waitFor(() => hold.heldCount === 2, 'two sends on the wire');
    // The backend got these two; the process stops before their answers arrive.
    const onTheWire = hold.seen.length;
    await a.exporter.shutdown(Date.now() + 50);
    await first.ext.shutdown();

    const second = await storage(first.dir);
    const up = new FakeBackend();
    await run(up, second);
    await waitFor(() => up.delivered.length === 5, 'redelivery');
    const all = [...hold.seen, ...up.delivered].flatMap((b) => b.signal === 'logs' ? b.resources : []);
    const bodies = all.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body?.stringValue)));
    const duplicates = bodies.length - new Set(bodies).size;
    expect(new Set(bodies).size).toBe(10);
    expect(duplicates).toBe(onTheWire * 2);
    expect(onTheWire).toBeLessThanOrEqual(2);
  });

  it('refuses the sender with a retryable error when the storage disk budget is spent, and takes data again once delivered', async () => {
    const st = await storage(undefined, { max_size_mib: 1 });
    const backend = new FakeBackend();
    backend.mode = 'down';
    const { exporter, metric } = await run(backend, st);
    // About 340 KB each in protobuf: the fourth does not fit in 1 MiB.
    const big = () => makeBatch('logs', makeLogs(1000));
    let accepted = 0;
    let refusal: unknown;
    for (let i = 0; i < 6 && refusal === undefined; i++) {
      try {
        await exporter.consume(big());
        accepted++;
      } catch (err) {
        refusal = err;
      }
    }
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(accepted).toBeLessThanOrEqual(3);
    expect(refusal).toBeInstanceOf(RetryableError);
    expect(refusal).toMatchObject({ reason: 'throttled', message: expect.stringContaining('disk full') });
    expect(await metric('otelcol_exporter_enqueue_failed_log_records_total')).toBe(1000);
    backend.mode = 'up';
    await waitFor(() => backend.delivered.length === accepted, 'delivery');
    await exporter.consume(big());
    await waitFor(() => backend.delivered.length === accepted + 1, 'room again');
  });

  it('fails to start with a clear error when the storage extension is missing', async () => {
    const backend = new FakeBackend();
    const s = queuedExporter(backend, { storage: 'file_storage/missing' });
    const host = { getExtension: () => undefined, state: 'running' as const };
    await expect(s.exporter.start(host)).rejects.toThrow(/storage "file_storage\/missing" is not running/);
  });
});
