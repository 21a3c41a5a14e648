// Follows the files a set of globs matches, as the Collector's fileconsumer does: a file is
// known by a fingerprint (its first bytes), so renames, copies and truncation are told apart,
// and the offsets of delivered lines are checkpointed in a storage extension.
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import type { StorageClient } from '../../extensions/storage.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Line } from './lines.js';
import { LineReader } from './lines.js';

/** Turns the lines of one file into entries (one line each, or several for multiline). */
export interface LineSplitter {
  push(line: Line): void;
  /** Emit what is held (force_flush_period passed, or the file ended for good). */
  flush(): void;
  readonly holding: boolean;
}

export type SplitterFactory = (emit: (line: Line) => void) => LineSplitter;

/** A followed file as the lines it yields describe it. */
export interface FollowedFile {
  readonly path: string;
  readonly name: string;
  /** Symlinks resolved; only when asked for (resolvePaths). */
  readonly resolvedPath: string | undefined;
}

/**
 * Receives every entry read, in order per file; `mark` is settled once the entry is delivered.
 * Returns true when the consumer holds the entry unfinished (a partial container line waiting for
 * its rest): the stored offset then stays before it until a later entry of the file is not held.
 */
export type EntrySink = (line: Line, file: FollowedFile, mark: number) => boolean | void;

export interface FollowerOptions {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly startAt: 'beginning' | 'end';
  readonly pollIntervalMs: number;
  /** Bytes of a file's start that identify it (the Collector's fingerprint_size). */
  readonly fingerprintSize: number;
  readonly maxLogSize: number;
  readonly maxConcurrentFiles: number;
  readonly forceFlushMs: number;
  readonly encoding: 'utf8' | 'latin1' | 'ascii';
  readonly splitter?: SplitterFactory;
  readonly resolvePaths?: boolean;
  /** Where offsets are checkpointed; without one, a restart starts over at start_at. */
  readonly storage: StorageClient | undefined;
  readonly logger: Logger;
}

/** What is stored per file: its fingerprint and the offset up to which lines were delivered. */
interface StoredFile {
  readonly fp: string;
  readonly offset: number;
  readonly path: string;
}

interface Tracked {
  fp: Buffer;
  path: string;
  ino: number;
  handle: FileHandle | undefined;
  /** Bytes read and handed to the line reader. */
  readOffset: number;
  /** End offset of the last entry emitted (where the next one starts). */
  lastEnd: number;
  /** Set while the consumer holds entries unfinished: where the first of them starts. */
  floor: number | undefined;
  /** Offset up to which entries were delivered (what a restart resumes from). */
  ackedOffset: number;
  reader: LineReader | undefined;
  splitter: LineSplitter | undefined;
  info: FollowedFile;
  lastData: number;
  /** Polls since the file was last matched (forgotten after a few). */
  unseenPolls: number;
}

export const CHECKPOINT_KEY = 'knownFiles';
const READ_SIZE = 64 * 1024;
/** Read at most this much of one file before turning to the others (a huge file does not starve them). */
const TURN_BYTES = 16 * 1024 * 1024;
/** Like the Collector, a file no longer matched is remembered for a few polls (a rotated copy is not re-read). */
const FORGET_AFTER_POLLS = 3;

const passThrough: SplitterFactory = (emit) => ({ push: emit, flush: () => undefined, holding: false });

function startsWith(fp: Buffer, prefix: Buffer): boolean {
  return prefix.length > 0 && fp.length >= prefix.length && fp.subarray(0, prefix.length).equals(prefix);
}

export class FileFollower {
  private active: Tracked[] = [];
  private known: Tracked[] = [];
  private paused = false;
  private stopped = false;
  private firstPoll = true;
  private hadCheckpoint = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private sink!: EntrySink;
  private seq = 0;
  /** Marks not yet settled, oldest first; consecutive entries of one file share one. */
  private unsettled: { seq: number; file: Tracked; offset: number }[] = [];
  private writing: Promise<void> | undefined;
  private dirty = false;
  private warnedTooMany = false;
  private readonly buf = Buffer.alloc(READ_SIZE);

  constructor(private readonly options: FollowerOptions) {}

  async start(sink: EntrySink): Promise<void> {
    this.sink = sink;
    await this.loadCheckpoint();
    // The first discovery before start() returns: what start_at: end skips is what exists now.
    await this.discover();
    this.loop = this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Stop reading; entries held unfinished (a partial line, a multiline entry) stay before the checkpoint. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    for (const f of [...this.active, ...this.known]) await this.close(f);
    await this.flushCheckpoint();
  }

  /** The entries up to `mark` are delivered (or dropped for good): their offsets may be stored. */
  settled(mark: number): void {
    let n = 0;
    for (const u of this.unsettled) {
      if (u.seq > mark) break;
      u.file.ackedOffset = u.offset;
      n++;
    }
    if (n === 0) return;
    this.unsettled.splice(0, n);
    this.scheduleCheckpoint();
  }

