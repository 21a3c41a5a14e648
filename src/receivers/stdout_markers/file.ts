// Follows one file like `tail -F` with the shared follower (src/receivers/lines/follower.ts):
// rotation, truncation, partial last lines, and the checkpointed offset a restart resumes from.
import { escapePath } from 'tinyglobby';
import type { StorageClient } from '../../extensions/storage.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ExitInfo } from './convert.js';
import { FileFollower } from '../lines/follower.js';
import type { LineSink, Source } from './sources.js';

export { CHECKPOINT_KEY } from '../lines/follower.js';

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

/** The Collector's fingerprint_size default (1kb). */
const FINGERPRINT_BYTES = 1000;

export class FileSource implements Source {
  private readonly follower: FileFollower;
  // Never resolves: a followed file has no end.
  readonly ended = new Promise<ExitInfo | undefined>(() => undefined);

  constructor(private readonly options: FileSourceOptions) {
    this.follower = new FileFollower({
      include: [escapePath(options.path)],
      exclude: [],
      startAt: options.startAt,
      pollIntervalMs: options.pollIntervalMs,
      fingerprintSize: FINGERPRINT_BYTES,
      maxLogSize: options.maxLineBytes,
      maxConcurrentFiles: 1,
      forceFlushMs: options.forceFlushMs,
      encoding: 'utf8',
      storage: options.storage,
      logger: options.logger,
    });
  }

  async start(sink: LineSink): Promise<void> {
    if (this.options.storage === undefined) this.options.logger.debug('no storage: the read offset is not checkpointed', { path: this.options.path });
    await this.follower.start((line, _file, mark) => sink(line, 'file', mark));
  }

  pause(): void {
    this.follower.pause();
  }

  resume(): void {
    this.follower.resume();
  }

  async stop(): Promise<void> {
    await this.follower.stop();
  }

  /** Called once the lines up to `mark` are delivered (also while shutting down). */
  async settled(mark: unknown): Promise<void> {
    this.follower.settled(mark as number);
    await this.follower.flushCheckpoint();
  }
}
