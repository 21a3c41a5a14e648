// One batcher: pending items for one metadata combination, merged by resource and scope and
// sent on size or timeout, and the bookkeeping that settles each caller when its batches settle.
import type { Batch, RequestContext } from '../../pdata/batch.js';
import { makeBatch } from '../../pdata/batch.js';
import { untouchedItems } from '../../pdata/lazy.js';
import { splitBatch } from '../../pdata/merge.js';
import type { Signal } from '../../pdata/types.js';
import type { Shape } from './identity.js';
import { SHAPES, resourceKey, sameResource, sameScope, scopeKey } from './identity.js';

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

/** Consecutive items of one caller inside one pending scope. */
interface Run {
  readonly caller: Caller;
  items: number;
}

/**
 * One distinct scope of the pending data. `container` is the caller's own scope object until a
 * second one merges into it; then it is replaced by the batcher's copy (`owned`), whose item list
 * can grow. A caller's object is never changed: the processor does not mutate data.
 */
interface ScopeSlot {
  container: object;
  /** The first scope object seen with this identity (for the cheap sameScope check). */
  readonly first: object;
  owned: boolean;
  runs: Run[];
}

interface ResourceSlot {
  container: object;
  readonly first: object;
  owned: boolean;
  readonly scopes: Map<string, ScopeSlot>;
  /** In the order of the container's scope list. */
  readonly order: ScopeSlot[];
  lastScope: ScopeSlot | undefined;
}

export class Batcher {
  private readonly shape: Shape;
  private resources = new Map<string, ResourceSlot>();
  private order: ResourceSlot[] = [];
  /** The slot merged into last: a client sending again usually lands there. */
  private lastResource: ResourceSlot | undefined;
  private pendingItems = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly immediate: boolean;

  constructor(private readonly options: BatcherOptions) {
    this.shape = SHAPES[options.signal];
    // As in the Collector: without both a timeout and a size trigger there is nothing
    // to wait for, and every batch goes out at once (split at send_batch_max_size).
    this.immediate = options.timeoutMs === 0 || options.sendBatchSize === 0;
  }

