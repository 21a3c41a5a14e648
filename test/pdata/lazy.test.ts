// Items decoded on first read (pdata/lazy.ts, request-codec.ts): what nobody reads is written back
// byte for byte; what is read, changed or replaced is encoded from the messages; bad input still fails.
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { countItems, makeBatch } from '../../src/pdata/batch.js';
import { deepClone } from '../../src/pdata/clone.js';
import { encodeJsonExportRequest } from '../../src/pdata/json.js';
import { untouchedItems } from '../../src/pdata/lazy.js';
import { splitBatch } from '../../src/pdata/merge.js';
import { OtlpDecodeError, decodeExportRequest, encodeExportRequest, requestTypes } from '../../src/pdata/proto.js';
import type { LogRecord, ResourceLogs } from '../../src/pdata/types.js';
import { makeLogs, makeMetrics, makeSpans } from './fixtures.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A request of one resource and one scope holding `records` (each the bytes of a LogRecord), built by hand. */
function logsRequest(records: Uint8Array[], scopeExtra?: (w: protobuf.Writer) => void): Buffer {
  const scope = protobuf.Writer.create();
  scope.uint32(0x0a).bytes(protobuf.Writer.create().uint32(0x0a).string('lib').finish()); // scope { name }
  for (const r of records) scope.uint32(0x12).bytes(r);
  scopeExtra?.(scope);
  const resourceLogs = protobuf.Writer.create().uint32(0x12).bytes(scope.finish()).finish();
  return Buffer.from(protobuf.Writer.create().uint32(0x0a).bytes(resourceLogs).finish());
}

/** LogRecord { severity_text = 3, body = 5 { string_value = 1 } } plus optional raw bytes. */
function record(text: string, body: string, extra: number[] = []): Uint8Array {
  const anyValue = protobuf.Writer.create().uint32(0x0a).string(body).finish();
  const w = protobuf.Writer.create().uint32(0x1a).string(text).uint32(0x2a).bytes(anyValue).finish();
  return Buffer.concat([w, Buffer.from(extra)]);
}

const scopeOf = (resources: ResourceLogs[]): object => resources[0]!.scopeLogs[0]!;

describe('items kept as bytes', () => {
  it('writes items nobody read back as they came, explicit zeros included, and counts them undecoded', () => {
    // flags = 0 written explicitly (tag 0x45, fixed32): a canonical encoder would leave it out.
    const body = logsRequest([record('INFO', 'a', [0x45, 0, 0, 0, 0]), record('WARN', 'b')]);
    const resources = decodeExportRequest('logs', body);
    expect(countItems(makeBatch('logs', resources))).toBe(2);
    expect(untouchedItems(scopeOf(resources))).toBeDefined();
    expect(hex(encodeExportRequest('logs', resources))).toBe(hex(body));
  });

  it('decodes on first read, and encodes read, changed and replaced items from the messages', () => {
    const body = logsRequest([record('INFO', 'a', [0x45, 0, 0, 0, 0]), record('WARN', 'b')]);
    const read = decodeExportRequest('logs', body);
    const records = read[0]!.scopeLogs[0]!.logRecords;
    expect(records.map((r) => r.severityText)).toEqual(['INFO', 'WARN']);
    expect(untouchedItems(scopeOf(read))).toBeUndefined();
    // Read only: the explicit zero is gone (canonical encoding), the data is the same.
    const canonical = encodeExportRequest('logs', read);
    expect(canonical.length).toBe(body.length - 5);
    expect(decodeExportRequest('logs', canonical)[0]!.scopeLogs[0]!.logRecords.map((r) => r.severityText)).toEqual(['INFO', 'WARN']);

    const changed = decodeExportRequest('logs', body);
    changed[0]!.scopeLogs[0]!.logRecords[1]!.severityText = 'ERROR';
    expect(decodeExportRequest('logs', encodeExportRequest('logs', changed))[0]!.scopeLogs[0]!.logRecords[1]!.severityText).toBe('ERROR');

    const replaced = decodeExportRequest('logs', body);
    replaced[0]!.scopeLogs[0]!.logRecords = [{ severityText: 'ONLY', attributes: [] } as LogRecord];
    const again = decodeExportRequest('logs', encodeExportRequest('logs', replaced));
    expect(again[0]!.scopeLogs[0]!.logRecords.map((r) => r.severityText)).toEqual(['ONLY']);
    expect(countItems(makeBatch('logs', replaced))).toBe(1);
  });

  it('gives a spread copy its own items, never the original bytes', () => {
    const resources = decodeExportRequest('logs', logsRequest([record('INFO', 'a'), record('WARN', 'b')]));
    const scope = resources[0]!.scopeLogs[0]!;
    const kept = { ...scope, logRecords: scope.logRecords.filter((r) => r.severityText === 'WARN') };
    const out = decodeExportRequest('logs', encodeExportRequest('logs', [{ ...resources[0]!, scopeLogs: [kept] }]));
    expect(out[0]!.scopeLogs[0]!.logRecords.map((r) => r.severityText)).toEqual(['WARN']);
  });

  it('drops fields unknown to this build on re-encoding, as a full decode does', () => {
    const withUnknown = logsRequest([record('INFO', 'a', [0x98, 0x06, 0x05])]); // field 99, varint 5
    const plain = logsRequest([record('INFO', 'a')]);
    expect(hex(encodeExportRequest('logs', decodeExportRequest('logs', withUnknown)))).toBe(hex(plain));
  });

  it('counts metric data points without decoding, the last data member of a metric winning', () => {
    const resources = makeMetrics();
    const decoded = decodeExportRequest('metrics', Buffer.from(encodeExportRequest('metrics', resources)));
    expect(untouchedItems(decoded[0]!.scopeMetrics[0]!)).toBeDefined();
    expect(countItems(makeBatch('metrics', decoded))).toBe(countItems(makeBatch('metrics', resources)));
    // A Metric with a gauge of 2 points and then a sum of 1 point: a oneof keeps the sum.
    const point = protobuf.Writer.create().uint32(0x21).double(1).finish(); // NumberDataPoint { as_double }
    const gauge = protobuf.Writer.create().uint32(0x0a).bytes(point).uint32(0x0a).bytes(point).finish();
    const sum = protobuf.Writer.create().uint32(0x0a).bytes(point).finish();
    const metric = protobuf.Writer.create().uint32(0x0a).string('m').uint32(0x2a).bytes(gauge).uint32(0x3a).bytes(sum).finish();
    const scope = protobuf.Writer.create().uint32(0x12).bytes(metric).finish();
    const body = protobuf.Writer.create().uint32(0x0a).bytes(protobuf.Writer.create().uint32(0x12).bytes(scope).finish()).finish();
    const lazy = decodeExportRequest('metrics', Buffer.from(body));
    expect(countItems(makeBatch('metrics', lazy))).toBe(1);
    const m = lazy[0]!.scopeMetrics[0]!.metrics[0]!;
    expect(m.sum?.dataPoints).toHaveLength(1);
    expect(m.gauge).toBeNull();
  });

  it('round-trips every signal through clone, JSON, split and re-encoding like fully decoded data', () => {
    for (const [signal, resources] of [
      ['logs', makeLogs(7, { resources: 2 })],
      ['traces', makeSpans(5, { resources: 2 })],
      ['metrics', makeMetrics()],
    ] as const) {
      const bytes = Buffer.from(encodeExportRequest(signal, resources as never));
      const lazy = decodeExportRequest(signal, bytes);
      expect(hex(encodeExportRequest(signal, lazy)), signal).toBe(hex(bytes));
      expect(encodeJsonExportRequest(signal, decodeExportRequest(signal, bytes)), signal).toBe(encodeJsonExportRequest(signal, resources as never));
      expect(hex(encodeExportRequest(signal, deepClone(signal, decodeExportRequest(signal, bytes)))), signal).toBe(hex(bytes));
      const batch = makeBatch(signal, decodeExportRequest(signal, bytes) as never);
      const [head, rest] = splitBatch(batch, 3);
      expect(countItems(head) + countItems(rest), signal).toBe(countItems(batch));
    }
  });

  it('appends the items of many requests in one request by reference', () => {
    const a = decodeExportRequest('logs', logsRequest([record('A', '1')]));
    const b = decodeExportRequest('logs', logsRequest([record('B', '2'), record('C', '3')]));
    const out = decodeExportRequest('logs', encodeExportRequest('logs', [...a, ...b]));
    expect(out.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((lr) => lr.severityText)))).toEqual(['A', 'B', 'C']);
  });
});

