// The object-store and cloud exporters in the real `ferry` process, fed by the OpenTelemetry JS SDK
// over OTLP/HTTP: awss3 (s3rver behind a SigV4-checking proxy), azure_monitor (fake Application
// Insights), azure_logs_ingestion (fake Entra ID + Logs ingestion) and googlecloud (fake token,
// Logging and Trace endpoints) at once; each fake checks requests as its exporter test names.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import { freePort, waitFor } from '../helpers/index.js';
import { startFerry, writeConfig } from '../helpers/ferry.js';
import { S3RVER_CREDENTIALS, startS3 } from '../helpers/s3.js';
import { FakeAppInsights } from '../exporters/azure_monitor/server.js';
import { CLIENT, DCR, FakeAzure, SECRET, STREAM, TENANT } from '../exporters/azure_logs_ingestion/server.js';
import { FakeGoogle } from '../exporters/googlecloud/server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const IKEY = '0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const EMAIL = 'ferry@my-project.iam.gserviceaccount.com';

describe('awss3, azure_monitor, azure_logs_ingestion and googlecloud in the ferry process', () => {
  it('an SDK\'s logs and spans arrive at each backend, decoded to what was sent', async () => {
    const s3 = await startS3(['telemetry']);
    cleanups.push(() => s3.close());
    const appInsights = await FakeAppInsights.start(IKEY);
    cleanups.push(() => appInsights.close());
    const azure = await FakeAzure.start();
    cleanups.push(() => azure.close());
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const google = await FakeGoogle.start(EMAIL, publicKey);
    cleanups.push(() => google.close());
    const keyFile = join(mkdtempSync(join(tmpdir(), 'ferry-gcp-')), 'key.json');
    writeFileSync(keyFile, JSON.stringify({ type: 'service_account', project_id: 'my-project', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: EMAIL, token_uri: `${google.url}/token` }));

    const httpPort = await freePort();
    const ferry = await startFerry(
      [
        '--config',
        writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  awss3:
    s3uploader:
      s3_bucket: telemetry
      endpoint: ${s3.endpoint}
      s3_force_path_style: true
      compression: gzip
  azuremonitor:
    connection_string: InstrumentationKey=${IKEY};IngestionEndpoint=${appInsights.url}
  azure_logs_ingestion:
    endpoint: ${azure.url}
    dcr_immutable_id: ${DCR}
    stream_name: ${STREAM}
    auth:
      tenant_id: ${TENANT}
      client_id: ${CLIENT}
      client_secret: \${env:AZURE_CLIENT_SECRET}
      authority_host: ${azure.url}
  googlecloud:
    credentials_file: ${keyFile}
    log:
      endpoint: ${google.url}
    trace:
      endpoint: ${google.url}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [awss3, azuremonitor, azure_logs_ingestion, googlecloud]
    traces:
      receivers: [otlp]
      exporters: [awss3, azuremonitor, googlecloud]
`),
      ],
      { env: { AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', AZURE_CLIENT_SECRET: SECRET } },
    );
    cleanups.push(() => ferry.stop());

    const resource = resourceFromAttributes({ 'service.name': 'checkout' });
    const logs = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }) })] });
    const logger = logs.getLogger('sdk-test');
    logger.emit({ body: 'order placed', severityNumber: SeverityNumber.INFO, severityText: 'INFO', attributes: { 'order.id': 42 } });
    logger.emit({ body: 'payment failed', severityNumber: SeverityNumber.ERROR, severityText: 'ERROR' });
    await logs.shutdown();
    const traces = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces` }))] });
    traces.getTracer('sdk-test').startSpan('GET /orders', { kind: SpanKind.SERVER, attributes: { 'http.response.status_code': 200 } }).end();
    await traces.shutdown();
    const sent = ['order placed', 'payment failed'];

    // S3: objects whose OTLP/JSON holds the records and the span.
    await waitFor(async () => (await s3.objects('telemetry')).length >= 3, 'three objects in S3');
    const objects = await s3.objects('telemetry');
    const { gunzipSync } = await import('node:zlib');
    const bodies = objects
      .filter((o) => /\/logs_/.test(o.key))
      .flatMap((o) => decodeJsonExportRequest('logs', JSON.parse(gunzipSync(o.body).toString()) as unknown).flatMap((r) => r.scopeLogs.flatMap((sl) => sl.logRecords.map((l) => l.body?.stringValue))));
    expect(bodies.sort()).toEqual(sent);
    const spanNames = objects
      .filter((o) => /\/traces_/.test(o.key))
      .flatMap((o) => decodeJsonExportRequest('traces', JSON.parse(gunzipSync(o.body).toString()) as unknown).flatMap((r) => r.scopeSpans.flatMap((ss) => ss.spans.map((sp) => sp.name))));
    expect(spanNames).toEqual(['GET /orders']);

    // Application Insights: two messages and a request.
    await waitFor(() => appInsights.accepted.length >= 3, 'three envelopes at Application Insights');
    expect(appInsights.accepted.filter((e) => e.data.baseType === 'MessageData').map((e) => e.data.baseData.message).sort()).toEqual(sent);
    expect(appInsights.accepted.find((e) => e.data.baseType === 'RequestData')?.data.baseData).toMatchObject({ name: 'GET /orders', responseCode: '200', success: true });

    // Logs ingestion: two rows.
    await waitFor(() => azure.rows.length >= 2, 'two rows at the Logs ingestion API');
    expect(azure.rows.map((r) => r.Body).sort()).toEqual(sent);

    // Google: two entries and a span.
    await waitFor(() => google.entries.length >= 2 && google.spans.length >= 1, 'entries and a span at Google');
    expect(google.entries.map((e) => e.textPayload).sort()).toEqual(sent);
    expect(google.spans[0]).toMatchObject({ displayName: { value: 'GET /orders' }, spanKind: 'SERVER' });

    // The deprecated type name is accepted with a warning naming the current one; no secret is logged.
    expect(ferry.stderr()).toMatch(/azuremonitor.*azure_monitor/);
    for (const secret of [SECRET, S3RVER_CREDENTIALS.secretAccessKey, 'ya29.', 'eyJ0eXAi']) expect(ferry.stderr()).not.toContain(secret);
  });
});
