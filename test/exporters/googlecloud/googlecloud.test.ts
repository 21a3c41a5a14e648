// The googlecloud exporter against a fake Google Cloud (server.ts names the references it checks):
// a service account key file made here, its JWT exchanged at the key's token_uri for a token,
// logs to entries.write and spans to traces.batchWrite. Keys follow the contrib googlecloudexporter.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { googleCloudExporter, type GoogleCloudConfig } from '../../../src/exporters/googlecloud/index.js';
import { configSchema } from '../../../src/exporters/googlecloud/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { SPAN_ID, PARENT_SPAN_ID, TRACE_ID, logsBatch, metricValue, recordingLogger, tracesBatch, withDefaults } from '../helper/fixtures.js';
import { FakeGoogle } from './server.js';

const EMAIL = 'ferry@my-project.iam.gserviceaccount.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let exporter: QueuedExporter | undefined;
let google: FakeGoogle | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await google?.close();
  google = undefined;
});

function keyFile(tokenUri: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ferry-gcp-')), 'key.json');
  writeFileSync(file, JSON.stringify({ type: 'service_account', project_id: 'my-project', private_key_id: 'k1', private_key: PEM, client_email: EMAIL, token_uri: tokenUri }));
  return file;
}

async function start(config: Record<string, unknown> = {}) {
  google ??= await FakeGoogle.start(EMAIL, publicKey);
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<GoogleCloudConfig>(configSchema, {
    credentials_file: keyFile(`${google.url}/token`),
    log: { endpoint: google.url },
    trace: { endpoint: google.url },
    sending_queue: { enabled: false },
    retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '2s' },
    ...config,
  });
  expect(googleCloudExporter.validate?.(cfg)).toEqual([]);
  exporter = googleCloudExporter.create(cfg, { id: 'googlecloud', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  return { exporter, logger, metric: (what: 'sent' | 'send_failed', noun = 'log_records') => metricValue(telemetry, `otelcol_exporter_${what}_${noun}_total`, { exporter: 'googlecloud' }) };
}

describe('googlecloud exporter → fake Cloud Logging and Cloud Trace', () => {
  it('writes log entries with the project of the key file, a token from its token_uri, trace correlation', async () => {
    const { exporter, metric } = await start();
    await exporter.consume(logsBatch());
    const g = google as FakeGoogle;
    expect(g.tokenRequests).toHaveLength(1);
    expect(g.requests[0]?.path).toBe('/v2/entries:write');
    expect(g.requests[0]?.headers.authorization).toBe('Bearer ya29.fake-1');
    expect(g.requests[0]?.body.partialSuccess).toBe(true);
    expect(g.entries[0]).toEqual({
      logName: 'projects/my-project/logs/opentelemetry.io%2Fcollector-exported-log',
      resource: { type: 'global', labels: { project_id: 'my-project' } },
      timestamp: '2023-11-14T22:13:20.123456789Z',
      receiveTimestamp: '2023-11-14T22:13:21.987654321Z',
      severity: 'INFO',
      textPayload: 'order placed',
      labels: { 'service.name': 'checkout', 'order.id': '42' },
      trace: `projects/my-project/traces/${TRACE_ID}`,
      traceSampled: true,
      spanId: SPAN_ID,
    });
    expect(g.entries[1]).toMatchObject({ severity: 'ERROR', jsonPayload: { msg: 'payment failed' } });
    expect(await metric('sent')).toBe(2);
    // The token is cached.
    await exporter.consume(logsBatch());
    expect(g.tokenRequests).toHaveLength(1);
  });

  it('writes spans with batchWrite', async () => {
    const { exporter, metric } = await start({ project: 'other-project' });
    await exporter.consume(tracesBatch());
    const g = google as FakeGoogle;
    expect(g.requests[0]?.path).toBe('/v2/projects/other-project/traces:batchWrite');
    expect(g.spans[0]).toMatchObject({
      name: `projects/other-project/traces/${TRACE_ID}/spans/${SPAN_ID}`,
      spanId: SPAN_ID,
      parentSpanId: PARENT_SPAN_ID,
      displayName: { value: 'POST /orders', truncatedByteCount: 0 },
      startTime: '2023-11-14T22:13:20.123456789Z',
      endTime: '2023-11-14T22:13:21.987654321Z',
      spanKind: 'SERVER',
      status: { code: 2, message: 'boom' },
      attributes: { attributeMap: { 'service.name': { stringValue: { value: 'checkout', truncatedByteCount: 0 } }, 'http.status_code': { intValue: '201' } } },
      timeEvents: { timeEvent: [{ annotation: { description: { value: 'validated' } } }] },
    });
    expect(await metric('sent', 'spans')).toBe(1);
  });

  it('partial success drops only the refused entries; 503 is retried; an expired token is fetched again', async () => {
    const { exporter, metric } = await start();
    const g = google as FakeGoogle;
    g.refuseEntry = (e) => (e.textPayload === 'order placed' ? 'Log entry too large' : undefined);
    await expect(exporter.consume(logsBatch())).rejects.toThrow(/refused 1 of 2 entries: 3 Log entry too large/);
    expect(g.entries.map((e) => e.jsonPayload)).toEqual([{ msg: 'payment failed' }]);
    expect(await metric('send_failed')).toBe(1);
    g.refuseEntry = () => undefined;

    g.replies.push({ status: 503, headers: { 'retry-after': '0' } });
    g.expireTokens();
    await exporter.consume(logsBatch());
    // 401 (expired token) → new token; 503 → retried.
    expect(g.requests.slice(1).map((r) => r.status)).toEqual([401, 503, 200]);
    expect(g.tokenRequests).toHaveLength(2);
  });

  it('a 403 is permanent and names the roles; a key the token endpoint refuses is permanent; no token in messages', async () => {
    const { exporter, logger } = await start();
    const g = google as FakeGoogle;
    g.replies.push({ status: 403, body: { error: { code: 403, status: 'PERMISSION_DENIED', message: 'Permission denied' } } });
    const err = await exporter.consume(logsBatch()).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ retryable: false });
    expect((err as Error).message).toMatch(/PERMISSION_DENIED.*roles\/logging.logWriter/);
    expect(JSON.stringify(logger.lines)).not.toContain('ya29.');
    await exporter.shutdown();

    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const file = join(mkdtempSync(join(tmpdir(), 'ferry-gcp-')), 'key.json');
    writeFileSync(file, JSON.stringify({ type: 'service_account', project_id: 'p', private_key: other, client_email: EMAIL, token_uri: `${g.url}/token` }));
    const wrong = await start({ credentials_file: file });
    await expect(wrong.exporter.consume(logsBatch())).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/invalid_grant: Invalid JWT Signature/) });
  });
});
