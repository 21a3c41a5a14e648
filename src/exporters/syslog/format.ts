// Log records as syslog messages: RFC 5424 (<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG)
// and RFC 3164 (<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG), with the fields the contrib
// syslogexporter reads from record attributes (priority, hostname, appname, proc_id, msg_id,
// structured_data, message) and, when absent, from the record itself and its resource.
import type { AnyValue, KeyValue, LogRecord } from '../../pdata/types.js';
import { int64BigInt, valueAsString, valueType } from '../../pdata/value.js';
import { FACILITIES, type Facility } from './config.js';

/** OTel severity number ranges (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) → syslog severities. */
export function syslogSeverity(severityNumber: number | undefined): number {
  const n = severityNumber ?? 0;
  if (n <= 0) return 5; // notice: the contrib's default priority 165 is local4.notice
  if (n <= 8) return 7; // trace, debug
  if (n <= 12) return 6; // info
  if (n <= 16) return 4; // warning
  if (n <= 20) return 3; // error
  return 2; // fatal → critical
}

export function facilityCode(f: Facility): number {
  return FACILITIES.indexOf(f);
}

const find = (kvs: readonly KeyValue[] | undefined, key: string): AnyValue | null | undefined => kvs?.find((kv) => kv.key === key)?.value;
const text = (v: AnyValue | null | undefined): string | undefined => (valueType(v) === 'Empty' ? undefined : valueAsString(v));

/** PRINTUSASCII without spaces (RFC 5424 §6), cut to `max`; "-" (NILVALUE) when empty. */
function header(value: string | undefined, max: number): string {
  const cleaned = (value ?? '').replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return cleaned === '' ? '-' : cleaned;
}

/** SD-NAME: printable ASCII except = space ] " (RFC 5424 §6.3.2), at most 32 characters. */
function sdName(name: string): string {
  return name.replace(/[^\x21-\x7e]|[= \]"]/g, '_').slice(0, 32) || '_';
}

/** PARAM-VALUE escapes: \ " and ] (RFC 5424 §6.3.3). */
function sdValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** The structured_data attribute ({sd-id: {param: value}}) as SD-ELEMENTs; "-" when absent. */
export function structuredData(v: AnyValue | null | undefined): string {
  if (valueType(v) !== 'Map') return '-';
  const elements: string[] = [];
  for (const element of v?.kvlistValue?.values ?? []) {
    const params = valueType(element.value) === 'Map' ? (element.value?.kvlistValue?.values ?? []) : [];
    elements.push(`[${sdName(element.key)}${params.map((p) => ` ${sdName(p.key)}="${sdValue(valueAsString(p.value))}"`).join('')}]`);
  }
  return elements.length > 0 ? elements.join('') : '-';
}

/** RFC 3339 UTC with at most 6 fraction digits (RFC 5424 TIME-SECFRAC), trailing zeros trimmed. */
export function rfc5424Time(nanos: bigint): string {
  const ms = nanos / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString().slice(0, 19);
  const micros = ((nanos % 1_000_000_000n) / 1000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${iso}${micros ? `.${micros}` : ''}Z`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3164 TIMESTAMP, UTC: "Mmm dd hh:mm:ss", the day padded with a space. */
export function rfc3164Time(nanos: bigint): string {
  const d = new Date(Number(nanos / 1_000_000n));
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export interface SyslogFields {
  readonly priority: number;
  readonly time: bigint;
  readonly hostname: string | undefined;
  readonly appname: string | undefined;
  readonly procId: string | undefined;
  readonly msgId: string | undefined;
  readonly structuredData: string;
  readonly message: string;
}

/** The syslog fields of a record: its attributes first (as the contrib reads them), then the record and its resource. */
export function fields(record: LogRecord, resource: readonly KeyValue[] | undefined, facility: number, now: bigint): SyslogFields {
  const attrs = record.attributes;
  const priorityAttr = find(attrs, 'priority');
  const priority =
    valueType(priorityAttr) === 'Int' ? Number(int64BigInt(priorityAttr?.intValue)) : facility * 8 + syslogSeverity(record.severityNumber);
  const ts = int64BigInt(record.timeUnixNano);
  const observed = int64BigInt(record.observedTimeUnixNano);
  return {
    priority: priority >= 0 && priority <= 191 ? priority : facility * 8 + syslogSeverity(record.severityNumber),
    time: ts !== 0n ? ts : observed !== 0n ? observed : now,
    hostname: text(find(attrs, 'hostname')) ?? text(find(resource, 'host.name')),
    appname: text(find(attrs, 'appname')) ?? text(find(resource, 'service.name')),
    procId: text(find(attrs, 'proc_id')) ?? text(find(resource, 'process.pid')),
    msgId: text(find(attrs, 'msg_id')),
    structuredData: structuredData(find(attrs, 'structured_data')),
    message: text(find(attrs, 'message')) ?? valueAsString(record.body),
  };
}

export function formatRfc5424(f: SyslogFields): string {
  return `<${f.priority}>1 ${rfc5424Time(f.time)} ${header(f.hostname, 255)} ${header(f.appname, 48)} ${header(f.procId, 128)} ${header(f.msgId, 32)} ${f.structuredData}${f.message === '' ? '' : ` ${f.message}`}`;
}

export function formatRfc3164(f: SyslogFields): string {
  const tag = f.appname ? `${header(f.appname, 32)}${f.procId ? `[${header(f.procId, 16)}]` : ''}: ` : '';
  return `<${f.priority}>${rfc3164Time(f.time)} ${header(f.hostname, 255)} ${tag}${f.message}`;
}

/**
 * RFC 6587 framing on TCP: octet counting ("LEN SP MSG"), or a trailing newline; with newline
 * framing a line break inside the message would end it early, so it is sent as a space.
 */
export function frame(message: string, octetCounting: boolean): string {
  return octetCounting ? `${Buffer.byteLength(message)} ${message}` : `${message.replace(/\r?\n/g, ' ')}\n`;
}
