// Batching inside the sending queue (sending_queue.batch): the sender is answered once its
// request is queued; consumers merge queued requests by resource and scope, at min_size or
// flush_timeout, split at max_size, apart per partition; a persistent queue keeps each request
// in its log until the batch carrying it is delivered. Also the memory queue's byte budget and
// reads of the log that fail for now.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetryableError } from '../../../src/consumer.js';
import { PersistentStore } from '../../../src/exporters/helper/persistent-store.js';
import { makeBatch, type Batch } from '../../../src/pdata/batch.js';
import { waitFor } from '../../helpers/index.js';
import { FakeBackend, bodies, queuedExporter, storageHost, tagged, type QueueSetup } from './queue-fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(backend: FakeBackend, queue: Record<string, unknown>, retry?: Record<string, string>): QueueSetup {
  const s = queuedExporter(backend, queue, { retry });
  cleanups.push(() => s.exporter.shutdown(Date.now() + 200));
  return s;
}

const sequence = (tags: number[], n = 2): string[] => tags.flatMap((t) => Array.from({ length: n }, (_, k) => `b${t}-${k}`));

describe('sending queue with batch', () => {
  it('answers at once, then sends what gathered at flush_timeout as one batch with one resource and scope', async () => {
    const backend = new FakeBackend();
    const s = setup(backend, { batch: { flush_timeout: '100ms', min_size: 100 } });
    await s.exporter.start({ getExtension: () => undefined, state: 'running' });
    for (let i = 0; i < 3; i++) await s.exporter.consume(tagged(i));
    expect(backend.calls).toBe(0);
    await waitFor(() => backend.delivered.length === 1, 'the batch');
    const sent = backend.delivered[0] as Batch;
    expect(sent.resources).toHaveLength(1);
    expect(sent.signal === 'logs' && sent.resources[0]?.scopeLogs).toHaveLength(1);
    expect(bodies(sent)).toEqual(sequence([0, 1, 2]));
    expect(await s.metric('otelcol_exporter_sent_log_records_total')).toBe(6);
    const hist = (await s.telemetry.registry.getSingleMetric('otelcol_exporter_queue_batch_send_size')?.get())?.values ?? [];
    const part = (suffix: string) => hist.find((v) => (v as { metricName?: string }).metricName === `otelcol_exporter_queue_batch_send_size_${suffix}`)?.value;
    expect(part('count')).toBe(1);
    expect(part('sum')).toBe(6);
    await waitFor(async () => (await s.metric('otelcol_exporter_queue_size')) === 0, 'an empty queue');
  });

  it('sends as soon as min_size is reached, without waiting for flush_timeout', async () => {
    const backend = new FakeBackend();
    const s = setup(backend, { batch: { flush_timeout: '1h', min_size: 6 } });
    await s.exporter.start({ getExtension: () => undefined, state: 'running' });
    await s.exporter.consume(tagged(0, 4));
    expect(backend.calls).toBe(0);
    await s.exporter.consume(tagged(1, 4));
    await waitFor(() => backend.delivered.length === 1, 'the batch');
    expect(bodies(backend.delivered[0] as Batch)).toEqual(sequence([0, 1], 4));
  });

  it('splits at max_size: no loss, no duplicate, order kept', async () => {
    const backend = new FakeBackend();
    const s = setup(backend, { num_consumers: 1, batch: { flush_timeout: '50ms', min_size: 10, max_size: 10 } });
    await s.exporter.start({ getExtension: () => undefined, state: 'running' });
    await s.exporter.consume(tagged(0, 25));
    await waitFor(() => backend.delivered.length === 3, 'three batches');
    expect(backend.delivered.map((b) => bodies(b).length)).toEqual([10, 10, 5]);
    expect(backend.deliveredBodies()).toEqual(sequence([0], 25));
  });

  it('batches each partition apart and keeps its metadata on the batch', async () => {
    const backend = new FakeBackend();
    const s = setup(backend, { batch: { flush_timeout: '50ms', min_size: 100, partition: { metadata_keys: ['Tenant'] } } });
    await s.exporter.start({ getExtension: () => undefined, state: 'running' });
    const withTenant = (tag: number, tenant: string): Batch => makeBatch('logs', tagged(tag).resources, { metadata: { tenant: [tenant], other: ['x'] } });
    await s.exporter.consume(withTenant(0, 'a'));
    await s.exporter.consume(withTenant(1, 'b'));
    await s.exporter.consume(withTenant(2, 'a'));
    await waitFor(() => backend.delivered.length === 2, 'two batches');
    const byTenant = new Map(backend.delivered.map((b) => [b.context?.metadata?.tenant?.[0], bodies(b)]));
    expect(byTenant.get('a')).toEqual(sequence([0, 2]));
    expect(byTenant.get('b')).toEqual(sequence([1]));
    expect(backend.delivered.every((b) => b.context?.metadata?.other === undefined)).toBe(true);
  });

  it('retries a failed batch whole, then delivers every request in it once', async () => {
    const backend = new FakeBackend();
    backend.mode = 'down';
    const s = setup(backend, { batch: { flush_timeout: '20ms', min_size: 100 } });
    await s.exporter.start({ getExtension: () => undefined, state: 'running' });
    for (let i = 0; i < 3; i++) await s.exporter.consume(tagged(i));
    await waitFor(() => backend.calls >= 3, 'retries');
    backend.mode = 'up';
    await waitFor(() => backend.delivered.length === 1, 'delivery');
    expect(backend.deliveredBodies()).toEqual(sequence([0, 1, 2]));
    expect(await s.metric('otelcol_exporter_send_failed_log_records_total')).toBe(0);
  });

  it('with wait_for_result, answers each sender with the outcome of the batch carrying it', async () => {
    const backend = new FakeBackend();
    const s = setup(backend, { wait_for_result: true, batch: { flush_timeout: '50ms', min_size: 100 } });
    await s.exporter.start({ getExtension: () => undefined, state: 'running' });
    backend.mode = 'permanent';
    const outcomes = await Promise.allSettled([s.exporter.consume(tagged(0)), s.exporter.consume(tagged(1))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(backend.calls).toBe(1);
  });

  it('flushes what is gathering at shutdown', async () => {
    const backend = new FakeBackend();
    const s = queuedExporter(backend, { batch: { flush_timeout: '1h', min_size: 100 } });
    await s.exporter.start({ getExtension: () => undefined, state: 'running' });
    await s.exporter.consume(tagged(0));
    await s.exporter.shutdown(Date.now() + 2000);
    expect(backend.deliveredBodies()).toEqual(sequence([0]));
  });
});

describe('persistent sending queue with batch', () => {
  it('keeps every request in the log until the batch carrying it is delivered, across a restart', async () => {
    const first = await storageHost();
    cleanups.push(() => first.cleanup());
    const down = new FakeBackend();
    down.mode = 'down';
    const a = queuedExporter(down, { storage: 'file_storage/q', batch: { flush_timeout: '20ms', min_size: 100 } });
    await a.exporter.start(first.host);
    for (let i = 0; i < 4; i++) await a.exporter.consume(tagged(i));
    await waitFor(() => down.calls >= 1, 'a failed attempt');
    await a.exporter.shutdown(Date.now() + 100);
    expect(a.exporter.queueLeftover()).toEqual({ persistent: true, items: 8, requests: 4 });
    await first.ext.shutdown();

    const second = await storageHost(first.dir);
    cleanups.push(() => second.cleanup());
    const up = new FakeBackend();
    const b = queuedExporter(up, { storage: 'file_storage/q', batch: { flush_timeout: '20ms', min_size: 100 } });
    cleanups.push(() => b.exporter.shutdown(Date.now() + 200));
    await b.exporter.start(second.host);
    await waitFor(() => up.delivered.length === 1, 'one merged batch');
    expect(up.deliveredBodies()).toEqual(sequence([0, 1, 2, 3]));
    await waitFor(async () => (await b.metric('otelcol_exporter_queue_size')) === 0, 'an empty queue');
  });

  it('leaves a batch it cannot read back for now in the queue and reads it again: nothing dropped', async () => {
    const st = await storageHost();
    cleanups.push(() => st.cleanup());
    const backend = new FakeBackend();
    const real = PersistentStore.prototype.load;
    let failures = 2;
    vi.spyOn(PersistentStore.prototype, 'load').mockImplementation(function (this: PersistentStore, record) {
      if (failures-- > 0) return Promise.reject(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' }));
      return real.call(this, record);
    });
    const s = queuedExporter(backend, { storage: 'file_storage/q' });
    cleanups.push(() => s.exporter.shutdown(Date.now() + 200));
    await s.exporter.start(st.host);
    await s.exporter.consume(tagged(7));
    await waitFor(() => backend.delivered.length === 1, 'delivery after the read failures', 15_000);
    expect(backend.deliveredBodies()).toEqual(sequence([7]));
    expect(await s.metric('otelcol_exporter_send_failed_log_records_total')).toBe(0);
    expect(s.logger.lines.filter((l) => l.message.includes('cannot be read back from the log now'))).toHaveLength(2);
  });

  it('drops and counts a record proven damaged, and delivers the rest of its batch', async () => {
    const st = await storageHost();
    cleanups.push(() => st.cleanup());
    const backend = new FakeBackend();
    const s = queuedExporter(backend, { storage: 'file_storage/q', batch: { flush_timeout: '300ms', min_size: 100 } });
    cleanups.push(() => s.exporter.shutdown(Date.now() + 200));
    await s.exporter.start(st.host);
    await s.exporter.consume(tagged(0));
    await s.exporter.consume(tagged(1));
    // Damage the first record's payload on disk before the batch is read: its CRC no longer matches.
    const { readdirSync, openSync, writeSync, closeSync } = await import('node:fs');
    const dir = `${st.dir}/exporter_otlphttp_q`;
    const seg = readdirSync(dir).find((n) => n.endsWith('.seg')) as string;
    const fd = openSync(`${dir}/${seg}`, 'r+');
    writeSync(fd, Buffer.from('XXXX'), 0, 4, 28);
    closeSync(fd);
    await waitFor(() => backend.delivered.length === 1, 'the rest delivered');
    expect(backend.deliveredBodies()).toEqual(sequence([1]));
    expect(await s.metric('otelcol_exporter_send_failed_log_records_total')).toBe(2);
  });
});

describe('memory sending queue byte budget (max_memory_mib)', () => {
  it('refuses with a retryable error that names the budget once the queued bytes reach it, whatever the sizer', async () => {
    const backend = new FakeBackend();
    backend.mode = 'hold';
    const s = setup(backend, { max_memory_mib: 1, queue_size: 1000 });
    await s.exporter.start({ getExtension: () => undefined, state: 'running' });
    const big = (tag: number): Batch => {
      const b = tagged(tag, 3);
      if (b.signal === 'logs') for (const l of b.resources[0]!.scopeLogs[0]!.logRecords) l.body = { stringValue: 'x'.repeat(200_000) };
      return b;
    };
    let accepted = 0;
    let refusal: unknown;
    for (let i = 0; i < 5 && refusal === undefined; i++) {
      await s.exporter.consume(big(i)).then(
        () => accepted++,
        (e: unknown) => (refusal = e),
      );
    }
    expect(accepted).toBe(1);
    expect(refusal).toBeInstanceOf(RetryableError);
    expect((refusal as Error).message).toMatch(/^sending queue of exporter otlphttp\/q holds \d+ KiB of its 1\.0 MiB memory budget \(max_memory_mib\)$/);
    backend.release();
    backend.mode = 'up';
    await waitFor(async () => (await s.metric('otelcol_exporter_queue_size')) === 0, 'an empty queue');
    await s.exporter.consume(big(9));
  });
});
