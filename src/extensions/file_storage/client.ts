// file_storage's key-value client and disk budget: one file per key, replaced atomically
// (write a temporary file, fsync, rename, fsync the directory), and the bytes it all uses.
import { open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskQuota, StorageClient } from '../storage.js';

/** Temporary files carry this in their name; escaped keys never contain a '.'. */
export const TEMP_MARK = '.tmp-';

/** A file name for any string: letters, digits, '-' kept, everything else %XX (so '.', '/' and '_' never appear raw). */
export function escapeName(part: string): string {
  let out = '';
  for (const byte of Buffer.from(part, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Bytes used by every file under `dir`, recursively. */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await diskUsage(path);
    else if (entry.isFile()) total += await sizeOf(path);
  }
  return total;
}

/** Remove temporary files of writes a crash interrupted; returns their bytes. */
export async function removeTempFiles(dir: string): Promise<number> {
  let freed = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) freed += await removeTempFiles(path);
    else if (entry.name.includes(TEMP_MARK)) {
      freed += await sizeOf(path);
      await unlink(path).catch(() => undefined);
    }
  }
  return freed;
}

/** The disk budget shared by everything in one file_storage directory. */
export class DiskBudget implements DiskQuota {
  constructor(
    readonly limitBytes: number,
    private used: number,
  ) {}

  get usedBytes(): number {
    return this.used;
  }

  tryReserve(bytes: number): boolean {
    if (this.limitBytes > 0 && this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  add(bytes: number): void {
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

let tempCounter = 0;

/** A key-value store in one directory: each key a file, replaced whole on every set. */
export class FileKvClient implements StorageClient {
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly quota: DiskQuota | undefined,
  ) {}

  private path(key: string): string {
    if (this.closed) throw new Error('storage client is closed');
    return join(this.dir, escapeName(key));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Durable when it resolves (with fsync): a crash leaves the old value or the new one, never a mix. */
  async set(key: string, value: Uint8Array): Promise<void> {
    const path = this.path(key);
    const temp = `${path}${TEMP_MARK}${process.pid}-${++tempCounter}`;
    const fh = await open(temp, 'w');
    try {
      await fh.writeFile(value);
      if (this.fsync) await fh.datasync();
    } catch (err) {
      await fh.close();
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    const old = await sizeOf(path);
    await rename(temp, path);
    if (this.fsync) await fsyncDir(this.dir);
    // Checkpoints are small and must never be refused: they are counted, not limited.
    this.quota?.add(value.byteLength);
    this.quota?.release(old);
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    const old = await sizeOf(path);
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (this.fsync) await fsyncDir(this.dir);
    this.quota?.release(old);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
