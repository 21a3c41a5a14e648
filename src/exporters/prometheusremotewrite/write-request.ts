// prometheus.WriteRequest (remote write 1.0) encoding from proto/prometheus/, and the
// split of a batch's series into requests of at most max_batch_size_bytes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { RemoteSeries } from '../../prometheus/timeseries.js';

// `../../../proto/prometheus/` is the repository's proto/prometheus/ from both src/ and dist/.
const PROTO_DIR = fileURLToPath(new URL('../../../proto/prometheus/', import.meta.url));

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // remote.proto imports "types.proto" relative to its own directory, as in prometheus/prompb.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
  root.loadSync(['remote.proto'], { keepCase: false });
  root.resolveAll();
  return root;
}

let types: { readonly timeSeries: protobuf.Type; readonly writeRequest: protobuf.Type } | undefined;

/** The remote-write message types, parsed from proto/ on first use, not when Ferry starts. */
function remoteTypes(): { readonly timeSeries: protobuf.Type; readonly writeRequest: protobuf.Type } {
  if (!types) {
    const root = loadRoot();
    types = { timeSeries: root.lookupType('prometheus.TimeSeries'), writeRequest: root.lookupType('prometheus.WriteRequest') };
  }
  return types;
}

/** WriteRequest.timeseries is field 1, length-delimited: tag byte 0x0a. */
const TIMESERIES_TAG = (1 << 3) | 2;

/** One TimeSeries message, encoded. */
export function encodeTimeSeries(series: RemoteSeries): Uint8Array {
  return remoteTypes()
    .timeSeries.encode({
      labels: series.labels.map(([name, value]) => ({ name, value })),
      samples: series.samples.map((s) => ({ value: s.value, timestamp: s.timestamp })),
      exemplars: series.exemplars.map((e) => ({ labels: e.labels.map(([name, value]) => ({ name, value })), value: e.value, timestamp: e.timestamp })),
    })
    .finish();
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Bytes one encoded series adds to a WriteRequest (its tag and length included). */
export function entrySize(encoded: Uint8Array): number {
  return 1 + varintSize(encoded.byteLength) + encoded.byteLength;
}

/** A WriteRequest of already encoded series. */
export function writeRequest(encoded: readonly Uint8Array[]): Uint8Array {
  const writer = protobuf.Writer.create();
  for (const series of encoded) writer.uint32(TIMESERIES_TAG).bytes(series);
  return writer.finish();
}

/**
 * Series indices grouped into requests of at most `maxBytes` of protobuf (before snappy), in
 * order. A series is never split across requests: one larger than `maxBytes` goes alone.
 */
export function splitBySize(encoded: readonly Uint8Array[], maxBytes: number): number[][] {
  const requests: number[][] = [];
  let current: number[] = [];
  let size = 0;
  encoded.forEach((e, i) => {
    const n = entrySize(e);
    if (current.length > 0 && size + n > maxBytes) {
      requests.push(current);
      current = [];
      size = 0;
    }
    current.push(i);
    size += n;
  });
  if (current.length > 0) requests.push(current);
  return requests;
}

export interface DecodedWriteRequest {
  timeseries: Array<{
    labels: Array<{ name: string; value: string }>;
    samples: Array<{ value: number; timestamp: unknown }>;
    exemplars: Array<{ labels: Array<{ name: string; value: string }>; value: number; timestamp: unknown }>;
  }>;
}

/** Decode a WriteRequest (uncompressed), for tests and tools. */
export function decodeWriteRequest(bytes: Uint8Array): DecodedWriteRequest {
  const { writeRequest } = remoteTypes();
  return writeRequest.toObject(writeRequest.decode(bytes), { arrays: true, defaults: true }) as DecodedWriteRequest;
}
