// A write-ahead log in one directory: records appended to segment files with group
// commit (one write + fsync for every append waiting), acknowledged per segment, and
// segments deleted once everything in them is acknowledged.
import { open, readdir, readFile, stat, unlink, appendFile, mkdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskQuota } from '../../extensions/storage.js';
import { createLogger, type Logger } from '../../telemetry/logger.js';
import { randomBytes } from 'node:crypto';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, ackEntry, legacyPayload, parseAcks, parseSegment, payloadAt, recordHeader, segmentHeader } from './wal-format.js';

export interface WalOptions {
  readonly dir: string;
  /** fdatasync every group of appends before they resolve (and the directory after a new segment). */
  readonly fsync: boolean;
  /** A segment is closed and a new one started once it would grow past this. */
  readonly segmentBytes: number;
  /** The storage extension's disk budget; appends beyond it are refused with DiskFullError. */
  readonly quota?: DiskQuota;
  /** Where failed acknowledgement writes are reported (default: Ferry's stderr log format). */
  readonly logger?: Logger;
}

/** Where a record lives. */
export interface WalRecord {
  readonly segment: number;
  readonly offset: number;
  /** Payload bytes. */
  readonly length: number;
}

export interface RecoveryReport {
  readonly segments: number;
  /** Intact records not yet acknowledged: handed to onRecord. */
  readonly pending: number;
  readonly corruptRegions: number;
  readonly corruptBytes: number;
  /** Records lost to damage (counted by the record starts found in damaged stretches). */
  readonly lostRecords: number;
  readonly tornBytes: number;
  /** Bytes CRC'd to recover: linear in the log's size, whatever the payloads hold. */
  readonly checkedBytes: number;
}

/**
 * A record whose bytes are proven wrong (its CRC does not match, or it is cut short on a
 * disk that holds it whole): the only read failure after which the record is given up.
 */
export class CorruptRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptRecordError';
  }
}

/** The disk budget (file_storage max_size_mib) would be exceeded, or the disk itself is full (ENOSPC, EDQUOT). */
export class DiskFullError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DiskFullError';
  }
}

/** The OS saying the disk (or the user's quota on it) is full, as a DiskFullError; other errors as they are. */
function diskFull(err: unknown, dir: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
  return new DiskFullError(`disk full: cannot write the queue's log in ${dir} (${(err as Error).message})`, { cause: err });
}

/** First retry of a failed acknowledgement write, doubling up to ACK_RETRY_MAX_MS. */
const ACK_RETRY_MS = 500;
const ACK_RETRY_MAX_MS = 30_000;

interface Segment {
  readonly seq: number;
  readonly path: string;
  readonly ackPath: string;
  /** Starts every record of this segment (format 2); written in its header. */
  readonly key: number;
  /** Bytes in the file, as the quota counts them. */
  bytes: number;
  ackBytes: number;
  records: number;
  acked: number;
  sealed: boolean;
  deleted: boolean;
  reader: Promise<FileHandle> | undefined;
  pendingAcks: Buffer[];
  /** A failed ack write waits for this timer to try again (its delay doubles each failure). */
  ackRetry: NodeJS.Timeout | undefined;
  ackRetryMs: number;
  /** Ack writes and the final delete of this segment, in order. */
  chain: Promise<void>;
}

interface PendingAppend {
  readonly payload: Uint8Array;
  readonly total: number;
  resolve(record: WalRecord): void;
  reject(err: unknown): void;
}

const SEGMENT_FILE = /^(\d{16})\.seg$/;
const ACK_FILE = /^(\d{16})\.ack$/;
const name = (seq: number) => String(seq).padStart(16, '0');

