// OTLP/gRPC against a real receiver with a raw grpc-js client (identity serializers):
// status codes, RetryInfo details, size limit, compression, metadata and backpressure.
import { afterEach, describe, expect, it } from 'vitest';
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import type { Signal } from '../../../src/pdata/types.js';
import type { TracesBatch } from '../../../src/pdata/batch.js';
import { GRPC_SERVICE } from '../../../src/receivers/otlp/grpc.js';
import type { Running } from './fixtures.js';
import { GateConsumer, SPAN_ID, TRACE_ID, counterValue, protobufRequest, startReceiver } from './fixtures.js';
import { waitFor } from '../../helpers/index.js';

let running: Running | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await running?.receiver.shutdown();
  running = undefined;
});

async function start(...args: Parameters<typeof startReceiver>): Promise<Running> {
  running = await startReceiver(...args);
  return running;
}

function client(port: number, options: Record<string, number> = {}): Client {
  const c = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), options);
  clients.push(c);
  return c;
}

const identity = (b: Buffer): Buffer => b;

interface CallResult {
  readonly err: ServiceError | undefined;
  readonly response: Buffer | undefined;
}

function exportCall(c: Client, signal: Signal, body: Buffer, metadata = new Metadata()): Promise<CallResult> {
  return new Promise((resolve) => {
    c.makeUnaryRequest(`/${GRPC_SERVICE[signal]}/Export`, identity, identity, body, metadata, {}, (err, response) =>
      resolve({ err: err ?? undefined, response }),
    );
  });
}

// Independent decoders for google.rpc.Status and RetryInfo, to check what the receiver encoded.
const oracle = protobuf.Root.fromJSON({
  nested: {
    Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
    Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'Any', id: 3 } } },
    Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    RetryInfo: { fields: { retryDelay: { type: 'Duration', id: 1 } } },
  },
});
const statusType = oracle.lookupType('Status');
const retryInfoType = oracle.lookupType('RetryInfo');

function retryDelayMs(err: ServiceError): number | undefined {
  const raw = err.metadata.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) return undefined;
  const st = statusType.toObject(statusType.decode(raw)) as { code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] };
  expect(st.code).toBe(err.code);
  expect(st.message).toBe(err.details);
  const detail = st.details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
  if (!detail) return undefined;
  const info = retryInfoType.toObject(retryInfoType.decode(detail.value), { longs: Number }) as { retryDelay?: { seconds?: number; nanos?: number } };
  return (info.retryDelay?.seconds ?? 0) * 1000 + (info.retryDelay?.nanos ?? 0) / 1e6;
}

