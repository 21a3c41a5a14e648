import { afterEach, describe, expect, it } from 'vitest';
import type { Exporter } from '../../../src/component.js';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import type { Batch } from '../../../src/pdata/batch.js';
import { createExporter, type ExporterOptions } from '../../../src/exporters/helper/exporter.js';
import { retrySettings } from '../../../src/exporters/helper/retry.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { logsBatch, metricValue, recordingLogger, tracesBatch } from './fixtures.js';

const FAST_RETRY = retrySettings({ initial_interval: '10ms', max_interval: '40ms', max_elapsed_time: '5s' });

let exporter: Exporter | undefined;

afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
});

function setup(options: Partial<ExporterOptions> & Pick<ExporterOptions, 'send'>) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  exporter = createExporter(
    { id: 'test/helper', kind: 'exporter', logger, telemetry },
    { signals: ['logs', 'traces'], timeoutMs: 0, retry: FAST_RETRY, ...options },
  );
  const sent = (noun = 'log_records') => metricValue(telemetry, `otelcol_exporter_sent_${noun}_total`, { exporter: 'test/helper' });
  const failed = (noun = 'log_records') => metricValue(telemetry, `otelcol_exporter_send_failed_${noun}_total`, { exporter: 'test/helper' });
  return { exporter, logger, sent, failed };
}

describe('createExporter', () => {
  it('sends once and counts the items as sent', async () => {
    const seen: Batch[] = [];
    const { exporter, sent, failed } = setup({ send: async (b) => void seen.push(b) });
    await exporter.start(testHost);
    await exporter.consume(logsBatch());
    await exporter.consume(tracesBatch());
    expect(seen.map((b) => b.signal)).toEqual(['logs', 'traces']);
    expect(await sent()).toBe(2);
    expect(await sent('spans')).toBe(1);
    expect(await failed()).toBe(0);
  });

  it('refuses a signal it does not export', async () => {
    const { exporter } = setup({ send: async () => undefined });
    await expect(exporter.consume({ signal: 'metrics', resources: [] })).rejects.toBeInstanceOf(PermanentError);
  });

  it('never retries a permanent error and counts send_failed', async () => {
    let calls = 0;
    const { exporter, failed, sent, logger } = setup({
      send: async () => {
        calls++;
        throw new PermanentError('bad data');
      },
    });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('bad data');
    expect(calls).toBe(1);
    expect(await failed()).toBe(2);
    expect(await sent()).toBe(0);
    const warn = logger.lines.find((l) => l.level === 'warn');
    expect(warn?.fields).toMatchObject({ signal: 'logs', items: 2, error: expect.stringContaining('bad data') });
  });

  it('retries retryable and unclassified errors until the send succeeds', async () => {
    let calls = 0;
    const { exporter, sent, failed, logger } = setup({
      send: async () => {
        calls++;
        if (calls === 1) throw new RetryableError('unavailable');
        if (calls === 2) throw new Error('socket hang up');
      },
    });
    await exporter.consume(logsBatch());
    expect(calls).toBe(3);
    expect(await sent()).toBe(2);
    expect(await failed()).toBe(0);
    expect(logger.lines.filter((l) => l.message.includes('Will retry')).map((l) => l.fields.error)).toEqual(['unavailable', 'socket hang up']);
  });

  it('waits at least the Retry-After the server asked for', async () => {
    const at: number[] = [];
    const { exporter } = setup({
      send: async () => {
        at.push(Date.now());
        if (at.length === 1) throw new RetryableError('throttled', { retryAfterMs: 300, reason: 'throttled' });
      },
    });
    await exporter.consume(logsBatch());
    expect(at).toHaveLength(2);
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(290);
  });

  it('gives a failure straight back, still retryable, when retry is disabled', async () => {
    let calls = 0;
    const { exporter, failed } = setup({
      retry: retrySettings({ enabled: false }),
      send: async () => {
        calls++;
        throw new RetryableError('down', { retryAfterMs: 1234 });
      },
    });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(1234);
    expect(calls).toBe(1);
    expect(await failed()).toBe(2);
  });

  it('aborts an attempt at the timeout and retries it', async () => {
    const signals: AbortSignal[] = [];
    const { exporter, sent } = setup({
      timeoutMs: 100,
      send: (_b, signal) => {
        signals.push(signal);
        if (signals.length > 1) return Promise.resolve();
        // A send that would hang forever but for its signal.
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      },
    });
    await exporter.consume(logsBatch());
    expect(signals).toHaveLength(2);
    expect(signals[0]?.aborted).toBe(true);
    expect(String(signals[0]?.reason)).toContain('timed out after 100ms');
    expect(signals[1]?.aborted).toBe(false);
    expect(await sent()).toBe(2);
  });

  it('enforces the timeout even on a send that ignores its signal', async () => {
    const { exporter } = setup({
      timeoutMs: 50,
      retry: retrySettings({ enabled: false }),
      send: () => new Promise(() => undefined),
    });
    await expect(exporter.consume(logsBatch())).rejects.toThrow(/timed out after 50ms/);
  });

  it('gives up after max_elapsed_time with a retryable error', async () => {
    let calls = 0;
    const { exporter, failed, logger } = setup({
      retry: retrySettings({ initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '150ms' }),
      send: async () => {
        calls++;
        throw new RetryableError('still down', { reason: 'unavailable' });
      },
    });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/no more retries left after \d+ attempts: still down/);
    expect(calls).toBeGreaterThan(2);
    expect(await failed()).toBe(2);
    expect(logger.lines.at(-1)?.level).toBe('warn');
  });

  it('gives up at once when the server asks for a wait beyond max_elapsed_time', async () => {
    let calls = 0;
    const { exporter } = setup({
      retry: retrySettings({ initial_interval: '10ms', max_elapsed_time: '1s' }),
      send: async () => {
        calls++;
        throw new RetryableError('come back in a minute', { retryAfterMs: 60_000 });
      },
    });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(60_000);
    expect(calls).toBe(1);
  });

  it('shutdown ends a pending backoff promptly and closes the client afterwards', async () => {
    let calls = 0;
    let closed = false;
    const { exporter, failed } = setup({
      retry: retrySettings({ initial_interval: '60s', max_interval: '60s', max_elapsed_time: '0' }),
      send: async () => {
        calls++;
        throw new RetryableError('down');
      },
      shutdown: async () => {
        closed = true;
      },
    });
    const pending = exporter.consume(logsBatch()).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await exporter.shutdown();
    const err = await pending;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain('shutting down');
    expect(calls).toBe(1);
    expect(closed).toBe(true);
    expect(await failed()).toBe(2);
    await expect(exporter.consume(logsBatch())).rejects.toThrow(/shut down/);
  });

  it('shutdown waits for an attempt on the wire before closing the client', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const { exporter } = setup({
      send: () =>
        new Promise<void>((resolve) => {
          release = () => {
            order.push('sent');
            resolve();
          };
        }),
      shutdown: async () => void order.push('closed'),
    });
    const pending = exporter.consume(logsBatch());
    await new Promise((r) => setTimeout(r, 20));
    const stopping = exporter.shutdown();
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual([]);
    release();
    await pending;
    await stopping;
    expect(order).toEqual(['sent', 'closed']);
  });
});
