// A backend that answers 200 and then streams a body without end, behind a real Ferry:
// the exporter keeps the first 64 KiB of the answer and drops the connection, instead of
// reading (and burning a core on) gigabytes it would throw away.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { metricValue, startFerry, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort, waitFor } from '../helpers/index.js';
import { logsRequest, postOtlp } from '../helpers/load.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Answers every request 200 and writes 64 KiB chunks for as long as the client reads them. */
async function endlessBackend(port: number): Promise<{ server: Server; connections: { written: number; closed: boolean }[] }> {
  const connections: { written: number; closed: boolean }[] = [];
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const conn = { written: 0, closed: false };
      connections.push(conn);
      res.on('close', () => (conn.closed = true));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      const pump = () => {
        while (!conn.closed && res.write(chunk)) conn.written += chunk.length;
        if (!conn.closed) conn.written += chunk.length;
      };
      res.on('drain', pump);
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, connections };
}

describe('a backend answering with an endless body', () => {
  it('the exporter reads up to its cap, drops the connection and counts the batch as sent', async () => {
    const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    const backend = await endlessBackend(backendPort);
    cleanups.push(() => {
      backend.server.closeAllConnections();
      return new Promise((r) => backend.server.close(r));
    });
    const ferry = await startFerry(['--config', writeConfig(faultConfig({ httpPort, metricsPort, backendUrl: `http://127.0.0.1:${backendPort}` }))]);
    cleanups.push(() => ferry.stop());
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;

    expect((await postOtlp(`http://127.0.0.1:${httpPort}/v1/logs`, logsRequest(['e-1', 'e-2', 'e-3']))).status).toBe(200);
    await waitFor(() => backend.connections.length === 1 && backend.connections[0]?.closed === true, 'Ferry to drop the backend connection', 10_000);
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_log_records_total')) === 3, 'the batch counted as sent');
    // What the backend got to write before the drop: the cap plus what socket buffers hold, not gigabytes.
    const written = backend.connections[0]?.written ?? 0;
    console.log(`[fault] endless 200 body: backend wrote ${written} bytes before Ferry dropped the connection`);
    expect(written).toBeLessThan(16 * 1024 * 1024);
    // Ferry is still up and answering.
    expect((await postOtlp(`http://127.0.0.1:${httpPort}/v1/logs`, logsRequest(['e-4']))).status).toBe(200);
  });
});
