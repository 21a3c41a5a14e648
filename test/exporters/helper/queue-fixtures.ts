// Fixtures for the sending queue's tests: tagged log batches, a backend whose behaviour
// a test switches (up, down, holding, refusing), exporters built on the helper, a file_storage host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from '../../../src/component.js';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { createExporter, type QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { sendingQueueSettings, type SendingQueueConfig } from '../../../src/exporters/helper/queue-config.js';
import { retrySettings, type RetryOnFailureConfig } from '../../../src/exporters/helper/retry.js';
import { configSchema as fileStorageSchema } from '../../../src/extensions/file_storage/config.js';
import { fileStorageExtension, type FileStorage } from '../../../src/extensions/file_storage/index.js';
import { makeBatch, type Batch, type LogsBatch } from '../../../src/pdata/batch.js';
import { SIGNALS } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testContext, testHost } from '../../helpers/index.js';
import { metricValue, recordingLogger, withDefaults } from './fixtures.js';

/** A log batch of `n` records whose bodies say which batch they belong to: `b<tag>-<k>`. */
export function tagged(tag: number, n = 2): LogsBatch {
  return makeBatch('logs', [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'queue-test' } }] },
      scopeLogs: [{ scope: { name: 's', attributes: [] }, logRecords: Array.from({ length: n }, (_, k) => ({ body: { stringValue: `b${tag}-${k}` }, attributes: [] })) }],
    },
  ]);
}

/** The bodies of a batch's log records. */
export function bodies(batch: Batch): string[] {
  if (batch.signal !== 'logs') return [];
  return batch.resources.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body?.stringValue ?? '')));
}

export type BackendMode = 'up' | 'down' | 'hold' | 'permanent';

/** A backend for the send function: records what it accepted; `hold` keeps sends open until released. */
export class FakeBackend {
  mode: BackendMode = 'up';
  readonly delivered: Batch[] = [];
  /** Every batch that reached the backend, delivered or not. */
  readonly seen: Batch[] = [];
  calls = 0;
  inFlight = 0;
  peakInFlight = 0;
  private held: Array<() => void> = [];

  readonly send = async (batch: Batch, signal: AbortSignal): Promise<void> => {
    this.calls++;
    this.seen.push(batch);
    if (this.mode === 'down') throw new RetryableError('backend down');
    if (this.mode === 'permanent') throw new PermanentError('HTTP 400: bad data');
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      if (this.mode === 'hold') {
        await new Promise<void>((resolve, reject) => {
          this.held.push(resolve);
          signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
      }
      this.delivered.push(batch);
    } finally {
      this.inFlight--;
    }
  };

  /** Let every held send finish (and the ones arriving later, when `mode` becomes up). */
  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  get heldCount(): number {
    return this.held.length;
  }

  deliveredBodies(): string[] {
    return this.delivered.flatMap(bodies);
  }
}

export const FAST_RETRY: Partial<RetryOnFailureConfig> = { initial_interval: '10ms', max_interval: '40ms', max_elapsed_time: '0' };

export interface QueueSetup {
  readonly exporter: QueuedExporter;
  readonly telemetry: SelfTelemetry;
  readonly logger: ReturnType<typeof recordingLogger>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export function queuedExporter(
  backend: FakeBackend,
  queue: Partial<SendingQueueConfig>,
  options: { retry?: Partial<RetryOnFailureConfig>; id?: string; timeoutMs?: number } = {},
): QueueSetup {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const id = options.id ?? 'otlphttp/q';
  const exporter = createExporter(
    { id, kind: 'exporter', logger, telemetry },
    { signals: SIGNALS, send: backend.send, timeoutMs: options.timeoutMs ?? 0, retry: retrySettings({ ...FAST_RETRY, ...options.retry }), queue: sendingQueueSettings({ enabled: true, ...queue }) },
  );
  return { exporter, telemetry, logger, metric: (name, labels = {}) => metricValue(telemetry, name, { exporter: id, ...labels }) };
}

/** A started file_storage extension in a fresh (or given) directory, and a host that finds it as `file_storage/q`. */
export async function storageHost(dir?: string, config: Record<string, unknown> = {}): Promise<{ dir: string; ext: FileStorage; host: Host; cleanup(): Promise<void> }> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'ferry-queue-'));
  const ext = fileStorageExtension.create(withDefaults(fileStorageSchema, { directory: d, ...config }), testContext('file_storage/q', 'extension')) as FileStorage;
  await ext.start(testHost);
  const host: Host = { getExtension: (id) => (id === 'file_storage/q' ? ext : undefined), state: 'running' };
  return {
    dir: d,
    ext,
    host,
    async cleanup() {
      await ext.shutdown();
      if (dir === undefined) rmSync(d, { recursive: true, force: true });
    },
  };
}
