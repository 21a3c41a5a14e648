// The azure_monitor exporter against a fake Application Insights ingestion endpoint that checks
// every envelope against the telemetry data model (server.ts names the reference). Keys follow
// the contrib azuremonitorexporter (type azure_monitor, formerly azuremonitor).
import { afterEach, describe, expect, it } from 'vitest';
import { azureMonitorExporter, type AzureMonitorConfig } from '../../../src/exporters/azure_monitor/index.js';
import { configSchema } from '../../../src/exporters/azure_monitor/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { components } from '../../../src/components.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { SPAN_ID, PARENT_SPAN_ID, TRACE_ID, logsBatch, metricValue, recordingLogger, tracesBatch, withDefaults } from '../helper/fixtures.js';
import { FakeAppInsights } from './server.js';

const IKEY = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';
let exporter: QueuedExporter | undefined;
let fake: FakeAppInsights | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await fake?.close();
});

async function start(config: Record<string, unknown>) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<AzureMonitorConfig>(configSchema, { sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '2s' }, ...config });
  expect(azureMonitorExporter.validate?.(cfg)).toEqual([]);
  exporter = azureMonitorExporter.create(cfg, { id: 'azure_monitor', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  return { exporter, logger, metric: (what: 'sent' | 'send_failed', noun = 'log_records') => metricValue(telemetry, `otelcol_exporter_${what}_${noun}_total`, { exporter: 'azure_monitor' }) };
}

describe('azure_monitor exporter → Application Insights track API', () => {
  it('is registered as azure_monitor, with azuremonitor as its deprecated name', () => {
    expect(components.exporters.get('azure_monitor')).toBe(azureMonitorExporter);
    expect(components.exporters.get('azuremonitor')).toBe(azureMonitorExporter);
  });

  it('sends log records as MessageData to the connection string\'s ingestion endpoint, gzipped', async () => {
    fake = await FakeAppInsights.start(IKEY);
    const { exporter, metric } = await start({ connection_string: `InstrumentationKey=${IKEY};IngestionEndpoint=${fake.url};LiveEndpoint=https://live.example.com/` });
    await exporter.consume(logsBatch());
    const req = fake.requests[0];
    expect(req?.path).toBe('/v2.1/track');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.status).toBe(200);
    expect(fake.accepted).toHaveLength(2);
    const [a, b] = fake.accepted;
    expect(a).toEqual({
      name: `Microsoft.ApplicationInsights.${IKEY.replace(/-/g, '')}.Message`,
      time: '2023-11-14T22:13:20.1234567Z',
      iKey: IKEY,
      tags: { 'ai.cloud.role': 'checkout', 'ai.operation.id': TRACE_ID, 'ai.operation.parentId': SPAN_ID, 'ai.internal.sdkVersion': 'ferry:otel' },
      data: { baseType: 'MessageData', baseData: { ver: 2, message: 'order placed', severityLevel: 1, properties: { 'order.id': '42' } } },
    });
    expect(b?.data.baseData).toMatchObject({ message: '{"msg":"payment failed"}', severityLevel: 3, properties: { retry: 'true' } });
    expect(await metric('sent')).toBe(2);
  });

  it('sends a server span as RequestData, a client span as RemoteDependencyData, and span events when spaneventsenabled', async () => {
    fake = await FakeAppInsights.start(IKEY);
    const { exporter, metric } = await start({ instrumentation_key: IKEY, endpoint: `${fake.url}v2/track`, spaneventsenabled: true });
    const batch = tracesBatch();
    const server = batch.resources[0]?.scopeSpans[0]?.spans[0];
    if (server) batch.resources[0]?.scopeSpans[0]?.spans.push({ ...server, kind: 3, name: 'SELECT orders', events: [], attributes: [{ key: 'db.system', value: { stringValue: 'postgresql' } }, { key: 'server.address', value: { stringValue: 'db' } }], status: { code: 0 } });
    await exporter.consume(batch);
    expect(fake.requests[0]?.path).toBe('/v2/track');
    const types = fake.accepted.map((e) => e.data.baseType);
    expect(types).toEqual(['RequestData', 'MessageData', 'RemoteDependencyData']);
    expect(fake.accepted[0]?.data.baseData).toEqual({ ver: 2, id: SPAN_ID, name: 'POST /orders', duration: '0.00:00:01.864197', responseCode: '201', success: false, properties: { 'http.status_code': '201' } });
    expect(fake.accepted[0]?.tags).toMatchObject({ 'ai.operation.id': TRACE_ID, 'ai.operation.parentId': PARENT_SPAN_ID });
    expect(fake.accepted[1]?.data.baseData).toMatchObject({ message: 'validated', properties: { ok: 'true' } });
    expect(fake.accepted[2]?.data.baseData).toMatchObject({ type: 'postgresql', target: 'db', success: true, resultCode: '0' });
    expect(await metric('sent', 'spans')).toBe(2);
  });

  it('206: items refused with 429 are sent again alone, items refused with 400 dropped and counted; maxbatchsize splits', async () => {
    fake = await FakeAppInsights.start(IKEY);
    let throttled = false;
    fake.itemStatus = (e) => {
      const m = e.data.baseData.message;
      if (m === 'order placed' && !throttled) {
        throttled = true;
        return 429;
      }
      return m === '{"msg":"payment failed"}' ? 400 : undefined;
    };
    const { exporter, metric } = await start({ instrumentation_key: IKEY, endpoint: `${fake.url}v2.1/track`, maxbatchsize: 1 });
    await exporter.consume(logsBatch());
    expect(fake.requests.map((r) => [r.status, r.envelopes.length])).toEqual([
      [206, 1],
      [206, 1],
      [200, 1],
    ]);
    expect(fake.accepted.map((e) => e.data.baseData.message)).toEqual(['order placed']);
    expect(await metric('sent')).toBe(1);
    expect(await metric('send_failed')).toBe(1);
  });

  it('503 with Retry-After is retried; 401 is permanent and the key is in no message', async () => {
    fake = await FakeAppInsights.start(IKEY);
    fake.replies.push({ status: 503, headers: { 'retry-after': '0' } });
    const { exporter } = await start({ instrumentation_key: IKEY, endpoint: `${fake.url}v2.1/track` });
    await exporter.consume(logsBatch());
    expect(fake.requests.map((r) => r.status)).toEqual([503, 200]);
    await exporter.shutdown();

    fake.replies.push({ status: 401, body: { itemsReceived: 2, itemsAccepted: 0, errors: [{ index: 0, statusCode: 401, message: `Invalid instrumentation key ${IKEY}` }] } });
    const second = await start({ instrumentation_key: IKEY, endpoint: `${fake.url}v2.1/track` });
    const err = await second.exporter.consume(logsBatch()).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ retryable: false });
    expect((err as Error).message).toMatch(/HTTP 401.*check connection_string/);
    expect((err as Error).message).not.toContain(IKEY);
    expect(await second.metric('send_failed')).toBe(2);
  });

  it('validation: no key names the connection string and where to find it', () => {
    const cfg = withDefaults<AzureMonitorConfig>(configSchema, {});
    expect(azureMonitorExporter.validate?.(cfg).map((p) => p.path)).toEqual(['connection_string']);
  });
});
