// Where lines come from: a command Ferry runs (its stdout and stderr, optionally copied to
// a terminal byte for byte) or Ferry's own stdin. Both pause when the pipeline is full.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../../telemetry/logger.js';
import type { ExitInfo, Origin } from './convert.js';
import type { Line } from './lines.js';
import { LineReader } from './lines.js';

/** Receives every line a source reads, in order; `mark` is where to resume after it (files). */
export type LineSink = (line: Line, origin: Origin, mark?: unknown) => void;

export interface Source {
  start(sink: LineSink): Promise<void>;
  /** Stop reading until resume(): the pipeline is full. */
  pause(): void;
  resume(): void;
  /** Resolves once nothing more will be read: the command exited and its pipes closed, or stdin ended. */
  readonly ended: Promise<ExitInfo | undefined>;
  /** Stop reading (a command is asked to stop: SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export type StreamName = 'stdout' | 'stderr';
const STREAMS: readonly StreamName[] = ['stdout', 'stderr'];

/** 128 + the signal's number, as shells report a process a signal ended. */
export function signalExitCode(signal: NodeJS.Signals): number {
  const n = (constants.signals as Readonly<Record<string, number>>)[signal];
  return 128 + (n ?? 0);
}

export interface CommandSourceOptions {
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly maxLineBytes: number;
  /** `inherit` under `ferry exec`, so an interactive command still reads the terminal. */
  readonly stdin: 'ignore' | 'inherit';
  /** Copy the command's output here, unchanged, as it is read (`ferry exec`). */
  readonly tee?: Readonly<Record<StreamName, Writable>>;
  /** After SIGTERM at shutdown, how long before SIGKILL. */
  readonly killGraceMs: number;
  /** After the command exited, how long its pipes may stay open (a background child holding them) with no output. */
  readonly lingerMs: number;
  readonly logger: Logger;
}

/** Why spawn failed, with the shell's exit code for it: 127 not found, 126 not executable. */
export class SpawnError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpawnError';
  }
}

export class CommandSource implements Source {
  private child: ChildProcess | undefined;
  private pausedByPipeline = false;
  private readonly teeBlocked: Record<StreamName, boolean> = { stdout: false, stderr: false };
  private readonly teeBroken: Record<StreamName, boolean> = { stdout: false, stderr: false };
  private exitInfo: ExitInfo | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private resolveEnded!: (exit: ExitInfo | undefined) => void;
  readonly ended = new Promise<ExitInfo | undefined>((resolve) => (this.resolveEnded = resolve));

  constructor(private readonly options: CommandSourceOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  async start(sink: LineSink): Promise<void> {
    const { argv, cwd, env, stdin, tee, logger } = this.options;
    const startedAt = process.hrtime.bigint();
    const child = spawn(argv[0] as string, argv.slice(1), { cwd, env, stdio: [stdin, 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code === 'ENOENT' ? 127 : 126;
        const why = err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : err.message;
        reject(new SpawnError(`${argv[0]}: ${why}`, code, { cause: err }));
      });
    });
    this.child = child;
    child.on('error', (err) => logger.warn('command error', { error: err.message }));
    for (const name of STREAMS) {
      const stream = child[name] as Readable;
      const reader = new LineReader(this.options.maxLineBytes, (line) => sink(line, name));
      const out = tee?.[name];
      out?.on('error', () => {
        // The reader of our output went away (EPIPE, as in `ferry exec -- yes | head`): close
        // the command's pipe too, so it gets SIGPIPE as it would have without Ferry in between.
        this.teeBroken[name] = true;
        this.teeBlocked[name] = false;
        stream.destroy();
      });
      stream.on('data', (chunk: Buffer) => {
        if (out !== undefined && !this.teeBroken[name] && !out.write(chunk)) {
          this.teeBlocked[name] = true;
          this.apply();
          out.once('drain', () => {
            this.teeBlocked[name] = false;
            this.apply();
          });
        }
        reader.push(chunk);
        if (this.lingerTimer) this.lingerTimer.refresh();
      });
      // 'close' too: a stream destroyed after the linger time never ends, but its last line counts.
      stream.on('end', () => reader.end());
      stream.on('close', () => reader.end());
    }
    child.once('exit', (code, signal) => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      this.exitInfo = { code: code ?? signalExitCode(signal as NodeJS.Signals), signal: signal ?? undefined, durationMs, pid: child.pid, argv: [...argv] };
      logger.info('command exited', { code: this.exitInfo.code, signal: this.exitInfo.signal, durationMs });
      // A background process the command started may hold its pipes open for ever: once
      // nothing has come for lingerMs (and we are not the ones holding back), stop reading.
      this.lingerTimer = setInterval(() => {
        if (this.pausedByPipeline || this.teeBlocked.stdout || this.teeBlocked.stderr) return;
        logger.warn('the command exited but something still holds its output open; no longer reading it', { lingerMs: this.options.lingerMs });
        for (const name of STREAMS) (child[name] as Readable).destroy();
      }, this.options.lingerMs);
    });
    child.once('close', () => {
      if (this.lingerTimer) clearInterval(this.lingerTimer);
      this.resolveEnded(this.exitInfo);
    });
  }

  pause(): void {
    this.pausedByPipeline = true;
    this.apply();
  }

  resume(): void {
    this.pausedByPipeline = false;
    this.apply();
  }

  /** Forward a signal to the command (ferry exec); false when it has already exited. */
  kill(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    return this.child?.kill(signal) ?? false;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), this.options.killGraceMs);
    await this.ended;
    clearTimeout(timer);
  }

  /** Each stream reads only while neither the pipeline nor its terminal copy is behind. */
  private apply(): void {
    const child = this.child;
    if (!child) return;
    for (const name of STREAMS) {
      const stream = child[name] as Readable;
      if (this.pausedByPipeline || this.teeBlocked[name]) stream.pause();
      else stream.resume();
    }
  }
}

/** Ferry's stdin (`script | ferry --config …`): lines count as stdout. */
export class StdinSource implements Source {
  private resolveEnded!: (exit: ExitInfo | undefined) => void;
  readonly ended = new Promise<ExitInfo | undefined>((resolve) => (this.resolveEnded = resolve));
  private reader: LineReader | undefined;

  constructor(
    private readonly maxLineBytes: number,
    private readonly input: Readable = process.stdin,
  ) {}

  async start(sink: LineSink): Promise<void> {
    const reader = new LineReader(this.maxLineBytes, (line) => sink(line, 'stdout'));
    this.reader = reader;
    this.input.on('data', (chunk: Buffer) => reader.push(chunk));
    this.input.on('end', () => {
      reader.end();
      this.resolveEnded(undefined);
    });
    this.input.on('error', () => {
      reader.end();
      this.resolveEnded(undefined);
    });
  }

  pause(): void {
    this.input.pause();
  }

  resume(): void {
    this.input.resume();
  }

  async stop(): Promise<void> {
    this.input.pause();
    this.reader?.end();
    this.input.removeAllListeners('data');
    this.resolveEnded(undefined);
    // Let the process exit even though the writer has not closed the pipe.
    this.input.destroy();
  }
}
