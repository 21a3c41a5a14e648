// The two Jaeger wire forms no npm client sends, built from jaeger-client's recorded spans:
// Agent.emitBatch in compact Thrift (written with the Apache thrift library's TCompactProtocol,
// field ids from agent.thrift / jaeger.thrift) and a gRPC PostSpans call (a grpc-js client with
// the api_v2 proto, as Jaeger's Go client builds it: the parent becomes a CHILD_OF reference).
import { createRequire } from 'node:module';
import { Client, credentials } from '@grpc/grpc-js';
import thrift from 'thrift';
import type { TProtocol } from 'thrift';
import { jaegerProtoRoot } from '../../../src/receivers/jaeger/proto.js';
import type { ThriftProcess, ThriftSpan, ThriftTag } from './client.js';

const require = createRequire(import.meta.url);
// node-int64, the 64-bit type the thrift library writes (the same module instance it checks against).
const Int64 = require('node-int64') as new (b: Buffer) => unknown;

const { TBinaryProtocol, TBufferedTransport, TCompactProtocol } = thrift;
const T = { STOP: 0, BOOL: 2, DOUBLE: 4, I32: 8, I64: 10, STRING: 11, STRUCT: 12, LIST: 15 } as const;
const TAG_TYPE = { STRING: 0, DOUBLE: 1, BOOL: 2, LONG: 3, BINARY: 4 } as const;
const ONEWAY = 4;

function writeTag(p: TProtocol, t: ThriftTag): void {
  p.writeStructBegin('Tag');
  p.writeFieldBegin('key', T.STRING, 1);
  p.writeString(t.key);
  p.writeFieldEnd();
  p.writeFieldBegin('vType', T.I32, 2);
  p.writeI32(TAG_TYPE[t.vType]);
  p.writeFieldEnd();
  if (t.vType === 'STRING') {
    p.writeFieldBegin('vStr', T.STRING, 3);
    p.writeString(t.vStr);
  } else if (t.vType === 'DOUBLE') {
    p.writeFieldBegin('vDouble', T.DOUBLE, 4);
    p.writeDouble(t.vDouble);
  } else if (t.vType === 'BOOL') {
    p.writeFieldBegin('vBool', T.BOOL, 5);
    p.writeBool(t.vBool);
  } else if (t.vType === 'LONG') {
    p.writeFieldBegin('vLong', T.I64, 6);
    p.writeI64(new Int64(t.vLong) as never);
  } else {
    p.writeFieldBegin('vBinary', T.STRING, 7);
    p.writeBinary(t.vBinary);
  }
  p.writeFieldEnd();
  p.writeFieldStop();
  p.writeStructEnd();
}

function writeList<E>(p: TProtocol, name: string, id: number, items: readonly E[], write: (e: E) => void): void {
  p.writeFieldBegin(name, T.LIST, id);
  p.writeListBegin(T.STRUCT, items.length);
  for (const e of items) write(e);
  p.writeListEnd();
  p.writeFieldEnd();
}

function writeI64Field(p: TProtocol, name: string, id: number, value: Buffer): void {
  p.writeFieldBegin(name, T.I64, id);
  p.writeI64(new Int64(value) as never);
  p.writeFieldEnd();
}

function writeSpan(p: TProtocol, s: ThriftSpan): void {
  p.writeStructBegin('Span');
  writeI64Field(p, 'traceIdLow', 1, s.traceIdLow);
  writeI64Field(p, 'traceIdHigh', 2, s.traceIdHigh);
  writeI64Field(p, 'spanId', 3, s.spanId);
  writeI64Field(p, 'parentSpanId', 4, s.parentSpanId);
  p.writeFieldBegin('operationName', T.STRING, 5);
  p.writeString(s.operationName);
  p.writeFieldEnd();
  writeList(p, 'references', 6, s.references, (r) => {
    p.writeStructBegin('SpanRef');
    p.writeFieldBegin('refType', T.I32, 1);
    p.writeI32(r.refType === 'FOLLOWS_FROM' ? 1 : 0);
    p.writeFieldEnd();
    writeI64Field(p, 'traceIdLow', 2, r.traceIdLow);
    writeI64Field(p, 'traceIdHigh', 3, r.traceIdHigh);
    writeI64Field(p, 'spanId', 4, r.spanId);
    p.writeFieldStop();
    p.writeStructEnd();
  });
  p.writeFieldBegin('flags', T.I32, 7);
  p.writeI32(s.flags);
  p.writeFieldEnd();
  writeI64Field(p, 'startTime', 8, s.startTime);
  writeI64Field(p, 'duration', 9, s.duration);
  writeList(p, 'tags', 10, s.tags, (t) => writeTag(p, t));
  writeList(p, 'logs', 11, s.logs, (l) => {
    p.writeStructBegin('Log');
    writeI64Field(p, 'timestamp', 1, l.timestamp);
    writeList(p, 'fields', 2, l.fields, (t) => writeTag(p, t));
    p.writeFieldStop();
    p.writeStructEnd();
  });
  p.writeFieldStop();
  p.writeStructEnd();
}