describe('otlp receiver over gRPC', () => {
  it('accepts every signal, replies with an empty Export response, and counts accepted items', async () => {
    const r = await start({ http: null });
    const c = client(r.grpcPort);
    for (const signal of ['logs', 'traces', 'metrics'] as const) {
      const { err, response } = await exportCall(c, signal, protobufRequest(signal, 3));
      expect(err).toBeUndefined();
      expect(response?.length).toBe(0);
      expect(r.consumers[signal].items()).toBe(3);
    }
    const span = (r.consumers.traces.batches[0] as TracesBatch).resources[0]?.scopeSpans[0]?.spans[0];
    expect(Buffer.from(span?.traceId ?? []).equals(TRACE_ID)).toBe(true);
    expect(Buffer.from(span?.spanId ?? []).equals(SPAN_ID)).toBe(true);
    expect(String(span?.startTimeUnixNano)).toBe('1700000000123456789');
    expect(r.consumers.traces.batches[0]?.context?.clientAddress).toBe('127.0.0.1');
    expect(await counterValue(r.telemetry, 'otelcol_receiver_accepted_spans_total', { receiver: 'otlp', transport: 'grpc' })).toBe(3);
  });

  it('accepts gzip-compressed calls, with keepalive and stream limits set', async () => {
    const r = await start({
      http: null,
      grpc: {
        max_concurrent_streams: 10,
        keepalive: { server_parameters: { max_connection_idle: '1m', max_connection_age: '5m', max_connection_age_grace: '10s', time: '30s', timeout: '5s' } },
      },
    });
    const c = client(r.grpcPort, { 'grpc.default_compression_algorithm': 2 /* gzip */ });
    const { err } = await exportCall(c, 'logs', protobufRequest('logs', 100));
    expect(err).toBeUndefined();
    expect(r.consumers.logs.items()).toBe(100);
  });

  it('answers UNIMPLEMENTED for a signal no pipeline takes', async () => {
    const r = await start({ http: null }, { signals: ['metrics'] });
    const { err } = await exportCall(client(r.grpcPort), 'logs', protobufRequest('logs'));
    expect(err?.code).toBe(status.UNIMPLEMENTED);
  });

  it('answers INVALID_ARGUMENT with the decoder message for a malformed request, then keeps serving', async () => {
    const r = await start({ http: null });
    const c = client(r.grpcPort);
    const { err } = await exportCall(c, 'logs', Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]));
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/ExportLogsServiceRequest/);
    expect(r.consumers.logs.batches).toHaveLength(0);
    expect((await exportCall(c, 'logs', protobufRequest('logs'))).err).toBeUndefined();
    expect(r.consumers.logs.items()).toBe(1);
  });

  it('answers RESOURCE_EXHAUSTED for a message over max_recv_msg_size_mib', async () => {
    const r = await start({ http: null, grpc: { max_recv_msg_size_mib: 1 } });
    const c = client(r.grpcPort);
    const big = protobufRequest('logs', 30_000);
    expect(big.length).toBeGreaterThan(1024 * 1024);
    const { err } = await exportCall(c, 'logs', big);
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(r.consumers.logs.batches).toHaveLength(0);
    expect((await exportCall(c, 'logs', protobufRequest('logs'))).err).toBeUndefined();
  });

  it('maps downstream errors: permanent INVALID_ARGUMENT, retryable UNAVAILABLE, throttled RESOURCE_EXHAUSTED + RetryInfo', async () => {
    const r = await start({ http: null });
    const c = client(r.grpcPort);
    const consumer = r.consumers.metrics;
    const body = protobufRequest('metrics', 2);

    consumer.fail = new PermanentError('unknown metric type');
    const permanent = (await exportCall(c, 'metrics', body)).err as ServiceError;
    expect(permanent.code).toBe(status.INVALID_ARGUMENT);
    expect(permanent.details).toBe('unknown metric type');

    consumer.fail = new RetryableError('exporter queue full');
    const unavailable = (await exportCall(c, 'metrics', body)).err as ServiceError;
    expect(unavailable.code).toBe(status.UNAVAILABLE);
    expect(unavailable.details).toBe('exporter queue full');
    expect(retryDelayMs(unavailable)).toBeUndefined();

    consumer.fail = new RetryableError('backend says wait', { retryAfterMs: 2000 });
    const delayed = (await exportCall(c, 'metrics', body)).err as ServiceError;
    expect(delayed.code).toBe(status.UNAVAILABLE);
    expect(retryDelayMs(delayed)).toBe(2000);

    consumer.fail = new RetryableError('over the rate limit', { retryAfterMs: 1500, reason: 'throttled' });
    const throttled = (await exportCall(c, 'metrics', body)).err as ServiceError;
    expect(throttled.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(retryDelayMs(throttled)).toBe(1500);

    // Without RetryInfo, RESOURCE_EXHAUSTED would read as permanent: stay UNAVAILABLE.
    consumer.fail = new RetryableError('over the rate limit', { reason: 'throttled' });
    expect((await exportCall(c, 'metrics', body)).err?.code).toBe(status.UNAVAILABLE);

    consumer.fail = undefined;
    expect((await exportCall(c, 'metrics', body)).err).toBeUndefined();
    const labels = { receiver: 'otlp', transport: 'grpc' };
    expect(await counterValue(r.telemetry, 'otelcol_receiver_refused_metric_points_total', labels)).toBe(10);
    expect(await counterValue(r.telemetry, 'otelcol_receiver_accepted_metric_points_total', labels)).toBe(2);
  });

  it('replies only after consume() settled', async () => {
    const gate = new GateConsumer();
    const r = await start({ http: null }, { next: { logs: gate } });
    let answered = false;
    const pending = exportCall(client(r.grpcPort), 'logs', protobufRequest('logs')).then((res) => {
      answered = true;
      return res;
    });
    await waitFor(() => gate.started === 1, 'consume() to be called');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    gate.open();
    expect((await pending).err).toBeUndefined();
    expect(gate.batches).toHaveLength(1);
  });

  it('passes gRPC metadata on with include_metadata', async () => {
    const r = await start({ http: null, grpc: { include_metadata: true } });
    const md = new Metadata();
    md.set('X-Tenant', 'acme');
    md.set('trace-bin', Buffer.from([1, 2, 3]));
    await exportCall(client(r.grpcPort), 'traces', protobufRequest('traces'), md);
    const ctx = r.consumers.traces.batches[0]?.context;
    expect(ctx?.metadata?.['x-tenant']).toEqual(['acme']);
    expect(ctx?.metadata?.['trace-bin']).toEqual([Buffer.from([1, 2, 3]).toString('base64')]);
    expect(ctx?.clientAddress).toBe('127.0.0.1');
  });

  it('on shutdown lets calls in flight finish and refuses new ones with UNAVAILABLE', async () => {
    const gate = new GateConsumer();
    const r = await start({ http: null }, { next: { logs: gate } });
    const c = client(r.grpcPort);
    const inFlight = exportCall(c, 'logs', protobufRequest('logs'));
    await waitFor(() => gate.started === 1, 'consume() to be called');
    const stopping = r.receiver.shutdown();
    running = undefined;
    const late = await exportCall(c, 'logs', protobufRequest('logs'));
    expect(late.err?.code).toBe(status.UNAVAILABLE);
    expect(late.err?.details).toContain('shutting down');
    gate.open();
    expect((await inFlight).err).toBeUndefined();
    await stopping;
    expect(gate.batches).toHaveLength(1);
  });
});
