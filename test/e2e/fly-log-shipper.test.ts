// The Fly.io-style log shipper preset end to end: configs/fly-log-shipper/start.sh with a
// real nats-server (user = org, password = token, as Fly's NATS), the sinks chosen by their
// variables (Loki and Datadog here, checked by the fake servers of their exporters' tests),
// Fly's JSON log lines mapped, subject tokens as attributes, health on /health.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'nats';
import { CLI } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';
import { natsServerAvailable, startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { FakeLoki } from '../exporters/loki/server.js';
import { FakeIntake } from '../exporters/datadog/intake.js';

const START = fileURLToPath(new URL('../../configs/fly-log-shipper/start.sh', import.meta.url));
const API_KEY = '0123456789abcdef0123456789abcdef';
const available = natsServerAvailable();

interface Shipper {
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Run the preset's start script with `env` (FERRY_BIN: this checkout's built ferry). */
function startShipper(env: Record<string, string>): Shipper {
  const child = spawn(START, [], {
    env: { PATH: process.env.PATH ?? '', FERRY_BIN: `${process.execPath} ${CLI}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('configs/fly-log-shipper/start.sh', () => {
  it('refuses to start without a sink, naming the variables that enable one', async () => {
    const shipper = startShipper({ ORG: 'acme', ACCESS_TOKEN: 'tok' });
    expect(await shipper.exited).toBe(2);
    expect(shipper.output()).toContain('no sink is configured');
    expect(shipper.output()).toContain('LOKI_URL');
    expect(shipper.output()).toContain('DATADOG_API_KEY');
  });
});

describe.skipIf(!available)('the Fly log shipper preset with a real nats-server', () => {
  let server: NatsServer | undefined;
  let shipper: Shipper | undefined;
  let loki: FakeLoki | undefined;
  let intake: FakeIntake | undefined;

  afterEach(async () => {
    await shipper?.stop();
    await server?.stop();
    await loki?.close();
    await intake?.close();
  });

  it('ships Fly log lines to every sink whose variables are set, each once, with the app, region and instance', async () => {
    server = await startNatsServer(['--user', 'acme', '--pass', 'fly-token']);
    loki = await FakeLoki.start();
    intake = await FakeIntake.start(API_KEY);
    const health = await freePort();
    shipper = startShipper({
      NATS_URL: server.url,
      ORG: 'acme',
      ACCESS_TOKEN: 'fly-token',
      LOKI_URL: loki.url,
      DATADOG_API_KEY: API_KEY,
      DATADOG_LOGS_ENDPOINT: intake.url,
      HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      METRICS_ENDPOINT: `127.0.0.1:${await freePort()}`,
    });
    await waitFor(() => shipper?.output().includes('Everything is ready') === true, 'the shipper to start', 15_000);
    expect(shipper.output()).toContain('fly-log-shipper: shipping to loki datadog');
    expect((await fetch(`http://127.0.0.1:${health}/health`)).status).toBe(200);

    // Fly's NATS log stream: one JSON document per line, subject logs.<app>.<region>.<instance>.
    const nc = await connect({ servers: server.url, user: 'acme', pass: 'fly-token' });
    const line = (app: string, level: string, message: string) =>
      JSON.stringify({ event: { provider: 'app' }, fly: { app: { name: app } }, host: 'c0ffee', log: { level }, message, timestamp: '2026-11-21T10:00:00.123Z' });
    nc.publish('logs.web.ams.148e3', line('web', 'info', 'GET / 200'));
    nc.publish('logs.web.ams.148e3', line('web', 'info', 'GET /health 200'));
    nc.publish('logs.api.fra.9d2a1', line('api', 'error', 'db timeout'));
    await nc.flush();
    await nc.close();

    await waitFor(() => (loki?.requests.flatMap((r) => r.streams.flatMap((s) => s.entries)).length ?? 0) >= 3, 'three entries at Loki');
    await waitFor(() => (intake?.accepted().length ?? 0) >= 3, 'three logs at Datadog');
    await new Promise((r) => setTimeout(r, 300));

    const streams = loki.requests.filter((r) => r.status === 204).flatMap((r) => r.streams);
    const byApp = (app: string) => streams.filter((s) => s.labels.app === app).flatMap((s) => s.entries.map((e) => ({ labels: s.labels, e })));
    expect(byApp('web').map((x) => JSON.parse(x.e.line).body)).toEqual(['GET / 200', 'GET /health 200']);
    expect(byApp('api').map((x) => x.labels.region)).toEqual(['fra']);
    expect(byApp('web')[0]?.e.ts).toBe('1795255200123000000');

    const logs = intake.accepted();
    expect(logs).toHaveLength(3);
    expect(intake.violations).toEqual([]);
    const api = logs.find((l) => l.message === 'db timeout');
    expect(api?.service).toBe('api');
    expect(api?.ddsource).toBe('fly');
    expect(api?.status).toBe('error');
    expect(api?.['fly.region']).toBe('fra');
    expect(api?.['fly.instance.id']).toBe('9d2a1');
    expect(logs.filter((l) => l.service === 'web').map((l) => l.message).sort()).toEqual(['GET / 200', 'GET /health 200']);

    expect(shipper.output()).not.toContain('fly-token');
    expect(shipper.output()).not.toContain(API_KEY);
    expect(await shipper.stop()).toBe(0);
  });
});
