// The nats receiver against a real nats-server: subject wildcards pick the pipelines,
// a queue group shares messages once, payload encodings, and JetStream ack / nak / redelivery.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, headers, type NatsConnection } from 'nats';
import { RetryableError } from '../../../src/consumer.js';
import type { Receiver } from '../../../src/component.js';
import { natsReceiver } from '../../../src/receivers/nats/index.js';
import { loadReceiverConfig } from './load.js';
import { encodeExportRequest } from '../../../src/pdata/proto.js';
import type { LogsBatch } from '../../../src/pdata/batch.js';
import type { KeyValue } from '../../../src/pdata/types.js';
import { CollectingConsumer, testContext, testHost, waitFor } from '../../helpers/index.js';
import { natsServerAvailable, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { makeLogs, makeSpans } from '../../pdata/fixtures.js';

function bodies(c: CollectingConsumer): string[] {
  return c.batches.flatMap((b) => (b as LogsBatch).resources.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => String(l.body?.stringValue)))));
}

function attr(list: KeyValue[] | undefined, key: string): unknown {
  return list?.find((a) => a.key === key)?.value?.stringValue;
}

const available = natsServerAvailable();

describe.skipIf(!available)('nats receiver', () => {
  let server: NatsServer;
  let client: NatsConnection;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    client = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.shutdown()));
  });

  async function receiver(raw: Record<string, unknown>, sink: CollectingConsumer, id = 'nats'): Promise<Receiver> {
    const r = natsReceiver.create(loadReceiverConfig({ url: server.url, ...raw }), testContext(id), { logs: sink });
    receivers.push(r);
    await r.start(testHost);
    return r;
  }

  it('delivers each subject to exactly the receivers whose wildcard matches, with subject tokens as resource attributes', async () => {
    const app1 = new CollectingConsumer();
    const ord = new CollectingConsumer();
    const all = new CollectingConsumer();
    await receiver({ subject: 'logs.app1.>', encoding: 'text', subject_attributes: [null, 'fly.app.name', 'fly.region', 'fly.instance.id'] }, app1);
    await receiver({ subject: 'logs.*.ord.*', encoding: 'text' }, ord);
    await receiver({ subject: 'logs.>', encoding: 'text' }, all);
    const sent = ['logs.app1.ord.i1', 'logs.app1.fra.i2', 'logs.app2.ord.i3', 'logs.app2.fra.i4', 'metrics.app1.ord.i1'];
    for (const s of sent) client.publish(s, `line from ${s}\n`);
    await client.flush();
    await waitFor(() => all.items() === 4 && app1.items() === 2 && ord.items() === 2, 'deliveries');
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(app1).sort()).toEqual(['line from logs.app1.fra.i2', 'line from logs.app1.ord.i1']);
    expect(bodies(ord).sort()).toEqual(['line from logs.app1.ord.i1', 'line from logs.app2.ord.i3']);
    expect(bodies(all)).toHaveLength(4);
    expect(bodies(all)).not.toContain('line from metrics.app1.ord.i1');
    const first = (app1.batches.find((b) => bodies({ batches: [b] } as CollectingConsumer)[0] === 'line from logs.app1.ord.i1') as LogsBatch).resources[0];
    expect(attr(first?.resource?.attributes, 'fly.app.name')).toBe('app1');
    expect(attr(first?.resource?.attributes, 'fly.region')).toBe('ord');
    expect(attr(first?.resource?.attributes, 'fly.instance.id')).toBe('i1');
  });

  it('shares a queue group: two receivers get every message exactly once between them', async () => {
    const a = new CollectingConsumer();
    const b = new CollectingConsumer();
    await receiver({ subject: 'q.>', queue: 'shippers', encoding: 'text' }, a, 'nats/a');
    await receiver({ subject: 'q.>', queue: 'shippers', encoding: 'text' }, b, 'nats/b');
    const n = 400;
    for (let i = 0; i < n; i++) client.publish(`q.app.${i % 7}`, `m${i}`);
    await client.flush();
    await waitFor(() => a.items() + b.items() === n, 'all messages');
    await new Promise((r) => setTimeout(r, 100));
    const got = [...bodies(a), ...bodies(b)];
    expect(new Set(got).size).toBe(n);
    expect(got).toHaveLength(n);
    expect(a.items()).toBeGreaterThan(0);
    expect(b.items()).toBeGreaterThan(0);
  });

  it('maps a JSON log event: body, severity, timestamp by config, the rest as attributes', async () => {
    const sink = new CollectingConsumer();
    await receiver({ subject: 'fly.>', encoding: 'json' }, sink);
    const event = {
      event: { provider: 'app' },
      fly: { app: { instance: 'abc', name: 'web' }, region: 'ord' },
      host: 'h1',
      log: { level: 'error' },
      message: 'boom',
      timestamp: '2026-01-02T03:04:05.123456789Z',
    };
    client.publish('fly.web', JSON.stringify(event));
    client.publish('fly.web', 'not json at all');
    await waitFor(() => sink.items() === 2, 'two logs');
    const records = sink.batches.flatMap((b) => (b as LogsBatch).resources[0]?.scopeLogs[0]?.logRecords ?? []);
    const r = records.find((x) => x.body?.stringValue === 'boom');
    expect(r?.severityText).toBe('error');
    expect(r?.severityNumber).toBe(17);
    expect(String(r?.timeUnixNano)).toBe(String(BigInt(Date.parse('2026-01-02T03:04:05.123Z')) * 1_000_000n + 456789n));
    expect(attr(r?.attributes, 'fly.app.name')).toBe('web');
    expect(attr(r?.attributes, 'fly.region')).toBe('ord');
    expect(attr(r?.attributes, 'host')).toBe('h1');
    expect(r?.attributes.find((a) => a.key === 'log.level')).toBeUndefined();
    expect(records.some((x) => x.body?.stringValue === 'not json at all')).toBe(true);
  });

  it('decodes OTLP protobuf export requests and drops undecodable ones', async () => {
    const sink = new CollectingConsumer();
    await receiver({ subject: 'otlp.logs' }, sink);
    client.publish('otlp.logs', new Uint8Array([0xff, 0xff, 0xff]));
    client.publish('otlp.logs', encodeExportRequest('logs', makeLogs(6, { resources: 2 })));
    await waitFor(() => sink.items() === 6, 'six records');
    expect(sink.batches).toHaveLength(1);
  });

  it('splits one subject carrying several signals by the Otlp-Signal header or a signal-named token', async () => {
    const logs = new CollectingConsumer();
    const traces = new CollectingConsumer();
    const r = natsReceiver.create(loadReceiverConfig({ url: server.url, subject: 'mixed.>' }), testContext('nats/mixed'), { logs, traces });
    receivers.push(r);
    await r.start(testHost);
    const h = headers();
    h.set('Otlp-Signal', 'traces');
    client.publish('mixed.any', encodeExportRequest('traces', makeSpans(3)), { headers: h });
    client.publish('mixed.logs.svc', encodeExportRequest('logs', makeLogs(2)));
    await waitFor(() => logs.items() === 2 && traces.items() === 3, 'each signal once');
    await new Promise((res) => setTimeout(res, 100));
    expect(logs.batches.map((b) => b.signal)).toEqual(['logs']);
    expect(traces.batches.map((b) => b.signal)).toEqual(['traces']);
  });

  it('JetStream: acks only what the pipeline accepted, naks retryable refusals and gets them redelivered', async () => {
    const sink = new CollectingConsumer();
    sink.fail = new RetryableError('backend down');
    let attempts = 0;
    const counting = { mutatesData: false, consume: (b: LogsBatch) => (attempts++, sink.consume(b)) };
    await receiver(
      { subject: 'js.logs.>', encoding: 'text', jetstream: { stream: 'JSLOGS', durable: 'gw', ack_wait: '2s', nak_delay: '100ms' } },
      counting as unknown as CollectingConsumer,
    );
    const js = client.jetstream();
    for (let i = 0; i < 20; i++) await js.publish(`js.logs.app${i % 3}`, `j${i}`);
    // Refused while the backend is down: nothing accepted, everything still pending in the stream.
    await new Promise((r) => setTimeout(r, 400));
    expect(sink.items()).toBe(0);
    expect(attempts).toBeGreaterThanOrEqual(20);
    sink.fail = undefined;
    await waitFor(() => new Set(bodies(sink)).size === 20, 'all redelivered', 10_000);
    const jsm = await client.jetstreamManager();
    await waitFor(async () => (await jsm.consumers.info('JSLOGS', 'gw')).num_ack_pending === 0, 'all acked');
    const info = await jsm.consumers.info('JSLOGS', 'gw');
    expect(info.num_pending).toBe(0);
    // Each message accepted once: nak'ed ones came back, acked ones did not.
    expect(bodies(sink)).toHaveLength(20);
  });
});
