// The file exporter: each batch becomes one OTLP export request appended to a file,
// as a JSON line or a length-prefixed protobuf message, with optional rotation.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError, errorMessage } from '../../consumer.js';
import { parseDuration } from '../../config/units.js';
import type { Batch } from '../../pdata/batch.js';
import { countItems } from '../../pdata/batch.js';
import { encodeJsonExportRequest } from '../../pdata/json.js';
import { encodeExportRequest } from '../../pdata/proto.js';
import type { FileConfig } from './config.js';
import { DEFAULT_FILE_CONFIG, DEFAULT_ROTATION, configSchema, validate } from './config.js';
import type { RotationSettings } from './writer.js';
import { FileWriter } from './writer.js';

export type { FileConfig, RotationConfig } from './config.js';

const MIB = 1024 * 1024;

/** One export request as the file holds it: a JSON line, or a 4-byte big-endian length then the protobuf. */
export function encodeRecord(format: FileConfig['format'], batch: Batch): Buffer {
  if (format === 'json') return Buffer.from(encodeJsonExportRequest(batch.signal, batch.resources) + '\n', 'utf8');
  const message = encodeExportRequest(batch.signal, batch.resources);
  const record = Buffer.allocUnsafe(4 + message.length);
  record.writeUInt32BE(message.length, 0);
  record.set(message, 4);
  return record;
}

export interface FileExporterOptions {
  /** Clock for rotated files' names and their age, for tests. */
  readonly now?: () => Date;
}

export function createFileExporter(partial: FileConfig, ctx: ComponentContext, options: FileExporterOptions = {}): Exporter {
  const config: FileConfig = { ...DEFAULT_FILE_CONFIG, ...partial };
  const metrics = ctx.telemetry.forExporter(ctx.id);
  // `rotation:` with no value means rotation with the defaults, as in the Collector.
  const r = config.rotation === undefined ? undefined : { ...DEFAULT_ROTATION, ...config.rotation };
  const rotation: RotationSettings | undefined = r && {
    maxBytes: r.max_megabytes * MIB,
    maxDays: r.max_days,
    maxBackups: r.max_backups,
    localTime: r.localtime,
  };
  const flushMs = parseDuration(config.flush_interval);
  const writer = new FileWriter({
    path: config.path,
    append: config.append,
    rotation,
    // The Collector treats 0 as its 1s default.
    syncIntervalMs: flushMs > 0 ? flushMs : 1000,
    now: options.now,
  });
  let started = false;

  return {
    mutatesData: false,
    async start() {
      if (config.create_directory) {
        const mode = Number.parseInt(config.directory_permissions ?? '0755', 8);
        await mkdir(dirname(config.path), { recursive: true, mode });
      }
      try {
        await writer.open();
      } catch (err) {
        const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' && !config.create_directory ? ' (set create_directory: true to create the directory)' : '';
        throw new Error(`file exporter ${ctx.id}: cannot open ${config.path}: ${errorMessage(err)}${hint}`, { cause: err });
      }
      started = true;
    },
    async consume(batch: Batch): Promise<void> {
      const items = countItems(batch);
      if (!started) throw new RetryableError(`file exporter ${ctx.id} is not running`);
      let record: Buffer;
      try {
        record = encodeRecord(config.format, batch);
      } catch (err) {
        metrics.sendFailed(batch.signal, items);
        throw new PermanentError(`cannot encode ${batch.signal} as OTLP ${config.format}: ${errorMessage(err)}`, { cause: err });
      }
      try {
        await writer.write(record);
      } catch (err) {
        metrics.sendFailed(batch.signal, items);
        throw new RetryableError(`cannot write ${config.path}: ${errorMessage(err)}`, { cause: err });
      }
      metrics.sent(batch.signal, items);
    },
    async shutdown() {
      started = false;
      await writer.close();
    },
  };
}

export const fileExporter: ExporterFactory<FileConfig> = {
  kind: 'exporter',
  type: 'file',
  description: 'Writes telemetry to a file (OTLP/JSON lines or length-prefixed protobuf), with size-based rotation.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  create: (config, ctx) => createFileExporter(config, ctx),
};
