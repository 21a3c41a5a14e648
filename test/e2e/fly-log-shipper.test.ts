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
import { HttpSink } from '../exporters/http/server.js';
import { rsyslogAvailable, startRsyslog, type Rsyslog } from '../helpers/rsyslog.js';
import { S3RVER_CREDENTIALS, startS3, type LocalS3 } from '../helpers/s3.js';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import { gunzipSync } from 'node:zlib';

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
    // Every sink of Fly's list is named.
    for (const sink of ['appsignal', 'aws_cloudwatch', 'aws_s3', 'baselime', 'better-stack', 'datadog', 'erasearch', 'gravwell', 'highlight', 'honeybadger', 'honeycomb', 'http', 'humio', 'hyperdx', 'logdna/mezmo', 'logflare', 'logtail', 'loki', 'new_relic', 'openobserve', 'opsverse', 'papertrail', 'quickwit', 'sematext', 'signoz', 'slack', 'uptrace']) {
      expect(shipper.output()).toContain(`(${sink})`);
    }
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

describe.skipIf(!available || !rsyslogAvailable())('the Fly log shipper preset: S3, HTTP and Papertrail at once', () => {
  let server: NatsServer | undefined;
  let shipper: Shipper | undefined;
  let s3: LocalS3 | undefined;
  let sink: HttpSink | undefined;
  let rsyslog: Rsyslog | undefined;

  afterEach(async () => {
    await shipper?.stop();
    await server?.stop();
    await s3?.close();
    await sink?.close();
    await rsyslog?.stop();
  });

  it('every line reaches an S3 object, the HTTP endpoint and Papertrail\'s syslog (rsyslog over TLS), each once', async () => {
    server = await startNatsServer(['--user', 'acme', '--pass', 'fly-token']);
    s3 = await startS3(['fly-logs']);
    sink = await HttpSink.start();
    rsyslog = await startRsyslog();
    shipper = startShipper({
      NATS_URL: server.url,
      ORG: 'acme',
      ACCESS_TOKEN: 'fly-token',
      AWS_BUCKET: 'fly-logs',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      S3_ENDPOINT: s3.endpoint,
      S3_BATCH_TIMEOUT: '500ms',
      HTTP_URL: `${sink.url}/fly`,
      HTTP_TOKEN: 'http-secret-token',
      PAPERTRAIL_ENDPOINT: `localhost:${rsyslog.tlsPort}`,
      PAPERTRAIL_CA_FILE: rsyslog.caFile,
      HEALTH_ENDPOINT: `127.0.0.1:${await freePort()}`,
      METRICS_ENDPOINT: `127.0.0.1:${await freePort()}`,
    });
    await waitFor(() => shipper?.output().includes('Everything is ready') === true, 'the shipper to start', 15_000);
    expect(shipper.output()).toContain('fly-log-shipper: shipping to aws-s3 http papertrail');

    const nc = await connect({ servers: server.url, user: 'acme', pass: 'fly-token' });
    const line = (app: string, level: string, message: string) =>
      JSON.stringify({ event: { provider: 'app' }, fly: { app: { name: app } }, host: 'c0ffee', log: { level }, message, timestamp: '2026-11-21T10:00:00.123Z' });
    nc.publish('logs.web.ams.148e3', line('web', 'info', 'GET / 200'));
    nc.publish('logs.web.ams.148e3', line('web', 'warn', 'slow request'));
    nc.publish('logs.api.fra.9d2a1', line('api', 'error', 'db timeout'));
    await nc.flush();
    await nc.close();
    const sent = ['GET / 200', 'slow request', 'db timeout'];

    // HTTP: a JSON array of records with the bearer token.
    const httpRecords = (): Array<Record<string, unknown>> => (sink?.accepted() ?? []).flatMap((r) => JSON.parse(r.body) as Array<Record<string, unknown>>);
    await waitFor(() => httpRecords().length >= 3, 'three records at the HTTP endpoint');
    expect(sink.requests.every((r) => r.headers.authorization === 'Bearer http-secret-token' && r.path === '/fly')).toBe(true);
    expect(httpRecords().map((r) => r.body).sort()).toEqual([...sent].sort());
    const api = httpRecords().find((r) => r.body === 'db timeout');
    expect(api).toMatchObject({ severity_text: 'error', attributes: { host: 'c0ffee' }, resource: { 'service.name': 'api', 'fly.region': 'fra', 'fly.instance.id': '9d2a1' } });

    // Papertrail: RFC 5424 over TLS, app name from the Fly app, severity from the level.
    await waitFor(() => (rsyslog?.lines('tls').length ?? 0) >= 3, 'three lines at rsyslog');
    const syslog = rsyslog.lines('tls');
    expect(syslog.map((l) => [l.app, l.facility, l.severity, l.msg]).sort()).toEqual([
      ['api', '1', '3', 'db timeout'],
      ['web', '1', '4', 'slow request'],
      ['web', '1', '6', 'GET / 200'],
    ]);

    // S3: gzipped OTLP/JSON objects holding exactly the lines sent.
    const objectRecords = async (): Promise<string[]> => {
      const objects = (await s3?.objects('fly-logs')) ?? [];
      return objects.flatMap((o) => {
        expect(o.key).toMatch(/^fly-logs\/\d{4}-\d{2}-\d{2}\/\d{2}\/logs_[0-9a-f-]{36}\.json\.gz$/);
        const resources = decodeJsonExportRequest('logs', JSON.parse(gunzipSync(o.body).toString('utf8')) as unknown);
        return resources.flatMap((r) => r.scopeLogs.flatMap((sl) => sl.logRecords.map((l) => String(l.body?.stringValue))));
      });
    };
    let inS3: string[] = [];
    await waitFor(async () => (inS3 = await objectRecords()).length >= 3, 'three records in S3 objects');
    expect(inS3.sort()).toEqual([...sent].sort());
    expect(s3.verified.some((r) => r.startsWith('PUT /fly-logs/fly-logs/'))).toBe(true);

    await new Promise((r) => setTimeout(r, 300));
    expect(httpRecords()).toHaveLength(3);
    expect(rsyslog.lines('tls')).toHaveLength(3);
    expect(await objectRecords()).toHaveLength(3);
    for (const secret of ['fly-token', 'http-secret-token', S3RVER_CREDENTIALS.secretAccessKey]) expect(shipper.output()).not.toContain(secret);
    expect(await shipper.stop()).toBe(0);
  });
});
