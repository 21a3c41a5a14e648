// The splunk_hec exporter inside the real `ferry` process: `ferry validate` on a config without
// a token, and OTLP logs and metrics sent to Ferry arriving at a fake HTTP Event Collector that
// checks each request against https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeExportRequest } from '../../../src/pdata/proto.js';
import type { ResourceLogs, ResourceMetrics } from '../../../src/pdata/types.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { metricValue, runFerryToEnd, startFerry, writeConfig } from '../../helpers/ferry.js';
import { postOtlp } from '../../helpers/load.js';
import { FakeHec, hecReply } from './hec.js';

const TOKEN = '99999999-8888-7777-6666-555555555555';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const resource = { attributes: [{ key: 'host.name', value: { stringValue: 'node-7' } }, { key: 'com.splunk.index', value: { stringValue: 'apps' } }] };

function logs(ids: readonly string[]): Buffer {
  const resources = [{ resource, scopeLogs: [{ logRecords: ids.map((id) => ({ timeUnixNano: '1700000000250000000', body: { stringValue: id }, attributes: [] })) }] }] as unknown as ResourceLogs[];
  return Buffer.from(encodeExportRequest('logs', resources));
}

function metrics(): Buffer {
  const resources = [
    { resource, scopeMetrics: [{ metrics: [{ name: 'queue.depth', gauge: { dataPoints: [{ timeUnixNano: '1700000000250000000', asInt: 7, attributes: [{ key: 'queue', value: { stringValue: 'orders' } }] }] } }] }] },
  ] as unknown as ResourceMetrics[];
  return Buffer.from(encodeExportRequest('metrics', resources));
}

describe('splunk_hec exporter in the ferry process', () => {
  it('ferry validate names the token and how to set it when it is missing', async () => {
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  splunk_hec:
    endpoint: https://splunk:8088/services/collector
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [splunk_hec]
`);
    const { code, stderr } = await runFerryToEnd(['validate', '--config', config]);
    expect(code).toBe(1);
    const lines = stderr.split('\n').map((l) => l.replace(/^.*config\.yaml: /, ''));
    expect(lines).toContain(
      'exporters.splunk_hec.token: no HEC token is set (fix: set token to the HEC token Splunk generated, e.g. token: ${env:SPLUNK_HEC_TOKEN} (Settings > Data inputs > HTTP Event Collector))',
    );
  });

  it('OTLP logs and metrics in, HEC events out; a refused token is logged without the token', async () => {
    const hec = await FakeHec.start(TOKEN);
    cleanups.push(() => hec.close());
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  splunk_hec:
    endpoint: ${hec.url}
    token: \${env:TEST_HEC_TOKEN}
    sourcetype: otel
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
      exporters: [splunk_hec]
    metrics:
      receivers: [otlp]
      exporters: [splunk_hec]
`);
    const ferry = await startFerry(['--config', config], { env: { TEST_HEC_TOKEN: TOKEN } });
    cleanups.push(() => ferry.stop());
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const otlp = `http://127.0.0.1:${httpPort}`;

    expect((await postOtlp(`${otlp}/v1/logs`, logs(['a', 'b']))).status).toBe(200);
    expect((await postOtlp(`${otlp}/v1/metrics`, metrics())).status).toBe(200);
    await waitFor(() => hec.accepted().length === 3, 'three events at the HEC');
    expect(hec.violations).toEqual([]);
    const events = hec.accepted();
    expect(events.filter((e) => e.event !== 'metric')).toEqual([
      { time: 1700000000.25, host: 'node-7', sourcetype: 'otel', index: 'apps', event: 'a' },
      { time: 1700000000.25, host: 'node-7', sourcetype: 'otel', index: 'apps', event: 'b' },
    ]);
    expect(events.find((e) => e.event === 'metric')).toEqual({
      time: 1700000000.25,
      host: 'node-7',
      sourcetype: 'otel',
      index: 'apps',
      event: 'metric',
      fields: { queue: 'orders', 'metric_name:queue.depth': 7, metric_type: 'Gauge' },
    });
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_log_records_total', { exporter: 'splunk_hec' })) === 2, 'sent log records = 2');
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_sent_metric_points_total', { exporter: 'splunk_hec' })) === 1, 'sent metric points = 1');

    hec.replies.push({ status: 403, body: hecReply('Token disabled', 1) });
    expect((await postOtlp(`${otlp}/v1/logs`, logs(['c']))).status).toBe(200);
    await waitFor(async () => (await metricValue(metricsUrl, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'splunk_hec' })) === 1, 'send_failed = 1');
    await waitFor(() => ferry.stderr().includes('the HEC token was refused'), 'the 403 in the log');
    expect(ferry.stderr()).not.toContain(TOKEN);
  });
});
