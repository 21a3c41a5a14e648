// Self-metrics: the Collector's names and labels, served as Prometheus text.
import { describe, expect, it } from 'vitest';
import { SelfTelemetry } from '../../src/telemetry/self.js';
import { MetricsServer } from '../../src/telemetry/server.js';
import { freePort } from '../helpers/index.js';
import { metricValue } from '../helpers/ferry.js';

describe('self-metrics', () => {
  it('counts receiver and exporter items under the Collector names and serves them on /metrics', async () => {
    const t = new SelfTelemetry();
    t.forReceiver('otlp', 'grpc').accepted('logs', 5);
    t.forReceiver('otlp', 'http').accepted('logs', 2);
    t.forReceiver('otlp', 'http').refused('traces', 3);
    t.forExporter('otlphttp/x').sent('metrics', 7);
    t.forExporter('otlphttp/x').sendFailed('metrics', 1);
    const port = await freePort();
    const server = new MetricsServer(t.registry, `127.0.0.1:${port}`);
    await server.start();
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      expect(await metricValue(url, 'otelcol_receiver_accepted_log_records_total', { receiver: 'otlp', transport: 'grpc' })).toBe(5);
      expect(await metricValue(url, 'otelcol_receiver_accepted_log_records_total', { receiver: 'otlp' })).toBe(7);
      expect(await metricValue(url, 'otelcol_receiver_refused_spans_total', { transport: 'http' })).toBe(3);
      expect(await metricValue(url, 'otelcol_exporter_sent_metric_points_total', { exporter: 'otlphttp/x' })).toBe(7);
      expect(await metricValue(url, 'otelcol_exporter_send_failed_metric_points_total', { exporter: 'otlphttp/x' })).toBe(1);
      expect(await metricValue(url, 'otelcol_process_uptime_seconds_total')).toBeGreaterThan(0);
      expect(await metricValue(url, 'otelcol_process_memory_rss_bytes')).toBeGreaterThan(1_000_000);
      expect(await metricValue(url, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
