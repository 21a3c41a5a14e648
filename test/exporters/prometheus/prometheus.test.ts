// The prometheus exporter in-process: what GET /metrics serves, byte for byte, after OTLP
// metrics went in. References: the Collector's prometheusexporter README
// (https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/prometheusexporter),
// the OTel spec's OTLP → Prometheus rules
// (https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/), and the
// text format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exporter } from '../../../src/component.js';
import { PermanentError } from '../../../src/consumer.js';
import { configSchema } from '../../../src/exporters/prometheus/config.js';
import { createPrometheusExporter, prometheusExporter, type PrometheusExporterConfig } from '../../../src/exporters/prometheus/index.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { runFerryToEnd, writeConfig } from '../../helpers/ferry.js';
import { freePort, testHost } from '../../helpers/index.js';
import { batch, gauge, histogram, sum, t } from '../../prometheus/fixtures.js';
import { metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { selfSignedCert } from '../helper/tls.js';

const exporters: Exporter[] = [];
afterEach(async () => {
  await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
});

async function start(config: Record<string, unknown>, now?: () => number) {
  const port = await freePort();
  const cfg = withDefaults<PrometheusExporterConfig>(configSchema, { endpoint: `127.0.0.1:${port}`, ...config });
  expect(prometheusExporter.validate?.(cfg)).toEqual([]);
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const exporter = createPrometheusExporter(cfg, { id: 'prometheus/test', kind: 'exporter', logger, telemetry }, { now });
  exporters.push(exporter);
  await exporter.start(testHost);
  const metric = (what: 'sent' | 'send_failed') => metricValue(telemetry, `otelcol_exporter_${what}_metric_points_total`, { exporter: 'prometheus/test' });
  return { exporter, logger, metric, url: `http://127.0.0.1:${port}/metrics`, port };
}

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw GET (fetch would undo the gzip we want to see). */
function get(url: string, headers: Record<string, string> = {}, options: { ca?: string; method?: string } = {}): Promise<Got> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(u, { method: options.method ?? 'GET', headers, ca: options.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const text = async (url: string, headers: Record<string, string> = {}): Promise<string> => (await get(url, headers)).body.toString('utf8');

const BASE = 'deploy_zone="z1",env="test",instance="pod-1",job="shop/checkout"';
const SCOPE = 'otel_scope_name="ferry.test",otel_scope_version="1.0.0"';

function everyKind() {
  return [
    { ...sum('net.io', 2048, t(0), t(10), { unit: 'By', attributes: [{ key: 'direction', value: { stringValue: 'rx' } }] }), description: 'Bytes moved.' },
    sum('orders.placed', 3, t(0), t(10), { unit: '{order}', temporality: 1 }),
    gauge('queue.depth', 0.5, t(10), { unit: '1' }),
    histogram('http.server.duration', { start: t(0), time: t(10), count: 4, sum: 150, bounds: [10, 100], counts: [1, 2, 1] }, { unit: 'ms' }),
    {
      name: 'rpc.latency',
      unit: 's',
      summary: { dataPoints: [{ attributes: [], timeUnixNano: t(10), count: 10, sum: 4, quantileValues: [{ quantile: 0.5, value: 0.25 }, { quantile: 0.99, value: 1.5 }] }] },
    },
  ];
}

describe('prometheus exporter: what a scrape shows', () => {
  it('every metric kind, named by the spec, with namespace, const_labels, job/instance, scope labels and target_info', async () => {
    const { exporter, url, metric } = await start({ namespace: 'ferry', const_labels: { env: 'test', 'deploy.zone': 'z1', job: 'loses-to-the-data' } });
    await exporter.consume(batch(everyKind()));
    // The delta sum again, aligned: it adds up.
    await exporter.consume(batch([sum('orders.placed', 4, t(10), t(20), { unit: '{order}', temporality: 1 })]));
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body.toString('utf8')).toBe(
      [
        '# TYPE ferry_http_server_duration_milliseconds histogram',
        `ferry_http_server_duration_milliseconds_bucket{${BASE},le="10",${SCOPE}} 1`,
        `ferry_http_server_duration_milliseconds_bucket{${BASE},le="100",${SCOPE}} 3`,
        `ferry_http_server_duration_milliseconds_bucket{${BASE},le="+Inf",${SCOPE}} 4`,
        `ferry_http_server_duration_milliseconds_sum{${BASE},${SCOPE}} 150`,
        `ferry_http_server_duration_milliseconds_count{${BASE},${SCOPE}} 4`,
        '# HELP ferry_net_io_bytes_total Bytes moved.',
        '# TYPE ferry_net_io_bytes_total counter',
        `ferry_net_io_bytes_total{deploy_zone="z1",direction="rx",env="test",instance="pod-1",job="shop/checkout",${SCOPE}} 2048`,
        '# TYPE ferry_orders_placed_total counter',
        `ferry_orders_placed_total{${BASE},${SCOPE}} 7`,
        '# TYPE ferry_queue_depth_ratio gauge',
        `ferry_queue_depth_ratio{${BASE},${SCOPE}} 0.5`,
        '# TYPE ferry_rpc_latency_seconds summary',
        `ferry_rpc_latency_seconds{${BASE},${SCOPE},quantile="0.5"} 0.25`,
        `ferry_rpc_latency_seconds{${BASE},${SCOPE},quantile="0.99"} 1.5`,
        `ferry_rpc_latency_seconds_sum{${BASE},${SCOPE}} 4`,
        `ferry_rpc_latency_seconds_count{${BASE},${SCOPE}} 10`,
        '# HELP ferry_target_info Target metadata',
        '# TYPE ferry_target_info gauge',
        'ferry_target_info{host_name="node-7",instance="pod-1",job="shop/checkout"} 1',
        '',
      ].join('\n'),
    );
    expect(await metric('sent')).toBe(6);
    expect(await metric('send_failed')).toBe(0);
  });

  it('writes the points\' timestamps with send_timestamps, and drops the scope labels with without_scope_info', async () => {
    const { exporter, url } = await start({ send_timestamps: true, without_scope_info: true });
    await exporter.consume(batch([gauge('temp', 21.5, t(12.345))], [{ key: 'service.name', value: { stringValue: 'svc' } }]));
    expect(await text(url)).toBe('# TYPE temp gauge\ntemp{job="svc"} 21.5 1700000012345\n');
  });

  it('keeps the names as they are (sanitized) without suffixes', async () => {
    const { exporter, url } = await start({ add_metric_suffixes: false });
    await exporter.consume(batch([sum('http.requests', 1, t(0), t(1), { unit: 's' }), gauge('cpu.usage', 0.5, t(1), { unit: '1' })], []));
    expect(await text(url)).toBe('# TYPE cpu_usage gauge\ncpu_usage{otel_scope_name="ferry.test",otel_scope_version="1.0.0"} 0.5\n# TYPE http_requests counter\nhttp_requests{otel_scope_name="ferry.test",otel_scope_version="1.0.0"} 1\n');
  });

  it('copies resource attributes onto every series with resource_to_telemetry_conversion', async () => {
    const { exporter, url } = await start({ resource_to_telemetry_conversion: { enabled: true, exclude_service_attributes: true }, without_scope_info: true });
    await exporter.consume(batch([gauge('temp', 1, t(1))]));
    expect((await text(url)).split('\n')).toContain('temp{host_name="node-7",instance="pod-1",job="shop/checkout"} 1');
  });

  it('serves one TYPE per name: of two metrics that become one name with different types, the first stays', async () => {
    const { exporter, url, logger } = await start({ without_scope_info: true });
    await exporter.consume(batch([gauge('jobs', 1, t(1))], []));
    await exporter.consume(batch([{ ...sum('jobs', 5, t(0), t(1), { monotonic: false }), name: 'jobs' }, sum('jobs_total', 9, t(0), t(1))], []));
    // jobs (up-down counter) is a gauge too, so it replaces the first; jobs_total is a counter of its own name.
    expect(await text(url)).toBe('# TYPE jobs gauge\njobs 5\n# TYPE jobs_total counter\njobs_total 9\n');
    await exporter.consume(batch([histogram('jobs', { start: t(0), time: t(2), count: 1, bounds: [], counts: [1] })], []));
    expect(await text(url)).toBe('# TYPE jobs gauge\njobs 5\n# TYPE jobs_total counter\njobs_total 9\n');
    await text(url);
    expect(logger.lines.filter((l) => l.message.startsWith('Two metrics map to one Prometheus name'))).toHaveLength(1);
  });

  it('counts what it cannot represent as send_failed and warns once per metric, without refusing the batch', async () => {
    const { exporter, url, metric, logger } = await start({ without_scope_info: true });
    const upDown = () => batch([sum('queue.delta', 2, t(0), t(1), { temporality: 1, monotonic: false }), gauge('ok', 1, t(1))], []);
    await exporter.consume(upDown());
    await exporter.consume(upDown());
    expect(await metric('sent')).toBe(2);
    expect(await metric('send_failed')).toBe(2);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields)).toEqual([{ metric: 'queue.delta', reason: 'delta up-down counter' }]);
    expect(await text(url)).toBe('# TYPE ok gauge\nok 1\n');
  });

  it('forgets series after metric_expiration (injected clock)', async () => {
    let now = 1_000_000;
    const { exporter, url } = await start({ metric_expiration: '1m', without_scope_info: true }, () => now);
    await exporter.consume(batch([gauge('old', 1, t(1)), gauge('kept', 1, t(1))], []));
    now += 45_000;
    await exporter.consume(batch([gauge('kept', 2, t(46))], []));
    now += 15_000;
    expect(await text(url)).toBe('# TYPE kept gauge\nkept 2\n');
    now += 45_000;
    expect(await text(url)).toBe('');
  });

  it('refuses logs and traces for good', async () => {
    const { exporter } = await start({});
    await expect(exporter.consume(makeBatch('logs', []))).rejects.toBeInstanceOf(PermanentError);
  });
});

