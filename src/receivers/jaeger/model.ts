// Jaeger's domain model (jaeger's model.Batch), which the Thrift and Protobuf decoders both
// produce: the Collector translates Thrift to it first (ToDomain) and then translates it to OTLP.
import Long from 'long';

export type TagValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'int64'; readonly value: Long }
  | { readonly type: 'float64'; readonly value: number }
  | { readonly type: 'binary'; readonly value: Uint8Array }
  /** A type number neither Jaeger format defines: kept as text, as the Collector does. */
  | { readonly type: 'unknown'; readonly value: number };

export type JaegerTag = { readonly key: string } & TagValue;

export interface JaegerProcess {
  serviceName: string;
  /** Absent (nil) and empty differ in the Collector: no service name and no tags leave the resource empty. */
  tags: JaegerTag[] | undefined;
}

export interface JaegerRef {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  /** 16 bytes. */
  traceId: Uint8Array;
  /** 8 bytes. */
  spanId: Uint8Array;
}

export interface JaegerLog {
  /** Epoch nanoseconds. */
  timestamp: Long;
  fields: JaegerTag[];
}

export interface JaegerSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  operationName: string;
  references: JaegerRef[];
  flags: number;
  /** Epoch nanoseconds. */
  startTime: Long;
  /** Nanoseconds. */
  duration: Long;
  tags: JaegerTag[];
  logs: JaegerLog[];
  process: JaegerProcess | undefined;
}

export interface JaegerBatch {
  process: JaegerProcess | undefined;
  spans: JaegerSpan[];
}

/** Microseconds (Thrift's unit) → nanoseconds. */
export function microsToNanos(us: Long): Long {
  return us.multiply(1000);
}

export const ZERO = Long.UZERO;
