// The bytes of requests a receiver holds at once (raw body, decompressed body), bounded: past
// the budget a request is refused with a retryable status instead of read, so a burst of large
// uploads cannot drive Ferry to an OOM kill (issue 14: 100 concurrent 19 MB uploads, 1.7 GB RSS).
import type { Gauge, Counter } from 'prom-client';
import type { SelfTelemetry } from '../../telemetry/self.js';

/** How long a refused sender is told to wait (Retry-After / RetryInfo). */
export const BUDGET_RETRY_AFTER_MS = 1000;

export class RequestBudget {
  private used = 0;
  private readonly inFlight: Gauge<string>;
  private readonly refusals: Counter<string>;
  private readonly labels: Record<string, string>;

  constructor(
    readonly limitBytes: number,
    telemetry: SelfTelemetry,
    receiver: string,
    transport: string,
  ) {
    this.labels = { receiver, transport };
    const names = ['receiver', 'transport'];
    this.inFlight = telemetry.gauge('ferry_receiver_request_bytes_in_flight', 'Bytes of requests (raw and decompressed) a receiver holds now.', names);
    telemetry.gauge('ferry_receiver_max_request_bytes_in_flight', 'The budget of request bytes in flight (max_request_bytes_in_flight).', names).set(this.labels, limitBytes);
    this.refusals = telemetry.counter('ferry_receiver_memory_refused_requests_total', 'Requests refused (retryable) because the request bytes in flight were at their budget.', names);
    this.inFlight.set(this.labels, 0);
    this.refusals.inc(this.labels, 0);
  }

  /**
   * Take `bytes` from the budget; false, and nothing taken, when they do not fit. A request
   * larger than the whole budget still gets through when nothing else is in flight, so a
   * budget below max_request_body_size never refuses a request for good.
   */
  tryTake(bytes: number): boolean {
    if (this.used > 0 && this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    this.inFlight.set(this.labels, this.used);
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    this.inFlight.set(this.labels, this.used);
  }

  refused(): void {
    this.refusals.inc(this.labels);
  }
}
