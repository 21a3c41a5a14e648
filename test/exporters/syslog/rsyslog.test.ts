// The syslog exporter against a real rsyslogd (Debian's rsyslog + rsyslog-gnutls, started by
// test/helpers/rsyslog.ts with its own config), over plain TCP with octet counting and with
// newline framing, over TLS (a certificate made for the test) and over UDP; rsyslog parses each
// message (RFC 5424 or RFC 3164) and writes its facility, severity, app name, hostname, procid,
// msgid, time, structured data and message to a file, which the tests read.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { syslogExporter, type SyslogConfig } from '../../../src/exporters/syslog/index.js';
import { configSchema } from '../../../src/exporters/syslog/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { makeBatch, type LogsBatch } from '../../../src/pdata/batch.js';
import type { KeyValue, LogRecord } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost, waitFor } from '../../helpers/index.js';
import { rsyslogAvailable, startRsyslog, type Rsyslog } from '../../helpers/rsyslog.js';
import { metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { str } from '../../helpers/values.js';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { freePort } from '../../helpers/index.js';
import { startFerry, writeConfig } from '../../helpers/ferry.js';

const available = rsyslogAvailable();
let exporter: QueuedExporter | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
});

async function start(config: Record<string, unknown>) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const cfg = withDefaults<SyslogConfig>(configSchema, { endpoint: '127.0.0.1', sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '1s' }, ...config });
  expect(syslogExporter.validate?.(cfg)).toEqual([]);
  exporter = syslogExporter.create(cfg, { id: 'syslog', kind: 'exporter', logger: recordingLogger(), telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  return { exporter, metric: (what: 'sent' | 'send_failed') => metricValue(telemetry, `otelcol_exporter_${what}_log_records_total`, { exporter: 'syslog' }) };
}

const int = (key: string, n: number): KeyValue => ({ key, value: { intValue: n } });
const T = '1700000000123456789';

function batch(records: Array<Partial<LogRecord>>, resource: KeyValue[] = [str('service.name', 'checkout'), str('host.name', 'web-1'), int('process.pid', 4242)]): LogsBatch {
  return makeBatch('logs', [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: 's', attributes: [] }, logRecords: records.map((r) => ({ attributes: [], timeUnixNano: T, ...r })) }] }]);
}

