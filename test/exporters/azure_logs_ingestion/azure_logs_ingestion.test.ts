// The azure_logs_ingestion exporter against a fake Microsoft Entra token endpoint and a fake Logs
// ingestion endpoint, each checking requests as documented:
// - Entra ID client credentials (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
//   POST /{tenant}/oauth2/v2.0/token, form grant_type=client_credentials, client_id, client_secret,
//   scope=https://monitor.azure.com//.default; answers {token_type, expires_in, access_token}.
// - Logs ingestion API (https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview#rest-api-call):
//   POST {endpoint}/dataCollectionRules/{dcrImmutableId}/streams/{streamName}?api-version=2023-01-01,
//   Authorization: Bearer, Content-Type application/json, optional Content-Encoding gzip, a JSON array
//   of at most 1 MB; answers 204, or an error {"error":{"code","message"}} (413, 429 + Retry-After, 403 …).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { azureLogsIngestionExporter, type AzureLogsIngestionConfig } from '../../../src/exporters/azure_logs_ingestion/index.js';
import { configSchema } from '../../../src/exporters/azure_logs_ingestion/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { SPAN_ID, TRACE_ID, logsBatch, metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const SECRET = 'entra-client-secret-value';
const DCR = 'dcr-00000000000000000000000000000000';
const STREAM = 'Custom-FerryLogs_CL';

interface Call {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rows: Array<Record<string, unknown>>;
  readonly status: number;
}

class FakeAzure {
  readonly calls: Call[] = [];
  readonly rows: Array<Record<string, unknown>> = [];
  readonly replies: Array<{ status: number; headers?: Record<string, string>; body?: unknown }> = [];
  tokens = 0;
  maxBytes = 1_000_000;
  url = '';
  private issued = new Set<string>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (req.url === `/${TENANT}/oauth2/v2.0/token`) {
        const form = new URLSearchParams(raw.toString());
        if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return send(400, { error: 'invalid_request', error_description: 'AADSTS900144: form body expected' });
        if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://monitor.azure.com//.default') return send(400, { error: 'invalid_request', error_description: 'AADSTS90014: bad grant or scope' });
        if (form.get('client_id') !== CLIENT || form.get('client_secret') !== SECRET) return send(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        const token = `eyJ0eXAi.fake.${++this.tokens}`;
        this.issued.add(token);
        return send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString();
      let rows: Array<Record<string, unknown>> = [];
      const record = (status: number): void => {
        this.calls.push({ path: `${url.pathname}${url.search}`, headers: req.headers, rows, status });
      };
      if (req.method !== 'POST' || url.pathname !== `/dataCollectionRules/${DCR}/streams/${STREAM}` || url.searchParams.get('api-version') !== '2023-01-01') {
        record(404);
        return send(404, { error: { code: 'NotFound', message: 'Data collection rule or stream not found' } });
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !this.issued.has(bearer)) {
        record(401);
        return send(401, { error: { code: 'InvalidToken', message: 'The token is invalid or expired' } });
      }
      if (raw.byteLength > this.maxBytes) {
        record(413);
        return send(413, { error: { code: 'ContentLengthLimitExceeded', message: 'Maximum request size of 1 MB exceeded' } });
      }
      try {
        rows = JSON.parse(body) as Array<Record<string, unknown>>;
        if (!Array.isArray(rows) || rows.some((r) => Number.isNaN(Date.parse(String(r.TimeGenerated))))) throw new Error('each row needs TimeGenerated');
      } catch (err) {
        record(400);
        return send(400, { error: { code: 'InvalidPayload', message: (err as Error).message } });
      }
      const scripted = this.replies.shift();
      if (scripted) {
        record(scripted.status);
        return send(scripted.status, scripted.body, scripted.headers);
      }
      this.rows.push(...rows);
      record(204);
      send(204);
    });
  });

  static async start(): Promise<FakeAzure> {
    const f = new FakeAzure();
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  expireTokens(): void {
    this.issued = new Set();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

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
