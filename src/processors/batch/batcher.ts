// One batcher: pending items for one metadata combination, sent on size or timeout,
// and the bookkeeping that settles each caller when the batches holding its items settle.
import type { Batch, RequestContext } from '../../pdata/batch.js';
import { makeBatch } from '../../pdata/batch.js';
import { appendResources, splitBatch } from '../../pdata/merge.js';
import type { Signal } from '../../pdata/types.js';

export type Trigger = 'size' | 'timeout';

export interface BatcherOptions {
  readonly signal: Signal;
  /** Items that trigger a send; ignored when `timeoutMs` is 0. 0 means send at once. */
  readonly sendBatchSize: number;
  /** How long the first pending item may wait; 0 means send at once. */
  readonly timeoutMs: number;
  /** Most items per sent batch; 0 means no limit. */
  readonly sendBatchMaxSize: number;
  /** Context carried by every batch this batcher sends (the metadata it is keyed on). */
  readonly context: RequestContext | undefined;
  /** Send one batch downstream; resolves or rejects with the downstream outcome. */
  send(batch: Batch, items: number, trigger: Trigger): Promise<void>;
}

/** A consume() call waiting for its items to be accepted downstream. */
interface Caller {
  /** Items not yet placed in a sent batch. */
  unassigned: number;
  /** Sent batches holding some of its items that have not settled yet. */
  inflight: number;
  failed: boolean;
  error: unknown;
  resolve(): void;
  reject(err: unknown): void;
}

/** A caller's items, contiguous in the pending batch (append keeps them together). */
interface Segment {
  readonly caller: Caller;
  items: number;
}

export class Batcher {
  private pending: Batch;
  private pendingItems = 0;
  // A queue with a head index: shift() is O(n), and thousands of small callers may wait.
  private segments: Segment[] = [];
  private segmentsHead = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly immediate: boolean;

  constructor(private readonly options: BatcherOptions) {
    this.pending = makeBatch(options.signal, [], options.context);
    // As in the Collector: without both a timeout and a size trigger there is nothing
    // to wait for, and every batch goes out at once (split at send_batch_max_size).
    this.immediate = options.timeoutMs === 0 || options.sendBatchSize === 0;
  }

  /** Adds a batch of `items` (> 0) items; settles when every batch holding them has. */
  add(batch: Batch, items: number): Promise<void> {
    const settled = new Promise<void>((resolve, reject) => {
      const caller: Caller = { unassigned: items, inflight: 0, failed: false, error: undefined, resolve, reject };
      this.segments.push({ caller, items });
    });
    appendResources(this.pending, batch);
    this.pendingItems += items;

    if (this.immediate) {
      this.sendAll('size');
      return settled;
    }
    while (this.pendingItems >= this.options.sendBatchSize) this.sendOne('size');
    if (this.pendingItems === 0) this.stopTimer();
    else if (!this.timer) this.timer = setTimeout(() => this.onTimeout(), this.options.timeoutMs);
    return settled;
  }

  /** Sends everything pending and waits for every outstanding send to settle. */
  async shutdown(): Promise<void> {
    this.stopTimer();
    this.sendAll('timeout');
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private onTimeout(): void {
    this.timer = undefined;
    this.sendAll('timeout');
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private sendAll(trigger: Trigger): void {
    while (this.pendingItems > 0) this.sendOne(trigger);
  }

  /** Sends the first send_batch_max_size items (or all of them) as one batch. */
  private sendOne(trigger: Trigger): void {
    const max = this.options.sendBatchMaxSize;
    const n = max > 0 ? Math.min(max, this.pendingItems) : this.pendingItems;
    let out: Batch;
    if (n === this.pendingItems) {
      out = this.pending;
      this.pending = makeBatch(this.options.signal, [], this.options.context);
    } else {
      // splitBatch copies the rest's top-level arrays on every cut; fine for the
      // few cuts a batch sees, and it never changes the callers' objects.
      [out, this.pending] = splitBatch(this.pending, n);
    }
    this.pendingItems -= n;

    const callers: Caller[] = [];
    let left = n;
    while (left > 0) {
      const seg = this.segments[this.segmentsHead] as Segment;
      const take = Math.min(seg.items, left);
      seg.items -= take;
      left -= take;
      seg.caller.unassigned -= take;
      seg.caller.inflight++;
      callers.push(seg.caller);
      if (seg.items === 0) this.segmentsHead++;
    }
    if (this.segmentsHead === this.segments.length) {
      this.segments = [];
      this.segmentsHead = 0;
    } else if (this.segmentsHead > 1024) {
      this.segments = this.segments.slice(this.segmentsHead);
      this.segmentsHead = 0;
    }

    // Sends are not serialized: the callers whose items are in flight are all still
    // waiting for their consume() to settle, so the upstream backpressure already
    // bounds what can be in flight, and a slow exporter does not hold back the others.
    const done = this.options.send(out, n, trigger).then(
      () => settle(callers, false, undefined),
      (err: unknown) => settle(callers, true, err),
    );
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
  }
}

function settle(callers: readonly Caller[], failed: boolean, err: unknown): void {
  for (const c of callers) {
    c.inflight--;
    // A caller split across batches keeps the first failure it sees.
    if (failed && !c.failed) {
      c.failed = true;
      c.error = err;
    }
    if (c.inflight === 0 && c.unassigned === 0) {
      if (c.failed) c.reject(c.error);
      else c.resolve();
    }
  }
}
