// The prometheusremotewrite exporter against a local receiver that checks each request as the
// remote write 1.0 spec says (https://prometheus.io/docs/specs/prw/remote_write_spec/: retry
// 5xx, MAY retry 429, never retry other 4xx), with the Collector's keys and defaults
// (https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/prometheusremotewriteexporter).
import { afterEach, describe, expect, it } from 'vitest';
import type { Exporter } from '../../../src/component.js';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { configSchema, resolvedSendingQueue, type PrometheusRemoteWriteConfig } from '../../../src/exporters/prometheusremotewrite/config.js';
import { prometheusRemoteWriteExporter } from '../../../src/exporters/prometheusremotewrite/index.js';
import { splitBySize } from '../../../src/exporters/prometheusremotewrite/write-request.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { runFerryToEnd, writeConfig } from '../../helpers/ferry.js';
import { testHost } from '../../helpers/index.js';
import { BASE_MS, attrs, batch, gauge, histogram, sum, t } from '../../prometheus/fixtures.js';
import { metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { selfSignedCert } from '../helper/tls.js';
import { RemoteWriteReceiver, flatten } from './server.js';

const FAST_RETRY = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };
// These tests watch each send while its sender waits; the queue has its own tests (test/exporters/helper).
const NO_QUEUE = { enabled: false };

let receiver: RemoteWriteReceiver | undefined;
const exporters: Exporter[] = [];
afterEach(async () => {
  await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
  await receiver?.close();
  receiver = undefined;
});

async function start(config: Record<string, unknown>, tls?: { cert: string; key: string }) {
  receiver = await RemoteWriteReceiver.start(tls);
  const cfg = withDefaults<PrometheusRemoteWriteConfig>(configSchema, { endpoint: receiver.url, retry_on_failure: FAST_RETRY, sending_queue: NO_QUEUE, ...config });
  expect(prometheusRemoteWriteExporter.validate?.(cfg)).toEqual([]);
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const exporter = prometheusRemoteWriteExporter.create(cfg, { id: 'prometheusremotewrite/test', kind: 'exporter', logger, telemetry });
  exporters.push(exporter);
  await exporter.start(testHost);
  const metric = (what: 'sent' | 'send_failed') => metricValue(telemetry, `otelcol_exporter_${what}_metric_points_total`, { exporter: 'prometheusremotewrite/test' });
  return { receiver, exporter, logger, metric };
}

/** `count` gauges, one series each, 0…count-1. */
const gauges = (count: number) => batch(Array.from({ length: count }, (_, i) => gauge(`g${i}`, i, t(1))), []);

describe('prometheusremotewrite: what arrives', () => {
  it('one snappy WriteRequest with the protocol headers, the configured ones, and every series', async () => {
    const { receiver, exporter, metric } = await start({
      headers: { 'X-Scope-OrgID': 'tenant-1', authorization: 'Bearer s3cret', 'content-type': 'text/plain', 'User-Agent': 'not-me' },
      external_labels: { cluster: 'eu-1' },
      namespace: 'ferry',
    });
    await exporter.consume(
      batch([
        sum('orders', 5, t(0), t(10), { attributes: attrs({ 'http.route': '/pay' }) }),
        gauge('queue.depth', 0.5, t(10), { unit: '1' }),
        histogram('latency', { start: t(0), time: t(10), count: 3, sum: 1.5, bounds: [0.1, 1], counts: [1, 1, 1] }, { unit: 's' }),
      ]),
    );
    expect(receiver.violations).toEqual([]);
    expect(receiver.writes).toHaveLength(1);
    const w = receiver.writes[0];
    expect(w?.path).toBe('/api/v1/write');
    expect(w?.headers).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'x-scope-orgid': 'tenant-1',
      authorization: 'Bearer s3cret',
    });
    expect(w?.headers['user-agent']).toMatch(/^Ferry\//);
    const common = 'cluster="eu-1",instance="pod-1",job="shop/checkout",otel_scope_name="ferry.test",otel_scope_version="1.0.0"';
    const at = BASE_MS + 10_000;
    expect(receiver.accepted().map((s) => [s.id, s.samples])).toEqual([
      [`ferry_orders_total{${common.replace('cluster="eu-1",', 'cluster="eu-1",http_route="/pay",')}}`, [[at, 5]]],
      [`ferry_queue_depth_ratio{${common}}`, [[at, 0.5]]],
      [`ferry_latency_seconds_bucket{${common.replace('job="shop/checkout",', 'job="shop/checkout",le="0.1",')}}`, [[at, 1]]],
      [`ferry_latency_seconds_bucket{${common.replace('job="shop/checkout",', 'job="shop/checkout",le="1",')}}`, [[at, 2]]],
      [`ferry_latency_seconds_bucket{${common.replace('job="shop/checkout",', 'job="shop/checkout",le="+Inf",')}}`, [[at, 3]]],
      [`ferry_latency_seconds_sum{${common}}`, [[at, 1.5]]],
      [`ferry_latency_seconds_count{${common}}`, [[at, 3]]],
      ['ferry_target_info{cluster="eu-1",host_name="node-7",instance="pod-1",job="shop/checkout"}', [[at, 1]]],
    ]);
    expect(await metric('sent')).toBe(3);
  });

  it('writes the staleness marker\'s exact bits for a point without a recorded value', async () => {
    const { receiver, exporter } = await start({ target_info: { enabled: false } });
    await exporter.consume(batch([sum('orders', 5, t(0), t(10), { flags: 1 })], []));
    // Sample { double value = 1 } : tag 0x09, then 0x7ff0000000000002 little-endian.
    expect(receiver.writes[0]?.raw.includes(Buffer.from([0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]))).toBe(true);
  });

  it('splits a batch above max_batch_size_bytes into requests under it, every series once, in order', async () => {
    const { receiver, exporter, metric } = await start({ max_batch_size_bytes: 400, target_info: { enabled: false }, disable_scope_info: true });
    await exporter.consume(gauges(40));
    expect(receiver.violations).toEqual([]);
    expect(receiver.writes.length).toBeGreaterThan(3);
    for (const w of receiver.writes) expect(w.raw.byteLength).toBeLessThanOrEqual(400);
    expect(receiver.accepted().map((s) => s.id)).toEqual(Array.from({ length: 40 }, (_, i) => `g${i}{}`));
    expect(await metric('sent')).toBe(40);
  });

  it('posts over TLS, checking the server against tls.ca_file', async () => {
    const cert = selfSignedCert();
    try {
      const { receiver, exporter } = await start({ tls: { ca_file: cert.certFile } }, cert);
      expect(receiver.url.startsWith('https://')).toBe(true);
      await exporter.consume(gauges(2));
      expect(receiver.accepted().map((s) => s.id.split('{')[0])).toEqual(['g0', 'g1']);
    } finally {
      cert.remove();
    }
  });

  it('never splits a series: one larger than the limit goes alone', () => {
    const sizes = [10, 500, 10, 10].map((n) => new Uint8Array(n));
    expect(splitBySize(sizes, 100)).toEqual([[0], [1], [2, 3]]);
  });
});

