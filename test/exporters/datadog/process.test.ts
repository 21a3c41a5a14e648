// The datadog exporter inside the real `ferry` process: `ferry validate` on a config without
// an API key, and OTLP logs sent to Ferry arriving at a fake Logs intake that checks each
// request against https://docs.datadoghq.com/api/latest/logs/#send-logs.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeExportRequest } from '../../../src/pdata/proto.js';
import type { ResourceLogs } from '../../../src/pdata/types.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { metricValue, runFerryToEnd, startFerry, writeConfig } from '../../helpers/ferry.js';
import { postOtlp } from '../../helpers/load.js';
import { errorBody, FakeIntake } from './intake.js';

const API_KEY = 'abcdef0123456789abcdef0123456789';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function logs(ids: readonly string[]): Buffer {
  const resources = [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'host.name', value: { stringValue: 'node-7' } }] },
      scopeLogs: [{ logRecords: ids.map((id) => ({ timeUnixNano: '1700000000000000000', severityText: 'WARN', body: { stringValue: id }, attributes: [] })) }],
    },
  ] as unknown as ResourceLogs[];
  return Buffer.from(encodeExportRequest('logs', resources));
}

describe('datadog exporter in the ferry process', () => {
  it('ferry validate names api.key and how to set it when the key is missing', async () => {
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  datadog:
    api:
      site: datadoghq.eu
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [datadog]
`);
    const { code, stderr } = await runFerryToEnd(['validate', '--config', config]);
    expect(code).toBe(1);
    const lines = stderr.split('\n').map((l) => l.replace(/^.*config\.yaml: /, ''));
    expect(lines).toContain('exporters.datadog.api.key: no Datadog API key is set (fix: set api.key to your Datadog API key, e.g. api: { key: ${env:DD_API_KEY} } (Organization Settings > API Keys))');
  });

  it('OTLP logs in, Datadog log entries out; a 403 later is logged without the key', async () => {
    const intake = await FakeIntake.start(API_KEY);
    cleanups.push(() => intake.close());
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  datadog:
    api:
      key: \${env:TEST_DD_API_KEY}
    logs:
      endpoint: ${intake.url}
    retry_on_failure:
      initial_interval: 20ms
      max_interval: 50ms
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [datadog]
`);
    const ferry = await startFerry(['--config', config], { env: { TEST_DD_API_KEY: API_KEY } });
    cleanups.push(() => ferry.stop());
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;

    expect((await postOtlp(`http://127.0.0.1:${httpPort}/v1/logs`, logs(['a', 'b', 'c']))).status).toBe(200);
    await waitFor(() => intake.accepted().length === 3, 'three logs at the intake');
    expect(intake.violations).toEqual([]);
    expect(intake.accepted()).toEqual(
      ['a', 'b', 'c'].map((message) => expect.objectContaining({ message, ddsource: 'otlp_log_ingestion', ddtags: 'service:checkout', hostname: 'node-7', service: 'checkout', status: 'WARN' })),
    );
    expect(intake.requests[0]?.headers['dd-api-key']).toBe(API_KEY);
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_log_records_total', { exporter: 'datadog' })) === 3, 'sent = 3');

    intake.replies.push({ status: 403, body: errorBody(403, 'Forbidden', 'API key is invalid') });
    expect((await postOtlp(`http://127.0.0.1:${httpPort}/v1/logs`, logs(['d', 'e']))).status).toBe(200);
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'datadog' })) === 2, 'send_failed = 2');
    expect(intake.requests).toHaveLength(2);
    await waitFor(() => ferry.stderr().includes('check api.key'), 'the 403 in the log');
    expect(ferry.stderr()).not.toContain(API_KEY);
  });
});
