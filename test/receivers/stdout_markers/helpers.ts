// Shared by the stdout_markers tests: a consumer that can hold or refuse batches, readers
// of the records that reached it, and a receiver built around a real command.
import type { Consumer } from '../../../src/consumer.js';
import type { Batch } from '../../../src/pdata/batch.js';
import { countItems } from '../../../src/pdata/batch.js';
import type { LogRecord, Metric } from '../../../src/pdata/types.js';
import { plain } from '../../helpers/values.js';

/** Records batches; `hold()` makes consume() wait until `release()`; `refuse` rejects the next calls. */
export class GateConsumer implements Consumer {
  readonly mutatesData = false;
  readonly batches: Batch[] = [];
  calls = 0;
  refuse: ((call: number) => Error | undefined) | undefined;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate ??= new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async consume(batch: Batch): Promise<void> {
    this.calls++;
    const call = this.calls;
    if (this.gate) await this.gate;
    const err = this.refuse?.(call);
    if (err) throw err;
    this.batches.push(batch);
  }

  items(): number {
    return this.batches.reduce((n, b) => n + countItems(b), 0);
  }

  records(): LogRecord[] {
    return this.batches.flatMap((b) => (b.signal === 'logs' ? b.resources.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords)) : []));
  }

  metrics(): Metric[] {
    return this.batches.flatMap((b) => (b.signal === 'metrics' ? b.resources.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)) : []));
  }
}



export const bodies = (records: readonly LogRecord[]): unknown[] => records.map((r) => plain(r.body));

export { attrs, plain } from '../../helpers/values.js';
