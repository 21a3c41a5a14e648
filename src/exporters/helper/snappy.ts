// Snappy (block format) for the Loki push API and Prometheus remote write, loaded when an
// exporter that needs it starts: the native module should not weigh on every collector.
import type * as Snappy from 'snappy';

let lib: typeof Snappy | undefined;

/** Load the snappy module; exporters call this from start(). */
export async function loadSnappy(): Promise<void> {
  lib ??= await import('snappy');
}

/** Snappy block compression (not the framed format), as both APIs expect. */
export function snappyCompress(bytes: Uint8Array): Buffer {
  if (!lib) throw new Error('snappy is not loaded: the exporter must call loadSnappy() in start()');
  return lib.compressSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
