// The stdout_markers receiver: reads a command's output, a followed file or stdin, turns
// `::{json}::` markers and plain lines into logs and metrics, and ships them with backpressure.
import type { Readable, Writable } from 'node:stream';
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import { parseDuration } from '../../config/units.js';
import { retrySettings } from '../../exporters/helper/retry.js';
import type { StorageClient } from '../../extensions/storage.js';
import { getStorage } from '../../extensions/storage.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Scalar, StdoutMarkersConfig } from './config.js';
import { configSchema, configuredSources, resolveConfig, validate } from './config.js';
import type { ExitInfo, Origin } from './convert.js';
import { ATTR, Converter, nowNs, toKeyValues, toResource } from './convert.js';
import { FileSource } from './file.js';
import type { Line } from './lines.js';
import type { PumpLimits } from './pump.js';
import { Pump } from './pump.js';
import type { Source, StreamName } from './sources.js';
import { CommandSource, StdinSource } from './sources.js';
import { StackJoiner } from './stack.js';
import type { TraceContext } from './traceparent.js';
import { parseTraceparent } from './traceparent.js';

export type { StdoutMarkersConfig } from './config.js';
export type { ExitInfo } from './convert.js';
export { SpawnError } from './sources.js';

/** How `ferry exec` binds the receiver to the command on its command line. */
export interface ExecBinding {
  readonly argv: readonly string[];
  /** The terminal the command's output is copied to, unchanged. */
  readonly tee: Readonly<Record<StreamName, Writable>>;
  /** Resource attributes under the config's (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME). */
  readonly baseResource: Readonly<Record<string, Scalar>>;
  /** Resource attributes over the config's (`--resource k=v`). */
  readonly overrideResource: Readonly<Record<string, Scalar>>;
  /** Called with the receiver once it is created, so exec can forward signals and wait for it. */
  readonly created: (receiver: StdoutMarkersReceiver) => void;
}

export interface ReceiverOptions {
  readonly limits?: PumpLimits;
  /** How long shutdown waits for held lines to be delivered before dropping them (logged). */
  readonly drainTimeoutMs?: number;
  /** After SIGTERM at shutdown, how long a command gets before SIGKILL. */
  readonly killGraceMs?: number;
  readonly lingerMs?: number;
  /** Stdin source's input, for tests. */
  readonly stdin?: Readable;
}

export const MARKER_ERRORS_METRIC = 'ferry_receiver_marker_errors_total';

export class StdoutMarkersReceiver implements Receiver {
  private readonly config: StdoutMarkersConfig;
  private readonly logger: Logger;
  private source: Source | undefined;
  private pump: Pump | undefined;
  private storage: StorageClient | undefined;
  private resolveDone!: (exit: ExitInfo | undefined) => void;
  private resolveExited!: (exit: ExitInfo | undefined) => void;
  /** Resolves once the source ended (the command exited and its output was read). */
  readonly exited = new Promise<ExitInfo | undefined>((resolve) => (this.resolveExited = resolve));
  /** Resolves once the source ended and everything read was delivered (or dropped for good). */
  readonly done = new Promise<ExitInfo | undefined>((resolve) => (this.resolveDone = resolve));

  constructor(
    config: Partial<StdoutMarkersConfig>,
    private readonly ctx: ComponentContext,
    private readonly next: SignalConsumers,
    private readonly exec?: ExecBinding,
    private readonly options: ReceiverOptions = {},
  ) {
    this.config = resolveConfig(config);
    this.logger = ctx.logger;
  }

  /** Lines read but not yet handed to the pipeline (for tests and diagnostics). */
  get heldLines(): number {
    return this.pump?.heldLines ?? 0;
  }

  get readingPaused(): boolean {
    return this.pump?.isPaused ?? false;
  }

