// A real Ferry process in front of a backend that misbehaves: down for a while, 503 with
// Retry-After, too slow, or 400. Every record sent and every record that arrived is
// counted: nothing accepted may be missing, and duplicates only where at-least-once allows.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../helpers/backend.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { metricValue, startFerry, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort, waitFor } from '../helpers/index.js';
import { LoadSender } from '../helpers/load.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  readonly ferry: FerryProcess;
  readonly backend: FakeBackend;
  readonly sender: LoadSender;
  readonly metricsUrl: string;
}

async function rig(options: { exporterExtra?: string; backendUp?: boolean; maxAttempts?: number; recordsPerRequest?: number } = {}): Promise<Rig> {
  const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
  const backend = await FakeBackend.start(backendPort);
  cleanups.push(() => backend.down());
  if (options.backendUp === false) await backend.down();
  const ferry = await startFerry(['--config', writeConfig(faultConfig({ httpPort, metricsPort, backendUrl: backend.url, exporterExtra: options.exporterExtra }))]);
  cleanups.push(() => ferry.stop());
  const sender = new LoadSender({
    url: `http://127.0.0.1:${httpPort}`,
    prefix: 'r',
    recordsPerRequest: options.recordsPerRequest ?? 20,
    maxAttempts: options.maxAttempts ?? 50,
  });
  cleanups.push(() => sender.close());
  return { ferry, backend, sender, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

/** The fault-test outcome as the README table reports it. */
function tally(name: string, r: Rig): { sent: number; accepted: number; delivered: number; duplicates: number } {
  const row = { sent: r.sender.sent.size, accepted: r.sender.accepted.size, delivered: r.backend.uniqueDelivered(), duplicates: r.backend.duplicates() };
  console.log(`[fault] ${name}: ${JSON.stringify(row)}`);
  return row;
}

describe('a misbehaving backend behind a real Ferry', () => {
  it('backend down for a while, queue smaller than the backlog: the sender is pushed back (429), nothing accepted is lost', async () => {
    const r = await rig({ backendUp: false, exporterExtra: '    sending_queue:\n      queue_size: 10' });
    const sending = r.sender.run(4, 40);
    await new Promise((res) => setTimeout(res, 1_500));
    // The queue is full by now: senders were refused with a retryable status, not dropped.
    expect(r.sender.outcomes.get('429') ?? 0).toBeGreaterThan(0);
    await r.backend.up();
    await sending;
    expect(r.sender.accepted.size).toBe(r.sender.sent.size);
    await waitFor(() => r.sender.missing(r.backend.delivered).length === 0, 'every accepted record at the backend', 15_000);
    const row = tally('backend down 1.5s, queue_size 10', r);
    expect(row.delivered).toBe(row.accepted);
    expect(row.duplicates).toBe(0);
  });

  it('503 with Retry-After: waits at least as long as told, then delivers everything', async () => {
    const r = await rig();
    r.backend.policy = (_ids, n) => (n < 3 ? { status: 503, headers: { 'retry-after': '1' } } : {});
    await r.sender.run(3, 15);
    await waitFor(() => r.sender.missing(r.backend.delivered).length === 0, 'every accepted record at the backend', 10_000);
    const refused = r.backend.requests.filter((q) => q.status === 503);
    expect(refused).toHaveLength(3);
    // Each refused batch came back no sooner than its Retry-After said (1 s; 100 ms of timer slack).
    for (const q of refused) {
      const again = r.backend.requests.find((x) => x.status === 200 && x.ids[0] === q.ids[0]);
      expect(again, `retry of ${q.ids[0]}`).toBeDefined();
      expect((again?.at ?? 0) - q.at).toBeGreaterThanOrEqual(900);
    }
    const row = tally('503 + Retry-After: 1 on the first 3 requests', r);
    expect(row.delivered).toBe(row.accepted);
    expect(row.duplicates).toBe(0);
  });

  it('a backend slower than the exporter timeout: retried, everything delivered, duplicates only from timed-out attempts', async () => {
    const r = await rig({ exporterExtra: '    sending_queue:\n      num_consumers: 4' });
    // The first 4 requests take 3 s to answer (the exporter gives up at 2 s and retries);
    // the backend has already taken their records: those are the duplicates at-least-once allows.
    r.backend.policy = (_ids, n) => (n < 4 ? { delayMs: 3_000 } : {});
    await r.sender.run(4, 20);
    await waitFor(() => r.sender.missing(r.backend.delivered).length === 0, 'every accepted record at the backend', 15_000);
    const slow = r.backend.requests.slice(0, 4).reduce((n, q) => n + q.ids.length, 0);
    const row = tally('first 4 answers take 3s (timeout 2s)', r);
    expect(row.delivered).toBe(row.accepted);
    expect(row.duplicates).toBeGreaterThan(0);
    expect(row.duplicates).toBeLessThanOrEqual(slow);
  });

  it('400 from the backend: that batch is dropped and counted as send_failed, never retried; the rest arrive', async () => {
    const r = await rig({ recordsPerRequest: 10 });
    r.backend.policy = (ids) => (ids.some((id) => Number(id.split('-')[1]) % 50 < 10) ? { status: 400 } : {});
    await r.sender.run(2, 20);
    // Requests 0, 5, 10, 15 carry ids whose number mod 50 is under 10: the backend refuses those 4.
    const poisoned = [...r.sender.accepted].filter((id) => Number(id.split('-')[1]) % 50 < 10);
    expect(poisoned).toHaveLength(40);
    await waitFor(() => r.backend.uniqueDelivered() === r.sender.accepted.size - poisoned.length, 'the good records at the backend', 10_000);
    await waitFor(async () => (await metricValue(r.metricsUrl, 'otelcol_exporter_send_failed_log_records_total')) === 40, 'send_failed to count the refused records');
    expect(r.backend.requests.filter((q) => q.status === 400)).toHaveLength(4);
    for (const id of poisoned) expect(r.backend.delivered.has(id)).toBe(false);
    const row = tally('400 for 4 of 20 requests', r);
    expect(row.delivered + poisoned.length).toBe(row.accepted);
    expect(row.duplicates).toBe(0);
  });
});
