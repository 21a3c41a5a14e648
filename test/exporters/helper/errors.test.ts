import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { GrpcCode, grpcStatusError, httpStatusError, networkError, parseRetryAfter } from '../../../src/exporters/helper/errors.js';
import { retryInfoMetadata } from './fixtures.js';

describe('httpStatusError', () => {
  it('retries 429/502/503/504 and nothing else', () => {
    for (const status of [429, 502, 503, 504]) expect(httpStatusError(status, {}, '')).toBeInstanceOf(RetryableError);
    for (const status of [400, 401, 403, 404, 413, 415, 500, 501, 301]) expect(httpStatusError(status, {}, '')).toBeInstanceOf(PermanentError);
  });

  it("keeps the server's message and marks 429 as throttling", () => {
    const err = httpStatusError(429, { 'retry-after': '7' }, ' too many requests ', 'request to http://x/v1/logs');
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.message).toBe('request to http://x/v1/logs responded with HTTP 429: too many requests');
    expect((err as RetryableError).reason).toBe('throttled');
    expect((err as RetryableError).retryAfterMs).toBe(7000);
    expect((httpStatusError(503, {}, '') as RetryableError).reason).toBe('unavailable');
    expect(httpStatusError(400, {}, 'field x is bad').message).toBe('HTTP 400: field x is bad');
  });

  it('reads Retry-After as seconds or as an HTTP-date, in any header case', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect((httpStatusError(503, { 'Retry-After': '2' }, '') as RetryableError).retryAfterMs).toBe(2000);
  });
});

describe('grpcStatusError', () => {
  it('retries the codes the OTLP spec lists', () => {
    const retryable = [GrpcCode.CANCELLED, GrpcCode.DEADLINE_EXCEEDED, GrpcCode.ABORTED, GrpcCode.OUT_OF_RANGE, GrpcCode.UNAVAILABLE, GrpcCode.DATA_LOSS];
    for (const code of retryable) expect(grpcStatusError({ code, details: 'x' })).toBeInstanceOf(RetryableError);
    const permanent = [GrpcCode.UNKNOWN, GrpcCode.INVALID_ARGUMENT, GrpcCode.NOT_FOUND, GrpcCode.PERMISSION_DENIED, GrpcCode.UNIMPLEMENTED, GrpcCode.INTERNAL, GrpcCode.UNAUTHENTICATED];
    for (const code of permanent) expect(grpcStatusError({ code, details: 'x' })).toBeInstanceOf(PermanentError);
    expect(grpcStatusError({ code: GrpcCode.INVALID_ARGUMENT, details: 'bad span' }).message).toBe('gRPC INVALID_ARGUMENT: bad span');
  });

  it('retries RESOURCE_EXHAUSTED only with RetryInfo, after its delay', () => {
    expect(grpcStatusError({ code: GrpcCode.RESOURCE_EXHAUSTED, details: 'full' })).toBeInstanceOf(PermanentError);
    const err = grpcStatusError({ code: GrpcCode.RESOURCE_EXHAUSTED, details: 'full', metadata: retryInfoMetadata(2, 500_000_000) });
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(2500);
    expect((err as RetryableError).reason).toBe('throttled');
    const unavailable = grpcStatusError({ code: GrpcCode.UNAVAILABLE, metadata: retryInfoMetadata(1) });
    expect((unavailable as RetryableError).retryAfterMs).toBe(1000);
  });

  it('ignores a malformed details header', () => {
    const md = new grpc.Metadata();
    md.set('grpc-status-details-bin', Buffer.from([0xff, 0xff, 0xff]));
    expect(grpcStatusError({ code: GrpcCode.RESOURCE_EXHAUSTED, metadata: md })).toBeInstanceOf(PermanentError);
  });
});

describe('networkError', () => {
  it('makes connection failures retryable, keeping the code in the message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(networkError(refused)).toBeInstanceOf(RetryableError);
    expect(networkError(refused).message).toBe('connect ECONNREFUSED 127.0.0.1:1');
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(networkError(reset).message).toBe('ECONNRESET: socket hang up');
    const permanent = new PermanentError('x');
    expect(networkError(permanent)).toBe(permanent);
  });
});
