// Reading an HTTP request body under a size limit, compressed and decompressed:
// a gzip bomb never makes us hold more than the limit (OTLP spec, OTLP/HTTP Request).
import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import { decompressBody } from '../../compression.js';

type Decompressor = (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;

/** Compressed bodies up to this size are inflated on the event loop, larger ones on the thread pool. */
const SYNC_INFLATE_LIMIT = 256 * 1024;

// zlib's convenience functions take a callback; wrapped once, here. Small bodies use the sync
// variant: the thread-pool round trip cost more than the inflating (bench
// logs-http-protobuf-gzip-max, 10 KB gzip requests: 207–235k → 230–245k records per CPU-second).
const promised =
  (
    fn: (buf: Buffer, opts: zlib.ZlibOptions, cb: (err: Error | null, out: Buffer) => void) => void,
    fnSync: (buf: Buffer, opts: zlib.ZlibOptions) => Buffer,
  ): Decompressor =>
  (buf, opts) =>
    buf.length <= SYNC_INFLATE_LIMIT
      ? new Promise((resolve) => resolve(fnSync(buf, opts)))
      : new Promise((resolve, reject) => fn(buf, opts, (err, out) => (err ? reject(err) : resolve(out))));
const gunzip = promised(zlib.gunzip, zlib.gunzipSync);
const inflate = promised(zlib.inflate, zlib.inflateSync);
const inflateRaw = promised(zlib.inflateRaw, zlib.inflateRawSync);

export type BodyResult =
  | { readonly kind: 'ok'; readonly body: Buffer }
  /** Over the limit, before or after decompression: 413. */
  | { readonly kind: 'too-large'; readonly message: string }
  /** Unknown Content-Encoding or corrupt compressed data: 400. */
  | { readonly kind: 'bad'; readonly message: string }
  /** The client went away before sending the whole body: nobody to answer. */
  | { readonly kind: 'aborted' }
  /** The receiver's bytes in flight are at their budget: a retryable refusal (429). */
  | { readonly kind: 'over-budget' };

/** Takes bytes from the receiver's in-flight budget; false when they do not fit. */
export type Charge = (bytes: number) => boolean;

export const SUPPORTED_ENCODINGS = ['gzip', 'zstd', 'snappy', 'deflate', 'zlib', 'lz4', 'identity'] as const;

/** zstd, snappy and lz4 through src/compression.ts, bounded by the same limit. */
const viaLibrary = (algorithm: 'zstd' | 'snappy' | 'lz4'): Decompressor => async (buf, opts) => decompressBody(algorithm, buf, opts.maxOutputLength ?? Infinity);

/**
 * The decompressor for a Content-Encoding, `null` for none, undefined when unsupported.
 * HTTP's "deflate" is zlib-wrapped (RFC 9110), but some clients send raw deflate; the
 * first two bytes tell them apart (a zlib header is a multiple of 31 with method 8).
 */
function decompressorFor(encoding: string): ((body: Buffer) => Decompressor) | null | undefined {
  switch (encoding) {
    case '':
    case 'identity':
    case 'none':
      return null;
    case 'gzip':
    case 'x-gzip':
      return () => gunzip;
    case 'deflate':
    case 'zlib':
      return (body) => {
        const zlibHeader = body.length >= 2 && ((body[0] as number) & 0x0f) === 8 && ((body[0] as number) * 256 + (body[1] as number)) % 31 === 0;
        return zlibHeader ? inflate : inflateRaw;
      };
    case 'zstd':
    case 'snappy':
    case 'lz4':
      return () => viaLibrary(encoding);
    default:
      return undefined;
  }
}

function readRaw(req: IncomingMessage, limit: number, charge: Charge | undefined): Promise<Buffer | 'too-large' | 'aborted' | 'over-budget'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering here; the caller answers 413 and closes the connection.
        cleanup();
        req.pause();
        resolve('too-large');
        return;
      }
      if (charge !== undefined && !charge(chunk.length)) {
        cleanup();
        req.pause();
        resolve('over-budget');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onAbort = (): void => {
      cleanup();
      resolve('aborted');
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    // 'close' before 'end': the client went away mid-body.
    req.on('close', onAbort);
  });
}

/**
 * After a 413, read and throw away the rest of the body (up to `capBytes` more), so the
 * sender, still uploading, reads our answer instead of a connection reset (Go's lingering
 * close does the same). A sender that goes on past the cap is disconnected. Returns
 * false, without reading, when the declared length is already past the cap.
 */
export function discardRest(req: IncomingMessage, capBytes: number): boolean {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > capBytes) return false;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > capBytes) req.socket.destroy();
  });
  req.resume();
  return true;
}

/**
 * Read and decompress the body, holding at most `limit` bytes of either form. `allowed`: the
 * receiver's compression_algorithms ("" and "identity" for none); absent, every supported one.
 * `charge`, when given, is asked for every chunk read and for the decompressed body (a caller
 * that charged the declared Content-Length already passes `chargeRaw: false`).
 */
export async function readBody(req: IncomingMessage, limit: number, allowed?: ReadonlySet<string>, charge?: Charge, chargeRaw = true): Promise<BodyResult> {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decompressor = allowed !== undefined && !allowed.has(encoding) ? undefined : decompressorFor(encoding);
  if (decompressor === undefined) {
    const supported = allowed === undefined ? SUPPORTED_ENCODINGS : SUPPORTED_ENCODINGS.filter((e) => allowed.has(e) || (e === 'identity' && allowed.has('')));
    return { kind: 'bad', message: `unsupported Content-Encoding "${encoding}"; supported: ${supported.join(', ')}` };
  }
  const tooLarge = `request body larger than max_request_body_size (${limit} bytes)`;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return { kind: 'too-large', message: tooLarge };

  const raw = await readRaw(req, limit, chargeRaw ? charge : undefined);
  if (raw === 'aborted') return { kind: 'aborted' };
  if (raw === 'too-large') return { kind: 'too-large', message: tooLarge };
  if (raw === 'over-budget') return { kind: 'over-budget' };
  if (decompressor === null) return { kind: 'ok', body: raw };
  try {
    // maxOutputLength makes zlib stop (ERR_BUFFER_TOO_LARGE) instead of inflating a bomb.
    const body = await decompressor(raw)(raw, { maxOutputLength: limit });
    if (charge !== undefined && !charge(body.length)) return { kind: 'over-budget' };
    return { kind: 'ok', body };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return { kind: 'too-large', message: `decompressed ${tooLarge}` };
    }
    return { kind: 'bad', message: `cannot decompress ${encoding} body: ${err instanceof Error ? err.message : String(err)}` };
  }
}