describe.skipIf(!available)('syslog exporter → rsyslog', () => {
  let rsyslog: Rsyslog;
  beforeAll(async () => {
    rsyslog = await startRsyslog();
  });
  afterAll(async () => {
    await rsyslog?.stop();
  });

  it('RFC 5424 over TCP with octet counting: priority from the severity, app and host from the resource, structured data, a multi-line message', async () => {
    const { exporter, metric } = await start({ port: rsyslog.tcpPort, tls: { insecure: true }, enable_octet_counting: true, facility: 'local3' });
    await exporter.consume(
      batch([
        { body: { stringValue: 'order placed' }, severityNumber: 9 },
        {
          body: { stringValue: 'payment failed\nretrying' },
          severityNumber: 17,
          attributes: [
            str('msg_id', 'PAY1'),
            { key: 'structured_data', value: { kvlistValue: { values: [{ key: 'shop@32473', value: { kvlistValue: { values: [str('order', '42'), str('note', 'a "quoted" ] value')] } } }] } } },
          ],
        },
        { body: { stringValue: 'from attributes' }, attributes: [int('priority', 34), str('appname', 'su'), str('hostname', 'mymachine'), str('proc_id', '7')] },
      ]),
    );
    await waitFor(() => rsyslog.lines('tcp').length === 3, 'rsyslog wrote 3 lines');
    const [a, b, c] = rsyslog.lines('tcp');
    expect(a).toEqual({ facility: '19', severity: '6', app: 'checkout', hostname: 'web-1', procid: '4242', msgid: '-', time: '2023-11-14T22:13:20.123456Z', sd: '-', msg: 'order placed' });
    expect(b).toMatchObject({ facility: '19', severity: '3', msgid: 'PAY1', sd: '[shop@32473 order="42" note="a \\"quoted\\" \\] value"]' });
    // Octet counting keeps the line break inside the message (rsyslog escapes it as #012 on disk).
    expect(b?.msg).toBe('payment failed#012retrying');
    expect(c).toMatchObject({ facility: '4', severity: '2', app: 'su', hostname: 'mymachine', procid: '7', msg: 'from attributes' });
    expect(await metric('sent')).toBe(3);
  });

  it('RFC 3164 over TLS with newline framing, verified against the server\'s certificate', async () => {
    const { exporter } = await start({ endpoint: 'localhost', port: rsyslog.tlsPort, protocol: 'rfc3164', tls: { ca_file: rsyslog.caFile } });
    await exporter.consume(batch([{ body: { stringValue: 'tls line one' }, severityNumber: 13 }, { body: { stringValue: 'two\nlines' }, severityNumber: 5 }]));
    await waitFor(() => rsyslog.lines('tls').length === 2, 'rsyslog wrote 2 lines');
    const [a, b] = rsyslog.lines('tls');
    // RFC 3164's MSG starts after "TAG:", so rsyslog keeps the space that follows the colon.
    expect(a).toMatchObject({ facility: '20', severity: '4', app: 'checkout', hostname: 'web-1', procid: '4242', msg: ' tls line one' });
    expect(a?.time).toMatch(/^\d{4}-11-14T22:13:20/);
    // Newline framing: the line break would end the message, so it travels as a space.
    expect(b).toMatchObject({ severity: '7', msg: ' two lines' });
  });

  it('UDP: one datagram per message', async () => {
    const { exporter, metric } = await start({ port: rsyslog.udpPort, network: 'udp' });
    await exporter.consume(batch(Array.from({ length: 5 }, (_, i) => ({ body: { stringValue: `udp ${i}` }, severityNumber: 9 }))));
    await waitFor(() => rsyslog.lines('udp').length === 5, 'rsyslog wrote 5 lines');
    expect(rsyslog.lines('udp').map((l) => [l.app, l.severity, l.msg])).toEqual(Array.from({ length: 5 }, (_, i) => ['checkout', '6', `udp ${i}`]));
    expect(await metric('sent')).toBe(5);
  });

  it('a certificate the client does not trust is refused, and the batch goes back as retryable', async () => {
    const { exporter, metric } = await start({ endpoint: 'localhost', port: rsyslog.tlsPort, retry_on_failure: { enabled: false } });
    const err = await exporter.consume(batch([{ body: { stringValue: 'never' } }])).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ retryable: true });
    expect((err as Error).message).toMatch(/self-signed|certificate/i);
    expect(await metric('send_failed')).toBe(1);
  });

  it('in the ferry process: an SDK\'s logs reach rsyslog over TLS as RFC 5424 with octet counting', async () => {
    const httpPort = await freePort();
    const ferry = await startFerry([
      '--config',
      writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  syslog:
    endpoint: localhost
    port: ${rsyslog.tlsPort}
    enable_octet_counting: true
    facility: user
    tls:
      ca_file: ${rsyslog.caFile}
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [syslog]
`),
    ]);
    try {
      const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'sdk-app', 'host.name': 'box-9' }), processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }) })] });
      const logger = provider.getLogger('sdk-test');
      logger.emit({ body: 'sdk warn', severityNumber: SeverityNumber.WARN, attributes: { msg_id: 'SDK1' } });
      logger.emit({ body: 'sdk error', severityNumber: SeverityNumber.ERROR });
      await provider.shutdown();
      await waitFor(() => rsyslog.lines('tls').some((l) => l.msg === 'sdk error'), 'the SDK lines reached rsyslog');
      const lines = rsyslog.lines('tls').filter((l) => l.app === 'sdk-app');
      expect(lines.map((l) => [l.facility, l.severity, l.hostname, l.msgid, l.msg])).toEqual([
        ['1', '4', 'box-9', 'SDK1', 'sdk warn'],
        ['1', '3', 'box-9', '-', 'sdk error'],
      ]);
    } finally {
      await ferry.stop();
    }
  });
});
