// The sending queue: consume() answers once a batch is queued (in memory, or durably in
// a write-ahead log), and num_consumers workers send from it with retry until delivered.
// With `batch`, queued requests are gathered into jobs and merged when a consumer sends them.
import type { ComponentContext, Host } from '../../component.js';
import { PermanentError, RetryableError, errorMessage, type ConsumerError } from '../../consumer.js';
import { getStorage } from '../../extensions/storage.js';
import type { Batch, RequestContext } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import { Merger } from '../../pdata/merger.js';
import { encodeExportRequest } from '../../pdata/proto.js';
import { estimateWireBytes } from '../../pdata/size.js';
import type { Signal } from '../../pdata/types.js';
import type { ExporterMetrics } from '../../telemetry/self.js';
import { PersistentStore } from './persistent-store.js';
import type { QueueBatchSettings, SendingQueueSettings } from './queue-config.js';
import { SendFailure, describeMs, sendWithRetry, sleep, type SendLoopOptions } from './send.js';
import { needsBytes, sizeOf } from './sizer.js';
import { CorruptRecordError, DiskFullError, type WalRecord } from './wal.js';

/** How long a full queue with block_on_overflow keeps a sender waiting for room before refusing it. */
export const BLOCK_TIMEOUT_MS = 1000;
/** The Retry-After a refused sender is given. */
export const FULL_RETRY_AFTER_MS = 1000;
/** How long shutdown() drains when the service gives no deadline. */
export const DEFAULT_DRAIN_MS = 5000;
/**
 * A reload's hand-over: sends already on the wire get this long to finish (a healthy backend
 * answers in milliseconds, and then nothing is sent twice); queued batches go to the successor at once.
 */
export const HANDOVER_GRACE_MS = 1000;
/** A queued batch that cannot be read back for now (not proven damaged) is tried again after this, doubling to 30 s. */
export const READ_RETRY_MS = 1000;

/** A queue dropping because it is full (when_full: drop) says so at most this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** Buckets of `otelcol_exporter_queue_batch_send_size`, as the Collector declares them. */
const SEND_SIZE_BUCKETS = [10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000, 30000, 50000, 100000];

/** What is still queued: after shutdown, what was left (on disk, or dropped from memory). */
export interface QueueLeftover {
  readonly persistent: boolean;
  readonly items: number;
  readonly requests: number;
}

/** One accepted request: it leaves the queue (and the log) when the job carrying it is done. */
interface Entry {
  readonly signal: Signal;
  readonly items: number;
  /** In the queue sizer's unit. */
  readonly size: number;
  /** In the batch sizer's unit. */
  readonly batchSize: number;
  /** Estimated wire bytes held in memory (memory queue only; 0 for persistent). */
  readonly memoryBytes: number;
  /** Memory queue: the batch itself. Persistent: read back from the log when it is sent. */
  batch: Batch | undefined;
  readonly record: WalRecord | undefined;
  /** Batching: entries of one partition (signal and metadata values) are merged together. */
  readonly partition: string;
  readonly context: RequestContext | undefined;
  /** wait_for_result: the sender waiting for the outcome. */
  readonly waiter: { resolve(): void; reject(err: unknown): void } | undefined;
}

