// Splits a byte stream into lines (UTF-8 by default), streaming: a line longer than the limit is cut
// at a character boundary and marked, and the rest of it skipped, so memory stays bounded.

export interface Line {
  /** The line without its "\n" (and without a "\r" before it); invalid UTF-8 became U+FFFD. */
  readonly text: string;
  /** True when the line was longer than the limit and this is its first part. */
  readonly truncated: boolean;
  /** Bytes of the line as read (before the cut), newline excluded; for cut lines, what was read so far. */
  readonly bytes: number;
  /** Stream position just past what this line consumed: where to resume reading after it. */
  readonly endOffset: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * The longest prefix of `buf` no longer than `max` that does not split a UTF-8 character:
 * if the byte at `max` continues a character (10xxxxxx), back off to where it started.
 */
export function utf8CutPoint(buf: Uint8Array, max: number): number {
  if (buf.length <= max) return buf.length;
  let i = max;
  // A character is at most 4 bytes: at most 3 continuation bytes to step back over.
  while (i > 0 && i > max - 4 && ((buf[i] as number) & 0xc0) === 0x80) i--;
  return ((buf[i] as number) & 0xc0) === 0x80 ? max : i;
}

export class LineReader {
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** After a cut: skip bytes until the next newline ends the over-long line. */
  private skipping = false;
  /** Stream position of the first byte of the next chunk. */
  private position: number;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: Line) => void,
    startOffset = 0,
    /** How bytes become text: UTF-8 (default), or a single-byte encoding (latin1, ascii). */
    private readonly encoding: 'utf8' | 'latin1' | 'ascii' = 'utf8',
  ) {
    this.position = startOffset;
  }

  /** Bytes of an unfinished line held in memory (at most maxLineBytes plus one chunk, briefly). */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /** Stream position after the last byte given to push(). */
  get offset(): number {
    return this.position;
  }

  /**
   * Feed the next chunk. The chunk may be reused by the caller afterwards: an unfinished
   * line is copied, complete lines are decoded straight out of it.
   */
  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const base = this.position;
    this.position += buf.length;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) {
        if (start < buf.length) this.hold(buf.subarray(start), base + buf.length);
        return;
      }
      const end = base + nl + 1;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.partBytes === 0) {
        this.complete(buf.subarray(start, nl), end);
      } else {
        this.parts.push(buf.subarray(start, nl));
        this.partBytes += nl - start;
        const whole = Buffer.concat(this.parts, this.partBytes);
        this.parts = [];
        this.partBytes = 0;
        this.complete(whole, end);
      }
      start = nl + 1;
    }
  }

  /** End of stream: an unfinished last line is emitted as it is. */
  end(): void {
    this.flushPartial();
    this.skipping = false;
  }

  /**
   * Emit the unfinished line now (a followed file that stopped growing mid-line); the
   * rest of that line, if it comes, will be a line of its own, as in the filelog receiver.
   */
  flushPartial(): void {
    if (this.partBytes === 0) return;
    const whole = Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    this.complete(whole, this.position);
  }

  private hold(rest: Buffer, endOffset: number): void {
    if (this.skipping) return;
    // Copied: a file reader refills its buffer, and a stream's chunk is not ours to keep.
    this.parts.push(Buffer.from(rest));
    this.partBytes += rest.length;
    if (this.partBytes > this.maxLineBytes) {
      const whole = Buffer.concat(this.parts, this.partBytes);
      this.parts = [];
      this.partBytes = 0;
      this.cut(whole, endOffset);
      this.skipping = true;
    }
  }

  private complete(line: Buffer, endOffset: number): void {
    if (line.length > this.maxLineBytes) {
      this.cut(line, endOffset);
      return;
    }
    const len = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    this.onLine({ text: line.toString(this.encoding, 0, len), truncated: false, bytes: line.length, endOffset });
  }

  private cut(line: Buffer, endOffset: number): void {
    const at = this.encoding === 'utf8' ? utf8CutPoint(line, this.maxLineBytes) : this.maxLineBytes;
    this.onLine({ text: line.toString(this.encoding, 0, at), truncated: true, bytes: line.length, endOffset });
  }
}
