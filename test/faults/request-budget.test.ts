// The otlp receiver's max_request_bytes_in_flight on both protocols, in process: while a
// request is held by the pipeline, the next one that does not fit is refused with a retryable
// status (HTTP 429 + Retry-After, gRPC RESOURCE_EXHAUSTED) and counted; once the first
// settles, requests are taken again.
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { GRPC_SERVICE } from '../../src/receivers/otlp/grpc.js';
import { GateConsumer, counterValue, post, protobufRequest, startReceiver } from '../receivers/otlp/fixtures.js';
import type { Running } from '../receivers/otlp/fixtures.js';
import { waitFor } from '../helpers/index.js';

const running: Running[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of running.splice(0)) await r.receiver.shutdown();
});

const identity = (b: Buffer): Buffer => b;

function grpcExport(port: number, body: Buffer): Promise<ServiceError | undefined> {
  const c = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  clients.push(c);
  return new Promise((resolve) => c.makeUnaryRequest(`/${GRPC_SERVICE.logs}/Export`, identity, identity, body, new Metadata(), {}, (err) => resolve(err ?? undefined)));
}

describe('max_request_bytes_in_flight', () => {
  it('HTTP: 429 + Retry-After while the budget is held, 200 once it is free', async () => {
    const gate = new GateConsumer();
    const body = protobufRequest('logs', 20);
    const r = await startReceiver({ grpc: null, http: { max_request_bytes_in_flight: body.length + 10 } }, { next: { logs: gate } });
    running.push(r);
    const first = post(`${r.httpUrl}/v1/logs`, body, 'application/x-protobuf');
    await waitFor(() => gate.started === 1, 'the first request held by the pipeline');
    const second = await post(`${r.httpUrl}/v1/logs`, body, 'application/x-protobuf');
    expect(second.status).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    expect(await counterValue(r.telemetry, 'ferry_receiver_memory_refused_requests_total', { transport: 'http' })).toBe(1);
    gate.open();
    expect((await first).status).toBe(200);
    expect((await post(`${r.httpUrl}/v1/logs`, body, 'application/x-protobuf')).status).toBe(200);
  });

  it('gRPC: RESOURCE_EXHAUSTED while the budget is held, OK once it is free', async () => {
    const gate = new GateConsumer();
    const body = protobufRequest('logs', 20);
    const r = await startReceiver({ http: null, grpc: { max_request_bytes_in_flight: body.length + 10 } }, { next: { logs: gate } });
    running.push(r);
    const first = grpcExport(r.grpcPort, body);
    await waitFor(() => gate.started === 1, 'the first call held by the pipeline');
    const second = await grpcExport(r.grpcPort, body);
    expect(second?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(second?.metadata.get('grpc-status-details-bin')).toHaveLength(1); // RetryInfo: retryable
    expect(await counterValue(r.telemetry, 'ferry_receiver_memory_refused_requests_total', { transport: 'grpc' })).toBe(1);
    gate.open();
    expect(await first).toBeUndefined();
    expect(await grpcExport(r.grpcPort, body)).toBeUndefined();
  });
});
