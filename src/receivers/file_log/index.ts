// The file_log receiver (the Collector's filelog): follows the files its globs match with the
// shared follower, runs each entry through the stanza operators, and ships log records with
// backpressure; a file's offset is stored only once its lines' consume() has resolved.
import type { ComponentContext, ConfigProblem, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import { parseDuration } from '../../config/units.js';
import { retrySettings } from '../../exporters/helper/retry.js';
import type { StorageClient } from '../../extensions/storage.js';
import { getStorage } from '../../extensions/storage.js';
import type { LogsBatch } from '../../pdata/batch.js';
import { makeBatch } from '../../pdata/batch.js';
import type { InstrumentationScope, LogRecord, Resource } from '../../pdata/types.js';
import type { Logger } from '../../telemetry/logger.js';
import { FileFollower } from '../lines/follower.js';
import { Pump } from '../lines/pump.js';
import type { PumpLimits } from '../lines/pump.js';
import type { JsonValue } from '../stdout_markers/markers.js';
import { toAnyValue, toKeyValues } from '../stdout_markers/convert.js';
import type { FileLogConfig } from './config.js';
import { ENCODINGS, configSchema, parseByteSize, resolveConfig, validateBasics } from './config.js';
import type { Entry, ValueMap } from './entry.js';
import { splitterFactory } from './multiline.js';
import type { OperatorPipeline, PipelineCounters } from './operators.js';
import { compileOperators } from './operators.js';

export type { FileLogConfig } from './config.js';

export const SCOPE: InstrumentationScope = { name: 'ferry/file_log', attributes: [] };
export const OPERATOR_ERRORS_METRIC = 'ferry_receiver_operator_errors_total';
export const DROPPED_METRIC = 'ferry_receiver_dropped_log_records_total';

export interface FileLogOptions {
  readonly limits?: PumpLimits;
  /** How long shutdown waits for read entries to be delivered before dropping them (logged). */
  readonly drainTimeoutMs?: number;
}

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

function toRecord(e: Entry): LogRecord {
  const r: LogRecord = {
    observedTimeUnixNano: e.observedTimestamp.toString(),
    body: toAnyValue(e.body as JsonValue),
    attributes: toKeyValues(e.attributes as Record<string, JsonValue>),
  };
  if (e.timestamp !== undefined) r.timeUnixNano = e.timestamp.toString();
  if (e.severity > 0) r.severityNumber = e.severity;
  if (e.severityText !== undefined) r.severityText = e.severityText;
  return r;
}

/** Records grouped by their resource (entries of different pods stay apart), in order of first appearance. */
class ResourceGroups {
  private readonly resources = new WeakMap<LogRecord, string>();
  private readonly interned = new Map<string, Resource>();

  tag(record: LogRecord, resource: ValueMap): void {
    const keys = Object.keys(resource);
    if (keys.length === 0) return;
    const key = JSON.stringify(resource);
    if (!this.interned.has(key)) {
      if (this.interned.size > 10_000) this.interned.clear();
      this.interned.set(key, { attributes: toKeyValues(resource as Record<string, JsonValue>) });
    }
    this.resources.set(record, key);
  }

  batch(records: LogRecord[]): LogsBatch {
    const groups = new Map<string, LogRecord[]>();
    for (const r of records) {
      const key = this.resources.get(r) ?? '';
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = []));
      g.push(r);
    }
    return makeBatch(
      'logs',
      [...groups].map(([key, logRecords]) => ({
        resource: key === '' ? { attributes: [] } : (this.interned.get(key) ?? { attributes: toKeyValues(JSON.parse(key) as Record<string, JsonValue>) }),
        scopeLogs: [{ scope: SCOPE, logRecords }],
      })),
    );
  }
}

/** Compile everything a config describes; problems name the path. */
export function validateFileLog(config: FileLogConfig): ConfigProblem[] {
  const problems = validateBasics(config);
  const max = (() => {
    try {
      return parseByteSize(config.max_log_size);
    } catch {
      return 1024 * 1024;
    }
  })();
  const noCounters: PipelineCounters = { error: () => undefined, unrouted: () => undefined };
  problems.push(...compileOperators(config.operators, () => undefined, noCounters, max).problems);
  config.operators.forEach((op, i) => {
    if (op.type === 'container' && op.add_metadata_from_filepath !== false && !config.include_file_path) {
      problems.push({
        path: `operators.${i}`,
        message: 'container takes the pod, namespace and container from log.file.path, which include_file_path: false leaves out',
        fix: 'set include_file_path: true (or add_metadata_from_filepath: false on the operator)',
      });
    }
  });
  return problems;
}

export class FileLogReceiver implements Receiver {
  private readonly config: FileLogConfig;
  private readonly logger: Logger;
  private follower: FileFollower | undefined;
  private pump: Pump | undefined;
  private storage: StorageClient | undefined;

  constructor(
    config: Partial<FileLogConfig> & { include: string[] },
    private readonly ctx: ComponentContext,
    private readonly next: SignalConsumers,
    private readonly options: FileLogOptions = {},
  ) {
    this.config = resolveConfig(config);
    this.logger = ctx.logger;
  }

  /** Entries read but not yet handed to the pipeline. */
  get heldEntries(): number {
    return this.pump?.heldLines ?? 0;
  }