  async start(host: Host): Promise<void> {
    const c = this.config;
    const kind = this.exec ? 'command' : configuredSources(c)[0];
    const env = { ...process.env, ...Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, String(v)])) };
    const source = await this.createSource(kind, env, host);
    const trace = this.traceContext(kind === 'command' ? env.TRACEPARENT : process.env.TRACEPARENT);
    const attributes = toKeyValues(c.attributes);
    if (kind === 'path' && c.include_file_name && c.path !== undefined) {
      attributes.push({ key: ATTR.fileName, value: { stringValue: c.path.split(/[\\/]/).pop() ?? c.path } });
    }
    const resource = toResource({ ...this.exec?.baseResource, ...c.resource, ...this.exec?.overrideResource });
    const converter = new Converter({
      plainLevel: { stdout: c.stdout_level, stderr: c.stderr_level },
      attributes,
      trace,
      startTimeNs: nowNs(),
      maxLineBytes: c.max_line_bytes,
    });
    const labels = { receiver: this.ctx.id };
    const markerErrors = this.ctx.telemetry.counter(MARKER_ERRORS_METRIC, 'Lines that began like a ::{json}:: marker but were not a valid one (kept as WARN records).', ['receiver']);
    markerErrors.inc(labels, 0);
    const pump = new Pump({
      logs: this.next.logs,
      metrics: this.next.metrics,
      resource,
      receiverMetrics: this.ctx.telemetry.forReceiver(this.ctx.id, kind === 'path' ? 'file' : (kind ?? 'command')),
      logger: this.logger,
      retry: retrySettings(c.retry_on_failure),
      limits: this.options.limits,
      pause: () => source.pause(),
      resume: () => source.resume(),
      settled: source instanceof FileSource ? (mark) => source.settled(mark) : undefined,
    });
    this.pump = pump;
    this.source = source;
    const deliver = (line: Line, origin: Origin, mark?: unknown): void => {
      const converted = converter.line(line, origin);
      if (converted.malformed) markerErrors.inc(labels);
      pump.add(converted.records, converted.points, line.bytes, mark);
    };
    // A stack trace on stderr is one record: its lines are held until it ends.
    const stderr = new StackJoiner(c.max_line_bytes, (line) => deliver(line, 'stderr'));
    await source.start((line, origin, mark) => {
      if (origin === 'stderr') stderr.push(line);
      else deliver(line, origin, mark);
    });
    void source.ended.then(async (exit) => {
      stderr.flush();
      this.resolveExited(exit);
      if (exit !== undefined) pump.add([converter.exit(exit)], [], 0);
      await pump.drain();
      this.resolveDone(exit);
    });
  }

  /** Forward a signal to the command; false if there is none running. */
  kill(signal: NodeJS.Signals): boolean {
    return this.source instanceof CommandSource ? this.source.kill(signal) : false;
  }

  /** Give up on what is not delivered yet (ferry exec's flush timeout): dropped, and logged. */
  abandon(): void {
    this.pump?.abort();
  }

  /** Stop reading (asking a command to stop), deliver what was read within the drain timeout. */
  async shutdown(): Promise<void> {
    const pump = this.pump;
    if (!pump || !this.source) return;
    await this.source.stop();
    const drainTimeoutMs = this.options.drainTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      pump.drain().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!drained) pump.abort();
    await this.storage?.close();
    this.pump = undefined;
  }

  private async createSource(kind: string | undefined, env: NodeJS.ProcessEnv, host: Host): Promise<Source> {
    const c = this.config;
    const logger = this.logger;
    if (this.exec || kind === 'command') {
      return new CommandSource({
        argv: this.exec?.argv ?? c.command ?? [],
        cwd: c.cwd,
        env,
        maxLineBytes: c.max_line_bytes,
        stdin: this.exec ? 'inherit' : 'ignore',
        tee: this.exec?.tee,
        killGraceMs: this.options.killGraceMs ?? 5_000,
        lingerMs: this.options.lingerMs ?? 2_000,
        logger,
      });
    }
    if (kind === 'path' && c.path !== undefined) {
      if (c.storage !== undefined) {
        this.storage = await getStorage(host, c.storage, `receiver "${this.ctx.id}"`).getClient('receiver', this.ctx.id);
      }
      return new FileSource({
        path: c.path,
        startAt: c.start_at,
        pollIntervalMs: parseDuration(c.poll_interval),
        forceFlushMs: parseDuration(c.force_flush_period),
        maxLineBytes: c.max_line_bytes,
        storage: this.storage,
        logger,
      });
    }
    if (kind === 'stdin') return new StdinSource(c.max_line_bytes, this.options.stdin ?? process.stdin);
    throw new Error('no source configured: set command, path or stdin');
  }

  private traceContext(value: string | undefined): TraceContext | undefined {
    const text = this.config.traceparent ?? value;
    if (text === undefined || text === '') return undefined;
    const parsed = parseTraceparent(text);
    if ('error' in parsed) {
      this.logger.debug('ignoring an invalid traceparent', { traceparent: text, reason: parsed.error });
      return undefined;
    }
    return parsed;
  }
}

export const stdoutMarkersReceiver: ReceiverFactory<StdoutMarkersConfig> = {
  kind: 'receiver',
  type: 'stdout_markers',
  description: 'Reads ::{json}:: markers and plain lines from a command, a followed file or stdin, as logs and metrics.',
  signals: ['logs', 'metrics'],
  configSchema,
  validate: (config) => validate(config),
  create(config, ctx, next) {
    return new StdoutMarkersReceiver(config, ctx, next);
  },
};

/** The factory `ferry exec` uses: the command comes from its command line, the output is copied to the terminal. */
export function execReceiverFactory(binding: ExecBinding): ReceiverFactory<StdoutMarkersConfig> {
  return {
    ...stdoutMarkersReceiver,
    validate: (config) => validate(config, true),
    create(config, ctx, next) {
      const receiver = new StdoutMarkersReceiver(config, ctx, next, binding);
      binding.created(receiver);
      return receiver;
    },
  };
}
