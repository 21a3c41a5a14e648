// Hostile connections against a real Ferry: a thousand raw TCP connections that never send
// the HTTP/2 preface are closed after handshake_timeout; past max_connections, new ones on
// either OTLP port are closed at once and counted; /metrics keeps answering throughout.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { metricValue, startFerry, writeConfig } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';
import { logsRequest, postOtlp } from '../helpers/load.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface RawConnection {
  readonly socket: net.Socket;
  closed: boolean;
}

/** Open `n` TCP connections that send nothing; resolves once all are connected (or closed by the server). */
async function rawConnections(port: number, n: number): Promise<RawConnection[]> {
  const conns = await Promise.all(
    Array.from({ length: n }, () => {
      return new Promise<RawConnection>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        const c: RawConnection = { socket, closed: false };
        socket.on('error', () => undefined);
        socket.on('close', () => {
          c.closed = true;
          resolve(c);
        });
        socket.on('connect', () => resolve(c));
      });
    }),
  );
  cleanups.push(() => conns.forEach((c) => c.socket.destroy()));
  return conns;
}

async function ferryWith(grpcExtra: string, httpExtra: string) {
  const [grpcPort, httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${grpcPort}
${grpcExtra}
      http:
        endpoint: 127.0.0.1:${httpPort}
${httpExtra}
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${backendPort}
    retry_on_failure:
      enabled: false
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
`);
  const ferry = await startFerry(['--config', config]);
  cleanups.push(() => ferry.stop(2_000));
  return { ferry, grpcPort, httpPort, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

describe('connection guards of the otlp receiver, in a real Ferry', () => {
  it('1,000 raw TCP connections without the HTTP/2 preface are closed after handshake_timeout; /metrics answers meanwhile', async () => {
    const f = await ferryWith('        handshake_timeout: 2s', '');
    const conns = await rawConnections(f.grpcPort, 1_000);
    // Held open meanwhile, Ferry's own endpoint still answers.
    expect((await fetch(f.metricsUrl)).status).toBe(200);
    await waitFor(() => conns.every((c) => c.closed), 'every preface-less connection closed by Ferry', 15_000);
    expect(await metricValue(f.metricsUrl, 'ferry_receiver_reaped_connections_total', { transport: 'grpc' })).toBe(1_000);
    await waitFor(async () => (await metricValue(f.metricsUrl, 'ferry_receiver_open_connections', { transport: 'grpc' })) === 0, 'no gRPC connection left');
  });

  it('past max_connections new connections are closed at once and counted, on both ports; /metrics and HTTP clients recover', async () => {
    const f = await ferryWith('        max_connections: 50', '        max_connections: 50');
    for (const [port, transport] of [
      [f.grpcPort, 'grpc'],
      [f.httpPort, 'http'],
    ] as const) {
      const held = await rawConnections(port, 50);
      await waitFor(async () => (await metricValue(f.metricsUrl, 'ferry_receiver_open_connections', { transport })) === 50, `50 open ${transport} connections`);
      const extra = await rawConnections(port, 10);
      await waitFor(() => extra.every((c) => c.closed), `the ${transport} connections past the cap closed`);
      expect(held.filter((c) => c.closed)).toHaveLength(0);
      expect(await metricValue(f.metricsUrl, 'ferry_receiver_refused_connections_total', { transport })).toBe(10);
      expect(await metricValue(f.metricsUrl, 'ferry_receiver_max_connections', { transport })).toBe(50);
      for (const c of held) c.socket.destroy();
      await waitFor(async () => (await metricValue(f.metricsUrl, 'ferry_receiver_open_connections', { transport })) === 0, `the ${transport} connections released`);
    }
    // Room again: an ordinary request gets through (the backend is down: a retryable refusal, not a dropped connection).
    const r = await postOtlp(`http://127.0.0.1:${f.httpPort}/v1/logs`, logsRequest(['c-1']));
    expect(typeof r.status).toBe('number');
  });
});
