// One batcher: pending items for one metadata combination, merged by resource and scope
// (pdata/merger) and sent on size or timeout; each caller settles when its batches settle.
import type { Batch, RequestContext } from '../../pdata/batch.js';
import { Merger } from '../../pdata/merger.js';
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

/** An add() call waiting for its items to be settled downstream. */
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

export class Batcher {
  private readonly merger: Merger<Caller>;
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly immediate: boolean;

  constructor(private readonly options: BatcherOptions) {
    this.merger = new Merger(options.signal);
    // As in the Collector: without both a timeout and a size trigger there is nothing
    // to wait for, and every batch goes out at once (split at send_batch_max_size).
    this.immediate = options.timeoutMs === 0 || options.sendBatchSize === 0;
  }

  /** Items waiting for a batch to be sent. */
  get pendingItems(): number {
    return this.merger.items;
  }

  /** Adds a batch of `items` (> 0) items; settles when every batch holding them has. */
  add(batch: Batch, items: number): Promise<void> {
    const settled = new Promise<void>((resolve, reject) => {
      this.merger.add(batch, items, { unassigned: items, inflight: 0, failed: false, error: undefined, resolve, reject });
    });
    if (this.immediate) {
      this.sendAll('size');
      return settled;
    }
    while (this.merger.items >= this.options.sendBatchSize) this.sendOne('size');
    if (this.merger.items === 0) this.stopTimer();
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
    while (this.merger.items > 0) this.sendOne(trigger);
  }

  /** Sends the first send_batch_max_size items (or all of them) as one batch. */
  private sendOne(trigger: Trigger): void {
    const { batch, items, runs } = this.merger.take(this.options.sendBatchMaxSize, this.options.context);
    const callers: Caller[] = [];
    for (const run of runs) {
      run.owner.unassigned -= run.items;
      if (callers[callers.length - 1] !== run.owner) {
        run.owner.inflight++;
        callers.push(run.owner);
      }
    }
    // Sends are not serialized: a slow exporter does not hold back the others, and what can be
    // in flight is bounded upstream (callers waiting, or the processor's buffer limit).
    const done = this.options.send(batch, items, trigger).then(
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
