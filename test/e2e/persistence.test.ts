// A persistent sending queue across `kill -9`, with real processes: Ferry (otlp receiver →
// otlphttp with sending_queue {storage, batch}) accepts records while its backend is down or
// slow, is killed, restarts, and every accepted record arrives; duplicates only from the batches in flight.
import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeExportRequest, encodeExportRequest, encodeExportResponse } from '../../src/pdata/proto.js';
import type { ResourceLogs } from '../../src/pdata/types.js';
import { freePort, waitFor } from '../helpers/index.js';
import { metricValue, startFerry, tempDir, writeConfig, type FerryProcess } from '../helpers/ferry.js';

interface Arrival {
  readonly ids: readonly string[];
  readonly at: number;
  answeredAt: number | undefined;
}

/** An OTLP/HTTP logs backend that records every request's record ids, optionally answering late. */
class Backend {
  readonly arrivals: Arrival[] = [];
  delayMs = 0;
  private server: Server | undefined;

  constructor(readonly port: number) {}

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const rl = decodeExportRequest('logs', body) as ResourceLogs[];
        const arrival: Arrival = { ids: rl.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => String(l.body?.stringValue)))), at: Date.now(), answeredAt: undefined };
        this.arrivals.push(arrival);
        setTimeout(() => {
          if (res.destroyed) return;
          arrival.answeredAt = Date.now();
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(encodeExportResponse('logs')));
        }, this.delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => (s.close(() => resolve()), s.closeAllConnections()));
  }

  counts(): Map<string, number> {
    const m = new Map<string, number>();
    for (const a of this.arrivals) for (const id of a.ids) m.set(id, (m.get(id) ?? 0) + 1);
    return m;
  }
}

function logsBody(ids: readonly string[]): Buffer {
  const resources = [{ resource: { attributes: [] }, scopeLogs: [{ scope: { name: 'e2e' }, logRecords: ids.map((id) => ({ body: { stringValue: id }, attributes: [] })) }] }] as unknown as ResourceLogs[];
  return Buffer.from(encodeExportRequest('logs', resources));
}

/** Send `requests` requests of `perRequest` fresh ids, one after the other; returns the ids Ferry accepted (answered 200). */
async function send(url: string, prefix: string, requests: number, perRequest: number): Promise<string[]> {
  const accepted: string[] = [];
  for (let r = 0; r < requests; r++) {
    const ids = Array.from({ length: perRequest }, (_, k) => `${prefix}-${r}-${k}`);
    const res = await fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: logsBody(ids) });
    await res.arrayBuffer();
    if (res.status === 200) accepted.push(...ids);
  }
  return accepted;
}

const NUM_CONSUMERS = 2;
let ferry: FerryProcess | undefined;
let backend: Backend | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await ferry?.stop(2000);
  await backend?.down();
  ferry = undefined;
  backend = undefined;
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function setup() {
  const dir = tempDir('ferry-persist-');
  dirs.push(dir);
  const [receiverPort, backendPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const config = writeConfig(
    `
extensions:
  file_storage/q:
    directory: ${dir}/queue
    create_directory: true
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverPort}
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${backendPort}
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
    sending_queue:
      storage: file_storage/q
      num_consumers: ${NUM_CONSUMERS}
      # Batching in the queue: each request stays durable in the log until its batch is delivered
      # (a batch processor in front would answer from memory, which a kill -9 loses).
      batch:
        flush_timeout: 20ms
service:
  extensions: [file_storage/q]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
`,
    dir,
  );
  return { config, receiverUrl: `http://127.0.0.1:${receiverPort}`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, backend: new Backend(backendPort) };
}

async function kill9(p: FerryProcess): Promise<void> {
  p.child.kill('SIGKILL');
  expect(await p.exited).toBe('SIGKILL');
}

describe('persistent sending queue across kill -9', () => {
  it('delivers every record accepted while the backend was down, after Ferry is killed and restarted', async () => {
    const s = await setup();
    backend = s.backend;
    ferry = await startFerry(['--config', s.config]);
    const accepted = await send(s.receiverUrl, 'down', 20, 10);
    expect(accepted).toHaveLength(200);
    expect(await metricValue(s.metricsUrl, 'otelcol_exporter_queue_size', { exporter: 'otlphttp' })).toBeGreaterThan(0);
    await kill9(ferry);

    await backend.up();
    ferry = await startFerry(['--config', s.config]);
    await waitFor(() => backend?.counts().size === 200, 'all 200 records at the backend', 15_000);
    const counts = backend.counts();
    expect(accepted.filter((id) => !counts.has(id))).toEqual([]);
    // Nothing reached the backend before the kill, so nothing may arrive twice.
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    await waitFor(async () => (await metricValue(s.metricsUrl, 'otelcol_exporter_queue_size', { exporter: 'otlphttp' })) === 0, 'an empty queue');
  });

  it('loses nothing when killed mid-delivery; only batches on the wire at the kill arrive twice', async () => {
    const s = await setup();
    backend = s.backend;
    backend.delayMs = 300;
    await backend.up();
    ferry = await startFerry(['--config', s.config]);
    const accepted = await send(s.receiverUrl, 'mid', 30, 10);
    expect(accepted).toHaveLength(300);
    await waitFor(() => (backend?.arrivals.length ?? 0) >= 3, 'some deliveries');
    expect(backend.arrivals.length).toBeLessThan(30);
    await kill9(ferry);
    const killedAt = Date.now();
    const before = backend.arrivals.length;
    // On the wire at the kill: arrived, not answered (or answered too late for Ferry to record it).
    const onTheWire = backend.arrivals.filter((a) => a.answeredAt === undefined || a.answeredAt > killedAt - 50);
    // Each consumer: its request on the wire, plus at most the one answered just before the kill.
    expect(onTheWire.length).toBeLessThanOrEqual(2 * NUM_CONSUMERS);

    backend.delayMs = 0;
    ferry = await startFerry(['--config', s.config]);
    await waitFor(() => backend?.counts().size === 300, 'all 300 records at the backend', 15_000);
    const counts = backend.counts();
    expect(accepted.filter((id) => !counts.has(id))).toEqual([]);
    const duplicated = [...counts.entries()].filter(([, n]) => n > 1).map(([id]) => id);
    const window = new Set(onTheWire.flatMap((a) => a.ids));
    expect(duplicated.filter((id) => !window.has(id))).toEqual([]);
    expect(before).toBeGreaterThanOrEqual(3);
    console.log(`kill -9 mid-delivery: ${accepted.length} accepted, ${counts.size} delivered, ${duplicated.length} duplicated records from ${onTheWire.length} batches on the wire (${before} requests had reached the backend)`);
  });
});
