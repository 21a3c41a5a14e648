// SIGTERM under load, on a real Ferry process: new requests are refused (503 or a closed
// port), what was accepted is delivered within --shutdown-timeout or left on disk
// (persistent queue) or counted as dropped (memory queue), and the last log line says which.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../helpers/backend.js';
import { startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort, waitFor } from '../helpers/index.js';
import { LoadSender } from '../helpers/load.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const lastLine = (stderr: string): string => stderr.trim().split('\n').at(-1) ?? '';
/** The JSON fields of a console log line (after the last tab). */
const fieldsOf = (line: string): Record<string, unknown> => JSON.parse(line.slice(line.lastIndexOf('\t') + 1)) as Record<string, unknown>;

async function setup(options: { storageDir?: string; backendUp: boolean; timeout: string }) {
  const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
  const backend = await FakeBackend.start(backendPort);
  cleanups.push(() => backend.down());
  if (!options.backendUp) await backend.down();
  const exporterExtra = options.storageDir === undefined ? undefined : '    sending_queue:\n      storage: file_storage/q';
  const config = writeConfig(faultConfig({ httpPort, metricsPort, backendUrl: backend.url, exporterExtra, storageDir: options.storageDir, batch: true }));
  const start = async () => {
    const f = await startFerry(['--config', config, '--shutdown-timeout', options.timeout]);
    cleanups.push(() => f.stop(2_000));
    return f;
  };
  const sender = new LoadSender({ url: `http://127.0.0.1:${httpPort}`, prefix: 'st', recordsPerRequest: 25 });
  cleanups.push(() => sender.close());
  return { backend, sender, start };
}

describe('SIGTERM under load', () => {
  it('drains everything accepted to a healthy backend, refuses what comes after, and reports nothing left', async () => {
    const { backend, sender, start } = await setup({ backendUp: true, timeout: '5s' });
    const ferry = await start();
    const load = sender.run(8);
    await waitFor(() => sender.accepted.size > 2_000, 'load to build up');
    ferry.child.kill('SIGTERM');
    expect(await ferry.exited).toBe(0);
    sender.stop();
    await load;
    // After the signal, requests were refused (503 while draining, then a closed port): never a silent 200.
    const refused = [...sender.outcomes.entries()].filter(([k]) => k !== '200');
    expect(refused.length).toBeGreaterThan(0);
    for (const [k] of refused) expect(['503', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(k);
    expect(sender.missing(backend.delivered)).toEqual([]);
    expect(backend.duplicates()).toBe(0);
    console.log(`[fault] SIGTERM under load, backend up: ${JSON.stringify({ sent: sender.sent.size, accepted: sender.accepted.size, delivered: backend.uniqueDelivered(), duplicates: backend.duplicates() })}`);
    const last = lastLine(ferry.stderr());
    expect(last).toContain('shutdown complete');
    expect(fieldsOf(last)).toMatchObject({ items_left_on_disk: 0, items_dropped: 0 });
  });

  it('backend down, memory queue: what could not be sent within the timeout is counted as dropped in the last line', async () => {
    const { sender, start } = await setup({ backendUp: false, timeout: '500ms' });
    const ferry = await start();
    await sender.run(2, 8);
    expect(sender.accepted.size).toBe(200);
    ferry.child.kill('SIGTERM');
    expect(await ferry.exited).toBe(0);
    const last = lastLine(ferry.stderr());
    expect(last).toContain('shutdown complete');
    // Accepted into memory, never delivered: the loss is reported, not hidden.
    expect(fieldsOf(last)).toMatchObject({ items_left_on_disk: 0, items_dropped: 200, exporters: { otlphttp: '200 items dropped' } });
    console.log(`[fault] SIGTERM, backend down, memory queue: ${JSON.stringify({ sent: sender.sent.size, accepted: sender.accepted.size, delivered: 0, reportedDropped: fieldsOf(last).items_dropped })}`);
  });

  it('backend down, persistent queue: what is left stays on disk, the last line says how much, and a restart delivers it', async () => {
    const { backend, sender, start } = await setup({ storageDir: tempDir('ferry-sigterm-wal-'), backendUp: false, timeout: '500ms' });
    const first = await start();
    await sender.run(2, 8);
    expect(sender.accepted.size).toBe(200);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(fieldsOf(lastLine(first.stderr()))).toMatchObject({ items_left_on_disk: 200, items_dropped: 0 });
    await backend.up();
    await start();
    await waitFor(() => sender.missing(backend.delivered).length === 0, 'the records left on disk to arrive after the restart', 10_000);
    expect(backend.duplicates()).toBe(0);
    console.log(`[fault] SIGTERM, backend down, persistent queue, restart: ${JSON.stringify({ sent: sender.sent.size, accepted: sender.accepted.size, delivered: backend.uniqueDelivered(), duplicates: backend.duplicates() })}`);
  });
});
