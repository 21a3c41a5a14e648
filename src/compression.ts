// The Collector's HTTP compression algorithms (confighttp): the request body codec on both
// ends. gzip, zlib and deflate come from node:zlib; zstd, snappy and lz4 from npm libraries
// (Node 20 has none of them), each loaded only when a component that uses it starts.
import zlib from 'node:zlib';
import type * as Zstd from '@mongodb-js/zstd';
import type * as Fzstd from 'fzstd';
import type * as Snappy from 'snappy';
import type * as Lz4 from 'lz4-napi';

/** What `compression:` (exporters) and `compression_algorithms:` (receivers) accept, as in the Collector. */
export const COMPRESSION_ALGORITHMS = ['gzip', 'zstd', 'snappy', 'zlib', 'deflate', 'lz4'] as const;
export type CompressionAlgorithm = (typeof COMPRESSION_ALGORITHMS)[number];

/** The Content-Encoding each one is sent as; zlib and deflate are both HTTP's zlib-wrapped "deflate". */
export const CONTENT_ENCODING: Readonly<Record<CompressionAlgorithm, string>> = {
  gzip: 'gzip',
  zstd: 'zstd',
  snappy: 'snappy',
  zlib: 'deflate',
  deflate: 'deflate',
  lz4: 'lz4',
};

interface Libraries {
  zstd?: typeof Zstd;
  fzstd?: typeof Fzstd;
  snappy?: typeof Snappy;
  lz4?: typeof Lz4;
}
const libs: Libraries = {};

/** Load the native or pure-JS module an algorithm needs; components call this from start(). */
export async function loadCompression(algorithms: Iterable<string>): Promise<void> {
  for (const a of algorithms) {
    if (a === 'zstd') {
      libs.zstd ??= await import('@mongodb-js/zstd');
      libs.fzstd ??= await import('fzstd');
    } else if (a === 'snappy') {
      libs.snappy ??= await import('snappy');
    } else if (a === 'lz4') {
      libs.lz4 ??= await import('lz4-napi');
    }
  }
}

function need<K extends keyof Libraries>(name: K): NonNullable<Libraries[K]> {
  const lib = libs[name];
  if (lib === undefined) throw new Error(`${name} is not loaded: the component must call loadCompression() in start()`);
  return lib as NonNullable<Libraries[K]>;
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * Compress a request body. `level` applies to gzip, zlib and deflate (1–9, -1 zlib's default)
 * and zstd (1–22); snappy and lz4 have none. snappy is the block format and lz4 the frame
 * format, as the Collector's confighttp writes them.
 */
export async function compressBody(algorithm: CompressionAlgorithm, body: Uint8Array, level?: number): Promise<Buffer> {
  const input = asBuffer(body);
  switch (algorithm) {
    case 'gzip':
      return zlib.gzipSync(input, level === undefined ? {} : { level });
    case 'zlib':
    case 'deflate':
      return zlib.deflateSync(input, level === undefined ? {} : { level });
    case 'zstd':
      return need('zstd').compress(input, level);
    case 'snappy':
      return need('snappy').compressSync(input);
    case 'lz4':
      return need('lz4').compressFrame(input);
  }
}

/** The body grew past the caller's limit while being decompressed. */
export class TooLargeError extends Error {
  readonly code = 'ERR_BUFFER_TOO_LARGE';
}

/** The uncompressed length a snappy block declares in its first bytes (a varint). */
function snappyLength(b: Buffer): number {
  let result = 0;
  for (let i = 0, shift = 0; i < 5 && i < b.length; i++, shift += 7) {
    const byte = b[i] as number;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
  }
  throw new Error('corrupt snappy block: bad length header');
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX: Readonly<Record<number, number>> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

/**
 * An lz4 frame (the format the Collector's lz4 writer and lz4-napi's compressFrame produce),
 * block by block, so that no more than `limit` bytes of output are ever held: lz4-napi has no
 * streaming decoder, but its block decoder takes a size bound (the frame's maximum block size).
 */
function lz4FrameDecompress(b: Buffer, limit: number): Buffer {
  const lz4 = need('lz4');
  if (b.length < 7 || b.readUInt32LE(0) !== LZ4_MAGIC) throw new Error('not an lz4 frame (bad magic number)');
  const flags = b[4] as number;
  const blockMax = LZ4_BLOCK_MAX[((b[5] as number) >> 4) & 0x07];
  if ((flags & 0xc0) !== 0x40 || blockMax === undefined) throw new Error('unsupported lz4 frame version or block size');
  let at = 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1;
  const blockChecksum = (flags & 0x10) !== 0;
  const bound = Buffer.alloc(4);
  bound.writeUInt32LE(blockMax);
  const out: Buffer[] = [];
  let size = 0;
  for (;;) {
    if (at + 4 > b.length) throw new Error('truncated lz4 frame');
    const word = b.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const length = word & 0x7fffffff;
    if (length > blockMax || at + length > b.length) throw new Error('corrupt lz4 frame: bad block length');
    const data = b.subarray(at, at + length);
    at += length + (blockChecksum ? 4 : 0);
    const block = (word & 0x80000000) !== 0 ? data : lz4.uncompressSync(Buffer.concat([bound, data]));
    size += block.length;
    if (size > limit) throw new TooLargeError(`decompressed body larger than ${limit} bytes`);
    out.push(block);
  }
  return Buffer.concat(out, size);
}

/**
 * Decompress a zstd, snappy or lz4 body without ever holding more than `limit` bytes of
 * output: zstd streams through fzstd and stops at the limit, snappy checks the size its header
 * declares first, lz4 frames are read block by block.
 */
export function decompressBody(algorithm: 'zstd' | 'snappy' | 'lz4', body: Buffer, limit: number): Buffer {
  switch (algorithm) {
    case 'zstd': {
      const chunks: Uint8Array[] = [];
      let size = 0;
      const stream = new (need('fzstd').Decompress)((chunk) => {
        size += chunk.length;
        if (size > limit) throw new TooLargeError(`decompressed body larger than ${limit} bytes`);
        chunks.push(chunk);
      });
      stream.push(body, true);
      return Buffer.concat(chunks, size);
    }
    case 'snappy': {
      if (snappyLength(body) > limit) throw new TooLargeError(`decompressed body larger than ${limit} bytes`);
      return need('snappy').uncompressSync(body, { asBuffer: true }) as Buffer;
    }
    case 'lz4':
      return lz4FrameDecompress(body, limit);
  }
}
