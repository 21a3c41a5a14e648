// Transport outcomes classified once for every exporter: HTTP status codes, gRPC status
// codes and network errors become PermanentError or RetryableError (with Retry-After).
import protobuf from 'protobufjs';
import { PermanentError, RetryableError, errorMessage, type ConsumerError } from '../../consumer.js';
import { decodeStatus, int64ToNumber } from '../../pdata/proto.js';

export type HttpHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** HTTP statuses the OTLP/HTTP spec says to retry. */
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);

/** Retryable per the OTLP/HTTP spec: 429, 502, 503, 504. */
export function isRetryableHttp(status: number): boolean {
  return RETRYABLE_HTTP.has(status);
}

/**
 * Milliseconds to wait from a Retry-After value: delay-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). Undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function header(headers: HttpHeaders, name: string): string | readonly string[] | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/**
 * A non-2xx HTTP response as a consumer error: retryable when `retryable(status)` (by
 * default the OTLP/HTTP spec's 429/502/503/504; a backend's own API may say more), honouring
 * Retry-After, every other status permanent. `bodyText` is the server's message (the decoded
 * google.rpc.Status message, or the body as text); `what` names the request in the message
 * (e.g. "request to http://host/v1/logs"), never its headers.
 */
export function httpStatusError(
  status: number,
  headers: HttpHeaders,
  bodyText: string,
  what?: string,
  retryable: (status: number) => boolean = isRetryableHttp,
): ConsumerError {
  const detail = bodyText.trim();
  const message = `${what ? `${what} responded with ` : ''}HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (!retryable(status)) return new PermanentError(message);
  return new RetryableError(message, {
    retryAfterMs: parseRetryAfter(header(headers, 'retry-after')),
    reason: status === 429 ? 'throttled' : 'unavailable',
  });
}

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const GRPC_CODE_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(GrpcCode).map(([name, code]) => [code, name]));

/** Retryable per the OTLP/gRPC spec; RESOURCE_EXHAUSTED only when the server sends RetryInfo. */
const RETRYABLE_GRPC = new Set<number>([
  GrpcCode.CANCELLED,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.ABORTED,
  GrpcCode.OUT_OF_RANGE,
  GrpcCode.UNAVAILABLE,
  GrpcCode.DATA_LOSS,
]);

/** What a failed gRPC call reports: grpc-js's ServiceError has this shape. */
export interface GrpcStatusLike {
  readonly code: number;
  readonly details?: string;
  readonly metadata?: { get(key: string): ReadonlyArray<string | Buffer> };
}

// google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; }, built by reflection
// here because it is the only Status detail an exporter reads.
const durationType = new protobuf.Type('Duration').add(new protobuf.Field('seconds', 1, 'int64')).add(new protobuf.Field('nanos', 2, 'int32'));
const retryInfoType = new protobuf.Type('RetryInfo').add(new protobuf.Field('retryDelay', 1, 'Duration'));
new protobuf.Root().define('ferry.exporterhelper').add(durationType).add(retryInfoType);
const RETRY_INFO_URL = 'type.googleapis.com/google.rpc.RetryInfo';

interface DecodedRetryInfo {
  retryDelay?: { seconds?: unknown; nanos?: number };
}

/** The RetryInfo delay carried in `grpc-status-details-bin`, in milliseconds. */
export function grpcRetryDelayMs(status: GrpcStatusLike): number | undefined {
  const raw = status.metadata?.get('grpc-status-details-bin')[0];
  if (raw === undefined || typeof raw === 'string') return undefined;
  try {
    for (const detail of decodeStatus(raw).details) {
      if (detail.typeUrl !== RETRY_INFO_URL) continue;
      const delay = (retryInfoType.decode(detail.value) as unknown as DecodedRetryInfo).retryDelay;
      if (!delay) return undefined;
      return Math.max(0, int64ToNumber(delay.seconds) * 1000 + Math.round((delay.nanos ?? 0) / 1e6));
    }
  } catch {
    // A malformed details header only costs us the hint, not the classification.
  }
  return undefined;
}

/**
 * A failed gRPC call as a consumer error: CANCELLED, DEADLINE_EXCEEDED, ABORTED,
 * OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS retryable; RESOURCE_EXHAUSTED retryable only
 * when the server says when (RetryInfo), as the OTLP spec requires; all else permanent.
 */
export function grpcStatusError(status: GrpcStatusLike): ConsumerError {
  const name = GRPC_CODE_NAME[status.code] ?? `code ${status.code}`;
  const message = `gRPC ${name}${status.details ? `: ${status.details}` : ''}`;
  const retryAfterMs = grpcRetryDelayMs(status);
  if (status.code === GrpcCode.RESOURCE_EXHAUSTED) {
    if (retryAfterMs === undefined) return new PermanentError(message);
    return new RetryableError(message, { retryAfterMs, reason: 'throttled' });
  }
  if (RETRYABLE_GRPC.has(status.code)) return new RetryableError(message, { retryAfterMs });
  return new PermanentError(message);
}

/**
 * An error thrown by a client library (no response at all: ECONNREFUSED, ECONNRESET,
 * DNS failures, TLS handshake failures, timeouts) as a consumer error. All of them are
 * retryable, as in the Collector, where only an explicit Permanent is final: the peer,
 * its DNS name or its certificate may be fixed while we wait.
 */
export function networkError(err: unknown): ConsumerError {
  if (err instanceof PermanentError || err instanceof RetryableError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
  const message = errorMessage(err);
  return new RetryableError(code && !message.includes(code) ? `${code}: ${message}` : message, { cause: err });
}
