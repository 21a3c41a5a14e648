import { describe, expect, it } from 'vitest';
import { compileConfigSchema } from '../../../src/config/validate.js';
import { Backoff, retryOnFailureSchema, retrySettings, timeoutSchema, validateRetryOnFailure } from '../../../src/exporters/helper/retry.js';

describe('retry_on_failure', () => {
  it('has the Collector defaults', () => {
    expect(retrySettings()).toEqual({
      enabled: true,
      initialIntervalMs: 5000,
      maxIntervalMs: 30_000,
      maxElapsedTimeMs: 300_000,
      multiplier: 1.5,
      randomizationFactor: 0.5,
    });
  });

  it('fills every default through the schema, also when the block is absent', () => {
    const validate = compileConfigSchema({ type: 'object', additionalProperties: false, properties: { retry_on_failure: retryOnFailureSchema, timeout: timeoutSchema('5s') } });
    const data: Record<string, unknown> = {};
    expect(validate(data)).toBe(true);
    expect(data).toEqual({
      retry_on_failure: { enabled: true, initial_interval: '5s', max_interval: '30s', max_elapsed_time: '300s', multiplier: 1.5, randomization_factor: 0.5 },
      timeout: '5s',
    });
    expect(validate({ retry_on_failure: { initial_interval: 'soon' } })).toBe(false);
    expect(validate({ retry_on_failure: { randomization_factor: 2 } })).toBe(false);
    expect(validate({ retry_on_failure: { max_retries: 3 } })).toBe(false);
  });

  it('parses durations, 0 meaning no limit', () => {
    expect(retrySettings({ initial_interval: '200ms', max_interval: '1m30s', max_elapsed_time: '0' })).toMatchObject({
      initialIntervalMs: 200,
      maxIntervalMs: 90_000,
      maxElapsedTimeMs: 0,
    });
  });

  it('checks max_elapsed_time against the intervals, as configretry does', () => {
    expect(validateRetryOnFailure({ max_elapsed_time: '1s' })).toEqual([
      expect.objectContaining({ path: 'retry_on_failure.max_elapsed_time', message: 'must not be less than initial_interval' }),
      expect.objectContaining({ path: 'retry_on_failure.max_elapsed_time', message: 'must not be less than max_interval' }),
    ]);
    expect(validateRetryOnFailure({ max_elapsed_time: '0' })).toEqual([]);
    expect(validateRetryOnFailure({ enabled: false, max_elapsed_time: '1s' })).toEqual([]);
    expect(validateRetryOnFailure(undefined)).toEqual([]);
  });
});

describe('Backoff', () => {
  it('grows by the multiplier up to max_interval', () => {
    const b = new Backoff(retrySettings({ initial_interval: '100ms', max_interval: '400ms', multiplier: 2, randomization_factor: 0 }));
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 400, 400]);
  });

  it('spreads each wait over interval × (1 ± randomization_factor)', () => {
    const settings = retrySettings({ initial_interval: '1s', randomization_factor: 0.5 });
    expect(new Backoff(settings, () => 0).next()).toBe(500);
    expect(new Backoff(settings, () => 0.5).next()).toBe(1000);
    expect(new Backoff(settings, () => 0.999999).next()).toBe(1500);
  });
});
