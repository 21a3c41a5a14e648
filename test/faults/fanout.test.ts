// One stuck exporter in a fan-out: by default its full queue refuses the senders (lossless:
// they retry, and the healthy exporter sees their retries again). Marked best effort
// (sending_queue.when_full: drop), it drops and counts instead, and never holds the others:
// every sender answered 200, the healthy backend gets every record exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../helpers/backend.js';
import { metricValue, startFerry, writeConfig } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';
import { LoadSender } from '../helpers/load.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a stuck exporter in a fan-out', () => {
  it('marked when_full: drop, it drops and counts; senders and the healthy exporter are never held', async () => {
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const healthy = await FakeBackend.start(await freePort());
    const stuck = await FakeBackend.start(await freePort());
    cleanups.push(() => healthy.down(), () => stuck.down());
    stuck.policy = () => ({ delayMs: 600_000 });
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  otlphttp/healthy:
    endpoint: ${healthy.url}
    compression: none
  otlphttp/stuck:
    endpoint: ${stuck.url}
    compression: none
    timeout: 60s
    sending_queue:
      queue_size: 5
      num_consumers: 2
      block_on_overflow: false
      when_full: drop
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp/healthy, otlphttp/stuck]
`);
    const ferry = await startFerry(['--config', config]);
    cleanups.push(() => ferry.stop(1000));
    const sender = new LoadSender({ url: `http://127.0.0.1:${httpPort}`, prefix: 'fan', recordsPerRequest: 20, maxAttempts: 1 });
    cleanups.push(() => sender.close());
    await sender.run(4, 100);
    expect(Object.fromEntries(sender.outcomes)).toEqual({ 200: 100 });
    await waitFor(() => sender.missing(healthy.delivered).length === 0, 'every record at the healthy backend');
    expect(healthy.duplicates()).toBe(0);
    const metrics = `http://127.0.0.1:${metricsPort}/metrics`;
    // The stuck exporter holds queue_size requests (those on the wire count until delivered); the rest was dropped and counted.
    const dropped = await metricValue(metrics, 'otelcol_exporter_enqueue_failed_log_records_total', { exporter: 'otlphttp/stuck' });
    expect(dropped).toBe(2000 - 20 * 5);
    expect(await metricValue(metrics, 'otelcol_exporter_enqueue_failed_log_records_total', { exporter: 'otlphttp/healthy' })).toBe(0);
    expect(ferry.stderr()).toContain('dropping batches (when_full: drop)');
  });
});
