// Jaeger Thrift (jaeger.thrift Batch, and agent.thrift's emitBatch message on UDP), read with
// the Apache `thrift` library's binary and compact protocol readers; the structs are walked here
// (as its generated code would), required fields checked, unknown fields skipped, and the
// result converted to Jaeger's domain model as jaeger's ToDomain does.
import Long from 'long';
import type { TProtocol } from 'thrift';
import { SpanDecodeError } from '../span_http.js';
import type { ThriftProtocol } from '../thrift_reader.js';
import { T, decoding, i64, i64Bytes, protocolFor, readList, readStruct, required } from '../thrift_reader.js';
import type { JaegerBatch, JaegerLog, JaegerProcess, JaegerRef, JaegerSpan, JaegerTag } from './model.js';
import { microsToNanos } from './model.js';

// The wire type of each Tag field, by field id (Tags are most of a batch: no per-field allocation here).
const TAG_FIELD_TYPES: readonly number[] = [-1, T.STRING, T.I32, T.STRING, T.DOUBLE, T.BOOL, T.I64, T.STRING];
const EMPTY_BYTES = new Uint8Array();

function readTag(p: TProtocol): JaegerTag {
  let key = '';
  let vType = -1;
  let vStr = '';
  let vDouble = 0;
  let vBool = false;
  let vLong = Long.ZERO;
  let vBinary: Uint8Array = EMPTY_BYTES;
  let hasKey = false;
  let hasType = false;
  readStruct(p, (id, type) => {
    if (TAG_FIELD_TYPES[id] !== type) return false;
    if (id === 1) {
      key = p.readString();
      hasKey = true;
    } else if (id === 2) {
      vType = p.readI32();
      hasType = true;
    } else if (id === 3) vStr = p.readString();
    else if (id === 4) vDouble = p.readDouble();
    else if (id === 5) vBool = p.readBool();
    else if (id === 6) vLong = i64(p);
    else vBinary = p.readBinary();
    return true;
  });
  if (!hasKey) throw new SpanDecodeError('Tag: required field key is not set');
  if (!hasType) throw new SpanDecodeError('Tag: required field vType is not set');
  // jaeger.thrift TagType: STRING, DOUBLE, BOOL, LONG, BINARY.
  switch (vType) {
    case 0:
      return { key, type: 'string', value: vStr };
    case 1:
      return { key, type: 'float64', value: vDouble };
    case 2:
      return { key, type: 'bool', value: vBool };
    case 3:
      return { key, type: 'int64', value: vLong };
    case 4:
      return { key, type: 'binary', value: vBinary };
    default:
      return { key, type: 'unknown', value: vType };
  }
}

function traceIdOf(high: Buffer, low: Buffer): Uint8Array {
  const id = new Uint8Array(16);
  id.set(high, 0);
  id.set(low, 8);
  return id;
}

function readRef(p: TProtocol): JaegerRef {
  let refType = 0;
  let low: Buffer = Buffer.alloc(8);
  let high: Buffer = Buffer.alloc(8);
  let spanId: Buffer = Buffer.alloc(8);
  const seen = new Set<number>();
  readStruct(p, (id, type) => {
    if (id === 1 && type === T.I32) refType = p.readI32();
    else if (id === 2 && type === T.I64) low = i64Bytes(p);
    else if (id === 3 && type === T.I64) high = i64Bytes(p);
    else if (id === 4 && type === T.I64) spanId = i64Bytes(p);
    else return false;
    seen.add(id);
    return true;
  });
  required(seen, [[1, 'refType'], [2, 'traceIdLow'], [3, 'traceIdHigh'], [4, 'spanId']], 'SpanRef');
  return { refType: refType === 1 ? 'FOLLOWS_FROM' : 'CHILD_OF', traceId: traceIdOf(high, low), spanId: new Uint8Array(spanId) };
}

function readLog(p: TProtocol): JaegerLog {
  let timestamp = Long.ZERO;
  let fields: JaegerTag[] = [];
  const seen = new Set<number>();
  readStruct(p, (id, type) => {
    if (id === 1 && type === T.I64) timestamp = i64(p);
    else if (id === 2 && type === T.LIST) fields = readList(p, T.STRUCT, () => readTag(p), 'Log.fields');
    else return false;
    seen.add(id);
    return true;
  });
  required(seen, [[1, 'timestamp'], [2, 'fields']], 'Log');
  return { timestamp: microsToNanos(timestamp), fields };
}

function readProcess(p: TProtocol): JaegerProcess {
  let serviceName = '';
  let tags: JaegerTag[] | undefined;
  const seen = new Set<number>();
  readStruct(p, (id, type) => {
    if (id === 1 && type === T.STRING) serviceName = p.readString();
    else if (id === 2 && type === T.LIST) tags = readList(p, T.STRUCT, () => readTag(p), 'Process.tags');
    else return false;
    seen.add(id);
    return true;
  });
  required(seen, [[1, 'serviceName']], 'Process');
  return { serviceName, tags };
}

