// W3C Trace Context `traceparent` (00-<trace-id>-<parent-id>-<flags>), read from a
// script's environment so its log records join the trace of the pipeline run that started it.

export interface TraceContext {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  /** The trace-flags byte (bit 0: sampled); LogRecord.flags carries it in its low byte. */
  readonly flags: number;
}

const HEADER = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parse a traceparent value, or say why it is not one. As the W3C spec asks: lower-case
 * hex only, version ff and all-zero ids are invalid, version 00 has exactly four fields,
 * and a later version may append fields after a "-", which are ignored.
 */
export function parseTraceparent(value: string): TraceContext | { readonly error: string } {
  const m = HEADER.exec(value.trim());
  if (m === null) return { error: 'expected 00-<32 lower-case hex trace id>-<16 hex span id>-<2 hex flags>' };
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff') return { error: 'version ff is invalid' };
  if (version === '00' && rest !== undefined) return { error: 'version 00 has exactly four fields' };
  if (/^0+$/.test(traceId)) return { error: 'the trace id is all zeros' };
  if (/^0+$/.test(spanId)) return { error: 'the span id is all zeros' };
  return { traceId: Buffer.from(traceId, 'hex'), spanId: Buffer.from(spanId, 'hex'), flags: parseInt(flags, 16) };
}
