// The write-ahead log on a real disk: append and read back, recovery after a restart,
// CRCs, a torn tail cut at every byte of the last record, a damaged middle record, compaction, the disk budget.
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskBudget } from '../../../src/extensions/file_storage/client.js';
import { CorruptRecordError, DiskFullError, WriteAheadLog, type WalOptions, type WalRecord } from '../../../src/exporters/helper/wal.js';
import { RECORD_HEADER_BYTES, parseSegment } from '../../../src/exporters/helper/wal-format.js';

const dirs: string[] = [];
const open: WriteAheadLog[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ferry-wal-'));
  dirs.push(d);
  return d;
}

const payload = (i: number, size = 32) => Buffer.from(`record-${i}-`.padEnd(size, String.fromCharCode(97 + (i % 26))));

async function openWal(options: Partial<WalOptions> & { dir: string }) {
  const recovered: Array<{ record: WalRecord; text: string }> = [];
  const { wal, report } = await WriteAheadLog.open({ fsync: true, segmentBytes: 1 << 20, ...options }, (record, p) => recovered.push({ record, text: p.toString() }));
  open.push(wal);
  return { wal, report, recovered, texts: recovered.map((r) => r.text) };
}

async function reopen(wal: WriteAheadLog, options: Partial<WalOptions> & { dir: string }) {
  await wal.close();
  return openWal(options);
}

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();

describe('write-ahead log', () => {
  it('reads back what it appended, and recovers the unacknowledged records in order after a restart', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir });
    const records = await Promise.all([0, 1, 2, 3, 4].map((i) => wal.append(payload(i))));
    for (const [i, r] of records.entries()) expect((await wal.read(r)).toString()).toBe(payload(i).toString());
    wal.ack(records[1] as WalRecord);
    wal.ack(records[3] as WalRecord);
    const again = await reopen(wal, { dir });
    expect(again.texts).toEqual([0, 2, 4].map((i) => payload(i).toString()));
    expect(again.report).toMatchObject({ segments: 1, pending: 3, corruptRegions: 0, tornBytes: 0 });
    // Appends after a restart go to a new segment: an old one's tail is never written after.
    await again.wal.append(payload(5));
    expect(segments(dir)).toHaveLength(2);
  });

  it('commits concurrent appends together, each at its own offset', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir });
    const records = await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append(payload(i, 10 + (i % 50)))));
    expect(new Set(records.map((r) => `${r.segment}:${r.offset}`)).size).toBe(200);
    const again = await reopen(wal, { dir });
    expect(again.texts).toEqual(Array.from({ length: 200 }, (_, i) => payload(i, 10 + (i % 50)).toString()));
  });

  it('keeps every record before a torn tail, wherever the last write was cut', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir });
    for (let i = 0; i < 3; i++) await wal.append(payload(i));
    const last = await wal.append(payload(3, 40));
    await wal.close();
    const [name] = segments(dir);
    const file = join(dir, name as string);
    const whole = readFileSync(file);
    expect(whole.length).toBe(last.offset + RECORD_HEADER_BYTES + 40);
    for (let cut = last.offset + 1; cut < whole.length; cut++) {
      writeFileSync(file, whole.subarray(0, cut));
      const { wal: w, texts, report } = await openWal({ dir });
      expect(texts, `cut at ${cut}`).toEqual([0, 1, 2].map((i) => payload(i).toString()));
      expect(report.tornBytes, `cut at ${cut}`).toBe(cut - last.offset);
      await w.close();
      // Each reopen starts a new (empty) segment; remove it so the next round sees one file.
      for (const n of segments(dir)) if (n !== name) rmSync(join(dir, n));
    }
  });

  it('skips a record whose bytes changed (CRC) and keeps the ones after it', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir });
    const records: WalRecord[] = [];
    for (let i = 0; i < 5; i++) records.push(await wal.append(payload(i)));
    await wal.close();
    const file = join(dir, segments(dir)[0] as string);
    const buf = readFileSync(file);
    buf[(records[2] as WalRecord).offset + RECORD_HEADER_BYTES + 5] ^= 0xff;
    writeFileSync(file, buf);
    const { texts, report } = await openWal({ dir });
    expect(texts).toEqual([0, 1, 3, 4].map((i) => payload(i).toString()));
    expect(report).toMatchObject({ corruptRegions: 1, corruptBytes: RECORD_HEADER_BYTES + 32, lostRecords: 1, tornBytes: 0 });
  });

  it('resynchronises after a damaged length field', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir });
    const records: WalRecord[] = [];
    for (let i = 0; i < 5; i++) records.push(await wal.append(payload(i)));
    await wal.close();
    const file = join(dir, segments(dir)[0] as string);
    const buf = readFileSync(file);
    buf.writeUInt32BE(7, (records[1] as WalRecord).offset + 4);
    writeFileSync(file, buf);
    const parsed = parseSegment(buf);
    expect(parsed.records.map((r) => r.offset)).toEqual([0, 2, 3, 4].map((i) => (records[i] as WalRecord).offset));
    const { texts } = await openWal({ dir });
    expect(texts).toEqual([0, 2, 3, 4].map((i) => payload(i).toString()));
  });

  it('ignores a torn or damaged acknowledgement instead of trusting it', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir });
    const records: WalRecord[] = [];
    for (let i = 0; i < 4; i++) records.push(await wal.append(payload(i)));
    wal.ack(records[0] as WalRecord);
    wal.ack(records[1] as WalRecord);
    await wal.close();
    const ack = join(dir, (segments(dir)[0] as string).replace('.seg', '.ack'));
    const buf = readFileSync(ack);
    expect(buf.length).toBe(16);
    buf[8] ^= 0x01; // the second entry now names another offset, and fails its CRC
    writeFileSync(ack, Buffer.concat([buf, Buffer.from([0, 0, 0])]));
    const { texts } = await openWal({ dir });
    expect(texts).toEqual([1, 2, 3].map((i) => payload(i).toString()));
  });

  it('deletes a segment once everything in it is acknowledged, and nothing is re-sent after a restart', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir, segmentBytes: 200 });
    const records: WalRecord[] = [];
    for (let i = 0; i < 20; i++) records.push(await wal.append(payload(i)));
    expect(segments(dir).length).toBeGreaterThanOrEqual(4);
    for (const r of records.slice(0, 15)) wal.ack(r);
    const again = await reopen(wal, { dir, segmentBytes: 200 });
    expect(again.texts).toEqual([15, 16, 17, 18, 19].map((i) => payload(i).toString()));
    const firstLeft = Math.min(...again.recovered.map((r) => r.record.segment));
    expect(segments(dir).every((n) => Number(n.slice(0, 16)) >= firstLeft)).toBe(true);
    for (const r of again.recovered) again.wal.ack(r.record);
    const third = await reopen(again.wal, { dir, segmentBytes: 200 });
    expect(third.texts).toEqual([]);
    expect(segments(dir)).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.ack'))).toEqual([]);
  });

  it('refuses appends beyond the disk budget, and takes them again once delivered data is gone', async () => {
    const dir = tempDir();
    const quota = new DiskBudget(1000, 0);
    const { wal } = await openWal({ dir, segmentBytes: 400, quota });
    const records: WalRecord[] = [];
    // Each record is 12 + 32 bytes, each segment of 400 (8 records) starts with a 16-byte header: 21 fit in 1000.
    for (let i = 0; i < 40; i++) {
      try {
        records.push(await wal.append(payload(i)));
      } catch (err) {
        expect(err).toBeInstanceOf(DiskFullError);
        break;
      }
    }
    expect(records).toHaveLength(21);
    await expect(wal.append(payload(99))).rejects.toBeInstanceOf(DiskFullError);
    expect(quota.usedBytes).toBeLessThanOrEqual(1000);
    for (const r of records) wal.ack(r);
    // Every segment, the active one included, held only delivered data: the room is back.
    await expect(wal.append(payload(100))).resolves.toMatchObject({ length: 32 });
    await wal.close();
    const onDisk = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(quota.usedBytes).toBe(onDisk);
  });

  it('treats a zero-filled tail (what a crash can leave) as torn, not as records', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir });
    await wal.append(payload(0));
    await wal.close();
    const file = join(dir, segments(dir)[0] as string);
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.alloc(4096)]));
    const { texts, report } = await openWal({ dir });
    expect(texts).toEqual([payload(0).toString()]);
    expect(report.tornBytes).toBe(4096);
    truncateSync(file, 0);
  });
});

