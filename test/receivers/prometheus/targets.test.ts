// `ferry` (dist/cli.js) scrapes, every 200 ms, a target written with prom-client (counter, gauge,
// histogram, summary) and five broken ones (slow, HTTP 500, 50 MB, a malformed line, nothing
// listening); what arrives at the file exporter is checked against what the targets served.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, tempDir, writeConfig, type FerryProcess } from '../../helpers/ferry.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { filePoints, pointsOf, upValues, type FlatPoint } from './helpers.js';

async function listen(handler: (res: ServerResponse, close: Promise<void>) => void): Promise<{ server: Server; address: string }> {
  const server = createServer((_req, res) => {
    const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
    handler(res, closed);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, address: `127.0.0.1:${port}` };
}

describe('prometheus receiver: a prom-client target and broken targets', () => {
  const registry = new Registry();
  const requests = new Counter({ name: 'http_requests_total', help: 'Requests served.', labelNames: ['method', 'code'], registers: [registry] });
  const inflight = new Gauge({ name: 'jobs_in_queue', help: 'Jobs waiting.', registers: [registry] });
  const latency = new Histogram({ name: 'request_duration_seconds', help: 'Request latency.', labelNames: ['route'], buckets: [0.1, 0.5, 1], registers: [registry] });
  const sizes = new Summary({ name: 'response_size_bytes', help: 'Response sizes.', percentiles: [0.5, 0.9], registers: [registry] });
  new Gauge({ name: 'debug_internal_gauge', help: 'Dropped by metric_relabel_configs.', registers: [registry] }).set(1);
  const servers: Server[] = [];
  let ferry: FerryProcess | undefined;
  let out = '';
  const addr: Record<string, string> = {};

  beforeAll(async () => {
    requests.inc({ method: 'GET', code: '200' }, 10);
    requests.inc({ method: 'POST', code: '500' }, 2);
    inflight.set(42);
    for (const v of [0.05, 0.3, 0.7, 2]) latency.observe({ route: '/api' }, v);
    for (const v of [100, 200, 300, 400, 500]) sizes.observe(v);

    const good = await listen((res) => {
      void registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      });
    });
    const slow = await listen((res, closed) => {
      const t = setTimeout(() => res.end('late 1\n'), 2_000);
      void closed.then(() => clearTimeout(t));
    });
    const error500 = await listen((res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('boom\n');
    });
    // 50 MB of valid lines, written as fast as the reader takes them, stopped when it hangs up.
    const huge = await listen((res, closed) => {
      let open = true;
      void closed.then(() => (open = false));
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      const chunk = Buffer.from('filler_metric{i="0123456789012345678901234567890123456789"} 1\n'.repeat(1024));
      let sent = 0;
      const pump = (): void => {
        while (open && sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (open) res.end();
      };
      pump();
    });
    const malformed = await listen((res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE ok gauge\nok 1\nbroken_metric{label="x" 3\n');
    });
    servers.push(good.server, slow.server, error500.server, huge.server, malformed.server);
    addr.good = good.address;
    addr.slow = slow.address;
    addr.error500 = error500.address;
    addr.huge = huge.address;
    addr.malformed = malformed.address;
    addr.refused = `127.0.0.1:${await freePort()}`;

    const dir = tempDir();
    out = join(dir, 'metrics.json');
    const config = writeConfig(
      `
receivers:
  prometheus:
    config:
      global:
        scrape_interval: 200ms
      scrape_configs:
        - job_name: app
          # A longer timeout than the rest: on a loaded CI machine this process may answer late.
          scrape_interval: 1s
          static_configs:
            - targets: ['${addr.good}']
              labels:
                team: core
          metric_relabel_configs:
            - source_labels: [__name__]
              regex: debug_.*
              action: drop
        - job_name: broken
          scrape_interval: 300ms
          scrape_timeout: 300ms
          static_configs:
            - targets: ['${addr.slow}', '${addr.error500}', '${addr.malformed}', '${addr.refused}']
        # Its own job: the 1 MB cap, not the short timeout, must be what stops it.
        - job_name: huge
          scrape_interval: 500ms
          scrape_timeout: 500ms
          body_size_limit: 1MB
          static_configs:
            - targets: ['${addr.huge}']
exporters:
  file:
    path: ${out}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${await freePort()}
  pipelines:
    metrics:
      receivers: [prometheus]
      exporters: [file]
`,
      dir,
    );
    ferry = await startFerry(['--config', config]);
  }, 30_000);

  afterAll(async () => {
    await ferry?.stop(5_000);
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  const byAttrs = (points: FlatPoint[], want: Record<string, string>): FlatPoint[] => points.filter((p) => Object.entries(want).every(([k, v]) => p.attributes[k] === v));

  it('delivers the counter, gauge, histogram and summary as prom-client served them, with start times and labels', async () => {
    const goodInstance = addr.good as string;
    await waitFor(() => upValues(filePoints(out), goodInstance).filter((v) => v === 1).length >= 2, 'two scrapes of the prom-client target');
    requests.inc({ method: 'GET', code: '200' }, 5);
    await waitFor(() => pointsOf(filePoints(out), goodInstance, 'http_requests_total').some((p) => p.point.asDouble === 15), 'the incremented counter');
    const points = filePoints(out);

    const resource = pointsOf(points, goodInstance, 'up')[0]?.resource;
    const [host, port] = goodInstance.split(':');
    expect(resource).toEqual({ 'service.name': 'app', 'service.instance.id': goodInstance, 'server.address': host, 'server.port': Number(port), 'url.scheme': 'http' });

    const allGet = byAttrs(pointsOf(points, goodInstance, 'http_requests_total'), { method: 'GET', code: '200' }).filter((p) => p.point.flags !== 1);
    expect(allGet[0]).toMatchObject({ type: 'sum', monotonic: true, temporality: 2, description: 'Requests served.', attributes: { method: 'GET', code: '200', team: 'core' } });
    expect(allGet.map((p) => p.point.asDouble)).toEqual(expect.arrayContaining([10, 15]));
    // The first scrape's time is the start time of every later point of the series, as long as
    // the target stays up (a failed scrape on a loaded machine would rightly start it again).
    const ups = pointsOf(points, goodInstance, 'up');
    const upSince = BigInt(ups.find((p) => p.point.asDouble === 1)?.point.timeUnixNano ?? '0');
    const downAt = BigInt(ups.find((p) => p.point.asDouble === 0 && BigInt(p.point.timeUnixNano ?? '0') > upSince)?.point.timeUnixNano ?? `${Number.MAX_SAFE_INTEGER}000000`);
    const get = allGet.filter((p) => BigInt(p.point.timeUnixNano ?? '0') >= upSince && BigInt(p.point.timeUnixNano ?? '0') < downAt);
    const firstTime = get[0]?.point.timeUnixNano;
    expect(get[0]?.point.startTimeUnixNano).toBe(firstTime);
    expect(get.every((p) => p.point.startTimeUnixNano === firstTime)).toBe(true);
    if (downAt > BigInt(allGet.at(-1)?.point.timeUnixNano ?? '0')) expect(get.length).toBe(allGet.length);
    expect(byAttrs(pointsOf(points, goodInstance, 'http_requests_total'), { method: 'POST', code: '500' })[0]?.point.asDouble).toBe(2);

    expect(pointsOf(points, goodInstance, 'jobs_in_queue')[0]).toMatchObject({ type: 'gauge', attributes: { team: 'core' }, point: { asDouble: 42 } });

    const hist = pointsOf(points, goodInstance, 'request_duration_seconds')[0];
    expect(hist).toMatchObject({ type: 'histogram', temporality: 2, attributes: { route: '/api', team: 'core' } });
    expect(hist?.point.explicitBounds).toEqual([0.1, 0.5, 1]);
    expect(hist?.point.bucketCounts?.map(Number)).toEqual([1, 1, 1, 1]);
    expect(Number(hist?.point.count)).toBe(4);
    expect(hist?.point.sum).toBeCloseTo(3.05, 10);
    expect(hist?.point.startTimeUnixNano).toBe(hist?.point.timeUnixNano);

    // The summary's quantiles exactly as prom-client computed them.
    const served = await registry.getSingleMetricAsString('response_size_bytes');
    const quantile = (q: string): number => Number(new RegExp(`response_size_bytes\\{quantile="${q}"\\} (\\S+)`).exec(served)?.[1]);
    const summary = pointsOf(points, goodInstance, 'response_size_bytes')[0];
    expect(summary).toMatchObject({ type: 'summary', point: { sum: 1500 } });
    expect(Number(summary?.point.count)).toBe(5);
    expect(summary?.point.quantileValues).toEqual([
      { quantile: 0.5, value: quantile('0.5') },
      { quantile: 0.9, value: quantile('0.9') },
    ]);

    expect(pointsOf(points, goodInstance, 'debug_internal_gauge')).toEqual([]);
    const scraped = pointsOf(points, goodInstance, 'scrape_samples_scraped')[0]?.point.asDouble;
    const post = pointsOf(points, goodInstance, 'scrape_samples_post_metric_relabeling')[0]?.point.asDouble;
    expect((scraped ?? 0) - (post ?? 0)).toBe(1);
    expect(upValues(points, goodInstance).filter((v) => v === 1).length).toBeGreaterThanOrEqual(2);
  });

  it('reports each broken target in up = 0 and one log line, and keeps scraping the good one', async () => {
    const broken = ['slow', 'error500', 'huge', 'malformed', 'refused'].map((k) => addr[k] as string);
    await waitFor(() => {
      const points = filePoints(out);
      return broken.every((a) => upValues(points, a).length >= 3) && upValues(points, addr.good as string).filter((v) => v === 1).length >= 3;
    }, 'three failed scrapes of every broken target', 20_000);
    const points = filePoints(out);
    for (const a of broken) expect(upValues(points, a).every((v) => v === 0), a).toBe(true);
    // The good target kept being scraped and delivered meanwhile.
    const goodUps = upValues(points, addr.good as string);
    expect(goodUps.filter((v) => v === 1).length).toBeGreaterThanOrEqual(3);

    const log = ferry?.stderr() ?? '';
    const failures = log.split('\n').filter((l) => l.includes('Failed to scrape Prometheus endpoint'));
    const reasons: Record<string, RegExp> = {
      slow: /deadline exceeded/,
      error500: /HTTP status 500/,
      huge: /body size limit exceeded/,
      malformed: /line 3/,
      refused: /ECONNREFUSED/,
    };
    for (const [k, reason] of Object.entries(reasons)) {
      // One line per outage, however many scrapes failed; its reason (or, on a loaded machine, a timeout).
      const lines = failures.filter((l) => l.includes(`http://${addr[k] as string}/metrics`));
      expect(lines, `${k}: one log line`).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`${reason.source}|deadline exceeded`));
    }
    expect(ferry?.child.exitCode).toBeNull();
  });
});