/** What a consumer sends at once: one entry, or (batching) the entries gathered into one batch. */
interface Job {
  readonly signal: Signal;
  entries: Entry[];
  /** Items not yet delivered nor dropped. */
  pending: number;
  /** Memory: the batches still to send (merged, split at max_size, narrowed by partial failures). */
  parts: Batch[] | undefined;
  /** Persistent: parts delivered by earlier attempts (the same entries merge into the same parts). */
  partsDone: number;
  readFailures: number;
  /** The first permanent failure of one of its parts: what waiters are told. */
  error: ConsumerError | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** Entries of one partition waiting to fill a batch. */
interface Gathering {
  readonly entries: Entry[];
  size: number;
  timer: NodeJS.Timeout | undefined;
}

interface RoomWaiter {
  readonly size: number;
  readonly bytes: number;
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
  private readonly batching: QueueBatchSettings | undefined;
  private readonly ctx: ComponentContext;
  private store: PersistentStore | undefined;
  /** Every entry accepted and not yet delivered or dropped: gathering, queued, waiting to retry, or in flight. */
  private readonly live = new Set<Entry>();
  /** Every job made and not yet done. */
  private readonly jobs = new Set<Job>();
  private readonly gatherings = new Map<string, Gathering>();
  private used = 0;
  private memoryBytes = 0;
  private items = 0;
  private ready: Job[] = [];
  private readyHead = 0;
  private readonly idleConsumers: Array<(job: Job | undefined) => void> = [];
  private readonly roomWaiters: RoomWaiter[] = [];
  private consumers: Promise<void>[] = [];
  private closing = false;
  /** Draining keeps unsent entries instead of retrying them: persistent (in the log) or handing over (reload). */
  private keepOnClose = false;
  /** A memory queue handing over (reload): consumers take no more jobs; the successor gets them. */
  private handingOver = false;
  private handedOver: Batch[] = [];
  private leftover: QueueLeftover | undefined;
  private shutdownPromise: Promise<void> | undefined;
  /** Writes to the log in progress: the drain waits for them, so what they accepted is counted as left. */
  private readonly persisting = new Set<Promise<unknown>>();
  /** Ends retry waits: at drain start for a persistent queue (the log keeps the data), at the deadline for memory. */
  private readonly stopWaiting = new AbortController();
  /** Aborts attempts on the wire: the shutdown deadline. */
  private readonly hardStop = new AbortController();
  private lastDropLog = 0;
  private readonly setSize: (n: number) => void;
  private readonly observeBatch: (items: number) => void;

