// The OTLP encodings the receiver speaks (binary protobuf and OTLP/JSON): request
// decoding, the success response and the google.rpc.Status error body, per encoding.
import { isUtf8 } from 'node:buffer';
import { decodeJsonExportRequest, encodeJsonExportResponse, encodeJsonStatus } from '../../pdata/json.js';
import { OtlpDecodeError, decodeExportRequest, encodeExportResponse, encodeStatus } from '../../pdata/proto.js';
import type { ResourcesOf, Signal } from '../../pdata/types.js';

export type Encoding = 'protobuf' | 'json';

export const CONTENT_TYPE: Readonly<Record<Encoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** The encoding a Content-Type names (parameters such as charset ignored), or undefined. */
export function encodingOf(contentType: string | undefined): Encoding | undefined {
  if (contentType === undefined) return undefined;
  const media = (contentType.split(';', 1)[0] as string).trim().toLowerCase();
  if (media === CONTENT_TYPE.protobuf) return 'protobuf';
  if (media === CONTENT_TYPE.json) return 'json';
  return undefined;
}

/**
 * Decode an Export*ServiceRequest body; throws OtlpDecodeError saying what is wrong.
 * Invalid UTF-8 is refused in both encodings (protobufjs verifies proto3 strings, as
 * protobuf-go does; JSON must be UTF-8 by RFC 8259) rather than silently rewritten.
 */
export function decodeRequest<S extends Signal>(signal: S, encoding: Encoding, body: Buffer): ResourcesOf[S] {
  if (encoding === 'protobuf') return decodeExportRequest(signal, body);
  if (!isUtf8(body)) throw new OtlpDecodeError('invalid JSON: the request body is not valid UTF-8');
  return decodeJsonExportRequest(signal, body.toString('utf8'));
}

function asBuffer(bytes: Uint8Array | string): Buffer {
  if (typeof bytes === 'string') return Buffer.from(bytes, 'utf8');
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// Full success always has the same body (partial_success unset), so encode it once per signal.
const SUCCESS: Readonly<Record<Encoding, Readonly<Record<Signal, Buffer>>>> = {
  protobuf: {
    logs: asBuffer(encodeExportResponse('logs')),
    traces: asBuffer(encodeExportResponse('traces')),
    metrics: asBuffer(encodeExportResponse('metrics')),
  },
  json: {
    logs: asBuffer(encodeJsonExportResponse('logs')),
    traces: asBuffer(encodeJsonExportResponse('traces')),
    metrics: asBuffer(encodeJsonExportResponse('metrics')),
  },
};

/** The Export*ServiceResponse of a full success. */
export function successBody(signal: Signal, encoding: Encoding): Buffer {
  return SUCCESS[encoding][signal];
}

/** A google.rpc.Status body: OTLP/HTTP errors carry one in the request's encoding. */
export function statusBody(encoding: Encoding, status: { code: number; message: string }): Buffer {
  return asBuffer(encoding === 'protobuf' ? encodeStatus(status) : encodeJsonStatus(status));
}
