// Recovering a damaged persistent-queue log whose records hold client-chosen bytes. Log
// bodies of `\0\0@\0` put a plausible record length at every 4th byte; recovery must stay
// linear in the segment's size (measured as the bytes it CRCs, not as time), say how many
// records were lost, and keep every other record.
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, parseSegment } from '../../src/exporters/helper/wal-format.js';
import { WriteAheadLog, type WalRecord } from '../../src/exporters/helper/wal.js';
import { encodeExportRequest } from '../../src/pdata/proto.js';
import type { ResourceLogs } from '../../src/pdata/types.js';
import { FakeBackend } from '../helpers/backend.js';
import { startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort, waitFor } from '../helpers/index.js';
import { logsRequest, postOtlp } from '../helpers/load.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `\0\0@\0` over and over: a big-endian u32 of 16384 at every 4th byte. */
const hostile = (bytes: number) => Buffer.alloc(bytes, Buffer.from([0, 0, 0x40, 0]));

function segmentFiles(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...segmentFiles(p));
    else if (n.endsWith('.seg')) out.push(p);
  }
  return out.sort();
}

describe('recovering a damaged log of client-chosen bytes', () => {
  it('CRCs each byte about once: a damaged record in front of 4 MiB of `\\0\\0@\\0` records', async () => {
    const dir = tempDir('ferry-wal-hostile-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { wal } = await WriteAheadLog.open({ dir, fsync: false, segmentBytes: 64 << 20 }, () => undefined);
    const records: WalRecord[] = [];
    records.push(await wal.append(Buffer.from('the record that gets damaged')));
    for (let i = 0; i < 4; i++) records.push(await wal.append(hostile(1 << 20)));
    await wal.close();
    const [file] = segmentFiles(dir);
    const buf = readFileSync(file as string);
    buf[(records[0] as WalRecord).offset + RECORD_HEADER_BYTES + 3] ^= 0xff;
    writeFileSync(file as string, buf);

    const recovered: number[] = [];
    const { wal: again, report } = await WriteAheadLog.open({ dir, fsync: false, segmentBytes: 64 << 20 }, (r) => recovered.push(r.offset));
    cleanups.push(() => again.close());
    expect(recovered).toEqual(records.slice(1).map((r) => r.offset));
    expect(report).toMatchObject({ corruptRegions: 1, lostRecords: 1, tornBytes: 0 });
    // The old format CRC'd 16 KiB at each of the million offsets (16 GiB); now: the file, about once.
    expect(report.checkedBytes).toBeLessThanOrEqual(2 * buf.length);
  });

  it('a segment an older Ferry wrote (no record key) is read within a work budget, and its records carried over', async () => {
    const dir = tempDir('ferry-wal-legacy-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const legacy = (payload: Buffer) => {
      const h = Buffer.allocUnsafe(8);
      h.writeUInt32BE(payload.length, 0);
      h.writeUInt32BE(crc32(payload), 4);
      return Buffer.concat([h, payload]);
    };
    const good = Buffer.from('kept from the old format');
    const damaged = legacy(Buffer.from('damaged'));
    damaged[10] ^= 0xff;
    const file = Buffer.concat([legacy(good), damaged, legacy(hostile(2 << 20))]);
    writeFileSync(join(dir, '0000000000000001.seg'), file);
    const parsed = parseSegment(file);
    expect(parsed.legacy).toBe(true);
    expect(parsed.checkedBytes).toBeLessThanOrEqual(4 * file.length + (1 << 20) + (2 << 20));

    const texts: string[] = [];
    const { wal, report } = await WriteAheadLog.open({ dir, fsync: false, segmentBytes: 64 << 20 }, (_r, p) => texts.push(p.subarray(0, 24).toString()));
    cleanups.push(() => wal.close());
    expect(texts[0]).toBe(good.toString());
    expect(report.lostRecords).toBeGreaterThanOrEqual(1);
    await wal.close();
    // Carried over into the current format: the old segment is gone, a new one holds the records.
    const now = segmentFiles(dir);
    expect(now).not.toContain(join(dir, '0000000000000001.seg'));
    expect(readFileSync(now[0] as string).readUInt32BE(0)).toBe(0x4657414c);
    const reread: string[] = [];
    const third = await WriteAheadLog.open({ dir, fsync: false, segmentBytes: 64 << 20 }, (_r, p) => reread.push(p.subarray(0, 24).toString()));
    cleanups.push(() => third.wal.close());
    expect(reread).toEqual(texts);
  });

  it('a real Ferry restarts on a damaged log of such records, delivers the rest, warns of the damage', async () => {
    const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    const backend = await FakeBackend.start(backendPort);
    cleanups.push(() => backend.down());
    await backend.down();
    const storageDir = tempDir('ferry-wal-hostile-e2e-');
    const config = writeConfig(
      faultConfig({ httpPort, metricsPort, backendUrl: backend.url, storageDir, exporterExtra: '    sending_queue:\n      storage: file_storage/q' }),
    );
    const first = await startFerry(['--config', config]);
    cleanups.push(() => first.stop(2_000));
    const url = `http://127.0.0.1:${httpPort}/v1/logs`;
    expect((await postOtlp(url, logsRequest(['w-lost']))).status).toBe(200);
    const big: ResourceLogs[] = [
      {
        resource: { attributes: [], droppedAttributesCount: 0 },
        scopeLogs: [{ scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: [{ body: { stringValue: 'w-hostile' }, attributes: [{ key: 'payload', value: { stringValue: hostile(3 << 20).toString('latin1') } }] }] }],
      } as unknown as ResourceLogs,
    ];
    expect((await postOtlp(url, Buffer.from(encodeExportRequest('logs', big)))).status).toBe(200);
    expect((await postOtlp(url, logsRequest(['w-after']))).status).toBe(200);
    await first.stop(5_000);

    const [file] = segmentFiles(storageDir);
    const buf = readFileSync(file as string);
    buf[SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + 2] ^= 0xff; // inside the first record's payload
    writeFileSync(file as string, buf);

    await backend.up();
    const second = await startFerry(['--config', config], { timeoutMs: 30_000 });
    cleanups.push(() => second.stop(2_000));
    await waitFor(() => backend.delivered.has('w-hostile') && backend.delivered.has('w-after'), 'the undamaged records at the backend', 15_000);
    expect(backend.delivered.has('w-lost')).toBe(false);
    expect(second.stderr()).toMatch(/damaged/);
  });
});