  constructor(private readonly options: SendingQueueOptions) {
    this.settings = options.settings;
    this.batching = options.settings.batch;
    this.ctx = options.ctx;
    const labels = { exporter: this.ctx.id };
    const t = this.ctx.telemetry;
    const size = t.gauge('otelcol_exporter_queue_size', 'Current size of the retry queue (in the unit of its sizer).', ['exporter']);
    const capacity = t.gauge('otelcol_exporter_queue_capacity', 'Fixed capacity of the retry queue (in the unit of its sizer).', ['exporter']);
    capacity.set(labels, this.settings.queueSize);
    size.set(labels, 0);
    this.setSize = (n) => size.set(labels, n);
    const sendSize = t.histogram('otelcol_exporter_queue_batch_send_size', 'Number of units in the batch sent by the queue\'s batching', ['exporter'], SEND_SIZE_BUCKETS);
    this.observeBatch = (items) => sendSize.observe(labels, items);
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
      const { store, stored, report, unknown } = await PersistentStore.open({ dir, fsync: storage.fsync ?? true, quota: storage.quota, logger: this.ctx.logger });
      this.store = store;
      for (const s of stored) {
        const size = sizeOf(this.settings.sizer, s.items, s.bytes);
        this.used += size;
        this.admit({
          signal: s.signal,
          items: s.items,
          size,
          batchSize: this.batching ? sizeOf(this.batching.sizer, s.items, s.bytes) : 0,
          memoryBytes: 0,
          batch: undefined,
          record: s.record,
          partition: s.signal,
          context: undefined,
          waiter: undefined,
        });
      }
      const fields = { directory: dir, batches: stored.length, items: stored.reduce((n, s) => n + s.items, 0) };
      if (report.corruptRegions > 0 || report.tornBytes > 0 || unknown > 0) {
        this.ctx.logger.warn('The queue\'s log had damaged or unreadable records; they were skipped and the rest kept.', {
          ...fields,
          lost_records: report.lostRecords,
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
    // Encoding costs about 2 ms per 1000 log records (PERF-NOTES): only the log and the bytes sizers pay it.
    let encoded: Uint8Array | undefined;
    try {
      if (this.persistent || needsBytes(this.settings.sizer) || (this.batching && needsBytes(this.batching.sizer))) encoded = encodeExportRequest(batch.signal, batch.resources);
    } catch (err) {
      refuse(new PermanentError(`cannot encode ${batch.signal} for the sending queue: ${errorMessage(err)}`, { cause: err }));
    }
    const size = sizeOf(this.settings.sizer, items, encoded?.byteLength);
    // A memory queue is bounded in bytes too, whatever its sizer counts: an estimate, so that it costs no encode.
    const memoryBytes = this.persistent ? 0 : (encoded?.byteLength ?? estimateWireBytes(batch));
    if (!(await this.reserve(size, memoryBytes))) {
      if (this.closing) refuse(new RetryableError(`exporter ${this.ctx.id} is shutting down`));
      const full =
        this.memoryBytes + memoryBytes > this.settings.maxMemoryBytes
          ? `holds ${describeBytes(this.memoryBytes)} of its ${describeBytes(this.settings.maxMemoryBytes)} memory budget (max_memory_mib)`
          : `is full (${this.used} of ${this.settings.queueSize} ${this.settings.sizer})`;
      if (this.settings.dropWhenFull) {
        // Best effort (when_full: drop): counted as enqueue_failed, and the sender goes on.
        metrics.enqueueFailed(batch.signal, items);
        const now = Date.now();
        if (now - this.lastDropLog >= DROP_LOG_INTERVAL_MS) {
          this.lastDropLog = now;
          this.ctx.logger.warn('Sending queue is full; dropping batches (when_full: drop). They are counted in otelcol_exporter_enqueue_failed_*.', { signal: batch.signal, why: full });
        }
        return;
      }
      refuse(new RetryableError(`sending queue of exporter ${this.ctx.id} ${full}`, { reason: 'throttled', retryAfterMs: FULL_RETRY_AFTER_MS }));
    }
    let record: WalRecord | undefined;
    if (this.store) {
      const persisting = this.store.persist(batch, items, encoded);
      this.persisting.add(persisting);
      try {
        record = (await persisting).record;
      } catch (err) {
        this.unreserve(size, memoryBytes);
        if (err instanceof DiskFullError) refuse(new RetryableError(`exporter ${this.ctx.id}: ${err.message}`, { reason: 'throttled', retryAfterMs: FULL_RETRY_AFTER_MS }));
        refuse(new RetryableError(`exporter ${this.ctx.id} cannot write its queue's log: ${errorMessage(err)}`, { cause: err }));
      } finally {
        this.persisting.delete(persisting);
      }
    }
    let waiter: Entry['waiter'];
    const result = this.settings.waitForResult ? new Promise<void>((resolve, reject) => (waiter = { resolve, reject })) : undefined;
    const context = this.partitionContext(batch.context);
    this.admit({
      signal: batch.signal,
      items,
      size,
      batchSize: this.batching ? sizeOf(this.batching.sizer, items, encoded?.byteLength) : 0,
      memoryBytes,
      // A persistent entry keeps only its place in the log; the batch is read back when it is sent.
      batch: this.store ? undefined : batch,
      record,
      partition: context ? `${batch.signal}\u0000${JSON.stringify(context.metadata)}` : batch.signal,
      context: this.batching ? context : batch.context,
      waiter,
    });
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
   * the deadline and counts what is left as send_failed. `handOver` (a reload) starts no
   * more sends: what is queued goes to the successor (takeLeftover) once the sends on the
   * wire finished, or after HANDOVER_GRACE_MS, when they are aborted and handed over too.
   */
  shutdown(deadlineMs = Date.now() + DEFAULT_DRAIN_MS, handOver = false): Promise<void> {
    if (!this.shutdownPromise) {
      this.keepOnClose = this.persistent || handOver;
      this.handingOver = handOver && !this.persistent;
      this.shutdownPromise = this.drain(this.handingOver ? Math.min(deadlineMs, Date.now() + HANDOVER_GRACE_MS) : deadlineMs);
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

  private fits(size: number, bytes: number): boolean {
    // A batch larger than the whole queue is taken when the queue is empty, so it is never refused forever.
    if (this.used === 0) return true;
    return this.used + size <= this.settings.queueSize && this.memoryBytes + bytes <= this.settings.maxMemoryBytes;
  }

  /** Take room for `size` (and `bytes`), waiting up to BLOCK_TIMEOUT_MS with block_on_overflow. Resolves false when refused. */
  private reserve(size: number, bytes: number): Promise<boolean> {
    if (this.roomWaiters.length === 0 && this.fits(size, bytes)) {
      this.used += size;
      this.memoryBytes += bytes;
      return Promise.resolve(true);
    }
    if (!this.settings.blockOnOverflow) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: RoomWaiter = {
        size,
        bytes,
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
  private unreserve(size: number, bytes: number): void {
    this.used -= size;
    this.memoryBytes -= bytes;
    this.wakeRoomWaiters();
  }

  private wakeRoomWaiters(): void {
    // In arrival order: a waiter that does not fit yet keeps the ones behind it waiting (no starvation).
    while (this.roomWaiters.length > 0) {
      const first = this.roomWaiters[0] as RoomWaiter;
      if (!this.closing && !this.fits(first.size, first.bytes)) return;
      this.roomWaiters.shift();
      if (this.closing) {
        first.resolve(false);
        continue;
      }
      this.used += first.size;
      this.memoryBytes += first.bytes;
      first.resolve(true);
    }
  }

  // ---- entries and jobs ----

  /** The request context a batch keeps through batching: its partition's metadata values, or none. */
  private partitionContext(context: RequestContext | undefined): RequestContext | undefined {
    const keys = this.batching?.metadataKeys ?? [];
    if (keys.length === 0) return undefined;
    const metadata: Record<string, readonly string[]> = {};
    for (const k of keys) {
      const v = context?.metadata?.[k];
      if (v && v.length > 0) metadata[k] = [...v];
    }
    return { metadata };
  }

  /** A new entry, whose size is already counted in `used`. */
  private admit(entry: Entry): void {
    this.live.add(entry);
    this.items += entry.items;
    this.setSize(this.used);
    if (this.batching && !this.closing) this.gather(entry, this.batching);
    else this.push(this.newJob([entry]));
  }

  private newJob(entries: Entry[]): Job {
    const first = entries[0] as Entry;
    const job: Job = { signal: first.signal, entries, pending: 0, parts: undefined, partsDone: 0, readFailures: 0, error: undefined, timer: undefined };
    for (const e of entries) job.pending += e.items;
    this.jobs.add(job);
    return job;
  }

  /** Batching: add the entry to its partition's gathering; a full one (min_size) becomes a job at once, others at flush_timeout. */
  private gather(entry: Entry, b: QueueBatchSettings): void {
    let g = this.gatherings.get(entry.partition);
    if (g && b.maxSize > 0 && g.size + entry.batchSize > b.maxSize && g.entries.length > 0) {
      this.emit(entry.partition, g);
      g = undefined;
    }
    if (!g) {
      g = { entries: [], size: 0, timer: undefined };
      this.gatherings.set(entry.partition, g);
    }
    g.entries.push(entry);
    g.size += b.sizer === 'requests' ? 1 : entry.batchSize;
    if (g.size >= b.minSize) this.emit(entry.partition, g);
    else if (!g.timer) {
      const gathering = g;
      g.timer = setTimeout(() => {
        gathering.timer = undefined;
        if (this.gatherings.get(entry.partition) === gathering) this.emit(entry.partition, gathering);
      }, b.flushTimeoutMs);
    }
  }

  private emit(partition: string, g: Gathering): void {
    clearTimeout(g.timer);
    g.timer = undefined;
    this.gatherings.delete(partition);
    if (g.entries.length > 0) this.push(this.newJob(g.entries));
  }

  private push(job: Job): void {
    const consumer = this.idleConsumers.shift();
    if (consumer) consumer(job);
    else this.ready.push(job);
  }

  private take(): Job | undefined {
    if (this.readyHead >= this.ready.length) return undefined;
    const job = this.ready[this.readyHead++];
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    return job;
  }

  /** Delivered, or dropped for good: the entry leaves the queue (and the log). */
  private finish(entry: Entry, err?: ConsumerError): void {
    if (!this.live.delete(entry)) return;
    // An idle consumer's suspended loop still holds its last job: without this, each of the
    // num_consumers (10) kept its last batch alive — at 10,000 spans/s 18 MiB of request bodies.
    entry.batch = undefined;
    this.used -= entry.size;
    this.memoryBytes -= entry.memoryBytes;
    this.items -= entry.items;
    this.setSize(this.used);
    if (entry.record) this.store?.ack(entry.record);
    if (err) entry.waiter?.reject(err);
    else entry.waiter?.resolve();
    this.wakeRoomWaiters();
  }

  /** The job is done: its entries leave the queue, each waiter told the job's outcome. */
  private finishJob(job: Job, err?: ConsumerError): void {
    clearTimeout(job.timer);
    job.timer = undefined;
    job.parts = undefined;
    this.jobs.delete(job);
    for (const e of job.entries) this.finish(e, err ?? job.error);
  }

  /** Back to the tail after `delayMs`: a job whose retries ran out is tried again, never dropped. */
  private requeue(job: Job, delayMs: number): void {
    if (this.closing) {
      // Draining: memory tries it again now (until the deadline); persistent leaves it in the log.
      if (!this.keepOnClose) this.ready.push(job);
      return;
    }
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.push(job);
    }, delayMs);
  }

  // ---- consumers ----

  private next(): Promise<Job | undefined> {
    if (this.handingOver) return Promise.resolve(undefined);
    const job = this.take();
    if (job) return Promise.resolve(job);
    if (this.closing) return Promise.resolve(undefined);
    return new Promise((resolve) => this.idleConsumers.push(resolve));
  }

  private async runConsumer(): Promise<void> {
    for (;;) {
      const job = await this.next();
      if (!job) return;
      const keepGoing = await this.sendJob(job);
      if (!keepGoing) return;
    }
  }

  /**
   * The batches a job sends: its entries' batches (read back from the log when persistent),
   * merged and split at max_size when batching. Undefined when it could not be read now
   * (the job was requeued) or nothing readable is left (the job is done).
   */
  private async partsOf(job: Job): Promise<Batch[] | undefined> {
    if (job.parts) return job.parts;
    let batches: Batch[];
    if (this.store) {
      const store = this.store;
      const loaded = await Promise.allSettled(job.entries.map((e) => store.load(e.record as WalRecord)));
      const corrupt = job.entries.filter((_, i) => {
        const r = loaded[i] as PromiseSettledResult<Batch>;
        return r.status === 'rejected' && r.reason instanceof CorruptRecordError;
      });
      if (corrupt.length > 0) {
        // Proven damaged: the only read failure after which a record is given up, and counted.
        const items = corrupt.reduce((n, e) => n + e.items, 0);
        this.options.metrics.sendFailed(job.signal, items);
        this.ctx.logger.error('Queued batches in the log are damaged and cannot be sent; dropping them.', { signal: job.signal, batches: corrupt.length, items });
        const err = new PermanentError('queued batch damaged in the log');
        for (const e of corrupt) this.finish(e, err);
        job.entries = job.entries.filter((e) => !corrupt.includes(e));
        job.pending -= items;
        job.partsDone = 0;
        if (job.entries.length === 0) {
          this.finishJob(job);
          return undefined;
        }
        return this.partsOf(job);
      }
      const failed = loaded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        // Not proven damaged (a file that cannot be opened now, EMFILE, EIO): it stays queued and is read again later.
        const delay = Math.min(30_000, READ_RETRY_MS * 2 ** job.readFailures++);
        this.ctx.logger.warn('A queued batch cannot be read back from the log now; it stays queued and is read again.', {
          signal: job.signal,
          items: job.pending,
          retry_in: describeMs(delay),
          error: errorMessage(failed.reason),
        });
        this.requeue(job, delay);
        return undefined;
      }
      job.readFailures = 0;
      batches = loaded.map((r) => (r as PromiseFulfilledResult<Batch>).value);
    } else {
      batches = job.entries.map((e) => e.batch as Batch);
    }
    const parts = this.batching ? this.merge(job, batches, this.batching) : batches;
    // Persistent: parts delivered by an earlier attempt of this job are not sent again.
    return this.store ? parts.slice(job.partsDone) : (job.parts = parts);
  }

  /** Merge by resource and scope, cut at max_size (bytes: by the items that many bytes hold on average). */
  private merge(job: Job, batches: readonly Batch[], b: QueueBatchSettings): Batch[] {
    const merger = new Merger<undefined>(job.signal);
    let items = 0;
    let size = 0;
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i] as Batch;
      const n = countItems(batch);
      merger.add(batch, n, undefined);
      items += n;
      size += (job.entries[i] as Entry).batchSize;
    }
    const maxItems = b.maxSize === 0 ? 0 : b.sizer === 'bytes' ? Math.max(1, Math.floor((b.maxSize * items) / Math.max(1, size))) : b.maxSize;
    const context = (job.entries[0] as Entry).context;
    const parts: Batch[] = [];
    while (merger.items > 0) parts.push(merger.take(maxItems, context).batch);
    return parts;
  }

  /** Send one job; false when this consumer should stop (draining a persistent queue and the backend fails). */
  private async sendJob(job: Job): Promise<boolean> {
    const { metrics, sendLoop } = this.options;
    const { logger } = this.ctx;
    const parts = await this.partsOf(job);
    if (!parts) return true;
    try {
      while (parts.length > 0) {
        const part = parts[0] as Batch;
        const n = countItems(part);
        try {
          const result = await sendWithRetry(sendLoop, part, n, { stopWaiting: this.stopWaiting.signal, abortAttempt: this.hardStop.signal });
          metrics.sent(job.signal, result.delivered);
          if (result.dropped > 0) metrics.sendFailed(job.signal, result.dropped);
          if (this.batching) this.observeBatch(n);
          job.pending -= n;
          parts.shift();
          job.partsDone++;
          continue;
        } catch (e) {
          const f = e instanceof SendFailure ? e : new SendFailure('stopped', new RetryableError(errorMessage(e)), 0);
          // A partial failure: count what was delivered or dropped, and keep only the rest to send.
          const { delivered, dropped, remaining } = f.progress;
          if (delivered > 0) metrics.sent(job.signal, delivered);
          if (dropped > 0) metrics.sendFailed(job.signal, dropped);
          job.pending -= delivered + dropped;
          if (remaining && !this.store) parts[0] = remaining;
          const left = n - delivered - dropped;
          const fields = { signal: job.signal, items: job.pending, requests: job.entries.length, attempts: f.attempts, error: f.error.message };
          if (f.kind === 'exhausted' && this.settings.waitForResult) {
            metrics.sendFailed(job.signal, job.pending);
            logger.warn('Exporting failed; the error goes back to the sender.', fields);
            this.finishJob(job, f.error);
            return true;
          }
          if (f.kind === 'permanent' || f.kind === 'disabled') {
            // This part is refused for good (or retry is off): dropped and counted; the job's other parts still go.
            metrics.sendFailed(job.signal, left);
            logger.warn(this.settings.waitForResult ? 'Exporting failed; the error goes back to the sender.' : 'Exporting failed. Dropping data.', { ...fields, items: left });
            job.error ??= f.error;
            job.pending -= left;
            parts.shift();
            job.partsDone++;
            continue;
          }
          if (f.kind === 'exhausted') {
            logger.warn('Exporting failed; retries exhausted. The batch goes back to the queue.', { ...fields, retry_in: describeMs(f.nextDelayMs) });
            this.requeue(job, f.nextDelayMs);
            return true;
          }
          // Stopped by shutdown: the job stays live and is accounted for when the drain ends.
          return !(this.keepOnClose && this.closing);
        }
      }
      this.finishJob(job);
      return true;
    } finally {
      // A persistent job is read again (whole) if it is sent again; memory stays bounded by what is in flight.
      if (this.store) job.parts = undefined;
    }
  }

  // ---- shutdown ----

  private async drain(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.wakeRoomWaiters();
    // What is gathering goes out now, as it would at flush_timeout.
    for (const [partition, g] of [...this.gatherings]) this.emit(partition, g);
    for (const c of this.idleConsumers.splice(0)) c(undefined);
    for (const job of this.jobs) {
      if (!job.timer) continue;
      clearTimeout(job.timer);
      job.timer = undefined;
      // Memory: one more try while draining. Persistent: it waits in the log for the next start.
      if (!this.keepOnClose) this.ready.push(job);
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
      for (const job of [...this.jobs]) {
        const waiting = job.entries.some((e) => e.waiter);
        if (!waiting) for (const b of job.parts ?? job.entries.map((e) => e.batch as Batch)) this.handedOver.push(b);
        this.finishJob(job, waiting ? err : undefined);
      }
      this.leftover = { persistent: false, items: 0, requests: 0 };
      this.ctx.logger.info('Sending queue stopped for a reload; its batches go to the exporter that replaces it.', fields);
    } else if (this.live.size > 0) {
      const err = new RetryableError(`exporter ${this.ctx.id} shut down before the batch was delivered`);
      for (const job of [...this.jobs]) {
        this.options.metrics.sendFailed(job.signal, job.pending);
        this.finishJob(job, err);
      }
      this.ctx.logger.warn('Sending queue stopped before it was drained; dropping what was left.', fields);
    }
  }
}

function describeBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
}