  /** Adds a batch of `items` (> 0) items; settles when every batch holding them has. */
  add(batch: Batch, items: number): Promise<void> {
    const settled = new Promise<void>((resolve, reject) => {
      const caller: Caller = { unassigned: items, inflight: 0, failed: false, error: undefined, resolve, reject };
      for (const r of batch.resources) this.merge(r, caller);
    });
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

  // ---- merging: one resource per distinct resource, one scope per distinct scope within it

  /**
   * Adds one resource container of a caller: into the pending resource with the same identity,
   * its scopes into the pending scopes with the same identity. Items keep their order within a
   * scope; identical resources from many small requests become one, as a backend wants them.
   */
  private merge(resource: object, caller: Caller): void {
    let slot = this.lastResource && sameResource(this.lastResource.first, resource) ? this.lastResource : undefined;
    let isNew = false;
    if (!slot) {
      const rKey = resourceKey(resource);
      slot = this.resources.get(rKey);
      if (!slot) {
        isNew = true;
        slot = { container: resource, first: resource, owned: false, scopes: new Map(), order: [], lastScope: undefined };
        this.resources.set(rKey, slot);
        this.order.push(slot);
      }
    }
    this.lastResource = slot;
    // A new resource keeps the caller's scope list as it is, unless that list repeats a scope.
    for (const s of this.shape.scopes(resource)) this.mergeScope(slot, s, caller, isNew);
  }

  /**
   * `listed`: the scope is already in the slot's container's list (the caller's, not yet copied).
   * Items still held as request bytes (pdata/lazy) are never merged: merging would decode them,
   * which costs more than the repeated scope header it saves. Such a scope stays a scope of its own.
   */
  private mergeScope(slot: ResourceSlot, scope: object, caller: Caller, listed: boolean): void {
    const shape = this.shape;
    const lazy = untouchedItems(scope) !== undefined;
    let s: ScopeSlot | undefined;
    let sKey: string | undefined;
    if (!lazy) {
      s = slot.lastScope && sameScope(slot.lastScope.first, scope) ? slot.lastScope : slot.scopes.get((sKey = scopeKey(scope)));
      if (s && !s.owned && untouchedItems(s.container) !== undefined) s = undefined;
    }
    if (!s) {
      if (!listed || slot.owned) shape.scopes(this.ownResource(slot)).push(scope);
      s = { container: scope, first: scope, owned: false, runs: [] };
      // Only a decoded scope can take others' items: it becomes the one its identity merges into.
      if (!lazy) slot.scopes.set(sKey ?? scopeKey(scope), s);
      slot.order.push(s);
      slot.lastScope = s;
      this.addRun(s, caller, shape.count(scope));
      return;
    }
    slot.lastScope = s;
    if (!s.owned) {
      const copy = shape.withItems(s.container, [...shape.items(s.container)]);
      shape.scopes(this.ownResource(slot))[slot.order.indexOf(s)] = copy;
      s.container = copy;
      s.owned = true;
    }
    const into = shape.items(s.container);
    for (const item of shape.items(scope)) into.push(item);
    // The caller's list still holds this scope: the resource's list must be the batcher's own.
    if (listed) this.ownResource(slot);
    this.addRun(s, caller, shape.count(scope));
  }

  private addRun(s: ScopeSlot, caller: Caller, n: number): void {
    const last = s.runs[s.runs.length - 1];
    if (last && last.caller === caller) last.items += n;
    else if (n > 0) s.runs.push({ caller, items: n });
  }

  /** The resource container, made the batcher's own copy first: its scope list rebuilt from the slots. */
  private ownResource(slot: ResourceSlot): object {
    if (!slot.owned) {
      slot.container = this.shape.withScopes(slot.container, slot.order.map((x) => x.container));
      slot.owned = true;
    }
    return slot.container;
  }

  // ---- sending

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
    const { signal, context } = this.options;
    const pending = makeBatch(signal, this.order.map((r) => r.container) as Batch['resources'], context);
    // Runs in the order splitBatch counts items: resources, their scopes, the scopes' items.
    const runs: Run[] = [];
    for (const r of this.order) for (const s of r.order) for (const run of s.runs) runs.push(run);
    this.resources = new Map();
    this.order = [];
    this.lastResource = undefined;

    let out: Batch;
    if (n === this.pendingItems) {
      out = pending;
    } else {
      // splitBatch copies the rest's top-level arrays on every cut; fine for the few cuts a
      // batch sees, and it never changes the objects it is given.
      const [head, rest] = splitBatch(pending, n);
      out = head;
      this.reindex(rest, runs, n);
    }
    this.pendingItems -= n;

    const callers: Caller[] = [];
    let left = n;
    for (const run of runs) {
      if (left === 0) break;
      const take = Math.min(run.items, left);
      left -= take;
      run.caller.unassigned -= take;
      if (callers[callers.length - 1] !== run.caller) {
        run.caller.inflight++;
        callers.push(run.caller);
      }
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

  /**
   * Makes `rest` (what splitBatch left after the first `sent` items) the pending data again,
   * with the runs that were not sent assigned to its scopes in order. Its containers are
   * treated as not owned: a later merge copies them first, whoever made them.
   */
  private reindex(rest: Batch, runs: readonly Run[], sent: number): void {
    const left: Run[] = [];
    let skip = sent;
    for (const run of runs) {
      if (skip >= run.items) {
        skip -= run.items;
        continue;
      }
      left.push({ caller: run.caller, items: run.items - skip });
      skip = 0;
    }
    let next = 0;
    for (const resource of rest.resources) {
      const slot: ResourceSlot = { container: resource, first: resource, owned: false, scopes: new Map(), order: [], lastScope: undefined };
      // splitBatch never repeats a resource, but keep the first if it ever did: merge() does.
      const rKey = resourceKey(resource);
      if (!this.resources.has(rKey)) this.resources.set(rKey, slot);
      this.order.push(slot);
      for (const scope of this.shape.scopes(resource)) {
        const s: ScopeSlot = { container: scope, first: scope, owned: false, runs: [] };
        if (untouchedItems(scope) === undefined) slot.scopes.set(scopeKey(scope), s);
        slot.order.push(s);
        let count = this.shape.count(scope);
        while (count > 0 && next < left.length) {
          const run = left[next] as Run;
          const take = Math.min(run.items, count);
          s.runs.push({ caller: run.caller, items: take });
          count -= take;
          if (take === run.items) next++;
          else left[next] = { caller: run.caller, items: run.items - take };
        }
      }
    }
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
