// `ferry` runs the http_check receiver (under its old name `httpcheck`, as real configs write it)
// against local servers answering 200 and 500 and a port nothing listens on; the metrics that
// arrive at the file exporter are checked against the Collector's documentation.md.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, tempDir, writeConfig, type FerryProcess } from '../../helpers/ferry.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { filePoints, type FlatPoint } from '../prometheus/helpers.js';

describe('http_check receiver', () => {
  const servers: Server[] = [];
  const requests: Array<{ method: string; headers: IncomingHttpHeaders }> = [];
  const urls: Record<string, string> = {};
  let ferry: FerryProcess | undefined;
  let out = '';

  async function serve(status: number): Promise<string> {
    const server = createServer((req, res) => {
      requests.push({ method: req.method ?? '', headers: req.headers });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok\n' : 'fail\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/health`;
  }

  beforeAll(async () => {
    urls.ok = await serve(200);
    urls.error = await serve(500);
    urls.refused = `http://127.0.0.1:${await freePort()}/health`;
    const dir = tempDir();
    out = join(dir, 'metrics.json');
    const config = writeConfig(
      `
receivers:
  httpcheck:
    collection_interval: 200ms
    initial_delay: 0s
    targets:
      - endpoint: ${urls.ok}
        method: HEAD
        timeout: 5s
        headers:
          Authorization: Bearer secret-token
      - endpoints: ['${urls.error}', '${urls.refused}']
        timeout: 5s
exporters:
  file:
    path: ${out}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${await freePort()}
  pipelines:
    metrics:
      receivers: [httpcheck]
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

  const of = (points: FlatPoint[], name: string, url: string): FlatPoint[] => points.filter((p) => p.name === name && p.attributes['http.url'] === url);

  it('emits httpcheck.status per status class, httpcheck.duration and httpcheck.error as the Collector does', async () => {
    await waitFor(() => of(filePoints(out), 'httpcheck.duration', urls.refused as string).length >= 2, 'two collections');
    const points = filePoints(out);
    expect(ferry?.stderr()).toMatch(/"httpcheck".*deprecated|deprecated.*"?httpcheck"?/i);

    const classes = (url: string): Record<string, number> => {
      const last = of(points, 'httpcheck.status', url).slice(-5);
      return Object.fromEntries(last.map((p) => [p.attributes['http.status_class'] as string, Number((p.point as { asInt?: string }).asInt ?? 0)]));
    };
    expect(classes(urls.ok as string)).toEqual({ '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0 });
    expect(classes(urls.error as string)).toEqual({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 1 });
    expect(classes(urls.refused as string)).toEqual({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 });

    const okStatus = of(points, 'httpcheck.status', urls.ok as string)[0];
    expect(okStatus).toMatchObject({
      type: 'sum',
      monotonic: false,
      temporality: 2,
      unit: '1',
      scope: 'github.com/open-telemetry/opentelemetry-collector-contrib/receiver/httpcheckreceiver',
      attributes: { 'http.url': urls.ok, 'http.status_code': 200, 'http.method': 'HEAD' },
    });
    expect(of(points, 'httpcheck.status', urls.error as string)[0]?.attributes).toMatchObject({ 'http.status_code': 500, 'http.method': 'GET' });
    expect(of(points, 'httpcheck.status', urls.refused as string)[0]?.attributes).toMatchObject({ 'http.status_code': 0 });

    for (const url of Object.values(urls)) {
      const d = of(points, 'httpcheck.duration', url)[0];
      expect(d, url).toMatchObject({ type: 'gauge', unit: 'ms', attributes: { 'http.url': url } });
      expect(Number((d?.point as { asInt?: string }).asInt ?? 0)).toBeGreaterThanOrEqual(0);
    }

    // Only the refused endpoint has errors, worded as Go's net/http words them.
    expect(of(points, 'httpcheck.error', urls.ok as string)).toEqual([]);
    expect(of(points, 'httpcheck.error', urls.error as string)).toEqual([]);
    const err = of(points, 'httpcheck.error', urls.refused as string)[0];
    const port = new URL(urls.refused as string).port;
    expect(err).toMatchObject({ type: 'sum', monotonic: false, unit: '{error}' });
    expect(err?.attributes['error.message']).toBe(`Get "${urls.refused as string}": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    expect(Number((err?.point as { asInt?: string }).asInt)).toBe(1);

    // The configured method and headers were sent.
    expect(requests.some((r) => r.method === 'HEAD' && r.headers.authorization === 'Bearer secret-token')).toBe(true);
    expect(requests.some((r) => r.method === 'GET' && r.headers.authorization === undefined)).toBe(true);
  });
});

describe('http_check config', () => {
  it('needs an endpoint per target, and http(s) URLs', async () => {
    const { httpCheckReceiver } = await import('../../../src/receivers/http_check/index.js');
    const problems =
      httpCheckReceiver.validate?.({
        targets: [
          { method: 'GET', headers: {}, timeout: 0 },
          { endpoints: ['localhost:8080'], method: 'GET', headers: {}, timeout: 0 },
        ],
        collection_interval: '60s',
        initial_delay: '1s',
        metrics: {},
      }) ?? [];
    expect(problems.map((p) => p.path)).toEqual(['targets.0', 'targets.1.endpoint']);
    expect(problems.every((p) => p.fix !== undefined)).toBe(true);
  });
});
