// Helpers for the OTTL tests: run statements on one log record (or span, data point), and read
// values back with their OTTL types visible (ints as bigint, doubles as number, bytes as hex).
import { compileStatement } from '../../src/ottl/index.js';
import type { ContextName, TCtx } from '../../src/ottl/index.js';
import type { AnyValue, KeyValue, LogRecord, ResourceLogs } from '../../src/pdata/types.js';
import { int64String, isSet } from '../../src/pdata/value.js';

export type Typed = string | boolean | bigint | number | null | { bytes: string } | Typed[] | { [k: string]: Typed };

export function typed(v: AnyValue | null | undefined): Typed {
  if (!v) return null;
  if (isSet(v, 'stringValue')) return v.stringValue as string;
  if (isSet(v, 'boolValue')) return v.boolValue as boolean;
  if (isSet(v, 'intValue')) return BigInt(int64String(v.intValue));
  if (isSet(v, 'doubleValue')) return v.doubleValue as number;
  if (isSet(v, 'arrayValue')) return (v.arrayValue?.values ?? []).map(typed);
  if (isSet(v, 'kvlistValue')) return typedMap(v.kvlistValue?.values ?? []);
  if (isSet(v, 'bytesValue')) return { bytes: Buffer.from(v.bytesValue as Uint8Array).toString('hex') };
  return null;
}
export function typedMap(kvs: readonly KeyValue[]): { [k: string]: Typed } {
  return Object.fromEntries(kvs.map((kv) => [kv.key, typed(kv.value)]));
}

/** A typed JS value as an AnyValue (bigint → int, number → double). */
export function anyOf(v: Typed): AnyValue {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: Number(v) };
  if (typeof v === 'number') return { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyOf) } };
  if ('bytes' in v && typeof v.bytes === 'string' && Object.keys(v).length === 1) return { bytesValue: new Uint8Array(Buffer.from(v.bytes, 'hex')) };
  return { kvlistValue: { values: kvsOf(v as { [k: string]: Typed }) } };
}
export function kvsOf(o: { [k: string]: Typed }): KeyValue[] {
  return Object.entries(o).map(([key, v]) => ({ key, value: anyOf(v) }));
}

/** A log record in its resource and scope, with the TCtx for it. */
export function logItem(record: Partial<LogRecord> = {}, resource: { [k: string]: Typed } = {}): { rl: ResourceLogs; log: LogRecord; ctx: TCtx } {
  const log: LogRecord = { attributes: [], ...record };
  const rl: ResourceLogs = { resource: { attributes: kvsOf(resource) }, scopeLogs: [{ scope: { name: 'scope', attributes: [] }, logRecords: [log] }] };
  return { rl, log, ctx: { resources: rl, scopes: rl.scopeLogs[0], log } };
}

/** Run statements (log context by default) on a fresh log record with these attributes and body. */
export function runOnLog(statements: string[], attributes: { [k: string]: Typed } = {}, body?: Typed, context: ContextName = 'log') {
  const item = logItem({ attributes: kvsOf(attributes), body: body === undefined ? undefined : anyOf(body) });
  for (const s of statements) compileStatement(s, context).run(item.ctx);
  return { attributes: typedMap(item.log.attributes), body: typed(item.log.body), log: item.log, resource: typedMap(item.rl.resource?.attributes ?? []) };
}

/** The value of a converter expression (through set(attributes["out"], …)), typed. */
export function evaluate(expr: string, attributes: { [k: string]: Typed } = {}, body?: Typed): Typed | undefined {
  const r = runOnLog([`set(attributes["out"], ${expr})`], attributes, body);
  return 'out' in r.attributes ? r.attributes.out : undefined;
}
