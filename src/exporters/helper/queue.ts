// The sending queue: consume() answers once a batch is queued (in memory, or durably in
// a write-ahead log), and num_consumers workers send from it with retry until delivered.
import type { ComponentContext, Host } from '../../component.js';
import { PermanentError, RetryableError, errorMessage, type ConsumerError } from '../../consumer.js';
import { getStorage } from '../../extensions/storage.js';
import type { Batch } from '../../pdata/batch.js';
import { encodeExportRequest } from '../../pdata/proto.js';
import type { Signal } from '../../pdata/types.js';
import type { ExporterMetrics } from '../../telemetry/self.js';
import { PersistentStore } from './persistent-store.js';
import type { SendingQueueSettings } from './queue-config.js';
import { SendFailure, describeMs, sendWithRetry, sleep, type SendLoopOptions } from './send.js';
import { needsBytes, sizeOf } from './sizer.js';
import { DiskFullError, type WalRecord } from './wal.js';

/** How long a full queue with block_on_overflow keeps a sender waiting for room before refusing it. */
export const BLOCK_TIMEOUT_MS = 1000;
/** The Retry-After a refused sender is given. */
export const FULL_RETRY_AFTER_MS = 1000;
/** How long shutdown() drains when the service gives no deadline. */
export const DEFAULT_DRAIN_MS = 5000;

/** What is still queued: after shutdown, what was left (on disk, or dropped from memory). */
export interface QueueLeftover {
  readonly persistent: boolean;
  readonly items: number;
  readonly requests: number;
}

interface Entry {
  readonly signal: Signal;
  readonly items: number;
  /** In the sizer's unit. */
  readonly size: number;
  /** Memory queue: the batch itself. Persistent: loaded from the log while being sent. */
  batch: Batch | undefined;
  /** Items of `batch` still to deliver: fewer than `items` once a partial failure narrowed a memory entry's batch. */
  pending: number;
  readonly record: WalRecord | undefined;
  timer: NodeJS.Timeout | undefined;
  /** wait_for_result: the sender waiting for the outcome. */
  readonly waiter: { resolve(): void; reject(err: unknown): void } | undefined;
}

interface RoomWaiter {
  readonly size: number;
  resolve(gotRoom: boolean): void;
}

export interface SendingQueueOptions {
  readonly ctx: ComponentContext;
  readonly settings: SendingQueueSettings;
  readonly sendLoop: SendLoopOptions;
  readonly metrics: ExporterMetrics;
}

export class SendingQueue {
  private readonly settings: SendingQueueSettings;
  private readonly ctx: ComponentContext;
  private store: PersistentStore | undefined;
  /** Every entry accepted and not yet delivered or dropped: queued, waiting to retry, or in flight. */
  private readonly live = new Set<Entry>();
  private used = 0;
  private items = 0;
  private ready: Entry[] = [];
  private readyHead = 0;
  private readonly idleConsumers: Array<(entry: Entry | undefined) => void> = [];
  private readonly roomWaiters: RoomWaiter[] = [];
  private consumers: Promise<void>[] = [];
  private closing = false;
  /** Draining keeps unsent entries instead of retrying them: persistent (in the log) or handing over (reload). */
  private keepOnClose = false;
  private handedOver: Batch[] = [];
  private leftover: QueueLeftover | undefined;
  private shutdownPromise: Promise<void> | undefined;
  /** Writes to the log in progress: the drain waits for them, so what they accepted is counted as left. */
  private readonly persisting = new Set<Promise<unknown>>();
  /** Ends retry waits: at drain start for a persistent queue (the log keeps the data), at the deadline for memory. */
  private readonly stopWaiting = new AbortController();
  /** Aborts attempts on the wire: the shutdown deadline. */
  private readonly hardStop = new AbortController();
  private readonly setSize: (n: number) => void;

  constructor(private readonly options: SendingQueueOptions) {
    this.settings = options.settings;
    this.ctx = options.ctx;
    const labels = { exporter: this.ctx.id };
    const size = this.ctx.telemetry.gauge('otelcol_exporter_queue_size', 'Current size of the retry queue (in the unit of its sizer).', ['exporter']);
    const capacity = this.ctx.telemetry.gauge('otelcol_exporter_queue_capacity', 'Fixed capacity of the retry queue (in the unit of its sizer).', ['exporter']);
    capacity.set(labels, this.settings.queueSize);
    size.set(labels, 0);
    this.setSize = (n) => size.set(labels, n);
  }

  get persistent(): boolean {
    return this.settings.storage !== undefined;
  }

