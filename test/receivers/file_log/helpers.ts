// Shared by the file_log tests: a receiver over temp files, and readers of what arrived.
import type { Host } from '../../../src/component.js';
import type { FileLogConfig, FileLogOptions } from '../../../src/receivers/file_log/index.js';
import { FileLogReceiver } from '../../../src/receivers/file_log/index.js';
import type { LogRecord } from '../../../src/pdata/types.js';
import { testContext, testHost } from '../../helpers/index.js';
import { GateConsumer } from '../stdout_markers/helpers.js';
import { attrs, plain } from '../../helpers/values.js';

export const running: FileLogReceiver[] = [];

export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((r) => r.shutdown()));
}

export async function tail(config: Partial<FileLogConfig> & { include: string[] }, host: Host = testHost, logs = new GateConsumer(), options: FileLogOptions = {}) {
  const r = new FileLogReceiver({ poll_interval: '20ms', force_flush_period: '100ms', start_at: 'beginning', ...config }, testContext('file_log'), { logs }, options);
  running.push(r);
  await r.start(host);
  return { r, logs };
}

export async function stop(r: FileLogReceiver): Promise<void> {
  running.splice(running.indexOf(r), 1);
  await r.shutdown();
}

export const bodies = (records: readonly LogRecord[]): unknown[] => records.map((r) => plain(r.body));

/** Each record as {body, attributes, severity, time} for whole-record comparisons. */
export const summary = (r: LogRecord): Record<string, unknown> => ({
  body: plain(r.body),
  attributes: attrs(r.attributes),
  severityNumber: r.severityNumber,
  severityText: r.severityText,
  time: r.timeUnixNano === undefined ? undefined : String(r.timeUnixNano),
});

export { GateConsumer, attrs, plain };
