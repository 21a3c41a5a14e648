// The shared receiver mechanics in src/receivers/helper.ts: error → protocol status,
// counting around consume(), waiting for requests in flight, and peer addresses.
import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { GrpcCode, InFlight, clientAddress, consumeCounted, grpcRefusal, httpRefusal, retryAfterSeconds } from '../../../src/receivers/helper.js';
import { nopLogger } from '../../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { CollectingConsumer } from '../../helpers/index.js';
import { counterValue, sampleResources } from './fixtures.js';

describe('receiver helper', () => {
  it('maps consumer errors to HTTP statuses and Retry-After', () => {
    expect(httpRefusal(new PermanentError('bad'))).toEqual({ status: 400, message: 'bad', headers: {} });
    expect(httpRefusal(new RetryableError('busy'))).toEqual({ status: 503, message: 'busy', headers: {} });
    expect(httpRefusal(new RetryableError('busy', { retryAfterMs: 1 })).headers).toEqual({ 'retry-after': '1' });
    expect(httpRefusal(new RetryableError('slow', { reason: 'throttled', retryAfterMs: 30_000 }))).toEqual({
      status: 429,
      message: 'slow',
      headers: { 'retry-after': '30' },
    });
    expect(retryAfterSeconds(0)).toBe('0');
    expect(retryAfterSeconds(1001)).toBe('2');
  });

  it('maps consumer errors to gRPC codes, RESOURCE_EXHAUSTED only with a retry delay', () => {
    expect(grpcRefusal(new PermanentError('bad')).code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(grpcRefusal(new RetryableError('busy'))).toEqual({ code: GrpcCode.UNAVAILABLE, message: 'busy' });
    expect(grpcRefusal(new RetryableError('busy', { retryAfterMs: 500 }))).toEqual({ code: GrpcCode.UNAVAILABLE, message: 'busy', retryDelayMs: 500 });
    expect(grpcRefusal(new RetryableError('slow', { reason: 'throttled' })).code).toBe(GrpcCode.UNAVAILABLE);
    expect(grpcRefusal(new RetryableError('slow', { reason: 'throttled', retryAfterMs: 500 })).code).toBe(GrpcCode.RESOURCE_EXHAUSTED);
  });

  it('counts accepted and refused items around consume()', async () => {
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const metrics = telemetry.forReceiver('otlp', 'http');
    const consumer = new CollectingConsumer();
    expect(await consumeCounted(consumer, makeBatch('logs', sampleResources('logs', 3)), metrics, nopLogger)).toBeUndefined();
    consumer.fail = new Error('boom');
    const err = await consumeCounted(consumer, makeBatch('logs', sampleResources('logs', 2)), metrics, nopLogger);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err?.message).toBe('boom');
    const labels = { receiver: 'otlp', transport: 'http' };
    expect(await counterValue(telemetry, 'otelcol_receiver_accepted_log_records_total', labels)).toBe(3);
    expect(await counterValue(telemetry, 'otelcol_receiver_refused_log_records_total', labels)).toBe(2);
  });

  it('waits for work in flight, bounded by a timeout', async () => {
    const inFlight = new InFlight();
    expect(await inFlight.idle(10)).toBe(true);
    let release = (): void => undefined;
    const work = inFlight.run(() => new Promise<void>((r) => (release = r)));
    expect(inFlight.size).toBe(1);
    expect(await inFlight.idle(20)).toBe(false);
    const idle = inFlight.idle(5_000);
    release();
    await work;
    expect(await idle).toBe(true);
    expect(inFlight.size).toBe(0);
  });

  it('reduces peer addresses to the IP', () => {
    expect(clientAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1:50312')).toBe('127.0.0.1');
    expect(clientAddress('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(clientAddress('::1:50312')).toBe('::1');
    expect(clientAddress('[2001:db8::1]:443')).toBe('2001:db8::1');
    expect(clientAddress('::1')).toBe('::1');
    expect(clientAddress('unknown')).toBeUndefined();
    expect(clientAddress(undefined)).toBeUndefined();
  });
});
