// awscloudwatchlogs through the real collector: an OpenTelemetry SDK client sends OTLP to a
// `ferry` process whose exporter writes to the local CloudWatch Logs endpoint (server.ts), and
// `ferry validate` reports a missing log group name with its path and fix.
// References:
//   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
//   https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/awscloudwatchlogsexporter
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { freePort, waitFor } from '../../helpers/index.js';
import { metricValue, runFerryToEnd, startFerry, writeConfig, type FerryProcess } from '../../helpers/ferry.js';
import { CloudWatchLogsPeer } from './server.js';
import { ACCESS_KEY_ID, AWS_ENV, REGION, SECRET_ACCESS_KEY } from './helpers.js';

// Only our credentials reach the child: no profile, region or endpoint from the developer's shell.
const CHILD_ENV: NodeJS.ProcessEnv = { ...AWS_ENV, AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '', AWS_SESSION_TOKEN: '' };

describe('awscloudwatchlogs in a running ferry', () => {
  let peer: CloudWatchLogsPeer;
  let ferry: FerryProcess | undefined;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    peer = await CloudWatchLogsPeer.start({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION });
    ports.otlp = await freePort();
    ports.metrics = await freePort();
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.otlp}
processors:
  batch:
    timeout: 100ms
exporters:
  awscloudwatchlogs:
    log_group_name: /ferry/e2e
    log_stream_name: sdk-client
    region: ${REGION}
    endpoint: ${peer.url}
    log_retention: 14
    retry_on_failure:
      initial_interval: 50ms
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${ports.metrics}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [awscloudwatchlogs]
`);
    ferry = await startFerry(['--config', config], { env: CHILD_ENV });
  });

  afterAll(async () => {
    await ferry?.stop();
    await peer.close();
  });

  it('delivers log records from an OTLP client as CloudWatch events, creating the group and stream', async () => {
    const exporter = new OTLPLogExporter({ url: `http://127.0.0.1:${ports.otlp}/v1/logs` });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'e2e-cwl', 'deployment.environment': 'ci' }),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('e2e-logger', '0.0.1');
    const now = Date.now();
    for (let i = 0; i < 5; i++) {
      logger.emit({ body: `order ${i} placed`, severityNumber: SeverityNumber.INFO, severityText: 'INFO', timestamp: now - (5 - i) * 1000, attributes: { 'order.id': i, 'order.paid': i % 2 === 0 } });
    }
    await provider.forceFlush();
    await provider.shutdown();

    await waitFor(() => peer.events('/ferry/e2e', 'sdk-client').length === 5, 'five events in CloudWatch');
    const events = peer.events('/ferry/e2e', 'sdk-client');
    expect(events.map((e) => e.timestamp)).toEqual([0, 1, 2, 3, 4].map((i) => now - (5 - i) * 1000));
    expect(JSON.parse(events[2]?.message ?? '{}')).toEqual({
      body: 'order 2 placed',
      severity_number: 9,
      severity_text: 'INFO',
      attributes: { 'order.id': 2, 'order.paid': true },
      scope: { name: 'e2e-logger', version: '0.0.1' },
      resource: expect.objectContaining({ 'service.name': 'e2e-cwl', 'deployment.environment': 'ci' }),
    });
    expect(peer.calls('CreateLogGroup')).toHaveLength(1);
    expect(peer.groups.get('/ferry/e2e')?.retentionInDays).toBe(14);
    expect(peer.violations).toEqual([]);
    const metrics = `http://127.0.0.1:${ports.metrics}/metrics`;
    await waitFor(async () => (await metricValue(metrics, 'otelcol_exporter_sent_log_records_total', { exporter: 'awscloudwatchlogs' })) === 5, 'sent count');
    expect(await metricValue(metrics, 'otelcol_exporter_send_failed_log_records_total', { exporter: 'awscloudwatchlogs' })).toBe(0);
  });
});

describe('awscloudwatchlogs and ferry validate', () => {
  it('reports a missing log_group_name with its path and the fix', async () => {
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  awscloudwatchlogs:
    log_stream_name: web-1
    region: us-east-1
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [awscloudwatchlogs]
`);
    const { code, stdout, stderr } = await runFerryToEnd(['validate', '--config', config]);
    expect(code).not.toBe(0);
    const out = stdout + stderr;
    expect(out).toContain('exporters.awscloudwatchlogs.log_group_name');
    expect(out).toContain('is required');
    expect(out).toContain('set log_group_name (e.g. log_group_name: /ferry/app)');
  });

  it('loads the AWS SDK only when the exporter starts (no static import in the build)', () => {
    const dir = new URL('../../../dist/exporters/awscloudwatchlogs/', import.meta.url);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      const js = readFileSync(new URL(file, dir), 'utf8');
      expect(js, file).not.toMatch(/^import\s[^;]*['"]@aws-sdk\//m);
    }
    expect(readFileSync(new URL('client.js', dir), 'utf8')).toContain("await import('@aws-sdk/client-cloudwatch-logs')");
  });
});
