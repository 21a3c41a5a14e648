// Gathers converted lines into batches (up to 1000 lines or 100 ms) and delivers one batch
// at a time, retrying refusals with backoff; while it is full, reading is paused (backpressure).
import type { Consumer, ConsumerError } from '../../consumer.js';
import { RetryableError } from '../../consumer.js';
import type { Batch, LogsBatch } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import type { LogRecord, Resource } from '../../pdata/types.js';
import { Backoff, type RetrySettings } from '../../exporters/helper/retry.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ReceiverMetrics } from '../../telemetry/self.js';
import { consumeCounted } from '../helper.js';
import type { MetricPoint } from '../stdout_markers/convert.js';
import { logsBatch, metricsBatch } from '../stdout_markers/convert.js';

export interface PumpLimits {
  /** Lines per batch; also the most lines held while a batch is being delivered. */
  readonly maxBatchLines: number;
  /** Bytes of line text per batch, so a few huge lines also make a batch. */
  readonly maxBatchBytes: number;
  /** How long a line may wait for others before its batch goes. */
  readonly flushIntervalMs: number;
}

export const DEFAULT_LIMITS: PumpLimits = { maxBatchLines: 1000, maxBatchBytes: 4 * 1024 * 1024, flushIntervalMs: 100 };

export interface PumpOptions {
  readonly logs: Consumer | undefined;
  readonly metrics: Consumer | undefined;
  readonly resource: Resource;
  readonly receiverMetrics: ReceiverMetrics;
  readonly logger: Logger;
  readonly retry: RetrySettings;
  readonly limits?: PumpLimits;
  /** Stop reading: the pump holds a full batch and another is being delivered. */
  readonly pause: () => void;
  readonly resume: () => void;
  /** A batch is settled (delivered, or dropped for good): `mark` is its last line's mark. */
  readonly settled?: (mark: unknown) => Promise<void> | void;
  /** How records become a batch; default: all under `resource` (file_log groups them by their own resources). */
  readonly logsBatch?: (records: LogRecord[]) => LogsBatch;
}

interface Pending {
  records: LogRecord[];
  points: MetricPoint[];
  lines: number;
  bytes: number;
  mark: unknown;
  hasMark: boolean;
}

const empty = (): Pending => ({ records: [], points: [], lines: 0, bytes: 0, mark: undefined, hasMark: false });

export class Pump {
  private pending: Pending = empty();
  private readonly limits: PumpLimits;
  private delivering = false;
  private paused = false;
  private flushDue = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private idleWaiters: (() => void)[] = [];
  private warnedNoConsumer = { logs: false, metrics: false };

  constructor(private readonly options: PumpOptions) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  /** Lines held, not yet handed to the pipeline. */
  get heldLines(): number {
    return this.pending.lines;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** One line's records and points; `mark` (a file offset) is reported once they are settled. */
  add(records: readonly LogRecord[], points: readonly MetricPoint[], bytes: number, mark?: unknown): void {
    const p = this.pending;
    for (const r of records) p.records.push(r);
    for (const m of points) p.points.push(m);
    p.lines++;
    p.bytes += bytes;
    if (mark !== undefined) {
      p.mark = mark;
      p.hasMark = true;
    }
    if (this.full()) {
      if (this.delivering) this.setPaused(true);
      else this.kick(true);
    } else if (this.timer === undefined && !this.delivering) {
      this.timer = setTimeout(() => this.kick(true), this.limits.flushIntervalMs);
    }
  }

  /** Send what is held now, and resolve once nothing is held or being delivered. */
  drain(): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    this.kick(true);
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Abandon retries (shutdown ran out of time); what is held is logged as dropped. */
  abort(): void {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lost = this.pending.records.length + this.pending.points.length;
    if (lost > 0) this.options.logger.error('dropping data the pipeline did not accept before shutdown', { items: lost });
    this.pending = empty();
    this.notifyIdle();
  }

  private full(): boolean {
    return this.pending.lines >= this.limits.maxBatchLines || this.pending.bytes >= this.limits.maxBatchBytes;
  }

  private idle(): boolean {
    return !this.delivering && this.pending.lines === 0;
  }

  private setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (paused) this.options.pause();
    else this.options.resume();
  }

