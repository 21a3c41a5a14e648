// Merging many small batches into few large ones by resource and scope, and cutting the
// result at a size: what the batch processor and the sending queue's batching share.
import type { Batch } from './batch.js';
import { countItems, makeBatch } from './batch.js';
import type { Shape } from './identity.js';
import { SHAPES, resourceKey, sameResource, sameScope, scopeKey } from './identity.js';
import { untouchedItems } from './lazy.js';
import { splitBatch } from './merge.js';
import type { Signal } from './types.js';

/** Consecutive items of one owner (a caller, a queue entry) inside one pending scope. */
export interface Run<T> {
  readonly owner: T;
  items: number;
}

/**
 * One distinct scope of the pending data. `container` is the owner's own scope object until a
 * second one merges into it; then it is replaced by the merger's copy (`owned`), whose item list
 * can grow. An owner's object is never changed: merging does not mutate data.
 */
interface ScopeSlot<T> {
  container: object;
  /** The first scope object seen with this identity (for the cheap sameScope check). */
  readonly first: object;
  owned: boolean;
  runs: Run<T>[];
}

interface ResourceSlot<T> {
  container: object;
  readonly first: object;
  owned: boolean;
  readonly scopes: Map<string, ScopeSlot<T>>;
  /** In the order of the container's scope list. */
  readonly order: ScopeSlot<T>[];
  lastScope: ScopeSlot<T> | undefined;
}

/** What take() cut off: one batch, and whose items are in it (in the batch's item order). */
export interface Taken<T> {
  readonly batch: Batch;
  readonly items: number;
  readonly runs: readonly Run<T>[];
}

/**
 * Pending data of one signal: identical resources from many small requests become one, their
 * identical scopes one, as a backend wants them. Items keep their order within a scope.
 */
export class Merger<T> {
  private readonly shape: Shape;
  private resources = new Map<string, ResourceSlot<T>>();
  private order: ResourceSlot<T>[] = [];
  /** The slot merged into last: a client sending again usually lands there. */
  private lastResource: ResourceSlot<T> | undefined;
  private pending = 0;

  constructor(private readonly signal: Signal) {
    this.shape = SHAPES[signal];
  }

  /** Items held. */
  get items(): number {
    return this.pending;
  }

  /** Adds `batch` (of `items` items, as countItems says) on behalf of `owner`. */
  add(batch: Batch, items: number, owner: T): void {
    for (const r of batch.resources) this.merge(r, owner);
    this.pending += items;
  }

  /**
   * Cuts off the first `max` items (all of them when `max` is 0 or at least what is held) as
   * one batch carrying `context`; what is left stays pending, in order.
   */
  take(max: number, context?: Batch['context']): Taken<T> {
    const n = max > 0 ? Math.min(max, this.pending) : this.pending;
    const pending = makeBatch(this.signal, this.order.map((r) => r.container) as Batch['resources'], context);
    // Runs in the order splitBatch counts items: resources, their scopes, the scopes' items.
    const runs: Run<T>[] = [];
    for (const r of this.order) for (const s of r.order) for (const run of s.runs) runs.push(run);
    this.resources = new Map();
    this.order = [];
    this.lastResource = undefined;

    let out: Batch = pending;
    if (n !== this.pending) {
      // splitBatch copies the rest's top-level arrays on every cut; fine for the few cuts a
      // batch sees, and it never changes the objects it is given.
      const [head, rest] = splitBatch(pending, n);
      out = head;
      this.reindex(rest, runs, n);
    }
    this.pending -= n;

    const taken: Run<T>[] = [];
    let left = n;
    for (const run of runs) {
      if (left === 0) break;
      const count = Math.min(run.items, left);
      left -= count;
      taken.push({ owner: run.owner, items: count });
    }
    return { batch: out, items: n, runs: taken };
  }

  // ---- merging: one resource per distinct resource, one scope per distinct scope within it

  /**
   * Adds one resource container: into the pending resource with the same identity, its scopes
   * into the pending scopes with the same identity.
   */
  private merge(resource: object, owner: T): void {
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
    // A new resource keeps the owner's scope list as it is, unless that list repeats a scope.
    for (const s of this.shape.scopes(resource)) this.mergeScope(slot, s, owner, isNew);
  }

  /**
   * `listed`: the scope is already in the slot's container's list (the owner's, not yet copied).
   * Items still held as request bytes (pdata/lazy) are never merged: merging would decode them,
   * which costs more than the repeated scope header it saves. Such a scope stays a scope of its own.
   */
  private mergeScope(slot: ResourceSlot<T>, scope: object, owner: T, listed: boolean): void {
    const shape = this.shape;
    const lazy = untouchedItems(scope) !== undefined;
    let s: ScopeSlot<T> | undefined;
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
      addRun(s, owner, shape.count(scope));
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
    // The owner's list still holds this scope: the resource's list must be the merger's own.
    if (listed) this.ownResource(slot);
    addRun(s, owner, shape.count(scope));
  }

  /** The resource container, made the merger's own copy first: its scope list rebuilt from the slots. */
  private ownResource(slot: ResourceSlot<T>): object {
    if (!slot.owned) {
      slot.container = this.shape.withScopes(slot.container, slot.order.map((x) => x.container));
      slot.owned = true;
    }
    return slot.container;
  }

  /**
   * Makes `rest` (what splitBatch left after the first `sent` items) the pending data again,
   * with the runs that were not taken assigned to its scopes in order. Its containers are
   * treated as not owned: a later merge copies them first, whoever made them.
   */
  private reindex(rest: Batch, runs: readonly Run<T>[], sent: number): void {
    const left: Run<T>[] = [];
    let skip = sent;
    for (const run of runs) {
      if (skip >= run.items) {
        skip -= run.items;
        continue;
      }
      left.push({ owner: run.owner, items: run.items - skip });
      skip = 0;
    }
    let next = 0;
    for (const resource of rest.resources) {
      const slot: ResourceSlot<T> = { container: resource, first: resource, owned: false, scopes: new Map(), order: [], lastScope: undefined };
      // splitBatch never repeats a resource, but keep the first if it ever did: merge() does.
      const rKey = resourceKey(resource);
      if (!this.resources.has(rKey)) this.resources.set(rKey, slot);
      this.order.push(slot);
      for (const scope of this.shape.scopes(resource)) {
        const s: ScopeSlot<T> = { container: scope, first: scope, owned: false, runs: [] };
        if (untouchedItems(scope) === undefined) slot.scopes.set(scopeKey(scope), s);
        slot.order.push(s);
        let count = this.shape.count(scope);
        while (count > 0 && next < left.length) {
          const run = left[next] as Run<T>;
          const take = Math.min(run.items, count);
          s.runs.push({ owner: run.owner, items: take });
          count -= take;
          if (take === run.items) next++;
          else left[next] = { owner: run.owner, items: run.items - take };
        }
      }
    }
  }
}

function addRun<T>(s: ScopeSlot<T>, owner: T, n: number): void {
  const last = s.runs[s.runs.length - 1];
  if (last && last.owner === owner) last.items += n;
  else if (n > 0) s.runs.push({ owner, items: n });
}

/** Merges `batches` (one signal) into batches of at most `maxItems` items (0: one batch). */
export function mergeBatches(signal: Signal, batches: readonly Batch[], maxItems: number, context?: Batch['context']): Batch[] {
  const merger = new Merger<undefined>(signal);
  for (const b of batches) merger.add(b, countItems(b), undefined);
  const out: Batch[] = [];
  while (merger.items > 0) out.push(merger.take(maxItems, context).batch);
  return out;
}
