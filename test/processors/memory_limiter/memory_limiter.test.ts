// The memory limiter: with injected memory readings, refusal above the soft limit (retryable,
// counted), forced GC above the hard limit, recovery; its limits and checks; and a real Ferry
// that answers 503 while a slow backend holds data, and recovers once the backend answers.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Processor } from '../../../src/component.js';
import { RetryableError } from '../../../src/consumer.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { encodeExportRequest } from '../../../src/pdata/proto.js';
import type { MemoryLimiterConfig } from '../../../src/processors/memory_limiter/index.js';
import { DATA_REFUSED, computeLimits, createMemoryLimiterProcessor } from '../../../src/processors/memory_limiter/index.js';
import { DEFAULT_MEMORY_LIMITER_CONFIG } from '../../../src/processors/memory_limiter/config.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { makeLogs } from '../../pdata/fixtures.js';
import { CollectingConsumer, freePort, testHost, testProcessorContext, waitFor } from '../../helpers/index.js';
import type { FerryProcess } from '../../helpers/ferry.js';
import { metricValue, startFerry, writeConfig } from '../../helpers/ferry.js';
import { errorLines, loadProcessors } from '../helpers.js';
import { bigLogsRequest, postProtobuf, pressUntilRefused } from '../e2e-helpers.js';

const MiB = 1024 * 1024;

/** A limiter over fake memory: `memory.used` is what it reads; `gcs` counts forced collections. */
function limiter(config: Partial<MemoryLimiterConfig>, after: (used: number) => number = (u) => u) {
  const memory = { used: 10 * MiB, gcs: 0 };
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const next = new CollectingConsumer();
  const processor = createMemoryLimiterProcessor(
    { check_interval: '10ms', limit_mib: 100, ...config },
    testProcessorContext('memory_limiter', 'logs', telemetry),
    next,
    {
      readMemory: () => memory.used,
      gc: () => {
        memory.gcs++;
        memory.used = after(memory.used);
      },
    },
  );
  return { memory, telemetry, next, processor };
}

async function refusedCount(t: SelfTelemetry): Promise<number> {
  const values = (await t.registry.getSingleMetric('otelcol_processor_memory_limiter_refused_log_records_total')?.get())?.values ?? [];
  return values.reduce((n, v) => n + v.value, 0);
}

const batch = (n: number) => makeBatch('logs', makeLogs(n));
const started: Processor[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) await p.shutdown();
});

describe('memory limiter (injected memory)', () => {
  it('passes data below the soft limit, refuses it with a retryable error above, and recovers', async () => {
    const { memory, telemetry, next, processor } = limiter({ limit_mib: 100, spike_limit_mib: 20, min_gc_interval_when_soft_limited: '1h' });
    expect(processor.mutatesData).toBe(false);
    await processor.start(testHost);
    started.push(processor);
    await processor.consume(batch(3));
    expect(next.items()).toBe(3);

    memory.used = 85 * MiB; // soft limit is 80 MiB
    await waitFor(async () => (await processor.consume(batch(1)).then(() => false, () => true)), 'refusal');
    const err = await processor.consume(batch(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).message).toBe(DATA_REFUSED);
    expect(await refusedCount(telemetry)).toBeGreaterThanOrEqual(6);

    memory.used = 50 * MiB;
    await waitFor(async () => (await processor.consume(batch(1)).then(() => true, () => false)), 'recovery');
    expect(memory.gcs).toBe(1); // once on entering the soft-limited state, then not within the hour
  });

  it('forces a GC above the hard limit and does not refuse when that brings memory down', async () => {
    const { memory, next, processor } = limiter({ limit_mib: 100 }, () => 30 * MiB);
    memory.used = 120 * MiB;
    await processor.start(testHost);
    started.push(processor);
    expect(memory.gcs).toBe(1);
    await processor.consume(batch(2));
    expect(next.items()).toBe(2);
  });

  it('keeps collecting while refusing, at most every min_gc_interval_when_soft_limited', async () => {
    const { memory, processor } = limiter({ limit_mib: 100, min_gc_interval_when_soft_limited: '30ms' });
    memory.used = 90 * MiB; // above soft (80), below hard: GC does not help here
    await processor.start(testHost);
    started.push(processor);
    await new Promise((r) => setTimeout(r, 200));
    expect(memory.gcs).toBeGreaterThanOrEqual(2);
    expect(memory.gcs).toBeLessThanOrEqual(8);
  });
});