describe('prometheusremotewrite: failures', () => {
  it('does not retry a 400, counts the points as send_failed, and says what the server said', async () => {
    const { receiver, exporter, metric } = await start({});
    receiver.replies.push({ status: 400, body: 'out of order sample\n' });
    const err = await exporter.consume(gauges(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain(`remote write to ${receiver.url} responded with HTTP 400: out of order sample`);
    expect(receiver.writes).toHaveLength(1);
    expect(await metric('send_failed')).toBe(3);
    expect(await metric('sent')).toBe(0);
  });

  it('retries a 500 and a 503, then delivers', async () => {
    const { receiver, exporter, metric } = await start({});
    receiver.replies.push({ status: 500, body: 'tsdb busy' }, { status: 503 });
    await exporter.consume(gauges(3));
    expect(receiver.writes).toHaveLength(3);
    expect(await metric('sent')).toBe(3);
    expect(await metric('send_failed')).toBe(0);
  });

  it('retries a 429 after its Retry-After', async () => {
    const { receiver, exporter, metric } = await start({});
    receiver.replies.push({ status: 429, headers: { 'retry-after': '1' } });
    await exporter.consume(gauges(2));
    const [first, second] = receiver.writes;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(await metric('sent')).toBe(2);
  });

  it('of a split batch, retries only the series of the request that failed', async () => {
    const { receiver, exporter, metric } = await start({ max_batch_size_bytes: 100, target_info: { enabled: false }, disable_scope_info: true, max_batch_request_parallelism: 1 });
    let calls = 0;
    receiver.decide = () => (++calls === 2 ? { status: 500 } : undefined);
    await exporter.consume(gauges(12));
    const ids = receiver.writes.map((w) => flatten(w.request).map((s) => s.id));
    const groups = ids.length - 1;
    // The second request failed; the retry (the last request) carries exactly its series.
    expect(ids[groups]).toEqual(ids[1]);
    expect(new Set(receiver.accepted().map((s) => s.id)).size).toBe(12);
    expect(receiver.accepted()).toHaveLength(12);
    expect(await metric('sent')).toBe(12);
    expect(await metric('send_failed')).toBe(0);
  });

  it('of a split batch, drops for good only the points of a request refused with a 4xx', async () => {
    const { receiver, exporter, metric } = await start({ max_batch_size_bytes: 100, target_info: { enabled: false }, disable_scope_info: true, max_batch_request_parallelism: 1 });
    let calls = 0;
    receiver.decide = () => (++calls === 2 ? { status: 400, body: 'bad series' } : undefined);
    const err = await exporter.consume(gauges(12)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    const refused = flatten(receiver.writes[1]?.request ?? { timeseries: [] }).length;
    expect((err as Error).message).toContain(`HTTP 400: bad series (1 of ${receiver.writes.length} requests failed)`);
    expect(await metric('send_failed')).toBe(refused);
    expect(await metric('sent')).toBe(12 - refused);
  });

  it('delivers the rest and refuses delta sums (as the Collector), warning once per metric', async () => {
    const { receiver, exporter, metric, logger } = await start({});
    const mixed = () => batch([sum('orders', 1, t(0), t(1), { temporality: 1 }), gauge('temp', 20, t(1))]);
    for (let i = 0; i < 2; i++) {
      const err = await exporter.consume(mixed()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as Error).message).toContain('1 data points cannot be written (delta temporality)');
    }
    expect(receiver.accepted().map((s) => s.id.split('{')[0])).toEqual(['temp', 'target_info', 'temp', 'target_info']);
    expect(await metric('sent')).toBe(2);
    expect(await metric('send_failed')).toBe(2);
    expect(logger.lines.filter((l) => l.level === 'warn' && l.message.startsWith('Dropping data points')).map((l) => l.fields)).toEqual([{ metric: 'orders', reason: 'delta temporality' }]);
  });

  it('treats a refused connection as retryable', async () => {
    const { receiver, exporter } = await start({ retry_on_failure: { enabled: false } });
    await receiver.close();
    const err = await exporter.consume(gauges(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('keeps header values and URL credentials out of errors and logs', async () => {
    receiver = await RemoteWriteReceiver.start();
    const url = receiver.url.replace('://', '://writer:hunter2@');
    const logger = recordingLogger();
    const cfg = withDefaults<PrometheusRemoteWriteConfig>(configSchema, { endpoint: url, headers: { authorization: 'Bearer s3cret-token' }, retry_on_failure: { enabled: false }, sending_queue: NO_QUEUE });
    const exporter = prometheusRemoteWriteExporter.create(cfg, { id: 'prometheusremotewrite/creds', kind: 'exporter', logger, telemetry: new SelfTelemetry({ defaultMetrics: false }) });
    exporters.push(exporter);
    await exporter.start(testHost);
    receiver.replies.push({ status: 401, body: 'unauthorized' });
    const err = await exporter.consume(gauges(1)).catch((e: unknown) => e);
    expect((err as Error).message).toContain('responded with HTTP 401: unauthorized');
    const everything = `${(err as Error).message}\n${JSON.stringify(logger.lines)}`;
    expect(everything).not.toContain('s3cret-token');
    expect(everything).not.toContain('hunter2');
    expect(receiver.writes[0]?.headers.authorization).toBe('Bearer s3cret-token');
  });
});

describe('prometheusremotewrite: configuration', () => {
  it('has the Collector\'s defaults: 5s timeout, 50ms/200ms/1m retries, 3 MB requests, one queue consumer', () => {
    const cfg = withDefaults<PrometheusRemoteWriteConfig>(configSchema, { endpoint: 'http://p:9090/api/v1/write' });
    expect(cfg).toMatchObject({ timeout: '5s', max_batch_size_bytes: 3_000_000, add_metric_suffixes: true, target_info: { enabled: true } });
    expect(cfg.retry_on_failure).toMatchObject({ enabled: true, initial_interval: '50ms', max_interval: '200ms', max_elapsed_time: '1m' });
    expect(resolvedSendingQueue(cfg)).toMatchObject({ enabled: true, num_consumers: 1, queue_size: 10_000 });
  });

  it('maps remote_write_queue onto the sending queue, and refuses it next to sending_queue', () => {
    const mapped = withDefaults<PrometheusRemoteWriteConfig>(configSchema, { endpoint: 'http://p/api/v1/write', remote_write_queue: { enabled: false, queue_size: 50, num_consumers: 2 } });
    expect(resolvedSendingQueue(mapped)).toMatchObject({ enabled: false, queue_size: 50, num_consumers: 1 });
    const both = withDefaults<PrometheusRemoteWriteConfig>(configSchema, { endpoint: 'http://p/api/v1/write', remote_write_queue: {}, sending_queue: {} });
    expect(prometheusRemoteWriteExporter.validate?.(both).map((p) => p.path)).toEqual(['remote_write_queue']);
  });

  it('ferry validate names the missing endpoint and how to fix it', async () => {
    const file = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  prometheusremotewrite:
    external_labels:
      cluster: eu-1
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheusremotewrite]
`);
    const { code, stderr, stdout } = await runFerryToEnd(['validate', '--config', file]);
    expect(code).not.toBe(0);
    const out = stderr + stdout;
    expect(out).toContain('exporters.prometheusremotewrite.endpoint');
    expect(out).toContain('no endpoint is set');
    expect(out).toContain('endpoint: http://prometheus:9090/api/v1/write');
  });

  it('ferry validate accepts the Collector\'s wal, which Ferry does not have, with a warning that says so', async () => {
    const file = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  prometheusremotewrite:
    endpoint: http://127.0.0.1:9090/api/v1/write
    wal:
      directory: ./prom_rw
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheusremotewrite]
`);
    const { code, stderr } = await runFerryToEnd(['validate', '--config', file]);
    expect(code).toBe(0);
    expect(stderr).toContain('exporters.prometheusremotewrite.wal: Ferry has no remote-write WAL, so wal has no effect');
  });
});