  /** Open the log (persistent), take back what it holds, and start the consumers. */
  async start(host: Host): Promise<void> {
    const storageId = this.settings.storage;
    if (storageId !== undefined) {
      const storage = getStorage(host, storageId, `exporter ${this.ctx.id} sending_queue`);
      const dir = await storage.directoryFor('exporter', this.ctx.id);
      const { store, stored, report, unknown } = await PersistentStore.open({ dir, fsync: storage.fsync ?? true, quota: storage.quota });
      this.store = store;
      for (const s of stored) {
        const size = sizeOf(this.settings.sizer, s.items, s.bytes);
        this.used += size;
        this.admit({ signal: s.signal, items: s.items, pending: s.items, size, batch: undefined, record: s.record, timer: undefined, waiter: undefined });
      }
      const fields = { directory: dir, batches: stored.length, items: stored.reduce((n, s) => n + s.items, 0) };
      if (report.corruptRegions > 0 || report.tornBytes > 0 || unknown > 0) {
        this.ctx.logger.warn('The queue\'s log had damaged or unreadable records; they were skipped and the rest kept.', {
          ...fields,
          corrupt_regions: report.corruptRegions,
          corrupt_bytes: report.corruptBytes,
          torn_tail_bytes: report.tornBytes,
          unknown_records: unknown,
        });
      } else if (stored.length > 0) {
        this.ctx.logger.info('Sending queue recovered batches from its log; delivery resumes.', fields);
      }
    }
    for (let i = 0; i < this.settings.numConsumers; i++) this.consumers.push(this.runConsumer());
  }

  /** Queue a batch; resolves once it is queued (or delivered, with wait_for_result). */
  async enqueue(batch: Batch, items: number): Promise<void> {
    const { metrics } = this.options;
    const refuse = (err: ConsumerError): never => {
      metrics.enqueueFailed(batch.signal, items);
      throw err;
    };
    if (this.closing) refuse(new RetryableError(`exporter ${this.ctx.id} is shutting down`));
    if (this.persistent && !this.store) refuse(new RetryableError(`exporter ${this.ctx.id} is not started`));
    // Encoding costs about 2 ms per 1000 log records (PERF-NOTES): only the log and the bytes sizer pay it.
    let encoded: Uint8Array | undefined;
    try {
      if (this.persistent || needsBytes(this.settings.sizer)) encoded = encodeExportRequest(batch.signal, batch.resources);
    } catch (err) {
      refuse(new PermanentError(`cannot encode ${batch.signal} for the sending queue: ${errorMessage(err)}`, { cause: err }));
    }
    const size = sizeOf(this.settings.sizer, items, encoded?.byteLength);
    if (!(await this.reserve(size))) {
      if (this.closing) refuse(new RetryableError(`exporter ${this.ctx.id} is shutting down`));
      refuse(
        new RetryableError(`sending queue of exporter ${this.ctx.id} is full (${this.used} of ${this.settings.queueSize} ${this.settings.sizer})`, {
          reason: 'throttled',
          retryAfterMs: FULL_RETRY_AFTER_MS,
        }),
      );
    }
    let record: WalRecord | undefined;
    if (this.store) {
      const persisting = this.store.persist(batch, items, encoded);
      this.persisting.add(persisting);
      try {
        record = (await persisting).record;
      } catch (err) {
        this.unreserve(size);
        if (err instanceof DiskFullError) refuse(new RetryableError(`exporter ${this.ctx.id}: ${err.message}`, { reason: 'throttled', retryAfterMs: FULL_RETRY_AFTER_MS }));
        refuse(new RetryableError(`exporter ${this.ctx.id} cannot write its queue's log: ${errorMessage(err)}`, { cause: err }));
      } finally {
        this.persisting.delete(persisting);
      }
    }
    let waiter: Entry['waiter'];
    const result = this.settings.waitForResult ? new Promise<void>((resolve, reject) => (waiter = { resolve, reject })) : undefined;
    // A persistent entry keeps only its place in the log; the batch is read back when it is sent.
    this.admit({ signal: batch.signal, items, pending: items, size, batch: this.store ? undefined : batch, record, timer: undefined, waiter });
    if (result) await result;
  }

  /** What is queued now, or what was left once shutdown settled. */
  queueLeftover(): QueueLeftover {
    return this.leftover ?? { persistent: this.persistent, items: this.items, requests: this.live.size };
  }

  /**
   * Stop taking batches and drain until `deadlineMs`: consumers keep sending what is
   * queued; at the deadline attempts are aborted. A persistent queue stops retrying at
   * once (what fails stays in the log for the next start); a memory queue retries until
   * the deadline and counts what is left as send_failed.
   */
  shutdown(deadlineMs = Date.now() + DEFAULT_DRAIN_MS, handOver = false): Promise<void> {
    if (!this.shutdownPromise) {
      this.keepOnClose = this.persistent || handOver;
      this.shutdownPromise = this.drain(deadlineMs);
    }
    return this.shutdownPromise;
  }

