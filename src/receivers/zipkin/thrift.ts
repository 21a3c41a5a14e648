// Zipkin v1 Thrift (POST /api/v1/spans, application/x-thrift): a binary-protocol list<Span> of
// zipkinCore.thrift, read with the thrift library into v1's JSON shape, then converted to v2.
import type { TProtocol } from 'thrift';
import { SpanDecodeError } from '../span_http.js';
import { T, decoding, i64, i64Bytes, protocolFor, readList, readStruct } from '../thrift_reader.js';
import { v1ToV2 } from './json.js';
import type { ZipkinSpan } from './model.js';
import { ipFromBytes } from './model.js';

type Json = Record<string, unknown>;

function readEndpoint(p: TProtocol): Json {
  const e: Json = {};
  readStruct(p, (id, type) => {
    if (id === 1 && type === T.I32) {
      const ip = p.readI32() >>> 0;
      if (ip !== 0) e.ipv4 = [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
    } else if (id === 2 && type === T.I16) {
      const port = p.readI16() & 0xffff;
      if (port !== 0) e.port = port;
    } else if (id === 3 && type === T.STRING) e.serviceName = p.readString();
    else if (id === 4 && type === T.STRING) {
      const ipv6 = ipFromBytes(p.readBinary(), 'endpoint ipv6');
      if (ipv6 !== undefined) e.ipv6 = ipv6;
    } else return false;
    return true;
  });
  return e;
}

function readAnnotation(p: TProtocol): Json {
  const a: Json = {};
  readStruct(p, (id, type) => {
    if (id === 1 && type === T.I64) a.timestamp = i64(p).toNumber();
    else if (id === 2 && type === T.STRING) a.value = p.readString();
    else if (id === 3 && type === T.STRUCT) a.endpoint = readEndpoint(p);
    else return false;
    return true;
  });
  return a;
}

// zipkinCore.thrift AnnotationType: BOOL, BYTES, I16, I32, I64, DOUBLE, STRING.
function binaryValue(raw: Buffer, type: number, key: string): unknown {
  const need = [1, 0, 2, 4, 8, 8, 0][type];
  if (need === undefined) throw new SpanDecodeError(`binary annotation "${key}": unknown annotation type ${type}`);
  if (raw.length < need) throw new SpanDecodeError(`binary annotation "${key}": ${raw.length} bytes are too few for its type`);
  switch (type) {
    case 0:
      return raw[0] === 1;
    case 1:
      return raw.toString('base64');
    case 2:
      return raw.readInt16BE(0);
    case 3:
      return raw.readInt32BE(0);
    case 4:
      return raw.readBigInt64BE(0).toString();
    case 5:
      return raw.readDoubleBE(0);
    default:
      return raw.toString('utf8');
  }
}

function readBinaryAnnotation(p: TProtocol): Json {
  let key = '';
  let value = Buffer.alloc(0) as Buffer;
  let type = 6;
  let endpoint: Json | undefined;
  readStruct(p, (id, t) => {
    if (id === 1 && t === T.STRING) key = p.readString();
    else if (id === 2 && t === T.STRING) value = p.readBinary();
    else if (id === 3 && t === T.I32) type = p.readI32();
    else if (id === 4 && t === T.STRUCT) endpoint = readEndpoint(p);
    else return false;
    return true;
  });
  return { key, value: binaryValue(value, type, key), ...(endpoint ? { endpoint } : {}) };
}

const hex = (b: Buffer): string => b.toString('hex');

function readSpan(p: TProtocol): Json {
  const s: Json = {};
  let low: Buffer | undefined;
  let high: Buffer | undefined;
  readStruct(p, (id, type) => {
    if (id === 1 && type === T.I64) low = i64Bytes(p);
    else if (id === 3 && type === T.STRING) s.name = p.readString();
    else if (id === 4 && type === T.I64) s.id = hex(i64Bytes(p));
    else if (id === 5 && type === T.I64) s.parentId = hex(i64Bytes(p));
    else if (id === 6 && type === T.LIST) s.annotations = readList(p, T.STRUCT, () => readAnnotation(p), 'Span.annotations');
    else if (id === 8 && type === T.LIST) s.binaryAnnotations = readList(p, T.STRUCT, () => readBinaryAnnotation(p), 'Span.binary_annotations');
    else if (id === 10 && type === T.I64) s.timestamp = i64(p).toNumber();
    else if (id === 11 && type === T.I64) s.duration = i64(p).toNumber();
    else if (id === 12 && type === T.I64) high = i64Bytes(p);
    else return false;
    return true;
  });
  if (low !== undefined) s.traceId = high === undefined ? hex(low) : hex(high) + hex(low);
  return s;
}

/** The body of POST /api/v1/spans with Content-Type application/x-thrift. */
export function decodeThriftV1(body: Buffer): ZipkinSpan[] {
  const spans = decoding('Zipkin v1 Thrift (list<Span>)', () => {
    const p = protocolFor('binary', body);
    return readList(p, T.STRUCT, () => readSpan(p), 'spans');
  });
  return v1ToV2(spans);
}