describe('items kept as bytes are still checked when received', () => {
  const refuse = (body: Uint8Array, why: RegExp): void => {
    expect(() => decodeExportRequest('logs', body)).toThrow(OtlpDecodeError);
    expect(() => decodeExportRequest('logs', body)).toThrow(why);
  };

  it('refuses invalid UTF-8 in a string deep inside an item', () => {
    const bad = record('INFO', 'ok');
    const body = Buffer.from(logsRequest([bad]));
    body[body.lastIndexOf('ok') + 1] = 0xff;
    refuse(body, /not valid for encoding utf-8/);
    const long = Buffer.from(logsRequest([record('INFO', 'x'.repeat(300))]));
    long[long.lastIndexOf('x')] = 0xc3; // a lead byte with no continuation, in a string past the fast path
    refuse(long, /not valid for encoding utf-8/);
  });

  it('refuses a length past its message and nesting past the recursion limit', () => {
    refuse(logsRequest([Buffer.from([0x2a, 0x10, 0x0a, 0x01])]), /index out of range/); // body longer than the record
    // AnyValue { array_value { values [ AnyValue { array_value … } ] } }, 200 levels deep.
    let v: Uint8Array = protobuf.Writer.create().uint32(0x0a).string('deep').finish();
    for (let i = 0; i < 200; i++) v = protobuf.Writer.create().uint32(0x2a).bytes(protobuf.Writer.create().uint32(0x0a).bytes(v).finish()).finish();
    refuse(logsRequest([protobuf.Writer.create().uint32(0x2a).bytes(v).finish()]), /max depth exceeded/);
  });

  it('skips known fields with the wrong wire type as unknown, as protobufjs does', () => {
    // body (a message) as a varint: skipped, and so dropped when re-encoded.
    const body = logsRequest([record('INFO', 'a', [0x28, 0x07])]);
    const resources = decodeExportRequest('logs', body);
    expect(resources[0]!.scopeLogs[0]!.logRecords[0]!.body?.stringValue).toBe('a');
    expect(hex(encodeExportRequest('logs', decodeExportRequest('logs', body)))).toBe(hex(logsRequest([record('INFO', 'a')])));
  });

  it('names the request type and the byte where decoding stopped', () => {
    expect(() => decodeExportRequest('logs', Buffer.from([0x0a, 0x05, 0x12, 0x03, 0x12, 0x7f]))).toThrow(
      new RegExp(`invalid protobuf ${requestTypes.logs.name}: .+ \\(at byte \\d+ of 6\\)`),
    );
  });
});
