// The receiver in-process over real HTTP: an OpenMetrics target (chosen by the Accept header),
// a series that goes away (stale marker), a target that goes down (up = 0, stale markers for
// everything it had), and a shutdown that does not wait for a hung target.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Receiver } from '../../../src/component.js';
import type { Metric, NumberDataPoint } from '../../../src/pdata/types.js';
import { compileConfigSchema, fillNullMaps } from '../../../src/config/validate.js';
import { prometheusReceiver, type PrometheusReceiverConfig } from '../../../src/receivers/prometheus/index.js';
import { CollectingConsumer, testContext, testHost, waitFor } from '../../helpers/index.js';
import { attrs } from '../../helpers/values.js';
import { tempDir } from '../../helpers/ferry.js';

function config(raw: Record<string, unknown>): PrometheusReceiverConfig {
  fillNullMaps(prometheusReceiver.configSchema, raw);
  const validate = compileConfigSchema(prometheusReceiver.configSchema);
  if (!validate(raw)) throw new Error(JSON.stringify(validate.errors));
  return raw as unknown as PrometheusReceiverConfig;
}

function metricsNamed(sink: CollectingConsumer, name: string): Metric[] {
  return sink.batches.flatMap((b) => (b.signal === 'metrics' ? b.resources.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.name === name))) : []));
}

function numberPoints(sink: CollectingConsumer, name: string): NumberDataPoint[] {
  return metricsNamed(sink, name).flatMap((m) => [...(m.sum?.dataPoints ?? []), ...(m.gauge?.dataPoints ?? [])]);
}

describe('prometheus receiver over HTTP', () => {
  let server: Server | undefined;
  let receiver: Receiver | undefined;

  afterEach(async () => {
    await receiver?.shutdown();
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  it('asks for OpenMetrics, takes _created, marks a vanished series and a downed target stale', async () => {
    let withB = true;
    let accept = '';
    server = createServer((req, res) => {
      accept = req.headers.accept ?? '';
      res.writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
      const b = withB ? 'jobs_total{kind="b"} 2\njobs_created{kind="b"} 1700000001\n' : '';
      res.end(`# TYPE jobs counter\n# HELP jobs Jobs done.\njobs_total{kind="a"} 5\njobs_created{kind="a"} 1700000000.25\n${b}# EOF\n`);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const sink = new CollectingConsumer();
    receiver = prometheusReceiver.create(
      config({ config: { scrape_configs: [{ job_name: 'om', scrape_interval: '500ms', static_configs: [{ targets: [address] }] }] } }),
      testContext('prometheus'),
      { metrics: sink },
    );
    await receiver.start(testHost);
    await waitFor(() => numberPoints(sink, 'up').length >= 1, 'a first scrape');
    expect(accept.startsWith('application/openmetrics-text;version=1.0.0')).toBe(true);
    const first = numberPoints(sink, 'jobs_total');
    expect(first.map((p) => [attrs(p.attributes).kind, p.asDouble, p.startTimeUnixNano])).toEqual([
      ['a', 5, '1700000000250000000'],
      ['b', 2, '1700000001000000000'],
    ]);
    expect(metricsNamed(sink, 'jobs_total')[0]).toMatchObject({ description: 'Jobs done.', sum: { isMonotonic: true } });

    withB = false;
    await waitFor(() => numberPoints(sink, 'jobs_total').some((p) => p.flags === 1), 'a stale marker for kind=b');
    const stale = numberPoints(sink, 'jobs_total').filter((p) => p.flags === 1);
    expect(stale.map((p) => attrs(p.attributes).kind)).toEqual(['b']);

    // The target goes away: up = 0 and a stale marker for the series it still had.
    server.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
    await waitFor(() => numberPoints(sink, 'up').some((p) => p.asDouble === 0), 'up = 0');
    const afterDown = numberPoints(sink, 'jobs_total').filter((p) => p.flags === 1).map((p) => attrs(p.attributes).kind);
    expect(afterDown).toEqual(['b', 'a']);
  });

  it('shuts down while a scrape of a hung target is in progress: the request is cut, nothing delivered after', async () => {
    let requests = 0;
    let cut = false;
    server = createServer((req) => {
      requests++; // never answers
      req.socket.on('close', () => (cut = true));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const sink = new CollectingConsumer();
    const r = prometheusReceiver.create(
      config({ config: { scrape_configs: [{ job_name: 'hung', scrape_interval: '2s', scrape_timeout: '2s', static_configs: [{ targets: [address] }] }] } }),
      testContext('prometheus'),
      { metrics: sink },
    );
    await r.start(testHost);
    await waitFor(() => requests === 1, 'the scrape request');
    await r.shutdown();
    await new Promise((resolve) => setImmediate(resolve));
    // Without the abort the connection would stay open until the 2 s timeout.
    expect(cut).toBe(true);
    expect(sink.batches).toEqual([]);
  });

  it('file_sd_configs: targets and labels come from the files, and a changed file moves the scraping', async () => {
    const answered: string[] = [];
    server = createServer((req, res) => {
      answered.push(req.headers.host ?? '');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('value 1\n');
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    // One server, two target names for it: 127.0.0.1 and localhost.
    const [first, second] = [`127.0.0.1:${port}`, `localhost:${port}`];
    const dir = tempDir();
    const file = join(dir, 'targets-a.json');
    writeFileSync(file, JSON.stringify([{ targets: [first], labels: { env: 'test' } }]));
    writeFileSync(join(dir, 'ignored.txt'), 'not a target file');
    const sink = new CollectingConsumer();
    receiver = prometheusReceiver.create(
      config({ config: { scrape_configs: [{ job_name: 'files', scrape_interval: '100ms', file_sd_configs: [{ files: [join(dir, 'targets-*.json')], refresh_interval: '100ms' }] }] } }),
      testContext('prometheus'),
      { metrics: sink },
    );
    await receiver.start(testHost);
    const ups = (instance: string): NumberDataPoint[] =>
      sink.batches.flatMap((b) => (b.signal === 'metrics' ? b.resources.filter((r) => attrs(r.resource?.attributes)['service.instance.id'] === instance) : [])).flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.name === 'up').flatMap((m) => m.gauge?.dataPoints ?? [])));
    await waitFor(() => ups(first).length >= 1, 'a scrape of the first target');
    // The file's labels reach the points; __meta_filepath is for relabeling only, like every __ label.
    expect(attrs(numberPoints(sink, 'value')[0]?.attributes)).toEqual({ env: 'test' });
    writeFileSync(file, JSON.stringify([{ targets: [second] }]));
    await waitFor(() => ups(second).length >= 1, 'a scrape of the second target');
    const firstCount = ups(first).length;
    await waitFor(() => ups(second).length >= 3, 'more scrapes of the second target');
    expect(ups(first).length).toBe(firstCount);
  });
});
