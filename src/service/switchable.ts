// The consumer a receiver holds: it forwards to the current pipelines, and a reload
// re-points it, so a receiver whose config did not change keeps its port open throughout.
import type { Consumer } from '../consumer.js';
import type { Batch } from '../pdata/batch.js';
import { InFlight } from '../receivers/helper.js';

/**
 * Forwards consume() to a target that can be swapped. During a reload it is held: calls
 * that arrive wait (they are not refused) until switchTo() names the new pipelines,
 * while calls that entered before the hold settle through the old ones.
 */
export class SwitchableConsumer implements Consumer {
  private target: Consumer;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private readonly inFlight = new InFlight();

  constructor(target: Consumer) {
    this.target = target;
  }

  get mutatesData(): boolean {
    return this.target.mutatesData;
  }

  /** Calls forwarded and not yet settled. */
  get pending(): number {
    return this.inFlight.size;
  }

  async consume(batch: Batch): Promise<void> {
    // A loop, not an if: a second reload may hold again before this call got through.
    while (this.gate !== undefined) await this.gate;
    const target = this.target;
    return this.inFlight.run(() => target.consume(batch));
  }

  /** From now on, new calls wait for switchTo(). */
  hold(): void {
    if (this.gate !== undefined) return;
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  /** Forward to `target` from now on and let the held calls through to it. */
  switchTo(target: Consumer): void {
    this.target = target;
    const open = this.open;
    this.gate = undefined;
    this.open = undefined;
    open?.();
  }

  /** Resolves true once every forwarded call has settled, false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    return this.inFlight.idle(timeoutMs);
  }
}
