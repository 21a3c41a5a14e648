// Configuration reloads of a real Ferry process under load: SIGHUP with a new exporter
// endpoint (the receiver is kept: no request refused, nothing lost), SIGHUP with an
// invalid file (rejected, the old graph runs on), and --watch-config with a changed
// receiver (restarted on its port: the closed window is measured).
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../helpers/backend.js';
import { startFerry, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort, waitFor } from '../helpers/index.js';
import { LoadSender } from '../helpers/load.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backends(n: number): Promise<FakeBackend[]> {
  const out: FakeBackend[] = [];
  for (let i = 0; i < n; i++) {
    const b = await FakeBackend.start(await freePort());
    cleanups.push(() => b.down());
    out.push(b);
  }
  return out;
}

const reloads = (stderr: string): number => stderr.split('\n').filter((l) => l.includes('configuration reloaded')).length;

describe('reloading a running Ferry under load', () => {
  it('SIGHUP to a new exporter endpoint: the receiver keeps answering 200, every record arrives once', async () => {
    const [a, b] = (await backends(2)) as [FakeBackend, FakeBackend];
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const path = writeConfig(faultConfig({ httpPort, metricsPort, backendUrl: a.url, batch: true }));
    const ferry = await startFerry(['--config', path]);
    cleanups.push(() => ferry.stop());
    const sender = new LoadSender({ url: `http://127.0.0.1:${httpPort}`, prefix: 'h', recordsPerRequest: 20, pauseMs: 1 });
    cleanups.push(() => sender.close());
    const load = sender.run(6);
    await waitFor(() => a.uniqueDelivered() > 1_000, 'load through the first backend');
    writeFileSync(path, faultConfig({ httpPort, metricsPort, backendUrl: b.url, batch: true }));
    ferry.child.kill('SIGHUP');
    await waitFor(() => reloads(ferry.stderr()) === 1, 'the reload');
    await waitFor(() => b.uniqueDelivered() > 1_000, 'load through the second backend');
    sender.stop();
    await load;
    const delivered = new Map([...a.delivered, ...b.delivered]);
    await waitFor(() => sender.missing(new Map([...a.delivered, ...b.delivered])).length === 0, 'every accepted record at a backend');
    expect([...sender.outcomes.keys()]).toEqual(['200']);
    const both = [...a.delivered.keys()].filter((id) => b.delivered.has(id));
    expect(both).toEqual([]);
    const row = { sent: sender.sent.size, accepted: sender.accepted.size, delivered: delivered.size, duplicates: a.duplicates() + b.duplicates() + both.length };
    console.log(`[fault] SIGHUP reload under load (exporter endpoint changed): ${JSON.stringify(row)} ${/swap_ms":\d+/.exec(ferry.stderr())?.[0]}`);
    expect(row.duplicates).toBe(0);
  });

  it('SIGHUP while the old backend hangs: queued batches go to the new endpoint at once, senders are not held', async () => {
    const [a, b] = (await backends(2)) as [FakeBackend, FakeBackend];
    // The old backend takes requests and never answers them.
    a.policy = () => ({ delayMs: 600_000 });
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const path = writeConfig(faultConfig({ httpPort, metricsPort, backendUrl: a.url }).replace('timeout: 2s', 'timeout: 60s'));
    const ferry = await startFerry(['--config', path, '--shutdown-timeout', '30s']);
    cleanups.push(() => ferry.stop(1000));
    const sender = new LoadSender({ url: `http://127.0.0.1:${httpPort}`, prefix: 'hang', recordsPerRequest: 10 });
    cleanups.push(() => sender.close());
    await sender.run(2, 40);
    expect(sender.accepted.size).toBe(400);
    await waitFor(() => a.requests.length > 0, 'the old backend holding requests');
    writeFileSync(path, faultConfig({ httpPort, metricsPort, backendUrl: b.url }));
    ferry.child.kill('SIGHUP');
    // A sender during the reload is answered; the reload does not wait on the old backend (which never answers).
    const during = sender.run(1, 5);
    await waitFor(() => reloads(ferry.stderr()) === 1, 'the reload', 10_000);
    await during;
    expect(sender.accepted.size).toBe(450);
    await waitFor(() => sender.missing(b.delivered).length === 0, 'every accepted record at the new backend', 10_000);
    expect(b.duplicates()).toBe(0);
    console.log(`[fault] SIGHUP while the old backend hangs: ${JSON.stringify({ accepted: sender.accepted.size, atNew: b.uniqueDelivered(), heldByOld: a.requests.length })} ${/swap_ms":\d+/.exec(ferry.stderr())?.[0]}`);
  });

  it('SIGHUP with an invalid file: the errors are logged and the running graph keeps delivering', async () => {
    const [a] = (await backends(1)) as [FakeBackend];
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const path = writeConfig(faultConfig({ httpPort, metricsPort, backendUrl: a.url }));
    const ferry = await startFerry(['--config', path]);
    cleanups.push(() => ferry.stop());
    const explain = (err: unknown) => new Error(`${String(err)}\nexit: ${ferry.child.exitCode ?? ferry.child.signalCode}\nferry stderr:\n${ferry.stderr()}`);
    writeFileSync(path, faultConfig({ httpPort, metricsPort, backendUrl: a.url }).replace('timeout: 2s', 'timeout: 2s\n    endpiont: http://typo'));
    ferry.child.kill('SIGHUP');
    await waitFor(() => ferry.stderr().includes('invalid configuration'), 'the rejection in the log').catch((err: unknown) => {
      throw explain(err);
    });
    expect(ferry.stderr()).toMatch(/exporters\.otlphttp\.endpiont: unknown key "endpiont".*did you mean "endpoint"/);
    expect(reloads(ferry.stderr())).toBe(0);
    const sender = new LoadSender({ url: `http://127.0.0.1:${httpPort}`, prefix: 'i', recordsPerRequest: 10, maxAttempts: 5 });
    cleanups.push(() => sender.close());
    await sender.run(2, 10);
    expect(sender.accepted.size, JSON.stringify(Object.fromEntries(sender.outcomes))).toBe(100);
    await waitFor(() => sender.missing(a.delivered).length === 0, 'the old graph to deliver').catch((err: unknown) => {
      throw explain(err);
    });
    expect(ferry.child.exitCode).toBeNull();
  });

  it('--watch-config: a changed receiver restarts on its port; the closed window is short and nothing accepted is lost', async () => {
    const [a] = (await backends(1)) as [FakeBackend];
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const config = (size: number) => faultConfig({ httpPort, metricsPort, backendUrl: a.url, receiverExtra: `        max_request_body_size: ${size}` });
    const path = writeConfig(config(1_000_000));
    const ferry = await startFerry(['--config', path, '--watch-config']);
    cleanups.push(() => ferry.stop());
    // Retries like an SDK (every 10 ms), so the window shows as refused attempts, not lost records.
    const sender = new LoadSender({ url: `http://127.0.0.1:${httpPort}`, prefix: 'w', recordsPerRequest: 5, maxAttempts: 500, retryDelayMs: 10 });
    cleanups.push(() => sender.close());
    const load = sender.run(4);
    await waitFor(() => sender.accepted.size > 500, 'load before the change');
    writeFileSync(path, config(2_000_000));
    await waitFor(() => reloads(ferry.stderr()) === 1, 'the watcher to reload', 5_000);
    const afterReload = sender.accepted.size;
    await waitFor(() => sender.accepted.size > afterReload + 500, 'load after the change');
    sender.stop();
    await load;
    await waitFor(() => sender.missing(a.delivered).length === 0, 'every accepted record at the backend');
    expect(sender.accepted.size).toBe(sender.sent.size);
    const refused = [...sender.outcomes.entries()].filter(([k]) => k !== '200');
    for (const [k] of refused) expect(['503', 'ECONNREFUSED', 'ECONNRESET']).toContain(k);
    const swap = Number(/swap_ms":(\d+)/.exec(ferry.stderr())?.[1]);
    expect(ferry.stderr()).toContain('"restarted_receivers":["otlp"]');
    console.log(
      `[fault] --watch-config reload, receiver restarted: ${JSON.stringify({ sent: sender.sent.size, accepted: sender.accepted.size, delivered: a.uniqueDelivered(), duplicates: a.duplicates(), swapMs: swap, refusedAttempts: Object.fromEntries(refused) })}`,
    );
    expect(a.duplicates()).toBeLessThanOrEqual(sender.resent.size);
  });
});