describe('memory limiter limits and configuration', () => {
  const cfg = (c: Partial<MemoryLimiterConfig>): MemoryLimiterConfig => ({ ...DEFAULT_MEMORY_LIMITER_CONFIG, check_interval: '1s', ...c });

  it('computes the Collector\'s limits: spike defaults to 20%, percentages of the available memory', () => {
    expect(computeLimits(cfg({ limit_mib: 4000, spike_limit_mib: 800 }), () => 0)).toEqual({ hard: 4000 * MiB, soft: 3200 * MiB });
    expect(computeLimits(cfg({ limit_mib: 1000 }), () => 0)).toEqual({ hard: 1000 * MiB, soft: 800 * MiB });
    expect(computeLimits(cfg({ limit_percentage: 80, spike_limit_percentage: 15 }), () => 1000 * MiB)).toEqual({ hard: 800 * MiB, soft: 650 * MiB });
    // limit_mib takes precedence over the percentage.
    expect(computeLimits(cfg({ limit_mib: 10, limit_percentage: 80 }), () => 1000 * MiB).hard).toBe(10 * MiB);
  });

  it('rejects what the Collector rejects, with the path and the fix', async () => {
    expect(errorLines((await loadProcessors('  memory_limiter:\n')).errors)).toEqual([
      'processors.memory_limiter.check_interval: check_interval must be greater than zero (fix: set check_interval: 1s)',
      'processors.memory_limiter.limit_mib: limit_mib or limit_percentage must be greater than zero (fix: set limit_mib (e.g. 512) or limit_percentage (e.g. 80))',
    ]);
    expect(errorLines((await loadProcessors('  memory_limiter:\n    check_interval: 1s\n    limit_mib: 100\n    spike_limit_mib: 100\n')).errors)).toEqual([
      'processors.memory_limiter.spike_limit_mib: spike_limit_mib (100) must be smaller than limit_mib (100) (fix: lower spike_limit_mib, e.g. to 20 (20%), or 0 for that default)',
    ]);
    expect(errorLines((await loadProcessors('  memory_limiter:\n    check_interval: 1s\n    limit_percentage: 120\n')).errors)[0]).toMatch(/^processors\.memory_limiter\.limit_percentage: must be <= 100/);
    expect((await loadProcessors('  memory_limiter:\n    check_interval: 1s\n    limit_percentage: 75\n    measure: heap\n')).errors).toEqual([]);
  });
});

describe('memory limiter in a real Ferry', () => {
  let ferry: FerryProcess | undefined;
  let backend: Server | undefined;
  afterEach(async () => {
    await ferry?.stop();
    backend?.closeAllConnections();
    await new Promise((r) => backend?.close(r) ?? r(undefined));
    ferry = undefined;
    backend = undefined;
  });

  it('answers 503 while a slow backend holds data past the limit, and 200 again once it answers', async () => {
    const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    // The backend holds every request until released, then answers 200.
    const held: ServerResponse[] = [];
    let slow = true;
    let received = 0;
    backend = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        received++;
        if (slow) held.push(res);
        else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => backend!.listen(backendPort, '127.0.0.1', r));

    // Ferry's own heap + Buffers start near 20 MiB; the soft limit is 48 MiB, and each request
    // below (about 4 MiB of protobuf) holds several times that while the backend sits on it.
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
processors:
  memory_limiter:
    check_interval: 50ms
    limit_mib: 64
    spike_limit_mib: 16
    measure: heap
    min_gc_interval_when_soft_limited: 100ms
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${backendPort}
    compression: none
    timeout: 60s
    retry_on_failure:
      enabled: false
    # Without a queue each accepted request stays in memory, whole, until the backend answers.
    sending_queue:
      enabled: false
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [memory_limiter]
      exporters: [otlphttp]
`);
    ferry = await startFerry(['--config', config]);
    const url = `http://127.0.0.1:${httpPort}/v1/logs`;
    const post = (body: Uint8Array) => postProtobuf(url, body);
    // Each accepted request stays in memory until the backend answers.
    const { refusals, inflight } = await pressUntilRefused(url, bigLogsRequest());
    expect(refusals).toBe(3);
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    expect(await metricValue(metricsUrl, 'otelcol_processor_memory_limiter_refused_log_records_total', { processor: 'memory_limiter' })).toBeGreaterThanOrEqual(4000);
    expect(await metricValue(metricsUrl, 'otelcol_receiver_refused_log_records_total')).toBeGreaterThanOrEqual(4000);

    // The backend answers: the held data is delivered, memory is collected, data flows again.
    slow = false;
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    const small = encodeExportRequest('logs', makeLogs(2));
    await waitFor(async () => (await post(small)) === 200, 'Ferry to accept data again', 15_000);
    const statuses = await Promise.all(inflight);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(received).toBeGreaterThan(0);
  }, 40_000);
});