describe('reading back when the file cannot be opened for now', () => {
  it('does not keep a failed open: the next read opens the segment again; a damaged record is a CorruptRecordError', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir });
    const a = await wal.append(payload(1));
    const [seg] = segments(dir) as [string];
    // The segment cannot be opened (as with EMFILE): the read fails, and is not remembered.
    renameSync(join(dir, seg), join(dir, `${seg}.away`));
    await expect(wal.read(a)).rejects.toThrow(/ENOENT/);
    renameSync(join(dir, `${seg}.away`), join(dir, seg));
    expect((await wal.read(a)).toString()).toBe(payload(1).toString());
    // A record whose bytes changed on disk is proven damaged.
    const bytes = readFileSync(join(dir, seg));
    bytes[a.offset + 12] = (bytes[a.offset + 12] ?? 0) ^ 0xff;
    writeFileSync(join(dir, seg), bytes);
    await expect(wal.read(a)).rejects.toBeInstanceOf(CorruptRecordError);
  });

  it('closes and compacts a segment whose read handle never opened, without an unhandled rejection', async () => {
    const dir = tempDir();
    const { wal } = await openWal({ dir, segmentBytes: 64 });
    const a = await wal.append(payload(1, 40));
    const [seg] = segments(dir) as [string];
    renameSync(join(dir, seg), join(dir, `${seg}.away`));
    await expect(wal.read(a)).rejects.toThrow(/ENOENT/);
    renameSync(join(dir, `${seg}.away`), join(dir, seg));
    await wal.append(payload(2, 40)); // seals the first segment
    wal.ack(a);
    await wal.close();
    expect(segments(dir)).not.toContain(seg);
  });
});
