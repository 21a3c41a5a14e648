// The write-ahead log's on-disk format: a keyed header, then records `[key][length][crc32][payload]`
// in segment files, 8-byte acknowledgement entries, and the recovery parse of both.
import { crc32 } from 'node:zlib';

/**
 * A segment starts with a 16-byte header: "FWAL", the format version, a random 32-bit key and
 * a CRC of those 12 bytes. Every record then starts with that key: `[key u32][length u32]
 * [crc32 u32][payload]`. Payloads hold client bytes; a client who does not know the key (it
 * never leaves the disk) cannot write something that looks like a record, so resynchronising
 * after damage checks a CRC only where the key is found, not at every byte (issue 14: a log of
 * `\0\0@\0` bodies made the old format's recovery quadratic — hours for one segment).
 */
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 12;
/** The format of segments written before the key: `[length u32][crc32 u32][payload]`, no segment header. */
const LEGACY_RECORD_HEADER_BYTES = 8;
export const ACK_ENTRY_BYTES = 8;
/** No single record is larger than this (a batch is capped far below it by receivers). */
export const MAX_RECORD_BYTES = 1 << 30;
const SEGMENT_MAGIC = 0x4657414c; // "FWAL"
const SEGMENT_VERSION = 2;

/** A new segment's header, with its random record key. */
export function segmentHeader(key: number): Buffer {
  const h = Buffer.allocUnsafe(SEGMENT_HEADER_BYTES);
  h.writeUInt32BE(SEGMENT_MAGIC, 0);
  h.writeUInt32BE(SEGMENT_VERSION, 4);
  h.writeUInt32BE(key >>> 0, 8);
  h.writeUInt32BE(crc32(h.subarray(0, 12)), 12);
  return h;
}

/** The 12-byte header of a record holding `payload`, in a segment whose key is `key`. */
export function recordHeader(key: number, payload: Uint8Array): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32BE(key >>> 0, 0);
  header.writeUInt32BE(payload.byteLength, 4);
  header.writeUInt32BE(crc32(payload), 8);
  return header;
}

/** A record found in a segment: its payload starts at offset + RECORD_HEADER_BYTES. */
export interface ParsedRecord {
  readonly offset: number;
  readonly length: number;
}

export interface ParsedSegment {
  readonly records: ParsedRecord[];
  /** Records written before the record key existed (format 1): the log copies them forward. */
  readonly legacy: boolean;
  /** Damaged stretches followed by valid records again (each skipped, the rest kept). */
  readonly corruptRegions: number;
  readonly corruptBytes: number;
  /**
   * Records lost to damage: every record start (the key) found in a damaged stretch whose
   * record does not check out, and at least one per stretch.
   */
  readonly lostRecords: number;
  /** Bytes after the last valid record that never formed one: a write cut short by a crash. */
  readonly tornBytes: number;
  /** Bytes run through CRC-32 during the parse: recovery's work, linear in the segment's size. */
  readonly checkedBytes: number;
}

class Parser {
  checkedBytes = 0;
  constructor(private readonly buf: Buffer) {}

  /** The length of the intact record at `at` (with key `key`), or -1. */
  recordAt(at: number, key: number): number {
    const buf = this.buf;
    if (buf.length - at < RECORD_HEADER_BYTES || buf.readUInt32BE(at) !== key) return -1;
    const length = buf.readUInt32BE(at + 4);
    // Bounded by what remains of the segment: a length past its end is never CRC'd.
    // A zero length never comes from append(); zeros are what a crash can leave in a file's tail.
    if (length === 0 || length > MAX_RECORD_BYTES || at + RECORD_HEADER_BYTES + length > buf.length) return -1;
    this.checkedBytes += length;
    return crc32(buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length)) === buf.readUInt32BE(at + 8) ? length : -1;
  }

  /** Format 1: `[length][crc]` with no key. Used only to read segments an older Ferry wrote. */
  legacyAt(at: number): number {
    const buf = this.buf;
    if (buf.length - at < LEGACY_RECORD_HEADER_BYTES) return -1;
    const length = buf.readUInt32BE(at);
    if (length === 0 || length > MAX_RECORD_BYTES || at + LEGACY_RECORD_HEADER_BYTES + length > buf.length) return -1;
    this.checkedBytes += length;
    return crc32(buf.subarray(at + LEGACY_RECORD_HEADER_BYTES, at + LEGACY_RECORD_HEADER_BYTES + length)) === buf.readUInt32BE(at + 4) ? length : -1;
  }
}

/** The record key of a segment: from its header, or (header damaged) from its first record. */
function segmentKey(buf: Buffer, parser: Parser): number | undefined {
  if (buf.length < SEGMENT_HEADER_BYTES) return undefined;
  if (buf.readUInt32BE(12) === crc32(buf.subarray(0, 12))) return buf.readUInt32BE(8);
  if (buf.length < SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES) return undefined;
  const key = buf.readUInt32BE(SEGMENT_HEADER_BYTES);
  return parser.recordAt(SEGMENT_HEADER_BYTES, key) >= 0 ? key : undefined;
}

/**
 * Every intact record of a segment, in order. A damaged record is skipped by searching
 * forward for the next place where the segment's key starts a record that checks out (a
 * false match needs the unknown 32-bit key and a CRC-32 collision), so one bad record costs
 * only itself, and the search CRCs only at the key: linear in the segment's size.
 */
