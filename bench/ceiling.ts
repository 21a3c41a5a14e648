// The ceiling: how many items per CPU-second this machine decodes and re-encodes with Ferry's
// own codecs, in one process with no transport: the bound Ferry's throughput is a fraction of.
import { gzipSync } from 'node:zlib';
import type { ResourcesOf, Signal } from '../src/pdata/types.js';
import type { FerryCodecs } from './ferry.js';
import type { WireEncoding } from './payloads.js';
import { buildTemplates } from './payloads.js';

export interface Ceiling {
  readonly signal: Signal;
  readonly encoding: WireEncoding;
  readonly batchItems: number;
  /** Items per CPU-second: Ferry's codec decodes each request and encodes batches of `batchItems`. */
  readonly decodeEncodePerCpuSecond: number;
  /** The same plus gzip of each batch at the exporter's default level: all the work on the data. */
  readonly withGzipPerCpuSecond: number;
  /** Every item decoded into objects and encoded from them: what reading every item costs. */
  readonly materializedPerCpuSecond: number;
  readonly gzipLevel: number;
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const SCOPES: Readonly<Record<Signal, [string, string]>> = {
  logs: ['scopeLogs', 'logRecords'],
  traces: ['scopeSpans', 'spans'],
  metrics: ['scopeMetrics', 'metrics'],
};

/** Read every scope's items, which makes the codec decode them into messages. */
function readEveryItem(signal: Signal, resources: readonly unknown[]): number {
  const [scopesField, itemsField] = SCOPES[signal];
  let n = 0;
  for (const r of resources as Record<string, Record<string, unknown[]>[]>[]) for (const s of r[scopesField] ?? []) n += (s[itemsField] ?? []).length;
  return n;
}

export interface CeilingOptions {
  readonly itemsPerRequest: number;
  readonly batchItems: number;
  readonly seconds: number;
  /** gzip level of the encoded batch; undefined for none. */
  readonly gzipLevel?: number;
  readonly materialize: boolean;
}

/**
 * Decode requests of `itemsPerRequest` items and encode them `batchItems` at a time as
 * protobuf, for about `seconds` of CPU. CPU time, not wall time: other processes on the
 * machine then only add noise, not a bias.
 */
export function measureCeiling(codecs: FerryCodecs, signal: Signal, encoding: WireEncoding, options: CeilingOptions): number {
  const templates = buildTemplates(codecs, signal, encoding, options.itemsPerRequest, 16);
  const perBatch = Math.max(1, Math.round(options.batchItems / options.itemsPerRequest));
  const decode = (bytes: Buffer): ResourcesOf[Signal] =>
    encoding === 'protobuf' ? codecs.proto.decodeExportRequest(signal, bytes) : codecs.json.decodeJsonExportRequest(signal, bytes.toString('utf8'));
  const round = (): number => {
    const resources: unknown[] = [];
    for (let i = 0; i < perBatch; i++) {
      const decoded = decode(templates[i % templates.length]!.bytes);
      if (options.materialize) readEveryItem(signal, decoded);
      for (const r of decoded) resources.push(r);
    }
    const out = codecs.proto.encodeExportRequest(signal, resources as ResourcesOf[Signal]);
    if (options.gzipLevel !== undefined) gzipSync(out, { level: options.gzipLevel });
    return perBatch * options.itemsPerRequest;
  };
  // Warm-up: let V8 optimize the codecs before the clock starts.
  for (let i = 0; i < 5; i++) round();
  let items = 0;
  const start = cpuSeconds();
  let used = 0;
  while (used < options.seconds) {
    items += round();
    used = cpuSeconds() - start;
  }
  return items / used;
}

export function ceilingFor(codecs: FerryCodecs, signal: Signal, encoding: WireEncoding, itemsPerRequest: number, batchItems: number, seconds: number, gzipLevel: number): Ceiling {
  const opts = { itemsPerRequest, batchItems, seconds };
  return {
    signal,
    encoding,
    batchItems,
    gzipLevel,
    decodeEncodePerCpuSecond: measureCeiling(codecs, signal, encoding, { ...opts, materialize: false }),
    withGzipPerCpuSecond: measureCeiling(codecs, signal, encoding, { ...opts, materialize: false, gzipLevel }),
    materializedPerCpuSecond: measureCeiling(codecs, signal, encoding, { ...opts, materialize: true }),
  };
}
