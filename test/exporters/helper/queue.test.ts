// The in-memory sending queue behind createExporter: answered once queued, bounded by
// its sizer, refusing (never dropping) when full, consumers in parallel, retries, shutdown.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { encodeExportRequest } from '../../../src/pdata/proto.js';
import { fanout } from '../../../src/service/fanout.js';
import { testHost, waitFor } from '../../helpers/index.js';
import { FakeBackend, queuedExporter, tagged, type QueueSetup } from './queue-fixtures.js';

const started: QueueSetup[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.exporter.shutdown(Date.now() + 100)));
});

async function start(backend: FakeBackend, ...args: Parameters<typeof queuedExporter> extends [unknown, ...infer R] ? R : never): Promise<QueueSetup> {
  const s = queuedExporter(backend, ...args);
  started.push(s);
  await s.exporter.start(testHost);
  return s;
}

const settle = (p: Promise<unknown>) => p.then(
  () => 'resolved',
  (e: unknown) => e,
);

describe('sending queue (memory)', () => {
  it('answers the sender once the batch is queued, then delivers it and counts it sent', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const { exporter, metric } = await start(backend, {});
    await exporter.consume(tagged(1));
    await waitFor(() => backend.heldCount === 1, 'the send to start');
    expect(backend.delivered).toHaveLength(0);
    expect(await metric('otelcol_exporter_queue_size')).toBe(1);
    expect(await metric('otelcol_exporter_queue_capacity')).toBe(1000);
    backend.release();
    await waitFor(() => backend.delivered.length === 1, 'delivery');
    expect(backend.deliveredBodies()).toEqual(['b1-0', 'b1-1']);
    await waitFor(async () => (await metric('otelcol_exporter_sent_log_records_total')) === 2, 'sent count');
    expect(await metric('otelcol_exporter_queue_size')).toBe(0);
  });

  it('refuses the sender with a retryable "throttled" error when full, and counts enqueue_failed', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const { exporter, metric } = await start(backend, { queue_size: 2, num_consumers: 1, block_on_overflow: false });
    await exporter.consume(tagged(1));
    await exporter.consume(tagged(2));
    const err = await exporter.consume(tagged(3, 3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ reason: 'throttled', retryAfterMs: 1000 });
    expect((err as Error).message).toMatch(/queue .* is full \(2 of 2 requests\)/);
    expect(await metric('otelcol_exporter_enqueue_failed_log_records_total')).toBe(3);
    expect(await metric('otelcol_exporter_queue_size')).toBe(2);
    backend.release();
    backend.mode = 'up';
    await waitFor(() => backend.delivered.length === 2, 'delivery of what was accepted');
    await exporter.consume(tagged(4));
    await waitFor(() => backend.delivered.length === 3, 'room again');
  });

  it('with block_on_overflow, waits for room and takes the batch when room frees; refuses after 1s without room', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const { exporter } = await start(backend, { queue_size: 1, num_consumers: 1, block_on_overflow: true });
    await exporter.consume(tagged(1));
    const second = settle(exporter.consume(tagged(2)));
    await new Promise((r) => setTimeout(r, 100));
    backend.release();
    expect(await second).toBe('resolved');
    await waitFor(() => backend.heldCount === 1, 'the second send');
    const t0 = Date.now();
    const third = await settle(exporter.consume(tagged(3)));
    expect(third).toBeInstanceOf(RetryableError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    backend.mode = 'up';
    backend.release();
    await waitFor(() => backend.delivered.length === 2, 'delivery');
    expect(backend.deliveredBodies()).toEqual(['b1-0', 'b1-1', 'b2-0', 'b2-1']);
  });

  it('measures queue_size in items with sizer: items, and takes a batch larger than the queue only when it is empty', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const { exporter, metric } = await start(backend, { sizer: 'items', queue_size: 3, num_consumers: 1, block_on_overflow: false });
    await exporter.consume(tagged(1, 2));
    expect(await metric('otelcol_exporter_queue_size')).toBe(2);
    await expect(exporter.consume(tagged(2, 2))).rejects.toMatchObject({ reason: 'throttled' });
    await exporter.consume(tagged(3, 1));
    expect(await metric('otelcol_exporter_queue_size')).toBe(3);
    backend.mode = 'up';
    backend.release();
    await waitFor(() => backend.delivered.length === 2, 'delivery');
    await waitFor(async () => (await metric('otelcol_exporter_queue_size')) === 0, 'an empty queue');
    backend.mode = 'hold';
    await exporter.consume(tagged(4, 5));
    expect(await metric('otelcol_exporter_queue_size')).toBe(5);
    await expect(exporter.consume(tagged(5, 1))).rejects.toBeInstanceOf(RetryableError);
    backend.release();
  });

  it('measures queue_size in OTLP protobuf bytes with sizer: bytes', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const one = encodeExportRequest('logs', tagged(1).resources).byteLength;
    const { exporter, metric } = await start(backend, { sizer: 'bytes', queue_size: Math.floor(one * 1.5), num_consumers: 1, block_on_overflow: false });
    await exporter.consume(tagged(1));
    expect(await metric('otelcol_exporter_queue_size')).toBe(one);
    await expect(exporter.consume(tagged(2))).rejects.toMatchObject({ reason: 'throttled' });
    backend.release();
  });

  it('sends with num_consumers batches in flight at most', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const { exporter } = await start(backend, { num_consumers: 3 });
    for (let i = 0; i < 8; i++) await exporter.consume(tagged(i));
    await waitFor(() => backend.heldCount === 3, 'three sends');
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.peakInFlight).toBe(3);
    backend.mode = 'up';
    backend.release();
    await waitFor(() => backend.delivered.length === 8, 'all eight');
    expect(backend.peakInFlight).toBe(3);
  });

  it('drops a batch the backend refuses for good: counted as send_failed, logged, never retried', async () => {
    const backend = new FakeBackend();
    backend.mode = 'permanent';
    const { exporter, metric, logger } = await start(backend, {});
    await exporter.consume(tagged(1));
    await waitFor(async () => (await metric('otelcol_exporter_send_failed_log_records_total')) === 2, 'send_failed');
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.calls).toBe(1);
    expect(exporter.queueLeftover()).toEqual({ persistent: false, items: 0, requests: 0 });
    expect(logger.lines.find((l) => l.message === 'Exporting failed. Dropping data.')?.fields).toMatchObject({ items: 2, error: expect.stringContaining('HTTP 400') });
  });

  it('retries a retryable failure until the send succeeds, without counting a failure', async () => {
    const backend = new FakeBackend();
    backend.mode = 'down';
    const { exporter, metric } = await start(backend, {});
    await exporter.consume(tagged(1));
    await waitFor(() => backend.calls >= 3, 'a few attempts');
    backend.mode = 'up';
    await waitFor(() => backend.delivered.length === 1, 'delivery');
    expect(await metric('otelcol_exporter_sent_log_records_total')).toBe(2);
    expect(await metric('otelcol_exporter_send_failed_log_records_total')).toBe(0);
  });

  it('puts a batch whose retries ran out back in the queue instead of dropping it', async () => {
    const backend = new FakeBackend();
    backend.mode = 'down';
    const { exporter, metric, logger } = await start(backend, {}, { retry: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '40ms' } });
    await exporter.consume(tagged(1));
    await waitFor(() => logger.lines.some((l) => l.message.includes('goes back to the queue')), 'a requeue');
    await waitFor(() => logger.lines.filter((l) => l.message.includes('goes back to the queue')).length >= 2, 'a second round');
    backend.mode = 'up';
    await waitFor(() => backend.delivered.length === 1, 'delivery');
    expect(await metric('otelcol_exporter_send_failed_log_records_total')).toBe(0);
    expect(exporter.queueLeftover().requests).toBe(0);
  });

  it('drops and counts a failure when retry_on_failure is disabled', async () => {
    const backend = new FakeBackend();
    backend.mode = 'down';
    const { exporter, metric } = await start(backend, {}, { retry: { enabled: false } });
    await exporter.consume(tagged(1));
    await waitFor(async () => (await metric('otelcol_exporter_send_failed_log_records_total')) === 2, 'send_failed');
    expect(backend.calls).toBe(1);
  });

  it('with wait_for_result, answers the sender with the outcome of the send', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const { exporter } = await start(backend, { wait_for_result: true });
    const first = settle(exporter.consume(tagged(1)));
    await waitFor(() => backend.heldCount === 1, 'the send');
    backend.release();
    expect(await first).toBe('resolved');
    backend.mode = 'permanent';
    expect(await settle(exporter.consume(tagged(2)))).toBeInstanceOf(PermanentError);
  });

  it('behind a fan-out, a failing exporter does not stall a healthy one until its own queue is full', async () => {
    const healthy = new FakeBackend();
    const failing = new FakeBackend();
    failing.mode = 'down';
    const a = await start(healthy, {}, { id: 'otlp/healthy' });
    const b = await start(failing, { queue_size: 3, block_on_overflow: false }, { id: 'otlp/failing' });
    const both = fanout([a.exporter, b.exporter]);
    for (let i = 0; i < 3; i++) await both.consume(tagged(i));
    await waitFor(() => healthy.delivered.length === 3, 'the healthy exporter to deliver');
    // The failing exporter's queue is full now: the sender hears it, and may retry (at-least-once).
    await expect(both.consume(tagged(3))).rejects.toMatchObject({ reason: 'throttled' });
    failing.mode = 'up';
    await waitFor(() => failing.delivered.length === 3, 'the failing exporter to catch up');
  });

  it('drains what is queued at shutdown when the backend is up', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const { exporter } = await start(backend, { num_consumers: 2 });
    for (let i = 0; i < 6; i++) await exporter.consume(tagged(i));
    const stopping = exporter.shutdown(Date.now() + 5000);
    await expect(exporter.consume(tagged(9))).rejects.toThrow(/shut/);
    backend.mode = 'up';
    backend.release();
    await stopping;
    expect(backend.delivered).toHaveLength(6);
    expect(exporter.queueLeftover()).toEqual({ persistent: false, items: 0, requests: 0 });
  });

  it('at the shutdown deadline counts what is left as send_failed and says so in one line', async () => {
    const backend = new FakeBackend();
    backend.mode = 'down';
    const { exporter, metric, logger } = await start(backend, { num_consumers: 2 });
    for (let i = 0; i < 3; i++) await exporter.consume(tagged(i));
    await waitFor(() => backend.calls >= 2, 'attempts');
    const t0 = Date.now();
    await exporter.shutdown(Date.now() + 200);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(exporter.queueLeftover()).toEqual({ persistent: false, items: 6, requests: 3 });
    expect(await metric('otelcol_exporter_send_failed_log_records_total')).toBe(6);
    expect(logger.lines.filter((l) => l.message.includes('dropping what was left'))).toEqual([
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ batches: 3, items: 6 }) }),
    ]);
  });

  it('on a reload hand-over, stops at once and gives its unsent batches to the successor instead of dropping them', async () => {
    const backend = new FakeBackend();
    backend.mode = 'down';
    const { exporter, metric } = await start(backend, { num_consumers: 2 });
    for (let i = 0; i < 3; i++) await exporter.consume(tagged(i));
    await waitFor(() => backend.calls >= 2, 'attempts');
    const t0 = Date.now();
    await exporter.shutdown(Date.now() + 5000, { handOver: true });
    expect(Date.now() - t0).toBeLessThan(2000);
    const handed = exporter.takeLeftover();
    expect(handed.map((b) => (b.signal === 'logs' ? b.resources[0]?.scopeLogs[0]?.logRecords.length : 0))).toEqual([2, 2, 2]);
    expect(exporter.takeLeftover()).toEqual([]);
    expect(exporter.queueLeftover()).toEqual({ persistent: false, items: 0, requests: 0 });
    expect(await metric('otelcol_exporter_send_failed_log_records_total')).toBe(0);
  });

  it('lets a delivered batch go: idle consumers keep no reference to the last batch they sent', async () => {
    // Each idle consumer's suspended loop holds its last entry; before the fix every one of the
    // 10 consumers kept its last batch (and the request bodies under it) alive.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let sent = 0;
    const backend = { send: async () => void sent++ } as unknown as FakeBackend;
    const { exporter } = await start(backend, { num_consumers: 3 });
    const refs: WeakRef<object>[] = [];
    // In a function of its own, so that this test's frame holds no batch either.
    const consume = (i: number): Promise<void> => {
      const batch = tagged(i);
      refs.push(new WeakRef(batch));
      return exporter.consume(batch);
    };
    for (let i = 0; i < 6; i++) await consume(i);
    await waitFor(() => sent === 6, 'delivery');
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });

  it('aborts a send still on the wire at the shutdown deadline', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const { exporter } = await start(backend, {});
    await exporter.consume(tagged(1));
    await waitFor(() => backend.heldCount === 1, 'the send');
    await exporter.shutdown(Date.now() + 100);
    expect(exporter.queueLeftover()).toMatchObject({ requests: 1, items: 2 });
    expect(backend.delivered).toHaveLength(0);
  });
});
