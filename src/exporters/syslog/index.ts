// The `syslog` exporter: each log record becomes one syslog message (RFC 5424 or RFC 3164),
// framed for TCP by octet counting or a newline, sent over TLS (the default), plain TCP or UDP.
// A batch is written in one go; a failed connection or write is retried by the helper (the
// messages written before a connection broke may then arrive twice: syslog has no ack).
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError } from '../../consumer.js';
import type { Batch, LogsBatch } from '../../pdata/batch.js';
import { loadTlsClient } from '../../config/tls-client.js';
import { networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { configSchema, validate, type SyslogConfig } from './config.js';
import { facilityCode, fields, formatRfc3164, formatRfc5424, frame } from './format.js';
import { DatagramTransport, MAX_UDP_MESSAGE, StreamTransport, type SyslogTransport } from './transport.js';

export type { SyslogConfig } from './config.js';

function createSyslogExporter(config: SyslogConfig, ctx: ComponentContext): Exporter {
  const facility = facilityCode(config.facility);
  const format = config.protocol === 'rfc3164' ? formatRfc3164 : formatRfc5424;
  const udp = config.network === 'udp';
  let transport: SyslogTransport | undefined;

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (!transport) throw networkError(new Error(`exporter ${ctx.id} is not started`));
    const now = BigInt(Date.now()) * 1_000_000n;
    const messages: Buffer[] = [];
    let tooLarge = 0;
    for (const rl of (batch as LogsBatch).resources) {
      for (const sl of rl.scopeLogs) {
        for (const record of sl.logRecords) {
          const message = format(fields(record, rl.resource?.attributes, facility, now));
          if (udp) {
            const buf = Buffer.from(message);
            if (buf.byteLength > MAX_UDP_MESSAGE) tooLarge++;
            else messages.push(buf);
          } else messages.push(Buffer.from(frame(message, config.enable_octet_counting)));
        }
      }
    }
    try {
      if (messages.length > 0) await transport.send(messages, signal);
    } catch (err) {
      throw networkError(err);
    }
    if (tooLarge > 0) throw new PermanentError(`${tooLarge} syslog messages are larger than a UDP datagram (${MAX_UDP_MESSAGE} bytes); use network: tcp`, { failedItems: tooLarge });
  }

  return createExporter(ctx, {
    signals: ['logs'],
    send,
    ...helperSettings(config),
    async start() {
      if (udp) transport = new DatagramTransport(config.endpoint, config.port);
      else transport = new StreamTransport(config.endpoint, config.port, config.tls.insecure ? undefined : await loadTlsClient(config.tls));
    },
    async shutdown() {
      transport?.close();
      transport = undefined;
    },
  });
}

export const syslogExporter: ExporterFactory<SyslogConfig> = {
  kind: 'exporter',
  type: 'syslog',
  description: 'Sends logs as syslog messages (RFC 5424 or RFC 3164) over TLS, TCP (octet counting or newline framing) or UDP.',
  signals: ['logs'],
  configSchema,
  validate,
  create: createSyslogExporter,
};