function writeBatch(p: TProtocol, process: ThriftProcess, spans: ThriftSpan[]): void {
  p.writeStructBegin('Batch');
  p.writeFieldBegin('process', T.STRUCT, 1);
  p.writeStructBegin('Process');
  p.writeFieldBegin('serviceName', T.STRING, 1);
  p.writeString(process.serviceName);
  p.writeFieldEnd();
  writeList(p, 'tags', 2, process.tags, (t) => writeTag(p, t));
  p.writeFieldStop();
  p.writeStructEnd();
  p.writeFieldEnd();
  writeList(p, 'spans', 2, spans, (s) => writeSpan(p, s));
  p.writeFieldStop();
  p.writeStructEnd();
}

function encoded(protocol: 'binary' | 'compact', write: (p: TProtocol) => void): Buffer {
  let out: Buffer | undefined;
  const transport = new TBufferedTransport(undefined, (msg?: Buffer) => {
    out = msg;
  });
  write(protocol === 'binary' ? new TBinaryProtocol(transport) : new TCompactProtocol(transport));
  transport.flush();
  if (out === undefined) throw new Error('thrift transport wrote nothing');
  return out;
}

/** A jaeger.thrift Batch alone, as POSTed to /api/traces. */
export function encodeBatch(protocol: 'binary' | 'compact', process: ThriftProcess, spans: ThriftSpan[]): Buffer {
  return encoded(protocol, (p) => writeBatch(p, process, spans));
}

/** One UDP datagram: the oneway message Agent.emitBatch(1: Batch). */
export function encodeEmitBatch(protocol: 'binary' | 'compact', process: ThriftProcess, spans: ThriftSpan[]): Buffer {
  return encoded(protocol, (p) => {
    p.writeMessageBegin('emitBatch', ONEWAY, 1);
    p.writeStructBegin('Agent_emitBatch_args');
    p.writeFieldBegin('batch', T.STRUCT, 1);
    writeBatch(p, process, spans);
    p.writeFieldEnd();
    p.writeFieldStop();
    p.writeStructEnd();
    p.writeMessageEnd();
  });
}

const PROTO_VALUE_TYPE = { STRING: 0, BOOL: 1, INT64: 2, FLOAT64: 3, BINARY: 4 } as const;

function protoTag(t: ThriftTag): Record<string, unknown> {
  switch (t.vType) {
    case 'STRING':
      return { key: t.key, vType: PROTO_VALUE_TYPE.STRING, vStr: t.vStr };
    case 'BOOL':
      return { key: t.key, vType: PROTO_VALUE_TYPE.BOOL, vBool: t.vBool };
    case 'DOUBLE':
      return { key: t.key, vType: PROTO_VALUE_TYPE.FLOAT64, vFloat64: t.vDouble };
    case 'LONG':
      return { key: t.key, vType: PROTO_VALUE_TYPE.INT64, vInt64: t.vLong.readBigInt64BE(0).toString() };
    case 'BINARY':
      return { key: t.key, vType: PROTO_VALUE_TYPE.BINARY, vBinary: t.vBinary };
  }
}

function timestamp(us: Buffer): { seconds: string; nanos: number } {
  const v = us.readBigInt64BE(0);
  return { seconds: (v / 1_000_000n).toString(), nanos: Number(v % 1_000_000n) * 1000 };
}

/** PostSpansRequest bytes for the recorded spans. */
export function postSpansRequest(process: ThriftProcess, spans: ThriftSpan[]): Buffer {
  const type = jaegerProtoRoot().lookupType('jaeger.api_v2.PostSpansRequest');
  const message = type.fromObject({
    batch: {
      process: { serviceName: process.serviceName, tags: process.tags.map(protoTag) },
      spans: spans.map((s) => {
        const traceId = Buffer.concat([s.traceIdHigh, s.traceIdLow]);
        const refs = s.references.map((r) => ({ traceId: Buffer.concat([r.traceIdHigh, r.traceIdLow]), spanId: r.spanId, refType: r.refType === 'FOLLOWS_FROM' ? 1 : 0 }));
        const hasParent = s.parentSpanId.readBigInt64BE(0) !== 0n;
        if (hasParent && !refs.some((r) => r.spanId.equals(s.parentSpanId))) refs.unshift({ traceId, spanId: s.parentSpanId, refType: 0 });
        return {
          traceId,
          spanId: s.spanId,
          operationName: s.operationName,
          references: refs,
          flags: s.flags,
          startTime: timestamp(s.startTime),
          duration: timestamp(s.duration),
          tags: s.tags.map(protoTag),
          logs: s.logs.map((l) => ({ timestamp: timestamp(l.timestamp), fields: l.fields.map(protoTag) })),
        };
      }),
    },
  });
  return Buffer.from(type.encode(message).finish());
}

/** One unary PostSpans call with raw request bytes; resolves with the gRPC status. */
export function postSpansGrpc(address: string, request: Buffer): Promise<{ code: number; details: string }> {
  const client = new Client(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/jaeger.api_v2.CollectorService/PostSpans',
      (b: Buffer) => b,
      (b: Buffer) => b,
      request,
      (err) => {
        client.close();
        resolve(err ? { code: err.code, details: err.details } : { code: 0, details: 'OK' });
      },
    );
  });
}