  async start(host: Host): Promise<void> {
    const c = this.config;
    const problems = validateFileLog(c);
    if (problems.length > 0) throw new Error(`receiver "${this.ctx.id}": ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    const maxLogSize = parseByteSize(c.max_log_size);
    if (c.storage !== undefined) {
      this.storage = await getStorage(host, c.storage, `receiver "${this.ctx.id}"`).getClient('receiver', this.ctx.id);
    }
    const labels = { receiver: this.ctx.id };
    const operatorErrors = this.ctx.telemetry.counter(OPERATOR_ERRORS_METRIC, 'Entries an operator failed on (sent on unchanged or dropped, per its on_error).', ['receiver', 'operator']);
    const dropped = this.ctx.telemetry.counter(DROPPED_METRIC, 'Entries dropped by operators (on_error: drop, or no route matched).', ['receiver']);
    dropped.inc(labels, 0);
    const groups = new ResourceGroups();
    let emitted: LogRecord[] = [];
    const warned = new Set<string>();
    const counters: PipelineCounters = {
      error: (operator, message, drop) => {
        operatorErrors.inc({ ...labels, operator });
        if (drop) dropped.inc(labels);
        if (!warned.has(operator)) {
          warned.add(operator);
          this.logger.warn('an operator failed on an entry (logged once per operator; see ferry_receiver_operator_errors_total)', { operator, error: message, dropped: drop });
        }
      },
      unrouted: () => dropped.inc(labels),
    };
    const compiled = compileOperators(
      c.operators,
      (entry) => {
        const record = toRecord(entry);
        groups.tag(record, entry.resource);
        emitted.push(record);
      },
      counters,
      maxLogSize,
    );
    const pipeline = compiled.pipeline as OperatorPipeline;
    const follower = new FileFollower({
      include: c.include,
      exclude: c.exclude,
      startAt: c.start_at,
      pollIntervalMs: parseDuration(c.poll_interval),
      fingerprintSize: parseByteSize(c.fingerprint_size),
      maxLogSize,
      maxConcurrentFiles: c.max_concurrent_files,
      forceFlushMs: parseDuration(c.force_flush_period),
      encoding: ENCODINGS[c.encoding.toLowerCase()] ?? 'utf8',
      splitter: splitterFactory({ multiline: c.multiline, maxLogSize, preserveLeading: c.preserve_leading_whitespaces, preserveTrailing: c.preserve_trailing_whitespaces }),
      resolvePaths: c.include_file_name_resolved || c.include_file_path_resolved,
      storage: this.storage,
      logger: this.logger,
    });
    const pump = new Pump({
      logs: this.next.logs,
      metrics: undefined,
      resource: { attributes: [] },
      receiverMetrics: this.ctx.telemetry.forReceiver(this.ctx.id, 'file'),
      logger: this.logger,
      retry: retrySettings(c.retry_on_failure),
      limits: this.options.limits,
      pause: () => follower.pause(),
      resume: () => follower.resume(),
      settled: (mark) => follower.settled(mark as number),
      logsBatch: (records) => groups.batch(records),
    });
    this.follower = follower;
    this.pump = pump;
    const staticAttributes = c.attributes;
    const staticResource = c.resource;
    await follower.start((line, file, mark) => {
      if (line.text === '') {
        pump.add([], [], 0, mark);
        return pipeline.holding(file.path);
      }
      const attributes: ValueMap = {};
      if (c.include_file_name) attributes['log.file.name'] = file.name;
      if (c.include_file_path) attributes['log.file.path'] = file.path;
      if (c.include_file_name_resolved && file.resolvedPath !== undefined) attributes['log.file.name_resolved'] = file.resolvedPath.split('/').pop();
      if (c.include_file_path_resolved && file.resolvedPath !== undefined) attributes['log.file.path_resolved'] = file.resolvedPath;
      for (const k in staticAttributes) attributes[k] = structuredClone(staticAttributes[k]);
      const entry: Entry = {
        body: line.text,
        attributes,
        resource: Object.keys(staticResource).length === 0 ? {} : structuredClone(staticResource),
        timestamp: undefined,
        observedTimestamp: nowNs(),
        severity: 0,
        severityText: undefined,
      };
      if (line.truncated) this.logger.debug('an entry longer than max_log_size was cut', { path: file.path, bytes: line.bytes });
      pipeline.process(entry, file.path);
      const records = emitted;
      emitted = [];
      pump.add(records, [], line.bytes, mark);
      // A partial container line held for its rest: its offset is not stored until the rest comes.
      return pipeline.holding(file.path);
    });
  }

  async shutdown(): Promise<void> {
    const pump = this.pump;
    const follower = this.follower;
    if (!pump || !follower) return;
    await follower.stop();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      pump.drain().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.drainTimeoutMs ?? 10_000))),
    ]);
    clearTimeout(timer);
    if (!drained) pump.abort();
    await follower.flushCheckpoint();
    await this.storage?.close();
    this.pump = undefined;
    this.follower = undefined;
  }
}

export const fileLogReceiver: ReceiverFactory<FileLogConfig> = {
  kind: 'receiver',
  type: 'file_log',
  deprecatedTypes: ['filelog'],
  description: 'Tails log files: globs, rotation, offsets kept in a storage extension, multiline, and stanza operators (json, regex, container, severity, time, router…).',
  signals: ['logs'],
  configSchema,
  validate: (config) => validateFileLog(resolveConfig(config)),
  create(config, ctx, next) {
    return new FileLogReceiver(config, ctx, next);
  },
};
