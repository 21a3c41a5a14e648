// A persistent queue on a failing disk. A full disk (a real tmpfs that runs out, ENOSPC)
// answers the sender 429 with Retry-After and says "disk full"; an acknowledgement that
// cannot be written is logged and written later, instead of silently turning every record
// of the run into a duplicate after the next restart.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteAheadLog, type WalRecord } from '../../src/exporters/helper/wal.js';
import { parseAcks } from '../../src/exporters/helper/wal-format.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { FakeBackend } from '../helpers/backend.js';
import { startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort, waitFor } from '../helpers/index.js';
import { logsRequest } from '../helpers/load.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A 1 MiB tmpfs: a disk that really fills. Mounting needs root (CI runs as root); elsewhere the test says why it cannot run. */
function smallDisk(): string {
  const dir = tempDir('ferry-full-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`this test mounts a 1 MiB tmpfs to fill a real disk and needs root (mount failed: ${String(err)})`);
  }
  cleanups.push(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      // already gone
    }
  });
  return dir;
}

function post(url: string, body: Buffer): Promise<{ status: number; retryAfter: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], text: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a failing disk under the persistent queue', () => {
  it('a full disk: 429 with Retry-After and "disk full"; once the backlog drains, records are taken again', async () => {
    const disk = smallDisk();
    const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    const backend = await FakeBackend.start(backendPort);
    cleanups.push(() => backend.down());
    await backend.down();
    const config = writeConfig(
      faultConfig({ httpPort, metricsPort, backendUrl: backend.url, storageDir: join(disk, 'q'), exporterExtra: '    sending_queue:\n      storage: file_storage/q' }),
    );
    const ferry = await startFerry(['--config', config]);
    cleanups.push(() => ferry.stop(2_000));
    const url = `http://127.0.0.1:${httpPort}/v1/logs`;
    const accepted: string[] = [];
    let refused: { status: number; retryAfter: string | undefined; text: string } | undefined;
    const pad = 'x'.repeat(2000);
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const ids = Array.from({ length: 20 }, (_, j) => `d-${i}-${j}-${pad}`);
      const r = await post(url, logsRequest(ids));
      if (r.status === 200) accepted.push(...ids);
      else refused = r;
    }
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused?.status).toBe(429);
    expect(Number(refused?.retryAfter)).toBeGreaterThan(0);
    expect(refused?.text).toContain('disk full');

    await backend.up();
    await waitFor(() => accepted.every((id) => backend.delivered.has(id)), 'every accepted record at the backend', 15_000);
    await waitFor(async () => (await post(url, logsRequest(['d-after']))).status === 200, 'room again once delivered segments are gone', 10_000);
  });

  it('an acknowledgement write that fails is logged, retried, and written once the disk takes it', async () => {
    const dir = tempDir('ferry-ack-fail-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    const { wal } = await WriteAheadLog.open({ dir, fsync: false, segmentBytes: 1 << 20, logger }, () => undefined);
    const records: WalRecord[] = [];
    for (let i = 0; i < 3; i++) records.push(await wal.append(Buffer.from(`record ${i}`)));
    const segment = readdirSync(dir).find((n) => n.endsWith('.seg')) as string;
    const ackPath = join(dir, segment.replace('.seg', '.ack'));
    // The ack file cannot be written (a directory stands where it goes: EISDIR, even for root).
    mkdirSync(ackPath);
    wal.ack(records[0] as WalRecord);
    await waitFor(() => lines.some((l) => l.includes('Could not write the queue\'s acknowledgements; retrying')), 'the failed ack write in the log');
    rmSync(ackPath, { recursive: true });
    await waitFor(() => {
      try {
        return parseAcks(readFileSync(ackPath)).has((records[0] as WalRecord).offset);
      } catch {
        return false;
      }
    }, 'the ack written by a retry', 5_000);
    await wal.close();
    const left: number[] = [];
    const again = await WriteAheadLog.open({ dir, fsync: false, segmentBytes: 1 << 20, logger }, (r) => left.push(r.offset));
    cleanups.push(() => again.wal.close());
    expect(left).toEqual([records[1]?.offset, records[2]?.offset]);
  });
});
