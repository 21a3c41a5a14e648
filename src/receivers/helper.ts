// Mechanics every receiver shares: count a consume() call in self-metrics, map its
// error to an HTTP status or a gRPC status (+ RetryInfo), and wait for in-flight requests.
import { isIP, isIPv4 } from 'node:net';
import protobuf from 'protobufjs';
import type { Consumer, ConsumerError } from '../consumer.js';
import { RetryableError, toConsumerError } from '../consumer.js';
import type { Batch } from '../pdata/batch.js';
import { countItems } from '../pdata/batch.js';
import type { Logger } from '../telemetry/logger.js';
import type { ReceiverMetrics } from '../telemetry/self.js';

/** The gRPC status codes receivers answer with (numbers are the gRPC wire values). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;
export type GrpcCodeValue = (typeof GrpcCode)[keyof typeof GrpcCode];

/** How an HTTP receiver answers a refused batch. */
export interface HttpRefusal {
  readonly status: number;
  readonly message: string;
  /** `Retry-After` (seconds) when the consumer said how long to wait. */
  readonly headers: Readonly<Record<string, string>>;
}

/** How a gRPC receiver answers a refused batch. */
export interface GrpcRefusal {
  readonly code: GrpcCodeValue;
  readonly message: string;
  /** When set, send a google.rpc.RetryInfo with this delay in `grpc-status-details-bin`. */
  readonly retryDelayMs?: number;
}

/** Whole seconds for `Retry-After`, rounded up so the sender never comes back early. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(0, Math.ceil(ms / 1000)));
}

/**
 * OTLP/HTTP: permanent → 400; throttled → 429; any other retryable → 503. Retry-After
 * only when known; like the Collector, none otherwise (the sender backs off exponentially).
 */
export function httpRefusal(err: ConsumerError): HttpRefusal {
  if (!(err instanceof RetryableError)) return { status: err.retryable ? 503 : 400, message: err.message, headers: {} };
  const { retryAfterMs } = err;
  const throttled = err.reason === 'throttled';
  const headers: Record<string, string> = retryAfterMs === undefined ? {} : { 'retry-after': retryAfterSeconds(retryAfterMs) };
  return { status: throttled ? 429 : 503, message: err.message, headers };
}

/**
 * OTLP/gRPC: permanent → INVALID_ARGUMENT; retryable → UNAVAILABLE. A throttled refusal
 * with a known delay is RESOURCE_EXHAUSTED + RetryInfo: the spec makes RESOURCE_EXHAUSTED
 * retryable only when RetryInfo is present, so without a delay it stays UNAVAILABLE.
 */
export function grpcRefusal(err: ConsumerError): GrpcRefusal {
  if (!(err instanceof RetryableError)) {
    return { code: err.retryable ? GrpcCode.UNAVAILABLE : GrpcCode.INVALID_ARGUMENT, message: err.message };
  }
  const { retryAfterMs } = err;
  if (retryAfterMs === undefined) return { code: GrpcCode.UNAVAILABLE, message: err.message };
  const throttled = err.reason === 'throttled';
  return { code: throttled ? GrpcCode.RESOURCE_EXHAUSTED : GrpcCode.UNAVAILABLE, message: err.message, retryDelayMs: retryAfterMs };
}

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** google.rpc.RetryInfo { retry_delay: google.protobuf.Duration { seconds, nanos } } as protobuf. */
export function encodeRetryInfo(delayMs: number): Uint8Array {
  const ms = Math.max(0, delayMs);
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  const w = protobuf.Writer.create();
  w.uint32(0x0a).fork(); // retry_delay = 1, length-delimited
  if (seconds > 0) w.uint32(0x08).int64(seconds); // seconds = 1
  if (nanos > 0) w.uint32(0x10).int32(nanos); // nanos = 2
  return w.ldelim().finish();
}

/**
 * The `grpc-status-details-bin` trailer: google.rpc.Status { code, message, details:
 * [Any(RetryInfo)] }. Written here field by field because it is three small messages
 * and must stay byte-exact for clients that unpack RetryInfo (the OTLP throttling signal).
 */
export function encodeGrpcStatusDetails(code: number, message: string, retryDelayMs: number): Buffer {
  const w = protobuf.Writer.create();
  if (code !== 0) w.uint32(0x08).int32(code); // code = 1
  if (message !== '') w.uint32(0x12).string(message); // message = 2
  w.uint32(0x1a).fork(); // details = 3: google.protobuf.Any
  w.uint32(0x0a).string(RETRY_INFO_TYPE_URL); // type_url = 1
  w.uint32(0x12).bytes(encodeRetryInfo(retryDelayMs)); // value = 2
  w.ldelim();
  return Buffer.from(w.finish());
}

/**
 * Hand the batch to the next consumer and count the outcome: accepted or refused items.
 * Resolves with the classified error instead of rejecting, so callers switch on it.
 */
export async function consumeCounted(
  consumer: Consumer,
  batch: Batch,
  metrics: ReceiverMetrics,
  logger: Logger,
): Promise<ConsumerError | undefined> {
  const items = countItems(batch);
  try {
    await consumer.consume(batch);
    metrics.accepted(batch.signal, items);
    return undefined;
  } catch (err) {
    const classified = toConsumerError(err);
    metrics.refused(batch.signal, items);
    logger.debug('refused data', { signal: batch.signal, items, retryable: classified.retryable, reason: classified.message });
    return classified;
  }
}

/**
 * Requests being handled, so shutdown can wait for them: a receiver answers only
 * after consume() settled, and dropping those answers would lose acknowledgements.
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  /** Track a piece of work until it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await work();
    } finally {
      this.count--;
      if (this.count === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves true when nothing is in flight, false if `timeoutMs` passed first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(done);
    });
  }
}

/** The peer's IP without port or the IPv4-mapped prefix ("127.0.0.1"), from "ip", "ip:port" or "[v6]:port". */
export function clientAddress(address: string | undefined): string | undefined {
  if (address === undefined || address === '' || address === 'unknown') return undefined;
  const unmap = (ip: string): string => (ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip);
  if (isIP(address) !== 0) return unmap(address);
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return unmap(bracketed[1] as string);
  // grpc-js reports "host:port" without brackets, even for IPv6 ("::1:50312").
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  if (colon > 0 && /^\d+$/.test(address.slice(colon + 1)) && isIP(host) !== 0) return unmap(host);
  return address;
}
