// From a logs batch to Loki push requests: one per tenant, records grouped into streams
// by label set, entries sorted by time within each stream, encoded as Loki's JSON push body
// or as a snappy-compressed PushRequest protobuf (proto/loki/push.proto).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { snappyCompress } from '../helper/snappy.js';
import type { LogsBatch } from '../../pdata/batch.js';
import type { LogRecord } from '../../pdata/types.js';
import { idHex, int64BigInt as nanos, valueAsString } from '../../pdata/value.js';
import type { LineFormat, LokiConfig } from './config.js';
import { attributeMap, labelString, normalizeLabel, recordLabels } from './labels.js';
import { jsonLine, logfmtLine, rawLine, type LineInput } from './line.js';

/** One log line, with the running index of its record in the batch (to retry or drop it). */
export interface LokiEntry {
  readonly item: number;
  readonly timeNanos: bigint;
  readonly line: string;
  readonly metadata: ReadonlyArray<readonly [string, string]>;
}

export interface LokiStream {
  readonly labels: ReadonlyArray<readonly [string, string]>;
  /** The labels as Loki writes them (`{a="b", …}`): the stream's identity, and its protobuf `labels`. */
  readonly key: string;
  readonly entries: LokiEntry[];
}

/** What goes to one tenant: its streams and the batch items they hold. */
export interface TenantPush {
  /** '' when no tenant applies (no X-Scope-OrgID from the exporter). */
  readonly tenant: string;
  readonly streams: LokiStream[];
  readonly items: number[];
}

export interface PushPlan {
  readonly pushes: TenantPush[];
  /** Records that cannot be sent (no label at all, or an unknown loki.format), by item, with the reason. */
  readonly refused: ReadonlyArray<{ readonly item: number; readonly reason: string }>;
}

const LINE_FORMATS: Readonly<Record<LineFormat, (input: LineInput) => string>> = { json: jsonLine, logfmt: logfmtLine, raw: rawLine };


/** The entry time: the record's time, else its observed time, else now (as the contrib does). */
function entryTime(record: LogRecord, now: bigint): bigint {
  const t = nanos(record.timeUnixNano);
  if (t !== 0n) return t;
  const observed = nanos(record.observedTimeUnixNano);
  return observed !== 0n ? observed : now;
}

export function planPush(config: LokiConfig, batch: LogsBatch, now = BigInt(Date.now()) * 1_000_000n): PushPlan {
  const tenants = new Map<string, { streams: Map<string, LokiStream>; items: number[] }>();
  const refused: Array<{ item: number; reason: string }> = [];
  const metadataOn = config.structured_metadata.enabled;
  let item = 0;
  for (const rl of batch.resources) {
    const resource = attributeMap(rl.resource?.attributes);
    for (const sl of rl.scopeLogs) {
      for (const record of sl.logRecords) {
        const index = item++;
        const r = recordLabels(config, record, resource);
        if (r.labels.length === 0) {
          refused.push({ item: index, reason: 'the record has no label (every default label is disabled and no attribute is promoted), and Loki needs at least one' });
          continue;
        }
        const format = r.format ?? config.format;
        const encode = Object.hasOwn(LINE_FORMATS, format) ? LINE_FORMATS[format as LineFormat] : undefined;
        if (!encode) {
          refused.push({ item: index, reason: `unknown loki.format "${format}": use json, logfmt or raw` });
          continue;
        }
        const metadata: Array<[string, string]> = [];
        if (metadataOn) {
          for (const [k, v] of r.attributes) metadata.push([normalizeLabel(k), valueAsString(v)]);
          const traceId = idHex(record.traceId);
          const spanId = idHex(record.spanId);
          if (traceId) metadata.push(['trace_id', traceId]);
          if (spanId) metadata.push(['span_id', spanId]);
        }
        const line = encode({
          record,
          attributes: metadataOn ? new Map() : r.attributes,
          resourceAttributes: r.resourceAttributes,
          scope: sl.scope,
          withIds: !metadataOn,
        });
        const tenant = r.tenant ?? config.tenant_id ?? '';
        let group = tenants.get(tenant);
        if (!group) {
          group = { streams: new Map(), items: [] };
          tenants.set(tenant, group);
        }
        group.items.push(index);
        const key = labelString(r.labels);
        let stream = group.streams.get(key);
        if (!stream) {
          stream = { labels: r.labels, key, entries: [] };
          group.streams.set(key, stream);
        }
        stream.entries.push({ item: index, timeNanos: entryTime(record, now), line, metadata });
      }
    }
  }
  const pushes: TenantPush[] = [];
  for (const [tenant, group] of tenants) {
    const streams = [...group.streams.values()];
    // Loki before 2.4 refuses out-of-order entries within a stream, and later versions still
    // refuse entries too far behind the newest: oldest first keeps a batch acceptable. Stable sort.
    for (const s of streams) s.entries.sort((a, b) => (a.timeNanos < b.timeNanos ? -1 : a.timeNanos > b.timeNanos ? 1 : 0));
    pushes.push({ tenant, streams, items: group.items });
  }
  return { pushes, refused };
}

// ---- encodings

/** The documented JSON push body: {"streams":[{"stream":{labels},"values":[["<ns>","<line>",{metadata}?]]}]}. */
export function encodeJsonPush(streams: readonly LokiStream[]): Buffer {
  const body = {
    streams: streams.map((s) => ({
      stream: Object.fromEntries(s.labels),
      values: s.entries.map((e) => (e.metadata.length > 0 ? [e.timeNanos.toString(), e.line, Object.fromEntries(e.metadata)] : [e.timeNanos.toString(), e.line])),
    })),
  };
  return Buffer.from(JSON.stringify(body));
}

// `../../../proto/` is the repository's proto/ from both src/exporters/loki and dist/exporters/loki.
const PROTO_FILE = fileURLToPath(new URL('../../../proto/loki/push.proto', import.meta.url));

let pushRequestType: protobuf.Type | undefined;
function pushRequest(): protobuf.Type {
  if (!pushRequestType) {
    const root = new protobuf.Root();
    root.loadSync(path.resolve(PROTO_FILE), { keepCase: true });
    root.resolveAll();
    pushRequestType = root.lookupType('logproto.PushRequest');
  }
  return pushRequestType;
}

const BILLION = 1_000_000_000n;

/** PushRequest protobuf, snappy block-compressed: the push API's default body (no Content-Encoding). */
export function encodeProtoPush(streams: readonly LokiStream[]): Buffer {
  const type = pushRequest();
  const message = {
    streams: streams.map((s) => ({
      labels: s.key,
      entries: s.entries.map((e) => ({
        timestamp: { seconds: (e.timeNanos / BILLION).toString(), nanos: Number(e.timeNanos % BILLION) },
        line: e.line,
        structuredMetadata: e.metadata.map(([name, value]) => ({ name, value })),
      })),
    })),
  };
  const bytes = type.encode(type.fromObject(message)).finish();
  return snappyCompress(bytes);
}
