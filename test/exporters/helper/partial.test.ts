// Partial failures: a backend that accepts some items of a request and refuses others
// (Elasticsearch bulk items, CloudWatch rejected events). Only the failed items are
// retried; items refused for good are dropped and counted.
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { makeBatch, type Batch, type LogsBatch } from '../../../src/pdata/batch.js';
import { selectItems } from '../../../src/pdata/select.js';
import { createExporter, type QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { retrySettings } from '../../../src/exporters/helper/retry.js';
import { sendingQueueSettings } from '../../../src/exporters/helper/queue-config.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost, waitFor } from '../../helpers/index.js';
import { metricValue, recordingLogger } from './fixtures.js';

const FAST_RETRY = retrySettings({ initial_interval: '5ms', max_interval: '10ms', max_elapsed_time: '5s' });

let exporter: QueuedExporter | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
});

/** Ten records "r0".."r9" over two resources. */
function tenRecords(): LogsBatch {
  const rec = (i: number) => ({ body: { stringValue: `r${i}` }, attributes: [] });
  return makeBatch('logs', [
    { resource: { attributes: [] }, scopeLogs: [{ logRecords: [0, 1, 2, 3].map(rec) }] },
    { resource: { attributes: [] }, scopeLogs: [{ logRecords: [4, 5, 6].map(rec) }, { logRecords: [7, 8, 9].map(rec) }] },
  ]);
}

function bodies(batch: Batch): string[] {
  if (batch.signal !== 'logs') return [];
  return batch.resources.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body?.stringValue ?? '')));
}

/** A backend that, on the first request, accepts even records, refuses r1 for good, and asks to retry the other odd ones. */
function flakyBackend() {
  const requests: string[][] = [];
  const send = async (batch: Batch): Promise<void> => {
    const got = bodies(batch);
    requests.push(got);
    if (requests.length > 1) return;
    const retry = got.map((b) => ['r3', 'r5', 'r7', 'r9'].includes(b));
    throw new RetryableError('3 of 10 items failed: es_rejected_execution_exception', {
      failed: selectItems(batch as LogsBatch, (i) => retry[i] === true),
      droppedItems: 1,
    });
  };
  return { requests, send };
}

function setup(send: (b: Batch) => Promise<void>, queued: boolean) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  exporter = createExporter(
    { id: 'test/partial', kind: 'exporter', logger: recordingLogger(), telemetry },
    { signals: ['logs'], timeoutMs: 0, retry: FAST_RETRY, send, queue: queued ? sendingQueueSettings({ enabled: true }) : undefined },
  );
  const sent = () => metricValue(telemetry, 'otelcol_exporter_sent_log_records_total', { exporter: 'test/partial' });
  const failed = () => metricValue(telemetry, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'test/partial' });
  return { exporter, sent, failed };
}

describe('partial failures', () => {
  it('selectItems keeps the chosen records in order and drops empty scopes and resources', () => {
    const picked = selectItems(tenRecords(), (i) => i === 2 || i === 8);
    expect(bodies(picked)).toEqual(['r2', 'r8']);
    expect(picked.resources).toHaveLength(2);
    expect(picked.resources[1]?.scopeLogs).toHaveLength(1);
  });

  for (const queued of [false, true]) {
    it(`${queued ? 'queued' : 'direct'}: retries only the retryable failed items and counts the dropped one`, async () => {
      const backend = flakyBackend();
      const { exporter, sent, failed } = setup(backend.send, queued);
      await exporter.start(testHost);
      await exporter.consume(tenRecords());
      await waitFor(() => backend.requests.length === 2);
      expect(backend.requests[1]).toEqual(['r3', 'r5', 'r7', 'r9']);
      await waitFor(async () => (await sent()) === 9);
      expect(await failed()).toBe(1);
    });
  }

  it('a permanent partial failure counts the delivered items as sent and only the refused ones as failed', async () => {
    const { exporter, sent, failed } = setup(async () => {
      throw new PermanentError('2 items rejected: mapper_parsing_exception', { failedItems: 2 });
    }, false);
    await exporter.start(testHost);
    await expect(exporter.consume(tenRecords())).rejects.toBeInstanceOf(PermanentError);
    expect(await sent()).toBe(8);
    expect(await failed()).toBe(2);
  });
});
