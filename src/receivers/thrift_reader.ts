// Reading Thrift with the Apache `thrift` library's binary and compact protocol readers: the
// struct walking its generated code would do (fields by id and type, unknown ones skipped,
// required ones checked), shared by the Jaeger and Zipkin v1 decoders.
import { createRequire } from 'node:module';
import Long from 'long';
import type * as Thrift from 'thrift';
import type { TProtocol } from 'thrift';
import { SpanDecodeError } from './span_http.js';

export type ThriftProtocol = 'binary' | 'compact';

let lib: typeof Thrift | undefined;

/**
 * The thrift library, loaded on first use: it costs ~12 MiB of RSS and a quarter of a second
 * (its index loads every transport, WebSocket included), so only configurations with a Thrift
 * protocol pay for it (the jaeger receiver loads it at start; Zipkin v1 Thrift on first request).
 */
export function loadThrift(): typeof Thrift {
  lib ??= createRequire(import.meta.url)('thrift') as typeof Thrift;
  return lib;
}

// Thrift wire types (Thrift.Type).
export const T = { STOP: 0, BOOL: 2, DOUBLE: 4, I16: 6, I32: 8, I64: 10, STRING: 11, STRUCT: 12, LIST: 15 } as const;

/** A node-int64 value as the library returns it: we only need its 8 big-endian bytes. */
interface Int64Like {
  toBuffer(raw?: boolean): Buffer;
}

export function protocolFor(kind: ThriftProtocol, body: Buffer): TProtocol {
  const { TBinaryProtocol, TCompactProtocol, TFramedTransport } = loadThrift();
  const transport = new TFramedTransport(body);
  return kind === 'binary' ? new TBinaryProtocol(transport) : new TCompactProtocol(transport);
}

export function i64Bytes(p: TProtocol): Buffer {
  return (p.readI64() as unknown as Int64Like).toBuffer(true);
}

export function i64(p: TProtocol): Long {
  const b = i64Bytes(p);
  return Long.fromBits(b.readInt32BE(4), b.readInt32BE(0), false);
}

/** Read one struct, handing each field to `field` (true when it read it; otherwise the field is skipped). */
export function readStruct(p: TProtocol, field: (id: number, type: number) => boolean): void {
  p.readStructBegin();
  for (;;) {
    const f = p.readFieldBegin();
    if (f.ftype === T.STOP) break;
    if (!field(f.fid, f.ftype)) p.skip(f.ftype);
    p.readFieldEnd();
  }
  p.readStructEnd();
}

export function readList<E>(p: TProtocol, type: number, elem: () => E, what: string): E[] {
  const { etype, size } = p.readListBegin();
  if (etype !== type) throw new SpanDecodeError(`${what}: list of type ${etype}, expected ${type}`);
  const out: E[] = [];
  for (let i = 0; i < size; i++) out.push(elem());
  p.readListEnd();
  return out;
}

export function required(present: Set<number>, ids: readonly [number, string][], what: string): void {
  for (const [id, name] of ids) if (!present.has(id)) throw new SpanDecodeError(`${what}: required field ${name} is not set`);
}

function describe(err: unknown): string {
  if (err instanceof SpanDecodeError) return err.message;
  const e = err as { name?: string; message?: string };
  if (e?.name === 'InputBufferUnderrunError' || e?.message === '') return 'unexpected end of data';
  return e?.message ?? String(err);
}

export function decoding<R>(what: string, read: () => R): R {
  try {
    return read();
  } catch (err) {
    throw new SpanDecodeError(`invalid ${what}: ${describe(err)}`);
  }
}

