// The write-ahead log's on-disk format: records `[length u32][crc32 u32][payload]` in
// segment files, 8-byte acknowledgement entries, and the recovery parse of both.
import { crc32 } from 'node:zlib';

export const RECORD_HEADER_BYTES = 8;
export const ACK_ENTRY_BYTES = 8;
/** No single record is larger than this (a batch is capped far below it by receivers). */
export const MAX_RECORD_BYTES = 1 << 30;

/** The 8-byte header of a record holding `payload`. */
export function recordHeader(payload: Uint8Array): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32BE(payload.byteLength, 0);
  header.writeUInt32BE(crc32(payload), 4);
  return header;
}

/** A record found in a segment: its payload starts at offset + 8. */
export interface ParsedRecord {
  readonly offset: number;
  readonly length: number;
}

export interface ParsedSegment {
  readonly records: ParsedRecord[];
  /** Damaged stretches followed by valid records again (each skipped, the rest kept). */
  readonly corruptRegions: number;
  readonly corruptBytes: number;
  /** Bytes after the last valid record that never formed one: a write cut short by a crash. */
  readonly tornBytes: number;
}

/** True when a complete, intact record starts at `at`. */
function validAt(buf: Buffer, at: number): boolean {
  if (buf.length - at < RECORD_HEADER_BYTES) return false;
  const length = buf.readUInt32BE(at);
  // A zero length never comes from append(); zeros are what a crash can leave in a file's tail.
  if (length === 0 || length > MAX_RECORD_BYTES || at + RECORD_HEADER_BYTES + length > buf.length) return false;
  return crc32(buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length)) === buf.readUInt32BE(at + 4);
}

/**
 * Every intact record of a segment, in order. A damaged record is skipped by searching
 * forward for the next position where a whole record checks out (a false match needs a
 * CRC-32 collision: about 1 in 4 billion per candidate), so one bad record costs only itself.
 */
export function parseSegment(buf: Buffer): ParsedSegment {
  const records: ParsedRecord[] = [];
  let corruptRegions = 0;
  let corruptBytes = 0;
  let tornBytes = 0;
  let at = 0;
  while (at < buf.length) {
    if (validAt(buf, at)) {
      const length = buf.readUInt32BE(at);
      records.push({ offset: at, length });
      at += RECORD_HEADER_BYTES + length;
      continue;
    }
    let next = -1;
    for (let q = at + 1; q + RECORD_HEADER_BYTES < buf.length; q++) {
      if (validAt(buf, q)) {
        next = q;
        break;
      }
    }
    if (next < 0) {
      tornBytes = buf.length - at;
      break;
    }
    corruptRegions++;
    corruptBytes += next - at;
    at = next;
  }
  return { records, corruptRegions, corruptBytes, tornBytes };
}

/** The intact record at `offset` of a buffer read from disk, or undefined when it does not check out. */
export function payloadAt(buf: Buffer, offset: number, length: number): Buffer | undefined {
  if (buf.length < offset + RECORD_HEADER_BYTES + length) return undefined;
  if (buf.readUInt32BE(offset) !== length) return undefined;
  const payload = buf.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length);
  return crc32(payload) === buf.readUInt32BE(offset + 4) ? payload : undefined;
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
