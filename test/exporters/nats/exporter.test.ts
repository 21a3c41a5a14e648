// The nats exporter against a real nats-server: subject templates per resource, OTLP
// proto and JSON payloads, and JetStream publishing that survives a broker restart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Msg, type NatsConnection } from 'nats';
import { compileConfigSchema, fillNullMaps } from '../../../src/config/validate.js';
import type { Exporter } from '../../../src/component.js';
import { natsExporter, renderSubject, type NatsExporterConfig } from '../../../src/exporters/nats/index.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { decodeJsonExportRequest } from '../../../src/pdata/json.js';
import { decodeExportRequest } from '../../../src/pdata/proto.js';
import { testContext, waitFor } from '../../helpers/index.js';
import { natsServerAvailable, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { makeLogs, makeSpans } from '../../pdata/fixtures.js';

function loadConfig(raw: Record<string, unknown>): NatsExporterConfig {
  const data = structuredClone(raw);
  fillNullMaps(natsExporter.configSchema, data);
  const validate = compileConfigSchema(natsExporter.configSchema);
  if (!validate(data)) throw new Error(JSON.stringify(validate.errors));
  return data as unknown as NatsExporterConfig;
}

describe('nats exporter config', () => {
  it('renders ${signal} and resource attributes, making values safe subject tokens', () => {
    const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'my.app *x' } }] };
    expect(renderSubject('logs.${service.name}', 'logs', resource)).toBe('logs.my_app__x');
    expect(renderSubject('otlp.${signal}.${host.name}', 'traces', resource)).toBe('otlp.traces.unknown');
  });

  it('refuses wildcard subjects and half-set credentials', () => {
    const problems = natsExporter.validate?.(loadConfig({ subject: 'logs.>', auth: { user: 'u' } })) ?? [];
    expect(problems.map((p) => p.path).sort()).toEqual(['auth', 'subject']);
  });
});

const available = natsServerAvailable();

describe.skipIf(!available)('nats exporter', () => {
  let server: NatsServer;
  let client: NatsConnection;
  const exporters: Exporter[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    client = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });
  afterEach(async () => {
    await Promise.all(exporters.splice(0).map((e) => e.shutdown()));
  });

  async function exporter(raw: Record<string, unknown>): Promise<Exporter> {
    const e = natsExporter.create(loadConfig({ url: server.url, ...raw }), testContext('nats', 'exporter'));
    exporters.push(e);
    await e.start({ getExtension: () => undefined, state: 'running' });
    return e;
  }

  it('publishes each resource to the subject its attributes render, as OTLP protobuf', async () => {
    const got: Msg[] = [];
    const sub = client.subscribe('logs.>', { callback: (_e, m) => got.push(m) });
    await client.flush();
    const e = await exporter({ subject: 'logs.${service.name}' });
    await e.consume(makeBatch('logs', makeLogs(9, { resources: 3 })));
    await client.flush();
    await new Promise((r) => setTimeout(r, 100));
    sub.unsubscribe();
    expect(got.map((m) => m.subject).sort()).toEqual(['logs.checkout-0', 'logs.checkout-1', 'logs.checkout-2']);
    const records = got.flatMap((m) => decodeExportRequest('logs', m.data).flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords)));
    expect(records).toHaveLength(9);
    expect(got[0]?.headers?.get('Otlp-Signal')).toBe('logs');
  });

  it('publishes OTLP/JSON when asked', async () => {
    const got: Msg[] = [];
    const sub = client.subscribe('otlp.traces', { callback: (_e, m) => got.push(m) });
    await client.flush();
    const e = await exporter({ encoding: 'otlp_json' });
    await e.consume(makeBatch('traces', makeSpans(4)));
    await new Promise((r) => setTimeout(r, 100));
    sub.unsubscribe();
    expect(got).toHaveLength(1);
    const spans = decodeJsonExportRequest('traces', JSON.parse(new TextDecoder().decode(got[0]?.data)) as unknown);
    expect(spans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))).toHaveLength(4);
  });

  it('JetStream: settles once the stream stored the message, and retries through a broker restart', async () => {
    const e = await exporter({ subject: 'jsx.${signal}', jetstream: { stream: 'JSX' }, sending_queue: { enabled: false }, timeout: '1s', retry_on_failure: { initial_interval: '100ms', max_interval: '200ms' } });
    await e.consume(makeBatch('logs', makeLogs(5)));
    const jsm = await client.jetstreamManager();
    expect((await jsm.streams.info('JSX')).state.messages).toBe(1);
    await server.restart();
    // The restart loses nothing stored (file store), and the exporter reconnects and publishes again.
    await e.consume(makeBatch('logs', makeLogs(5)));
    await e.consume(makeBatch('logs', makeLogs(5)));
    const stored = async (): Promise<number> => {
      try {
        return (await (await client.jetstreamManager({ timeout: 500 })).streams.info('JSX')).state.messages;
      } catch {
        return -1; // the test's own client is still reconnecting
      }
    };
    await waitFor(async () => (await stored()) >= 0, 'test client reconnected');
    expect(await stored()).toBe(3);
  });
});