  /** Resolves once the latest offsets are stored. */
  async flushCheckpoint(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private scheduleCheckpoint(): void {
    if (this.options.storage === undefined) return;
    this.dirty = true;
    if (this.writing !== undefined) return;
    this.writing = (async () => {
      while (this.dirty) {
        this.dirty = false;
        try {
          await this.options.storage?.set(CHECKPOINT_KEY, Buffer.from(JSON.stringify(this.snapshot())));
        } catch (err) {
          this.options.logger.warn('could not checkpoint the read offsets', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      this.writing = undefined;
    })();
  }

  private snapshot(): StoredFile[] {
    return [...this.active, ...this.known].filter((f) => f.fp.length > 0).map((f) => ({ fp: f.fp.toString('base64'), offset: f.ackedOffset, path: f.path }));
  }

  private async loadCheckpoint(): Promise<void> {
    const raw = await this.options.storage?.get(CHECKPOINT_KEY);
    if (raw === undefined) return;
    try {
      const stored = JSON.parse(Buffer.from(raw).toString('utf8')) as StoredFile[];
      if (!Array.isArray(stored)) throw new Error('not a list');
      for (const s of stored) this.known.push(this.tracked(Buffer.from(s.fp, 'base64'), s.path, -1, undefined, s.offset));
      this.hadCheckpoint = true;
      this.options.logger.debug('loaded read offsets', { files: stored.length });
    } catch {
      this.options.logger.warn('ignoring an unreadable checkpoint of read offsets');
    }
  }

  private tracked(fp: Buffer, path: string, ino: number, handle: FileHandle | undefined, offset: number): Tracked {
    return {
      fp,
      path,
      ino,
      handle,
      readOffset: offset,
      ackedOffset: offset,
      reader: undefined,
      splitter: undefined,
      info: { path, name: basename(path), resolvedPath: undefined },
      lastData: Date.now(),
      unseenPolls: 0,
      lastEnd: offset,
      floor: undefined,
    };
  }

  private async run(): Promise<void> {
    let discovered = true;
    while (!this.stopped) {
      let more = false;
      if (!this.paused) {
        try {
          if (!discovered) await this.discover();
          discovered = false;
          more = await this.readActive();
        } catch (err) {
          this.options.logger.warn('could not poll the files', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      if (this.stopped) break;
      if (this.paused) await this.sleep(undefined);
      else if (!more) await this.sleep(this.options.pollIntervalMs);
    }
  }

  /** The files the globs match now, excluded ones left out. */
  private async matchPaths(): Promise<string[]> {
    const toRoot = (p: string): string => (isAbsolute(p) ? p : resolve(p)).replace(/^\/+/, '');
    const found = await glob(
      this.options.include.map(toRoot),
      { cwd: '/', absolute: true, onlyFiles: true, dot: true, followSymbolicLinks: true, ignore: this.options.exclude.map(toRoot), expandDirectories: false },
    );
    return found.sort();
  }

  /** Find the files, tell them apart by fingerprint, finish the ones rotated away or removed. */
  private async discover(): Promise<void> {
    const { fingerprintSize, maxConcurrentFiles, logger } = this.options;
    let paths = await this.matchPaths();
    if (paths.length > maxConcurrentFiles) {
      if (!this.warnedTooMany) logger.warn('more files match than max_concurrent_files; only the first ones (by path) are read', { matched: paths.length, maxConcurrentFiles });
      this.warnedTooMany = true;
      paths = paths.slice(0, maxConcurrentFiles);
    }
    const matched: Tracked[] = [];
    const fresh: Tracked[] = [];
    const seen = new Set<Tracked>();
    for (const path of paths) {
      if (this.stopped) return;
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (err) {
        logger.debug('could not open a file', { path, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const info = await handle.stat();
      const head = Buffer.alloc(fingerprintSize);
      const { bytesRead } = await handle.read(head, 0, fingerprintSize, 0);
      const fp = head.subarray(0, bytesRead);
      // An empty file cannot be told apart from any other: wait until it has data.
      if (fp.length === 0 || [...matched, ...fresh].some((m) => startsWith(fp, m.fp) || startsWith(m.fp, fp))) {
        await handle.close();
        continue;
      }
      const prior = this.active.find((t) => !seen.has(t) && startsWith(fp, t.fp)) ?? this.known.find((t) => !seen.has(t) && startsWith(fp, t.fp));
      if (prior !== undefined) {
        seen.add(prior);
        if (prior.handle !== undefined && prior.ino === info.ino) await handle.close();
        else {
          // Reopened (known from a checkpoint or an earlier poll), or a copy of the file we read (copytruncate's copy).
          await prior.handle?.close().catch(() => undefined);
          prior.handle = handle;
          prior.ino = info.ino;
        }
        prior.fp = Buffer.from(fp);
        if (prior.path !== path) {
          prior.path = path;
          prior.info = { path, name: basename(path), resolvedPath: undefined };
        }
        if (info.size < prior.readOffset) {
          logger.info('file was truncated; reading it from the start', { path });
          this.restartAt(prior, 0);
        }
        prior.unseenPolls = 0;
        matched.push(prior);
        continue;
      }
      // A file not seen before: files there at the first poll start at start_at, later ones
      // (and any file after a restart that has a checkpoint: it is new since) from their start.
      const offset = this.firstPoll && !this.hadCheckpoint && this.options.startAt === 'end' ? info.size : 0;
      fresh.push(this.tracked(Buffer.from(fp), path, info.ino, handle, offset));
    }
    this.firstPoll = false;
    // Files known before come first: a rotated file's last lines before its successor's first.
    matched.push(...fresh);
    // Files read last poll and not matched now were rotated away or removed: finish them.
    const lost = this.active.filter((t) => !matched.includes(t));
    for (const t of lost) {
      await this.readFile(t, Number.POSITIVE_INFINITY);
      t.reader?.end();
      t.splitter?.flush();
      await this.close(t);
      t.unseenPolls = 0;
    }
    this.known = [...lost, ...this.known.filter((t) => !seen.has(t) && !lost.includes(t) && ++t.unseenPolls <= FORGET_AFTER_POLLS)];
    this.active = matched;
  }

  /** Read every matched file to its end (or its turn's budget); true when there is more to read. */
  private async readActive(): Promise<boolean> {
    let more = false;
    for (const t of this.active) {
      if (this.stopped) break;
      if (this.options.resolvePaths && t.info.resolvedPath === undefined) {
        t.info = { ...t.info, resolvedPath: await realpath(t.path).catch(() => t.path) };
      }
      if (await this.readFile(t, TURN_BYTES)) more = true;
    }
    return more;
  }

  private restartAt(t: Tracked, offset: number): void {
    t.reader?.end();
    t.splitter?.flush();
    t.reader = undefined;
    t.splitter = undefined;
    t.readOffset = offset;
    t.ackedOffset = offset;
    t.lastEnd = offset;
    t.floor = undefined;
  }

  private ensureReader(t: Tracked): LineReader {
    if (t.reader !== undefined) return t.reader;
    const splitter = (this.options.splitter ?? passThrough)((line) => this.emit(t, line));
    t.splitter = splitter;
    t.reader = new LineReader(this.options.maxLogSize, (line) => splitter.push(line), t.readOffset, this.options.encoding);
    return t.reader;
  }

  private emit(t: Tracked, line: Line): void {
    const seq = ++this.seq;
    const held = this.sink(line, t.info, seq) === true;
    if (held) t.floor ??= t.lastEnd;
    else t.floor = undefined;
    t.lastEnd = line.endOffset;
    // What may be stored once this entry is delivered: not past an entry still held.
    const offset = t.floor ?? line.endOffset;
    const last = this.unsettled[this.unsettled.length - 1];
    if (last !== undefined && last.file === t) {
      last.seq = seq;
      last.offset = offset;
    } else {
      this.unsettled.push({ seq, file: t, offset });
    }
  }

  /** Read a file up to its end (or `budget` bytes); true when there is more to read. */
  private async readFile(t: Tracked, budget: number): Promise<boolean> {
    const handle = t.handle;
    if (handle === undefined) return false;
    const reader = this.ensureReader(t);
    let readNow = 0;
    while (!this.stopped) {
      if (this.paused) {
        await this.sleep(undefined);
        continue;
      }
      if (readNow >= budget) return true;
      let bytesRead = 0;
      try {
        ({ bytesRead } = await handle.read(this.buf, 0, READ_SIZE, t.readOffset));
      } catch (err) {
        this.options.logger.warn('could not read a file', { path: t.path, error: err instanceof Error ? err.message : String(err) });
        return false;
      }
      if (bytesRead === 0) break;
      if (t.fp.length < this.options.fingerprintSize && t.readOffset < this.options.fingerprintSize) {
        // The file grew past its short fingerprint: it now names more of the file.
        const head = Buffer.alloc(this.options.fingerprintSize);
        const got = await handle.read(head, 0, head.length, 0);
        t.fp = head.subarray(0, got.bytesRead);
      }
      t.readOffset += bytesRead;
      readNow += bytesRead;
      t.lastData = Date.now();
      reader.push(this.buf.subarray(0, bytesRead));
    }
    if (!this.stopped && Date.now() - t.lastData >= this.options.forceFlushMs && (reader.pendingBytes > 0 || t.splitter?.holding === true)) {
      reader.flushPartial();
      t.splitter?.flush();
    }
    return false;
  }

  private async close(t: Tracked): Promise<void> {
    const h = t.handle;
    t.handle = undefined;
    await h?.close().catch(() => undefined);
  }

  /** Wait `ms` (or until resume/stop when undefined); resume() and stop() wake it early. */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise((resolveSleep) => {
      const done = (): void => {
        if (timer) clearTimeout(timer);
        this.wake = undefined;
        resolveSleep();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.wake = done;
    });
  }
}
