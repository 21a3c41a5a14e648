// Fan-out: one batch to several consumers. Consumers that mutate get their own
// copy; the rest share the original, so only the mutators pay for copying.
import type { Consumer } from '../consumer.js';
import { combineErrors } from '../consumer.js';
import type { Batch } from '../pdata/batch.js';
import { cloneBatch } from '../pdata/clone.js';

/**
 * The batch is accepted only when every consumer accepted it; otherwise the
 * combined error (retryable if any failure is) goes back to the sender.
 */
export function fanout(consumers: readonly Consumer[]): Consumer {
  if (consumers.length === 0) throw new Error('fanout needs at least one consumer');
  if (consumers.length === 1) return consumers[0] as Consumer;
  const readers = consumers.filter((c) => !c.mutatesData);
  const mutators = consumers.filter((c) => c.mutatesData);
  // With no reader to share it with, the last mutator may take the original itself.
  const ownerOfOriginal = readers.length === 0 ? mutators[mutators.length - 1] : undefined;
  return {
    mutatesData: ownerOfOriginal !== undefined,
    async consume(batch: Batch): Promise<void> {
      const calls: Promise<void>[] = [];
      for (const c of mutators) calls.push(c === ownerOfOriginal ? c.consume(batch) : c.consume(cloneBatch(batch)));
      for (const c of readers) calls.push(c.consume(batch));
      const results = await Promise.allSettled(calls);
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      const err = combineErrors(failures);
      if (err) throw err;
    },
  };
}
