// Serialized appends to one file, with size-based rotation in the style of lumberjack
// (the Go library behind the Collector's fileexporter): <name>-<timestamp><ext> backups.
import { constants as fsConstants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { access, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

export interface RotationSettings {
  readonly maxBytes: number;
  /** 0: no age limit. */
  readonly maxDays: number;
  /** 0: keep every backup. */
  readonly maxBackups: number;
  readonly localTime: boolean;
}

export interface FileWriterOptions {
  readonly path: string;
  /** Keep what the file holds (true) or truncate it on open (false). Rotation always keeps it. */
  readonly append: boolean;
  readonly rotation?: RotationSettings;
  /** fdatasync period when something was written; 0 disables it. */
  readonly syncIntervalMs: number;
  /** Clock for backup names and their age; defaults to now. */
  readonly now?: () => Date;
}

interface PendingWrite {
  readonly data: Buffer;
  resolve(): void;
  reject(err: unknown): void;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** lumberjack's backup timestamp, "2006-01-02T15-04-05.000". */
function backupTimestamp(d: Date, local: boolean): string {
  const [y, mo, day, h, mi, s, ms] = local
    ? [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()]
    : [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()];
  return `${pad(y, 4)}-${pad(mo)}-${pad(day)}T${pad(h)}-${pad(mi)}-${pad(s)}.${pad(ms, 3)}`;
}

const BACKUP_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/;

function parseBackupTimestamp(s: string, local: boolean): number | undefined {
  const m = BACKUP_TIME.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return local ? new Date(y, mo - 1, d, h, mi, sec, ms).getTime() : Date.UTC(y, mo - 1, d, h, mi, sec, ms);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export class FileWriter {
  private handle: FileHandle | undefined;
  private size = 0;
  private dirty = false;
  private queue: PendingWrite[] = [];
  private draining: Promise<void> | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => Date;

  constructor(private readonly options: FileWriterOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async open(): Promise<void> {
    // With rotation the file is continued, as lumberjack does; without, `append` decides.
    const keep = this.options.append || this.options.rotation !== undefined;
    this.handle = await open(this.options.path, keep ? 'a' : 'w', 0o644);
    this.size = keep ? (await this.handle.stat()).size : 0;
    if (this.options.syncIntervalMs > 0) {
      this.syncTimer = setInterval(() => void this.sync(), this.options.syncIntervalMs);
      this.syncTimer.unref();
    }
  }

  /**
   * Appends `data` after everything written before it; resolves once the operating
   * system has it (the write call completed). A record is never split or interleaved.
   */
  write(data: Buffer): Promise<void> {
    if (this.closed || !this.handle) return Promise.reject(new Error(`file ${this.options.path} is not open`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
    });
  }

  /** Waits for queued writes, syncs and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    while (this.draining) await this.draining;
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return;
    try {
      if (this.dirty) await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  private async sync(): Promise<void> {
    if (!this.dirty || !this.handle || this.draining) return;
    this.dirty = false;
    try {
      await this.handle.datasync();
    } catch {
      this.dirty = true; // retried at the next interval; writes themselves report their own errors
    }
  }

  /** Writes what is queued, coalescing consecutive records into one write call. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      try {
        if (group.rotateFirst) await this.rotate();
        await this.writeAll(Buffer.concat(group.writes.map((w) => w.data)));
        for (const w of group.writes) w.resolve();
      } catch (err) {
        for (const w of group.writes) w.reject(err);
      }
    }
  }

  /** The next records that fit in the current file (or, when it must rotate first, in a fresh one). */
  private takeGroup(): { writes: PendingWrite[]; rotateFirst: boolean } {
    const max = this.options.rotation?.maxBytes;
    const first = this.queue[0] as PendingWrite;
    // As lumberjack: rotate before a write that would take a non-empty file past the limit.
    // A single record larger than the limit still goes, alone, into a fresh file.
    const rotateFirst = max !== undefined && this.size > 0 && this.size + first.data.length > max;
    let used = rotateFirst ? 0 : this.size;
    const writes: PendingWrite[] = [];
    while (this.queue.length > 0) {
      const next = this.queue[0] as PendingWrite;
      if (writes.length > 0 && max !== undefined && used + next.data.length > max) break;
      writes.push(next);
      this.queue.shift();
      used += next.data.length;
    }
    return { writes, rotateFirst };
  }

  private async writeAll(buf: Buffer): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error(`file ${this.options.path} is not open`);
    const before = this.size;
    let offset = 0;
    try {
      while (offset < buf.length) {
        const { bytesWritten } = await handle.write(buf, offset, buf.length - offset);
        offset += bytesWritten;
      }
    } catch (err) {
      // Do not leave half a record behind (e.g. on ENOSPC): cut the file back.
      if (offset > 0) await handle.truncate(before).catch(() => undefined);
      throw err;
    }
    this.size += buf.length;
    this.dirty = true;
  }

  /** Renames the full file to its backup name, starts a new one, and prunes old backups. */
  private async rotate(): Promise<void> {
    const rotation = this.options.rotation;
    const handle = this.handle;
    if (!rotation || !handle) return;
    await handle.datasync().catch(() => undefined);
    await handle.close();
    this.handle = undefined;
    const { path } = this.options;
    const ext = extname(path);
    const prefix = join(dirname(path), basename(path, ext));
    // Two rotations within one millisecond must not overwrite the first backup.
    let t = this.now().getTime();
    let backup = `${prefix}-${backupTimestamp(new Date(t), rotation.localTime)}${ext}`;
    while (await exists(backup)) backup = `${prefix}-${backupTimestamp(new Date(++t), rotation.localTime)}${ext}`;
    try {
      await rename(path, backup);
    } catch (err) {
      // Keep writing to the full file rather than not at all; the next write tries again.
      this.handle = await open(path, 'a', 0o644);
      this.size = (await this.handle.stat()).size;
      throw err;
    }
    this.handle = await open(path, 'w', 0o644);
    this.size = 0;
    this.dirty = false;
    await this.prune(rotation);
  }

  /** lumberjack's cleanup: keep the newest max_backups backups, none older than max_days. */
  private async prune(rotation: RotationSettings): Promise<void> {
    if (rotation.maxBackups === 0 && rotation.maxDays === 0) return;
    const { path } = this.options;
    const dir = dirname(path);
    const ext = extname(path);
    const stem = basename(path, ext) + '-';
    const backups: { name: string; time: number }[] = [];
    for (const name of await readdir(dir)) {
      if (!name.startsWith(stem) || !name.endsWith(ext)) continue;
      const time = parseBackupTimestamp(name.slice(stem.length, name.length - ext.length), rotation.localTime);
      if (time !== undefined) backups.push({ name, time });
    }
    backups.sort((a, b) => b.time - a.time);
    const cutoff = this.now().getTime() - rotation.maxDays * DAY_MS;
    const doomed = backups.filter((b, i) => (rotation.maxBackups > 0 && i >= rotation.maxBackups) || (rotation.maxDays > 0 && b.time < cutoff));
    await Promise.all(doomed.map((b) => rm(join(dir, b.name), { force: true })));
  }
}