  private kick(due: boolean): void {
    if (due) this.flushDue = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.delivering) void this.loop();
  }

  private async loop(): Promise<void> {
    this.delivering = true;
    try {
      while (this.pending.lines > 0 && (this.flushDue || this.full()) && !this.stopping.signal.aborted) {
        const batch = this.pending;
        this.pending = empty();
        this.flushDue = false;
        this.setPaused(false);
        await this.deliver(batch);
        if (batch.hasMark) await this.settle(batch.mark);
      }
    } finally {
      this.delivering = false;
    }
    if (this.pending.lines > 0 && !this.stopping.signal.aborted) {
      if (this.full()) return this.loop();
      this.timer ??= setTimeout(() => this.kick(true), this.limits.flushIntervalMs);
      // Only a flush that was asked for (drain) may still be waiting: keep going.
      if (this.idleWaiters.length > 0) this.kick(true);
      return;
    }
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (!this.idle() && !this.stopping.signal.aborted) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async settle(mark: unknown): Promise<void> {
    try {
      await this.options.settled?.(mark);
    } catch (err) {
      this.options.logger.warn('could not checkpoint the read offset', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async deliver(p: Pending): Promise<void> {
    const { logs, metrics, resource } = this.options;
    const work: Promise<void>[] = [];
    if (p.records.length > 0) {
      if (logs) work.push(this.send(logs, this.options.logsBatch ? this.options.logsBatch(p.records) : logsBatch(resource, p.records)));
      else this.warnOnce('logs', p.records.length);
    }
    if (p.points.length > 0) {
      if (metrics) work.push(this.send(metrics, metricsBatch(resource, p.points)));
      else this.warnOnce('metrics', p.points.length);
    }
    await Promise.all(work);
  }

  private warnOnce(signal: 'logs' | 'metrics', items: number): void {
    if (this.warnedNoConsumer[signal]) return;
    this.warnedNoConsumer[signal] = true;
    this.options.logger.warn(`${signal} read by this receiver are dropped: no ${signal} pipeline uses it`, { items });
  }

  /** Deliver one batch, retrying refusals with backoff until accepted, dropped for good, or aborted. */
  private async send(consumer: Consumer, batch: Batch): Promise<void> {
    const { retry, logger, receiverMetrics } = this.options;
    const backoff = new Backoff(retry);
    const started = Date.now();
    for (;;) {
      const err: ConsumerError | undefined = await consumeCounted(consumer, batch, receiverMetrics, logger);
      if (err === undefined) return;
      const items = countItems(batch);
      if (!err.retryable) {
        logger.error('the pipeline refused data permanently; dropped', { signal: batch.signal, items, error: err.message });
        return;
      }
      const elapsed = Date.now() - started;
      if (!retry.enabled || (retry.maxElapsedTimeMs > 0 && elapsed >= retry.maxElapsedTimeMs)) {
        logger.error('the pipeline kept refusing data; dropped', { signal: batch.signal, items, error: err.message, elapsedMs: elapsed });
        return;
      }
      const after = err instanceof RetryableError && err.retryAfterMs !== undefined ? err.retryAfterMs : 0;
      const wait = Math.max(backoff.next(), after);
      logger.debug('the pipeline refused data; retrying', { signal: batch.signal, items, error: err.message, waitMs: wait });
      if (!(await this.sleep(wait))) {
        logger.error('shutting down: dropped data the pipeline refused', { signal: batch.signal, items, error: err.message });
        return;
      }
    }
  }

  private sleep(ms: number): Promise<boolean> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
