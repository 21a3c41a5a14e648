// The azure_logs_ingestion exporter against a fake Microsoft Entra token endpoint and a fake Logs
// ingestion endpoint, each checking requests as documented:
// - Entra ID client credentials (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
//   POST /{tenant}/oauth2/v2.0/token, form grant_type=client_credentials, client_id, client_secret,
//   scope=https://monitor.azure.com//.default; answers {token_type, expires_in, access_token}.
// - Logs ingestion API (https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview#rest-api-call):
//   POST {endpoint}/dataCollectionRules/{dcrImmutableId}/streams/{streamName}?api-version=2023-01-01,
//   Authorization: Bearer, Content-Type application/json, optional Content-Encoding gzip, a JSON array
//   of at most 1 MB; answers 204, or an error {"error":{"code","message"}} (413, 429 + Retry-After, 403 …).
import { afterEach, describe, expect, it } from 'vitest';
import { azureLogsIngestionExporter, type AzureLogsIngestionConfig } from '../../../src/exporters/azure_logs_ingestion/index.js';
import { configSchema } from '../../../src/exporters/azure_logs_ingestion/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { SPAN_ID, TRACE_ID, logsBatch, metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { CLIENT, DCR, FakeAzure, SECRET, STREAM, TENANT } from './server.js';

let exporter: QueuedExporter | undefined;
let azure: FakeAzure | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await azure?.close();
  azure = undefined;
});

async function start(config: Record<string, unknown> = {}) {
  azure ??= await FakeAzure.start();
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<AzureLogsIngestionConfig>(configSchema, {
    endpoint: azure.url,
    dcr_immutable_id: DCR,
    stream_name: STREAM,
    auth: { tenant_id: TENANT, client_id: CLIENT, client_secret: SECRET, authority_host: azure.url },
    sending_queue: { enabled: false },
    retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '2s' },
    ...config,
  });
  expect(azureLogsIngestionExporter.validate?.(cfg)).toEqual([]);
  exporter = azureLogsIngestionExporter.create(cfg, { id: 'azure_logs_ingestion', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  return { exporter, logger, metric: (what: 'sent' | 'send_failed') => metricValue(telemetry, `otelcol_exporter_${what}_log_records_total`, { exporter: 'azure_logs_ingestion' }) };
}

describe('azure_logs_ingestion exporter → Logs ingestion API', () => {
  it('posts rows to the DCR stream with an Entra token, gzipped', async () => {
    const { exporter, metric } = await start();
    await exporter.consume(logsBatch());
    const a = azure as FakeAzure;
    expect(a.calls[0]?.status).toBe(204);
    expect(a.calls[0]?.headers['content-encoding']).toBe('gzip');
    expect(a.rows[0]).toEqual({
      TimeGenerated: '2023-11-14T22:13:20.123456789Z',
      ObservedTime: '2023-11-14T22:13:21.987654321Z',
      SeverityText: 'INFO',
      SeverityNumber: 9,
      Body: 'order placed',
      Attributes: { 'order.id': 42 },
      Resource: expect.objectContaining({ 'service.name': 'checkout' }) as unknown,
      TraceId: TRACE_ID,
      SpanId: SPAN_ID,
      ScopeName: 'ferry-test',
    });
    expect(a.rows[1]).toMatchObject({ Body: '{"msg":"payment failed"}', SeverityText: 'ERROR' });
    expect(a.tokens).toBe(1);
    expect(await metric('sent')).toBe(2);
  });

  it('413 halves the request; 429 with Retry-After is retried; an expired token is fetched again', async () => {
    const { exporter } = await start({ compression: 'none' });
    const a = azure as FakeAzure;
    a.maxBytes = 500;
    await exporter.consume(logsBatch());
    expect(a.calls.map((c) => c.status)).toEqual([413, 204, 204]);
    a.maxBytes = 1_000_000;
    a.replies.push({ status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'throttled' } } });
    a.expireTokens();
    await exporter.consume(logsBatch());
    expect(a.calls.slice(3).map((c) => c.status)).toEqual([401, 429, 204]);
    expect(a.tokens).toBe(2);
    expect(a.rows).toHaveLength(4);
  });

  it('403 is permanent and names the role; a wrong secret is permanent and never shown', async () => {
    const { exporter } = await start();
    (azure as FakeAzure).replies.push({ status: 403, body: { error: { code: 'Forbidden', message: 'The authentication token provided does not have access to ingest data' } } });
    await expect(exporter.consume(logsBatch())).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/HTTP 403.*Monitoring Metrics Publisher/) });
    await exporter.shutdown();

    const wrong = await start({ auth: { tenant_id: TENANT, client_id: CLIENT, client_secret: 'not-the-secret', authority_host: (azure as FakeAzure).url } });
    const err = await wrong.exporter.consume(logsBatch()).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ retryable: false });
    expect((err as Error).message).toMatch(/invalid_client: AADSTS7000215/);
    expect((err as Error).message).not.toContain('not-the-secret');
    expect(JSON.stringify(wrong.logger.lines)).not.toContain('not-the-secret');
  });
});