export function parseSegment(buf: Buffer): ParsedSegment {
  const parser = new Parser(buf);
  const isNew = buf.length >= 4 && buf.readUInt32BE(0) === SEGMENT_MAGIC;
  if (!isNew && buf.length >= LEGACY_RECORD_HEADER_BYTES) return parseLegacy(buf, parser);
  const key = isNew ? segmentKey(buf, parser) : undefined;
  const records: ParsedRecord[] = [];
  let corruptRegions = 0;
  let corruptBytes = 0;
  let lostRecords = 0;
  let tornBytes = 0;
  if (key === undefined) {
    // A header cut short by a crash (nothing was ever appended), or a damaged header in front of
    // a damaged first record: the key is unknown, nothing can be trusted.
    const complete = buf.length >= SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES;
    return { records, legacy: false, corruptRegions: complete ? 1 : 0, corruptBytes: complete ? buf.length : 0, lostRecords: complete ? 1 : 0, tornBytes: complete ? 0 : buf.length, checkedBytes: parser.checkedBytes };
  }
  const keyBytes = Buffer.allocUnsafe(4);
  keyBytes.writeUInt32BE(key >>> 0, 0);
  let at = SEGMENT_HEADER_BYTES;
  while (at < buf.length) {
    const length = parser.recordAt(at, key);
    if (length >= 0) {
      records.push({ offset: at, length });
      at += RECORD_HEADER_BYTES + length;
      continue;
    }
    // Resynchronise: the next key that starts an intact record. Keys whose record fails were
    // records too (damaged, or a torn write when it runs past the end).
    let next = -1;
    let lost = buf.length - at >= RECORD_HEADER_BYTES && buf.readUInt32BE(at) === key && completeAt(buf, at) ? 1 : 0;
    for (let q = buf.indexOf(keyBytes, at + 1); q >= 0; q = buf.indexOf(keyBytes, q + 1)) {
      if (parser.recordAt(q, key) >= 0) {
        next = q;
        break;
      }
      if (completeAt(buf, q)) lost++;
    }
    if (next < 0) {
      tornBytes = buf.length - at;
      lostRecords += lost;
      break;
    }
    corruptRegions++;
    corruptBytes += next - at;
    lostRecords += Math.max(1, lost);
    at = next;
  }
  return { records, legacy: false, corruptRegions, corruptBytes, lostRecords, tornBytes, checkedBytes: parser.checkedBytes };
}

/** A record header at `at` whose stated length fits in the buffer: written whole, so damaged rather than torn. */
function completeAt(buf: Buffer, at: number): boolean {
  if (buf.length - at < RECORD_HEADER_BYTES) return false;
  const length = buf.readUInt32BE(at + 4);
  return length > 0 && at + RECORD_HEADER_BYTES + length <= buf.length;
}

/**
 * A segment written before the record key (format 1). Without a key every byte offset is a
 * candidate, so the search after damage gets a budget of CRC work (a few times the segment's
 * size); what lies beyond it is counted as damaged instead of taking hours.
 */
function parseLegacy(buf: Buffer, parser: Parser): ParsedSegment {
  const budget = 4 * buf.length + (1 << 20);
  const records: ParsedRecord[] = [];
  let corruptRegions = 0;
  let corruptBytes = 0;
  let lostRecords = 0;
  let tornBytes = 0;
  let at = 0;
  while (at < buf.length) {
    const length = parser.legacyAt(at);
    if (length >= 0) {
      records.push({ offset: at, length });
      at += LEGACY_RECORD_HEADER_BYTES + length;
      continue;
    }
    let next = -1;
    for (let q = at + 1; q + LEGACY_RECORD_HEADER_BYTES < buf.length && parser.checkedBytes <= budget; q++) {
      if (parser.legacyAt(q) >= 0) {
        next = q;
        break;
      }
    }
    if (next < 0) {
      if (parser.checkedBytes > budget) {
        corruptRegions++;
        corruptBytes += buf.length - at;
        lostRecords++;
      } else {
        tornBytes = buf.length - at;
      }
      break;
    }
    corruptRegions++;
    corruptBytes += next - at;
    lostRecords++;
    at = next;
  }
  return { records, legacy: true, corruptRegions, corruptBytes, lostRecords, tornBytes, checkedBytes: parser.checkedBytes };
}

/** The payload of a legacy (format 1) record found by parseSegment. */
export function legacyPayload(buf: Buffer, record: ParsedRecord): Buffer {
  return buf.subarray(record.offset + LEGACY_RECORD_HEADER_BYTES, record.offset + LEGACY_RECORD_HEADER_BYTES + record.length);
}

/** The intact record at `offset` of a buffer read from disk, or undefined when it does not check out. */
export function payloadAt(buf: Buffer, offset: number, length: number): Buffer | undefined {
  if (buf.length < offset + RECORD_HEADER_BYTES + length) return undefined;
  if (buf.readUInt32BE(offset + 4) !== length) return undefined;
  const payload = buf.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
  return crc32(payload) === buf.readUInt32BE(offset + 8) ? payload : undefined;
}

/** One acknowledgement: the record's offset, and a CRC so a damaged entry never acks another record. */
export function ackEntry(offset: number): Buffer {
  const entry = Buffer.allocUnsafe(ACK_ENTRY_BYTES);
  entry.writeUInt32BE(offset, 0);
  entry.writeUInt32BE(crc32(entry.subarray(0, 4)), 4);
  return entry;
}

/** Offsets acknowledged in an ack file; a torn last entry or a damaged one is ignored. */
export function parseAcks(buf: Buffer): Set<number> {
  const acked = new Set<number>();
  for (let at = 0; at + ACK_ENTRY_BYTES <= buf.length; at += ACK_ENTRY_BYTES) {
    if (crc32(buf.subarray(at, at + 4)) === buf.readUInt32BE(at + 4)) acked.add(buf.readUInt32BE(at));
  }
  return acked;
}