  /**
   * After a shutdown with handOver: the batches a memory queue had not sent, once, for the
   * exporter that replaces this one on reload (so a config change does not drop them).
   */
  takeLeftover(): Batch[] {
    const batches = this.handedOver;
    this.handedOver = [];
    return batches;
  }

  // ---- capacity ----

  private fits(size: number): boolean {
    // A batch larger than the whole queue is taken when the queue is empty, so it is never refused forever.
    return this.used === 0 || this.used + size <= this.settings.queueSize;
  }

  /** Take room for `size`, waiting up to BLOCK_TIMEOUT_MS with block_on_overflow. Resolves false when refused. */
  private reserve(size: number): Promise<boolean> {
    if (this.roomWaiters.length === 0 && this.fits(size)) {
      this.used += size;
      return Promise.resolve(true);
    }
    if (!this.settings.blockOnOverflow) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: RoomWaiter = {
        size,
        resolve: (gotRoom) => {
          clearTimeout(timer);
          resolve(gotRoom);
        },
      };
      const timer = setTimeout(() => {
        const i = this.roomWaiters.indexOf(waiter);
        if (i >= 0) this.roomWaiters.splice(i, 1);
        resolve(false);
      }, BLOCK_TIMEOUT_MS);
      this.roomWaiters.push(waiter);
    });
  }

  /** Give back a reservation that did not become an entry. */
  private unreserve(size: number): void {
    this.used -= size;
    this.wakeRoomWaiters();
  }

  private wakeRoomWaiters(): void {
    // In arrival order: a waiter that does not fit yet keeps the ones behind it waiting (no starvation).
    while (this.roomWaiters.length > 0) {
      const first = this.roomWaiters[0] as RoomWaiter;
      if (!this.closing && !this.fits(first.size)) return;
      this.roomWaiters.shift();
      if (this.closing) {
        first.resolve(false);
        continue;
      }
      this.used += first.size;
      first.resolve(true);
    }
  }

  // ---- entries ----

  /** A new entry, whose size is already counted in `used`. */
  private admit(entry: Entry): void {
    this.live.add(entry);
    this.items += entry.items;
    this.setSize(this.used);
    this.push(entry);
  }

  private push(entry: Entry): void {
    const consumer = this.idleConsumers.shift();
    if (consumer) consumer(entry);
    else this.ready.push(entry);
  }

  private take(): Entry | undefined {
    if (this.readyHead >= this.ready.length) return undefined;
    const entry = this.ready[this.readyHead++];
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    return entry;
  }

  /** Delivered, or dropped for good: the entry leaves the queue (and the log). */
  private finish(entry: Entry, err?: ConsumerError): void {
    if (!this.live.delete(entry)) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    // An idle consumer's suspended loop still holds its last entry: without this, each of the
    // num_consumers (10) kept its last batch alive — at 10,000 spans/s 18 MiB of request bodies.
    entry.batch = undefined;
    this.used -= entry.size;
    this.items -= entry.items;
    this.setSize(this.used);
    if (entry.record) this.store?.ack(entry.record);
    if (err) entry.waiter?.reject(err);
    else entry.waiter?.resolve();
    this.wakeRoomWaiters();
  }

  /** Back to the tail after `delayMs`: a batch whose retries ran out is tried again, never dropped. */
  private requeue(entry: Entry, delayMs: number): void {
    if (this.closing) {
      // Draining: memory tries it again now (until the deadline); persistent leaves it in the log.
      if (!this.keepOnClose) this.ready.push(entry);
      return;
    }
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.push(entry);
    }, delayMs);
  }

  // ---- consumers ----

  private next(): Promise<Entry | undefined> {
    const entry = this.take();
    if (entry) return Promise.resolve(entry);
    if (this.closing) return Promise.resolve(undefined);
    return new Promise((resolve) => this.idleConsumers.push(resolve));
  }

  private async runConsumer(): Promise<void> {
    for (;;) {
      const entry = await this.next();
      if (!entry) return;
      const keepGoing = await this.sendEntry(entry);
      if (!keepGoing) return;
    }
  }

  /** Send one entry; false when this consumer should stop (draining a persistent queue and the backend fails). */
  private async sendEntry(entry: Entry): Promise<boolean> {
    const { metrics, sendLoop } = this.options;
    const { logger } = this.ctx;
    let batch = entry.batch;
    if (!batch) {
      try {
        batch = await (this.store as PersistentStore).load(entry.record as WalRecord);
      } catch (err) {
        metrics.sendFailed(entry.signal, entry.items);
        logger.error('A queued batch cannot be read back from the log; dropping it.', { signal: entry.signal, items: entry.items, error: errorMessage(err) });
        this.finish(entry, new PermanentError(`queued batch unreadable: ${errorMessage(err)}`));
        return true;
      }
    }
    try {
      const result = await sendWithRetry(sendLoop, batch, entry.pending, { stopWaiting: this.stopWaiting.signal, abortAttempt: this.hardStop.signal });
      metrics.sent(entry.signal, result.delivered);
      if (result.dropped > 0) metrics.sendFailed(entry.signal, result.dropped);
      this.finish(entry);
      return true;
    } catch (e) {
      const f = e instanceof SendFailure ? e : new SendFailure('stopped', new RetryableError(errorMessage(e)), 0);
      // A partial failure: count what was delivered or dropped, and keep only the rest to send.
      const { delivered, dropped, remaining } = f.progress;
      if (delivered > 0) metrics.sent(entry.signal, delivered);
      if (dropped > 0) metrics.sendFailed(entry.signal, dropped);
      entry.pending -= delivered + dropped;
      if (remaining && !this.store) entry.batch = remaining;
      const fields = { signal: entry.signal, items: entry.pending, attempts: f.attempts, error: f.error.message };
      if (f.kind === 'permanent' || f.kind === 'disabled' || (f.kind === 'exhausted' && entry.waiter)) {
        metrics.sendFailed(entry.signal, entry.pending);
        logger.warn(entry.waiter ? 'Exporting failed; the error goes back to the sender.' : 'Exporting failed. Dropping data.', fields);
        this.finish(entry, f.error);
        return true;
      }
      if (f.kind === 'exhausted') {
        logger.warn('Exporting failed; retries exhausted. The batch goes back to the queue.', { ...fields, retry_in: describeMs(f.nextDelayMs) });
        this.requeue(entry, f.nextDelayMs);
        return true;
      }
      // Stopped by shutdown: the entry stays live and is accounted for when the drain ends.
      return !(this.keepOnClose && this.closing);
    } finally {
      // A persistent entry is read again (whole) if it is sent again; memory stays bounded by what is in flight.
      if (this.store) {
        entry.batch = undefined;
        entry.pending = entry.items;
      }
    }
  }

  // ---- shutdown ----

  private async drain(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.wakeRoomWaiters();
    for (const c of this.idleConsumers.splice(0)) c(undefined);
    for (const entry of this.live) {
      if (!entry.timer) continue;
      clearTimeout(entry.timer);
      entry.timer = undefined;
      // Memory: one more try while draining. Persistent: it waits in the log for the next start.
      if (!this.keepOnClose) this.ready.push(entry);
    }
    if (this.keepOnClose) this.stopWaiting.abort();
    const deadline = new AbortController();
    const drained = Promise.all(this.consumers).then(() => true);
    // Stop a little before the deadline, so the accounting and closing the log fit inside it.
    const budget = Math.max(0, deadlineMs - Date.now());
    const stopIn = budget - Math.min(100, budget / 10);
    const inTime = await Promise.race([drained, sleep(stopIn, deadline.signal).then(() => false)]);
    deadline.abort();
    if (!inTime) {
      this.stopWaiting.abort();
      this.hardStop.abort();
      await drained;
    }
    await Promise.allSettled([...this.persisting]);
    this.leftover = { persistent: this.persistent, items: this.items, requests: this.live.size };
    const fields = { batches: this.live.size, items: this.items };
    if (this.persistent) {
      if (this.live.size > 0) this.ctx.logger.info('Sending queue stopped; batches not yet delivered stay in its log and are sent after the next start.', fields);
      await this.store?.close();
    } else if (this.keepOnClose && this.live.size > 0) {
      // Handing over: the successor gets the batches; a sender waiting for the result retries (at-least-once).
      const err = new RetryableError(`exporter ${this.ctx.id} was replaced before the batch was delivered`);
      for (const entry of [...this.live]) {
        if (entry.batch && !entry.waiter) this.handedOver.push(entry.batch);
        this.finish(entry, entry.waiter ? err : undefined);
      }
      this.leftover = { persistent: false, items: 0, requests: 0 };
      this.ctx.logger.info('Sending queue stopped for a reload; its batches go to the exporter that replaces it.', fields);
    } else if (this.live.size > 0) {
      const err = new RetryableError(`exporter ${this.ctx.id} shut down before the batch was delivered`);
      for (const entry of [...this.live]) {
        this.options.metrics.sendFailed(entry.signal, entry.pending);
        this.finish(entry, err);
      }
      this.ctx.logger.warn('Sending queue stopped before it was drained; dropping what was left.', fields);
    }
  }
}