/** Close a segment's read handle, if one was opened; a handle that failed to open has nothing to close. */
async function closeReader(seg: { reader: Promise<FileHandle> | undefined }): Promise<void> {
  const reader = seg.reader;
  seg.reader = undefined;
  if (reader) await reader.then((fh) => fh.close()).catch(() => undefined);
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Write every byte of `buffers`: a short write is continued, so a disk that filled up mid-write
 * reports itself (ENOSPC) on the next attempt instead of hiding behind a byte count.
 */
async function writeAll(writer: FileHandle, buffers: Uint8Array[], bytes: number): Promise<void> {
  let written = 0;
  let rest = buffers;
  for (;;) {
    const { bytesWritten } = await writer.writev(rest);
    written += bytesWritten;
    if (written >= bytes) return;
    if (bytesWritten === 0) throw new Error(`short write: ${written} of ${bytes} bytes`);
    let skip = bytesWritten;
    const next: Uint8Array[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = next;
  }
}

export class WriteAheadLog {
  private readonly segments = new Map<number, Segment>();
  private readonly logger: Logger;
  private active: Segment | undefined;
  private writer: FileHandle | undefined;
  private nextSeq: number;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly options: WalOptions,
    nextSeq: number,
  ) {
    this.nextSeq = nextSeq;
    this.logger = options.logger ?? createLogger({}, { directory: options.dir });
  }

  /**
   * Open the log in `options.dir`, hand every intact unacknowledged record to
   * `onRecord` (oldest first; the payload buffer is only valid during the call), and
   * delete segments that hold nothing left to deliver. New records go to a new segment:
   * an old segment's torn tail is never written after.
   */
  static async open(options: WalOptions, onRecord: (record: WalRecord, payload: Buffer) => void): Promise<{ wal: WriteAheadLog; report: RecoveryReport }> {
    await mkdir(options.dir, { recursive: true });
    const names = await readdir(options.dir);
    const seqs = names.flatMap((n) => SEGMENT_FILE.exec(n)?.[1] ?? []).map(Number).sort((a, b) => a - b);
    const wal = new WriteAheadLog(options, (seqs[seqs.length - 1] ?? 0) + 1);
    let pending = 0;
    let corruptRegions = 0;
    let corruptBytes = 0;
    let tornBytes = 0;
    let lostRecords = 0;
    let checkedBytes = 0;
    for (const seq of seqs) {
      const seg = wal.track(seq);
      const buf = await readFile(seg.path);
      const parsed = parseSegment(buf);
      let ackBuf: Buffer = Buffer.alloc(0);
      try {
        ackBuf = await readFile(seg.ackPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const acked = parseAcks(ackBuf);
      seg.bytes = buf.length;
      seg.ackBytes = ackBuf.length;
      seg.records = parsed.records.length;
      seg.sealed = true;
      corruptRegions += parsed.corruptRegions;
      corruptBytes += parsed.corruptBytes;
      tornBytes += parsed.tornBytes;
      lostRecords += parsed.lostRecords;
      checkedBytes += parsed.checkedBytes;
      if (parsed.legacy) {
        // Written by a Ferry before the record key: copy what is left to deliver into the
        // current format (durably), then let the old segment go.
        for (const r of parsed.records) {
          seg.acked++;
          if (acked.has(r.offset)) continue;
          const payload = legacyPayload(buf, r);
          pending++;
          onRecord(await wal.append(payload), payload);
        }
        wal.compact(seg);
        continue;
      }
      for (const r of parsed.records) {
        if (acked.has(r.offset)) {
          seg.acked++;
          continue;
        }
        pending++;
        onRecord({ segment: seq, offset: r.offset, length: r.length }, buf.subarray(r.offset + RECORD_HEADER_BYTES, r.offset + RECORD_HEADER_BYTES + r.length));
      }
      wal.compact(seg);
    }
    // An ack file whose segment is gone belongs to a delete cut short by a crash.
    for (const n of names) {
      const m = ACK_FILE.exec(n);
      if (m && !wal.segments.has(Number(m[1]))) {
        const path = join(options.dir, n);
        const size = (await stat(path)).size;
        await unlinkIfPresent(path);
        options.quota?.release(size);
      }
    }
    await Promise.all([...wal.segments.values()].map((s) => s.chain));
    return { wal, report: { segments: seqs.length, pending, corruptRegions, corruptBytes, lostRecords, tornBytes, checkedBytes } };
  }

  /** Bytes of segment and ack files this log holds now. */
  get diskBytes(): number {
    let n = 0;
    for (const s of this.segments.values()) n += s.bytes + s.ackBytes;
    return n;
  }

  /**
   * Append one record; resolves once it is written (and fsync'd, with `fsync`) together
   * with every other append that arrived meanwhile. Throws DiskFullError at once when
   * the disk budget has no room for it.
   */
  append(payload: Uint8Array): Promise<WalRecord> {
    if (this.closed) return Promise.reject(new Error('the write-ahead log is closed'));
    const total = RECORD_HEADER_BYTES + payload.byteLength;
    const quota = this.options.quota;
    if (quota && !quota.tryReserve(total)) {
      // Delivered records in the active segment still hold disk: close it so it can go.
      if (!this.retireDeliveredActive() || !quota.tryReserve(total)) {
        return Promise.reject(new DiskFullError(`disk full: the storage budget is spent (${quota.usedBytes} of ${quota.limitBytes} bytes used, ${total} more needed)`));
      }
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ payload, total, resolve, reject });
      this.flushing ??= this.flushLoop().finally(() => (this.flushing = undefined));
    });
  }

  /** The payload of a record, checked against its CRC again (the disk may have changed under us). */
  async read(record: WalRecord): Promise<Buffer> {
    const seg = this.segments.get(record.segment);
    if (!seg || seg.deleted) throw new Error(`segment ${record.segment} is gone`);
    if (!seg.reader) {
      // A failed open (EMFILE, EIO) is not kept: the next read opens the file again.
      const opening = open(seg.path, 'r');
      seg.reader = opening;
      opening.catch(() => {
        if (seg.reader === opening) seg.reader = undefined;
      });
    }
    const fh = await seg.reader;
    const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + record.length);
    const { bytesRead } = await fh.read(buf, 0, buf.length, record.offset);
    const payload = payloadAt(buf.subarray(0, bytesRead), 0, record.length);
    if (!payload) throw new CorruptRecordError(`record at ${name(record.segment)}.seg:${record.offset} is damaged`);
    return payload;
  }

  /**
   * Mark a record delivered (or given up for good). The ack reaches the file without
   * fsync: losing it to an OS crash only means the record is sent once more.
   */
  ack(record: WalRecord): void {
    const seg = this.segments.get(record.segment);
    if (!seg || seg.deleted) return;
    seg.acked++;
    if (seg.sealed && seg.acked >= seg.records) {
      this.compact(seg);
      return;
    }
    seg.pendingAcks.push(ackEntry(record.offset));
    if (seg.pendingAcks.length === 1) seg.chain = seg.chain.then(() => this.writeAcks(seg));
  }

  /** Finish pending writes and acks and close every file; later appends are refused. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.writer?.close();
    this.writer = undefined;
    await Promise.all([...this.segments.values()].map((s) => s.chain));
    // Acks still waiting for a retry get one last try now.
    for (const s of this.segments.values()) {
      if (s.ackRetry === undefined) continue;
      clearTimeout(s.ackRetry);
      s.ackRetry = undefined;
      s.chain = s.chain.then(() => this.writeAcks(s, true));
    }
    await Promise.all([...this.segments.values()].map((s) => s.chain));
    await Promise.all([...this.segments.values()].map((s) => closeReader(s)));
  }

  private track(seq: number): Segment {
    const seg: Segment = {
      seq,
      path: join(this.options.dir, `${name(seq)}.seg`),
      ackPath: join(this.options.dir, `${name(seq)}.ack`),
      // Never 0: a zero-filled tail must not look like record starts.
      key: randomBytes(4).readUInt32BE(0) || 1,
      bytes: 0,
      ackBytes: 0,
      records: 0,
      acked: 0,
      sealed: false,
      deleted: false,
      reader: undefined,
      pendingAcks: [],
      ackRetry: undefined,
      ackRetryMs: 0,
      chain: Promise.resolve(),
    };
    this.segments.set(seq, seg);
    return seg;
  }

  private async writeAcks(seg: Segment, final = false): Promise<void> {
    if (seg.deleted || seg.pendingAcks.length === 0 || (seg.ackRetry !== undefined && !final)) return;
    const data = Buffer.concat(seg.pendingAcks.splice(0));
    try {
      await appendFile(seg.ackPath, data);
      // Acks are written whatever the budget: refusing one would only keep more data on disk.
      // A segment deleted meanwhile had its bytes released already, and this file goes with it.
      if (!seg.deleted) {
        seg.ackBytes += data.length;
        this.options.quota?.add(data.length);
      }
      if (seg.ackRetryMs > 0) this.logger.info('The queue\'s acknowledgements are written again.', { segment: name(seg.seq) });
      seg.ackRetryMs = 0;
    } catch (err) {
      if (seg.deleted) return;
      // Kept and tried again: an ack that never reaches the disk means the record is sent again
      // after a restart (a read-only directory made every record of a run a duplicate, silently).
      seg.pendingAcks.unshift(data);
      const entries = seg.pendingAcks.reduce((n, b) => n + b.length, 0) / 8;
      if (final) {
        this.logger.error('Could not write the queue\'s acknowledgements at shutdown; those records will be sent again after a restart.', {
          segment: name(seg.seq),
          records: entries,
          error: err instanceof Error ? err.message : String(err),
        });
        return;
      }
      const first = seg.ackRetryMs === 0;
      seg.ackRetryMs = first ? ACK_RETRY_MS : Math.min(ACK_RETRY_MAX_MS, seg.ackRetryMs * 2);
      if (first || seg.ackRetryMs === ACK_RETRY_MAX_MS) {
        this.logger.warn('Could not write the queue\'s acknowledgements; retrying. Until they are written, these records would be sent again after a restart.', {
          segment: name(seg.seq),
          records: entries,
          retry_in_ms: seg.ackRetryMs,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      seg.ackRetry = setTimeout(() => {
        seg.ackRetry = undefined;
        seg.chain = seg.chain.then(() => this.writeAcks(seg));
      }, seg.ackRetryMs);
      seg.ackRetry.unref();
    }
  }

  /** Delete a sealed segment once everything in it is acknowledged. */
  private compact(seg: Segment): void {
    if (!seg.sealed || seg.deleted || seg.acked < seg.records) return;
    seg.deleted = true;
    seg.pendingAcks = [];
    // Released now, not after the unlink, so an append waiting for room sees it at once.
    this.options.quota?.release(seg.bytes + seg.ackBytes);
    seg.chain = seg.chain.then(async () => {
      await closeReader(seg);
      await unlinkIfPresent(seg.path).catch(() => undefined);
      await unlinkIfPresent(seg.ackPath).catch(() => undefined);
      this.segments.delete(seg.seq);
    });
  }

  /** Seal the active segment when everything in it is delivered and nothing is being written. */
  private retireDeliveredActive(): boolean {
    const seg = this.active;
    if (!seg || this.flushing || seg.records === 0 || seg.acked < seg.records) return false;
    this.sealActive();
    return true;
  }

  private sealActive(): void {
    const seg = this.active;
    if (!seg) return;
    this.active = undefined;
    const writer = this.writer;
    this.writer = undefined;
    seg.sealed = true;
    seg.chain = seg.chain.then(() => writer?.close()).catch(() => undefined);
    this.compact(seg);
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      let i = 0;
      while (i < group.length) {
        const first = group[i] as PendingAppend;
        let seg: Segment;
        try {
          seg = await this.segmentFor(first.total);
        } catch (err) {
          for (const p of group.slice(i)) this.fail(p, diskFull(err, this.options.dir));
          break;
        }
        const part: PendingAppend[] = [];
        let bytes = 0;
        for (; i < group.length; i++) {
          const p = group[i] as PendingAppend;
          if (part.length > 0 && seg.bytes + bytes + p.total > this.options.segmentBytes) break;
          part.push(p);
          bytes += p.total;
        }
        await this.writePart(seg, part, bytes);
      }
    }
  }

  /** The segment to write a record of `total` bytes to: the active one, or a new one when it is full. */
  private async segmentFor(total: number): Promise<Segment> {
    if (this.active && this.writer && (this.active.bytes === 0 || this.active.bytes + total <= this.options.segmentBytes)) return this.active;
    this.sealActive();
    const seg = this.track(this.nextSeq++);
    // 'ax': a new file, never an old one reopened.
    this.writer = await open(seg.path, 'ax');
    if (this.options.fsync) await fsyncDir(this.options.dir);
    this.active = seg;
    return seg;
  }

  private async writePart(seg: Segment, part: PendingAppend[], bytes: number): Promise<void> {
    const writer = this.writer as FileHandle;
    const start = seg.bytes;
    const buffers = part.flatMap((p) => [recordHeader(seg.key, p.payload), p.payload]);
    // A new segment's first write carries its header (taken back out with the records if it fails).
    const header = start === 0 ? SEGMENT_HEADER_BYTES : 0;
    if (header > 0) {
      buffers.unshift(segmentHeader(seg.key));
      bytes += header;
    }
    try {
      await writeAll(writer, buffers, bytes);
      if (this.options.fsync) await writer.datasync();
    } catch (err) {
      // Take the partial write back out; if even that fails, start a fresh segment next time.
      try {
        await writer.truncate(start);
      } catch {
        seg.bytes += bytes;
        if (header > 0) this.options.quota?.add(header);
        this.sealActive();
      }
      const failure = diskFull(err, this.options.dir);
      for (const p of part) this.fail(p, failure);
      return;
    }
    if (header > 0) this.options.quota?.add(header);
    let offset = start + header;
    seg.bytes += bytes;
    seg.records += part.length;
    for (const p of part) {
      p.resolve({ segment: seg.seq, offset, length: p.payload.byteLength });
      offset += p.total;
    }
  }

  private fail(p: PendingAppend, err: unknown): void {
    this.options.quota?.release(p.total);
    p.reject(err);
  }
}
