// The OTLP/HTTP receiver's connection guards, in process: write_timeout closes a
// connection whose answer takes too long, idle_timeout closes idle keep-alive connections.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GateConsumer, protobufRequest, startReceiver } from '../receivers/otlp/fixtures.js';
import type { Running } from '../receivers/otlp/fixtures.js';

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.receiver.shutdown();
});

/** POST on a fresh or given agent; resolves with the status or the socket error code. */
function post(url: string, body: Buffer, agent: http.Agent | false = false): Promise<{ status: number | string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = http.request(`${url}/v1/logs`, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? err.message, ms: Date.now() - started }));
    req.end(body);
  });
}

describe('otlp/http connection guards', () => {
  it('write_timeout: an answer not ready in time closes the connection (the pipeline call goes on)', async () => {
    const gate = new GateConsumer();
    const r = await startReceiver({ grpc: null, http: { write_timeout: '300ms' } }, { next: { logs: gate } });
    running.push(r);
    const res = await post(r.httpUrl, protobufRequest('logs', 2));
    expect(res.status).toBe('ECONNRESET');
    expect(res.ms).toBeGreaterThanOrEqual(250);
    expect(gate.started).toBe(1);
    gate.open();
  });

  it('idle_timeout: a keep-alive connection left idle is closed by the server', async () => {
    const r = await startReceiver({ grpc: null, http: { idle_timeout: '200ms' } });
    running.push(r);
    const body = protobufRequest('logs');
    const socket = net.connect(r.httpPort, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
    const started = Date.now();
    const closedAfter = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
    socket.write(`POST /v1/logs HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body);
    const ms = await Promise.race([closedAfter, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5_000))]);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(ms).toBeGreaterThanOrEqual(150);
  });
});