function readSpan(p: TProtocol): JaegerSpan {
  let low: Buffer = Buffer.alloc(8);
  let high: Buffer = Buffer.alloc(8);
  let spanId: Buffer = Buffer.alloc(8);
  let parentSpanId: Buffer = Buffer.alloc(8);
  let operationName = '';
  let references: JaegerRef[] = [];
  let flags = 0;
  let startTime = Long.ZERO;
  let duration = Long.ZERO;
  let tags: JaegerTag[] = [];
  let logs: JaegerLog[] = [];
  const seen = new Set<number>();
  readStruct(p, (id, type) => {
    if (id === 1 && type === T.I64) low = i64Bytes(p);
    else if (id === 2 && type === T.I64) high = i64Bytes(p);
    else if (id === 3 && type === T.I64) spanId = i64Bytes(p);
    else if (id === 4 && type === T.I64) parentSpanId = i64Bytes(p);
    else if (id === 5 && type === T.STRING) operationName = p.readString();
    else if (id === 6 && type === T.LIST) references = readList(p, T.STRUCT, () => readRef(p), 'Span.references');
    else if (id === 7 && type === T.I32) flags = p.readI32();
    else if (id === 8 && type === T.I64) startTime = i64(p);
    else if (id === 9 && type === T.I64) duration = i64(p);
    else if (id === 10 && type === T.LIST) tags = readList(p, T.STRUCT, () => readTag(p), 'Span.tags');
    else if (id === 11 && type === T.LIST) logs = readList(p, T.STRUCT, () => readLog(p), 'Span.logs');
    else return false;
    seen.add(id);
    return true;
  });
  required(
    seen,
    [[1, 'traceIdLow'], [2, 'traceIdHigh'], [3, 'spanId'], [4, 'parentSpanId'], [5, 'operationName'], [7, 'flags'], [8, 'startTime'], [9, 'duration']],
    'Span',
  );
  const traceId = traceIdOf(high, low);
  // Thrift still carries parentSpanId; the domain model keeps it as a CHILD_OF reference (ToDomain).
  const parent = new Uint8Array(parentSpanId);
  if (parent.some((b) => b !== 0) && !references.some((r) => Buffer.from(r.spanId).equals(parentSpanId) && Buffer.from(r.traceId).equals(Buffer.from(traceId)))) {
    references = [{ refType: 'CHILD_OF', traceId, spanId: parent }, ...references];
  }
  return {
    traceId,
    spanId: new Uint8Array(spanId),
    operationName,
    references,
    flags: flags >>> 0,
    startTime: microsToNanos(startTime),
    duration: microsToNanos(duration),
    tags,
    logs,
    process: undefined,
  };
}

function readBatch(p: TProtocol): JaegerBatch {
  let process: JaegerProcess | undefined;
  let spans: JaegerSpan[] = [];
  const seen = new Set<number>();
  readStruct(p, (id, type) => {
    if (id === 1 && type === T.STRUCT) process = readProcess(p);
    else if (id === 2 && type === T.LIST) spans = readList(p, T.STRUCT, () => readSpan(p), 'Batch.spans');
    else return false;
    seen.add(id);
    return true;
  });
  required(seen, [[1, 'process'], [2, 'spans']], 'Batch');
  return { process, spans };
}

/** A jaeger.thrift Batch, as POSTed to /api/traces (binary protocol, no message envelope). */
export function decodeThriftBatch(body: Buffer, protocol: ThriftProtocol = 'binary'): JaegerBatch {
  return decoding('Jaeger Thrift batch', () => readBatch(protocolFor(protocol, body)));
}

/** An agent UDP packet: the message Agent.emitBatch(1: Batch batch). emitZipkinBatch is refused, as in the Collector. */
export function decodeAgentMessage(packet: Buffer, protocol: ThriftProtocol): JaegerBatch {
  return decoding(`Jaeger agent message (${protocol} Thrift)`, () => {
    const p = protocolFor(protocol, packet);
    const message = p.readMessageBegin();
    if (message.fname !== 'emitBatch') throw new SpanDecodeError(`unsupported agent method "${message.fname}"; only emitBatch is accepted`);
    let batch: JaegerBatch | undefined;
    readStruct(p, (id, type) => {
      if (id !== 1 || type !== T.STRUCT) return false;
      batch = readBatch(p);
      return true;
    });
    p.readMessageEnd();
    if (batch === undefined) throw new SpanDecodeError('emitBatch without its batch argument');
    return batch;
  });
}
