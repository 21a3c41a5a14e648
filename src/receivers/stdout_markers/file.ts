// Follows a file like `tail -F`: reads what is appended, finishes a rotated file before
// moving to its successor, restarts a truncated one, and checkpoints the offset it resumes from.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { StorageClient } from '../../extensions/storage.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ExitInfo } from './convert.js';
import { LineReader } from './lines.js';
import type { LineSink, Source } from './sources.js';

export interface FileSourceOptions {
  readonly path: string;
  readonly startAt: 'beginning' | 'end';
  readonly pollIntervalMs: number;
  readonly forceFlushMs: number;
  readonly maxLineBytes: number;
  /** Where the offset is checkpointed; without one, a restart starts over at start_at. */
  readonly storage: StorageClient | undefined;
  readonly logger: Logger;
}

/** What is stored: which file (inode + a hash of its first bytes) and where to resume in it. */
export interface FileCheckpoint {
  readonly path: string;
  readonly ino: number;
  readonly offset: number;
  /** sha256 (hex) of the file's first `headBytes` bytes, so a recycled inode is not mistaken for the file. */
  readonly head: string;
  readonly headBytes: number;
}

/** The mark each line carries: settled marks become checkpoints (taken as they are, no file access). */
type FileMark = Omit<FileCheckpoint, 'path'>;

interface OpenFile {
  readonly handle: FileHandle;
  readonly ino: number;
  position: number;
  reader: LineReader;
  /** Hash of the file's first bytes, kept current until it covers HEAD_BYTES. */
  head: { bytes: number; hash: string };
}

export const CHECKPOINT_KEY = 'checkpoint';
const HEAD_BYTES = 1024;
const READ_SIZE = 64 * 1024;

/** sha256 of the first `bytes` bytes (fewer if the file is shorter), and how many there were. */
async function headHash(handle: FileHandle, bytes: number): Promise<{ bytes: number; hash: string }> {
  const buf = Buffer.alloc(bytes);
  const { bytesRead } = await handle.read(buf, 0, bytes, 0);
  return { bytes: bytesRead, hash: createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex') };
}

export class FileSource implements Source {
  private current: OpenFile | undefined;
  private paused = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private sink!: LineSink;
  private lastData = Date.now();
  // Never resolves: a followed file has no end.
  readonly ended = new Promise<ExitInfo | undefined>(() => undefined);

  constructor(private readonly options: FileSourceOptions) {}

  async start(sink: LineSink): Promise<void> {
    this.sink = sink;
    const { path, startAt, storage, logger } = this.options;
    const saved = await this.loadCheckpoint();
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) {
      logger.info('file does not exist yet; waiting for it', { path });
    } else {
      let position = startAt === 'end' ? info.size : 0;
      const handle = await open(path, 'r');
      if (saved !== undefined) {
        const head = await headHash(handle, saved.headBytes);
        const same = saved.path === path && saved.ino === info.ino && info.size >= saved.offset && head.bytes === saved.headBytes && head.hash === saved.head;
        // A different file than the checkpoint's: it is new since, so all of it is unread.
        position = same ? saved.offset : 0;
        logger.debug('resuming from checkpoint', { path, offset: position, sameFile: same });
      }
      this.current = await this.openFile(handle, info.ino, position);
    }
    if (storage === undefined) logger.debug('no storage: the read offset is not checkpointed', { path });
    this.loop = this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    // An unfinished last line is not emitted: the checkpoint stays before it, and the
    // next run reads it whole.
    await this.current?.handle.close().catch(() => undefined);
    this.current = undefined;
  }

  /** Store where to resume: called once the lines up to `mark` are delivered (also while shutting down). */
  async settled(mark: unknown): Promise<void> {
    const storage = this.options.storage;
    if (storage === undefined) return;
    const checkpoint: FileCheckpoint = { path: this.options.path, ...(mark as FileMark) };
    await storage.set(CHECKPOINT_KEY, Buffer.from(JSON.stringify(checkpoint)));
  }

  private async loadCheckpoint(): Promise<FileCheckpoint | undefined> {
    const raw = await this.options.storage?.get(CHECKPOINT_KEY);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(Buffer.from(raw).toString('utf8')) as FileCheckpoint;
    } catch {
      this.options.logger.warn('ignoring an unreadable checkpoint', { path: this.options.path });
      return undefined;
    }
  }

  private async openFile(handle: FileHandle, ino: number, position: number): Promise<OpenFile> {
    const file: OpenFile = { handle, ino, position, reader: undefined as unknown as LineReader, head: await headHash(handle, HEAD_BYTES) };
    file.reader = this.readerFor(file, position);
    return file;
  }

  private readerFor(file: OpenFile, position: number): LineReader {
    return new LineReader(
      this.options.maxLineBytes,
      (line) => this.sink(line, 'file', { ino: file.ino, offset: line.endOffset, head: file.head.hash, headBytes: file.head.bytes } satisfies FileMark),
      position,
    );
  }

  private async run(): Promise<void> {
    const buf = Buffer.alloc(READ_SIZE);
    while (!this.stopped) {
      if (this.paused) {
        await this.sleep(undefined);
        continue;
      }
      const file = this.current;
      if (file !== undefined) {
        let bytesRead = 0;
        try {
          ({ bytesRead } = await file.handle.read(buf, 0, READ_SIZE, file.position));
        } catch (err) {
          this.options.logger.warn('could not read the file', { path: this.options.path, error: err instanceof Error ? err.message : String(err) });
        }
        if (bytesRead > 0) {
          // Until the file has HEAD_BYTES, its head grows: the marks of these lines must name it as it is now.
          if (file.head.bytes < HEAD_BYTES) file.head = await headHash(file.handle, HEAD_BYTES);
          file.position += bytesRead;
          file.reader.push(buf.subarray(0, bytesRead));
          this.lastData = Date.now();
          continue;
        }
        if (file.reader.pendingBytes > 0 && Date.now() - this.lastData >= this.options.forceFlushMs) file.reader.flushPartial();
      }
      await this.checkRotation();
      if (this.stopped) break;
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  /** At EOF: has the path become another file (rotation) or shrunk (truncation)? */
  private async checkRotation(): Promise<void> {
    const { path, logger } = this.options;
    const info = await stat(path).catch(() => undefined);
    const file = this.current;
    if (info === undefined) return; // removed: keep what we have open, wait for a successor
    if (file !== undefined && info.ino === file.ino) {
      if (info.size < file.position) {
        logger.info('file was truncated; reading it from the start', { path });
        file.reader.end();
        file.position = 0;
        file.head = { bytes: 0, hash: '' };
        file.reader = this.readerFor(file, 0);
      }
      return;
    }
    // A new file at the path. The old one was read to its end just now (we only get here
    // at EOF); its unfinished last line is complete as far as it will ever be.
    if (file !== undefined) {
      logger.info('file was rotated; following its successor', { path });
      file.reader.end();
      await file.handle.close().catch(() => undefined);
    }
    try {
      this.current = await this.openFile(await open(path, 'r'), info.ino, 0);
      this.lastData = Date.now();
    } catch (err) {
      this.current = undefined;
      logger.warn('could not open the file', { path, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Wait `ms` (or until resume/stop when undefined); resume() and stop() wake it early. */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        if (timer) clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.wake = done;
    });
  }
}
