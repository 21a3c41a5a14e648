// `ferry` scrapes a real Prometheus server's own /metrics (Debian's prometheus) and its own
// self-metrics endpoint (service.telemetry.metrics.address, the Collector's :8888), every second;
// types, values and labels that arrive at the file exporter are checked against what each served.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFerry, tempDir, writeConfig, type FerryProcess } from '../../helpers/ferry.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { prometheusAvailable, startPrometheus, type PrometheusServer } from '../../helpers/prometheus-server.js';
import { filePoints, pointsOf, upValues, type FlatPoint } from './helpers.js';

const available = prometheusAvailable();

/** `# TYPE` of every family in an exposition. */
function servedTypes(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

function otlpType(p: FlatPoint): string {
  if (p.type === 'sum') return p.monotonic ? 'counter' : 'nonmonotonic';
  return p.type === 'gauge' ? 'gauge' : p.type;
}

describe.skipIf(!available)('prometheus receiver scraping a real Prometheus and Ferry itself', () => {
  let prometheus: PrometheusServer | undefined;
  let ferry: FerryProcess | undefined;

  afterEach(async () => {
    await ferry?.stop(5_000);
    await prometheus?.stop();
  });

  it('translates every family with its type, and the values and labels they had', async () => {
    prometheus = await startPrometheus();
    const promInstance = prometheus.url.replace('http://', '');
    const selfInstance = `127.0.0.1:${await freePort()}`;
    const dir = tempDir();
    const out = join(dir, 'metrics.json');
    const config = writeConfig(
      `
receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: prometheus
          scrape_interval: 1s
          static_configs:
            - targets: ['${promInstance}']
        - job_name: otel-collector
          scrape_interval: 1s
          static_configs:
            - targets: ['${selfInstance}']
exporters:
  file:
    path: ${out}
service:
  telemetry:
    metrics:
      address: ${selfInstance}
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [file]
`,
      dir,
    );
    ferry = await startFerry(['--config', config]);
    await waitFor(() => {
      const points = filePoints(out);
      return upValues(points, promInstance).length >= 3 && pointsOf(points, selfInstance, 'otelcol_receiver_accepted_metric_points_total').length >= 3;
    }, 'three scrapes of both targets', 20_000);
    const served = await (await fetch(`${prometheus.url}/metrics`)).text();
    const points = filePoints(out);
    expect(upValues(points, promInstance).filter((v) => v === 1).length).toBeGreaterThanOrEqual(3);
    expect(upValues(points, selfInstance).filter((v) => v === 1).length).toBeGreaterThanOrEqual(3);

    // Every family Prometheus serves arrives, with the type its TYPE line says.
    const fromProm = points.filter((p) => p.resource['service.instance.id'] === promInstance);
    const arrived = new Map(fromProm.map((p) => [p.name, otlpType(p)]));
    const types = servedTypes(served);
    expect(types.size).toBeGreaterThan(50);
    let compared = 0;
    for (const [name, type] of types) {
      // A family created after the scrapes we read (a handler first called later) is not there yet.
      if (!arrived.has(name)) continue;
      expect(arrived.get(name), name).toBe(type === 'untyped' ? 'gauge' : type);
      compared++;
    }
    expect(compared).toBeGreaterThan(types.size * 0.9);
    expect(fromProm[0]?.resource).toMatchObject({ 'service.name': 'prometheus', 'service.instance.id': promInstance, 'url.scheme': 'http' });

    // Labels and a constant value.
    const build = /^prometheus_build_info\{(.*)\} (\S+)$/m.exec(served);
    const buildLabels = Object.fromEntries([...(build?.[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(pointsOf(points, promInstance, 'prometheus_build_info').at(-1)).toMatchObject({ type: 'gauge', attributes: buildLabels, point: { asDouble: 1 } });
    expect(pointsOf(points, promInstance, 'prometheus_config_last_reload_successful').at(-1)?.point.asDouble).toBe(1);
    // A summary: the Go runtime's GC pauses, quantiles 0 … 1 (OTLP/JSON leaves out a 0).
    const gc = pointsOf(points, promInstance, 'go_gc_duration_seconds').at(-1);
    expect(gc?.point.quantileValues?.map((q) => q.quantile ?? 0)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    // A histogram: bounds are the served le values.
    const hist = pointsOf(points, promInstance, 'prometheus_http_request_duration_seconds').at(-1);
    const handler = hist?.attributes.handler as string;
    const les = [...served.matchAll(new RegExp(`^prometheus_http_request_duration_seconds_bucket\\{handler="${handler.replace(/[/.]/g, '\\$&')}",le="([^"]+)"\\}`, 'gm'))].map((m) => m[1]);
    expect(hist?.point.explicitBounds).toEqual(les.filter((le) => le !== '+Inf').map(Number));
    expect(hist?.point.bucketCounts).toHaveLength(les.length);

    // Ferry's own counters: monotonic sums, one start time, values that grow.
    const accepted = pointsOf(points, selfInstance, 'otelcol_receiver_accepted_metric_points_total').filter((p) => p.attributes.receiver === 'prometheus');
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    expect(accepted[0]).toMatchObject({ type: 'sum', monotonic: true, attributes: { receiver: 'prometheus', transport: 'http' } });
    expect(new Set(accepted.map((p) => p.point.startTimeUnixNano)).size).toBe(1);
    const values = accepted.map((p) => p.point.asDouble ?? 0);
    expect(values.at(-1)).toBeGreaterThan(values[0] ?? Infinity);
    expect(pointsOf(points, selfInstance, 'scrape_samples_scraped').at(-1)?.point.asDouble).toBeGreaterThan(10);
  }, 40_000);
});
