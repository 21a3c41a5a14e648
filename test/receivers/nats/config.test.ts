// The nats receiver's configuration: defaults and the factory's checks (the Fly preset is
// tested end to end in test/e2e/fly-log-shipper.test.ts and in test/configs.test.ts).
import { describe, expect, it } from 'vitest';
import { natsReceiver } from '../../../src/receivers/nats/index.js';
import { subjectAttributes, parseTimestamp } from '../../../src/receivers/nats/decode.js';
import { loadReceiverConfig } from './load.js';

describe('nats receiver config', () => {
  it('has the documented defaults', () => {
    const c = loadReceiverConfig({});
    expect(c.url).toBe('nats://127.0.0.1:4222');
    expect(c.subject).toBe('otlp.>');
    expect(c.encoding).toBe('otlp_proto');
    expect(c.json).toEqual({ body: 'message', severity: 'log.level', timestamp: 'timestamp' });
    const js = loadReceiverConfig({ jetstream: {} }).jetstream;
    expect(js).toEqual({ stream: 'OTLP', durable: 'ferry', ack_wait: '30s', max_ack_pending: 1000, nak_delay: '5s', create: true });
  });

  it('reports bad subjects, text for traces, and two auth methods at once', () => {
    const problems = natsReceiver.validate?.(loadReceiverConfig({ subject: 'logs.>.x', traces: { encoding: 'text' }, auth: { token: 't', user: 'u', password: 'p' } })) ?? [];
    expect(problems.map((p) => p.path).sort()).toEqual(['auth', 'subject', 'traces.encoding']);
    expect(problems.every((p) => p.fix !== undefined)).toBe(true);
  });

  it('says a queue group has no effect with jetstream', () => {
    const problems = natsReceiver.validate?.(loadReceiverConfig({ queue: 'q', jetstream: {} })) ?? [];
    expect(problems.map((p) => p.path)).toEqual(['queue']);
  });

  it('maps subject tokens by position, skipping nulls and missing tokens', () => {
    const attrs = subjectAttributes('logs.web.ord', [null, 'app', 'region', 'instance']);
    expect(attrs.map((a) => [a.key, a.value?.stringValue])).toEqual([
      ['app', 'web'],
      ['region', 'ord'],
    ]);
  });

  it('reads timestamps as RFC 3339 or epoch s / ms / ns', () => {
    expect(parseTimestamp(1_700_000_000)).toBe(1_700_000_000_000_000_000n);
    expect(parseTimestamp(1_700_000_000_123)).toBe(1_700_000_000_123_000_000n);
    expect(parseTimestamp('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000_000_000n);
    expect(parseTimestamp('nope')).toBeUndefined();
  });
});