describe('prometheus exporter: the HTTP endpoint', () => {
  it('answers OpenMetrics to a scraper that asks, when enable_open_metrics is on; text otherwise', async () => {
    const accept = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    const on = await start({ enable_open_metrics: true, without_scope_info: true });
    await on.exporter.consume(batch([sum('orders', 3, t(0), t(1))], []));
    const om = await get(on.url, { accept });
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body.toString()).toBe('# TYPE orders counter\norders_total 3\n# EOF\n');
    expect((await get(on.url)).headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const off = await start({ without_scope_info: true });
    expect((await get(off.url, { accept })).headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('gzips a large scrape for a scraper that accepts it', async () => {
    const { exporter, url } = await start({ without_scope_info: true });
    await exporter.consume(batch(Array.from({ length: 100 }, (_, i) => gauge(`gauge.number.${i}`, i, t(1))), []));
    const res = await get(url, { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    const body = gunzipSync(res.body).toString();
    expect(body).toContain('gauge_number_99 99\n');
    expect(body).toBe(await text(url));
  });

  it('serves /metrics only, to GET and HEAD', async () => {
    const { url, port } = await start({});
    expect((await get(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await get(url, {}, { method: 'POST' })).status).toBe(405);
    expect((await get(url, {}, { method: 'HEAD' })).status).toBe(200);
    expect((await get(`${url}?x=1`)).status).toBe(200);
  });

  it('serves over TLS with tls.cert_file and tls.key_file', async () => {
    const cert = selfSignedCert();
    try {
      const { exporter, port } = await start({ tls: { cert_file: cert.certFile, key_file: cert.keyFile }, without_scope_info: true });
      await exporter.consume(batch([gauge('temp', 3, t(1))], []));
      const res = await get(`https://127.0.0.1:${port}/metrics`, {}, { ca: cert.cert });
      expect(res.body.toString()).toBe('# TYPE temp gauge\ntemp 3\n');
    } finally {
      cert.remove();
    }
  });

  it('fails to start with the address in the message when the port is taken', async () => {
    const { port } = await start({});
    const cfg = withDefaults<PrometheusExporterConfig>(configSchema, { endpoint: `127.0.0.1:${port}` });
    const second = createPrometheusExporter(cfg, { id: 'prometheus/second', kind: 'exporter', logger: recordingLogger(), telemetry: new SelfTelemetry({ defaultMetrics: false }) });
    await expect(second.start(testHost)).rejects.toThrow(`exporter prometheus/second: cannot listen on 127.0.0.1:${port}: address already in use`);
  });

  it('listens on 127.0.0.1:8889 by default', () => {
    expect(withDefaults<PrometheusExporterConfig>(configSchema, {}).endpoint).toBe('127.0.0.1:8889');
  });
});

describe('prometheus exporter: ferry validate', () => {
  it('names the path and the fix of a bad endpoint and a zero metric_expiration', async () => {
    const file = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  prometheus:
    endpoint: "127.0.0.1:99999"
    metric_expiration: 0
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus]
`);
    const { code, stderr, stdout } = await runFerryToEnd(['validate', '--config', file]);
    const out = stderr + stdout;
    expect(code).not.toBe(0);
    expect(out).toContain('exporters.prometheus.endpoint');
    expect(out).toContain('invalid port in endpoint "127.0.0.1:99999"');
    expect(out).toContain('exporters.prometheus.metric_expiration');
    expect(out).toContain('metric_expiration: 5m');
  });
});
