// Hostile clients at a real Ferry process: slow-loris headers and bodies (cut by
// read_header_timeout / read_timeout), 10,000 concurrent connections, and one client
// flooding while another sends normally. Ferry stays responsive with bounded memory,
// and the well-behaved client's records all arrive.
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../helpers/index.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { fileLogIds } from '../helpers/faults.js';
import { LoadSender, rssBytes } from '../helpers/load.js';

const RSS_BOUND = 400 * 1024 * 1024;

let ferry: FerryProcess;
let strictPort: number;
let patientPort: number;
let out: string;
let good: LoadSender;

interface Trickle {
  readonly socket: net.Socket;
  /** What the server wrote back before closing. */
  answer(): string;
  /** Resolves with ms from connect to the server closing the connection. */
  readonly closed: Promise<number>;
}

/** Connect and write `text` one byte every `everyMs`, looping over it, until the server closes. */
function trickle(port: number, head: string, text: string, everyMs: number): Trickle {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  const started = Date.now();
  socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
  socket.on('error', () => undefined);
  socket.on('connect', () => {
    socket.write(head);
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || socket.writableEnded) return clearInterval(timer);
      socket.write(text[i++ % text.length] as string);
    }, everyMs);
    socket.on('close', () => clearInterval(timer));
  });
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
  return { socket, answer: () => answer, closed };
}

/** Open `n` idle TCP connections in batches; resolves once every one is connected. */
async function openMany(port: number, n: number, batch = 500): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i += batch) {
    const round = Array.from({ length: Math.min(batch, n - i) }, () => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.resume(); // read (and drop) whatever the server says, so its close is seen
      sockets.push(s);
      return new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('error', reject);
      });
    });
    await Promise.all(round);
  }
  return sockets;
}

beforeAll(async () => {
  [strictPort, patientPort] = [await freePort(), await freePort()];
  const dir = tempDir('ferry-bad-clients-');
  out = join(dir, 'out.jsonl');
  const config = writeConfig(
    `
receivers:
  otlp/strict:
    protocols:
      http:
        endpoint: 127.0.0.1:${strictPort}
        read_header_timeout: 1s
        read_timeout: 2s
  otlp/patient:
    protocols:
      http:
        endpoint: 127.0.0.1:${patientPort}
        # Above the default cap (4096): this receiver is the one that holds 10,000 idle connections.
        max_connections: 12000
exporters:
  file:
    path: ${out}
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp/strict, otlp/patient]
      exporters: [file]
`,
    dir,
  );
  ferry = await startFerry(['--config', config]);
  good = new LoadSender({ url: `http://127.0.0.1:${strictPort}`, prefix: 'good', recordsPerRequest: 5, maxAttempts: 5 });
});

afterAll(async () => {
  good?.close();
  await ferry?.stop();
});

describe('hostile clients at a real Ferry', () => {
  it('cuts slow-loris headers after read_header_timeout and bodies after read_timeout, with a 408', async () => {
    const headers = trickle(strictPort, 'POST /v1/logs HTTP/1.1\r\n', 'X-Slow: aaaaaaaa\r\n', 100);
    const body = trickle(strictPort, 'POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n', 'a', 100);
    // Meanwhile a normal client is served at once.
    expect(await good.sendOne()).toBe(true);
    const [headersMs, bodyMs] = await Promise.all([headers.closed, body.closed]);
    expect(headers.answer()).toMatch(/^HTTP\/1\.1 408/);
    expect(body.answer()).toMatch(/^HTTP\/1\.1 408/);
    // Not cut early, and not left hanging (the bounds are the timeouts plus Node's check interval).
    expect(headersMs).toBeGreaterThanOrEqual(900);
    expect(headersMs).toBeLessThan(5_000);
    expect(bodyMs).toBeGreaterThanOrEqual(1_900);
    expect(bodyMs).toBeLessThan(6_000);
  });

  it('serves a normal client while 10,000 connections sit open, with bounded memory, and lets them go', async () => {
    const before = await rssBytes(ferry.child.pid as number);
    const sockets = await openMany(patientPort, 10_000);
    try {
      const patient = new LoadSender({ url: `http://127.0.0.1:${patientPort}`, prefix: 'patient', recordsPerRequest: 5 });
      for (let i = 0; i < 5; i++) expect(await patient.sendOne()).toBe(true);
      patient.close();
      expect(await good.sendOne()).toBe(true);
      const during = await rssBytes(ferry.child.pid as number);
      expect(during).toBeLessThan(RSS_BOUND);
      // Each idle connection costs little: well under 10 KB apiece.
      expect(during - before).toBeLessThan(10_000 * 10_000);
      expect(sockets.filter((s) => s.destroyed)).toHaveLength(0);
    } finally {
      for (const s of sockets) s.destroy();
    }
    // The strict receiver closes idle connections by itself after read_header_timeout.
    const idle = await openMany(strictPort, 2_000);
    await waitFor(() => idle.every((s) => s.destroyed || s.readableEnded), 'the strict receiver to close 2,000 idle connections', 10_000);
    for (const s of idle) s.destroy();
    expect(await good.sendOne()).toBe(true);
  });

  it('keeps serving a normal client while another floods, and delivers all of the normal client', async () => {
    const flood = new LoadSender({ url: `http://127.0.0.1:${strictPort}`, prefix: 'flood', recordsPerRequest: 200 });
    const flooding = flood.run(100);
    try {
      await waitFor(() => flood.sent.size > 20_000, 'the flood to get going', 10_000);
      const normal = new LoadSender({ url: `http://127.0.0.1:${strictPort}`, prefix: 'normal', recordsPerRequest: 5, maxAttempts: 20 });
      for (let i = 0; i < 20; i++) expect(await normal.sendOne()).toBe(true);
      normal.close();
      expect(await rssBytes(ferry.child.pid as number)).toBeLessThan(RSS_BOUND);
      await waitFor(() => normal.missing(fileLogIds(out)).length === 0, 'every normal record in the file');
    } finally {
      flood.stop();
      await flooding;
      flood.close();
    }
    expect(ferry.child.exitCode).toBeNull();
    // The flood itself was served, not dropped: everything it was told was accepted arrived.
    await waitFor(() => flood.missing(fileLogIds(out)).length === 0, 'every accepted flood record in the file');
  });

  it('delivered every record of the well-behaved client exactly once', async () => {
    await waitFor(() => good.missing(fileLogIds(out)).length === 0, 'every good record in the file');
    const ids = fileLogIds(out);
    for (const id of good.accepted) expect(ids.get(id)).toBe(1);
  });
});
