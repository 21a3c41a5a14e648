// A fake Loki distributor for exporter tests. It checks each push as the Loki HTTP API
// reference describes it (https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs):
// POST /loki/api/v1/push; Content-Type application/x-protobuf with a snappy block-compressed
// PushRequest (grafana/loki pkg/push/push.proto), or application/json (optionally gzip) with
// {"streams":[{"stream":{…},"values":[["<ns>","<line>",{metadata}?]]}]}. It answers 204 as
// Loki does, or a scripted error, and records what it decoded.
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { uncompressSync } from 'snappy';

export interface PushedEntry {
  /** Nanoseconds since the epoch, as a decimal string. */
  readonly ts: string;
  readonly line: string;
  readonly metadata: Record<string, string>;
}

export interface PushedStream {
  readonly labels: Record<string, string>;
  readonly entries: PushedEntry[];
}

export interface PushRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly streams: PushedStream[];
  /** Why the fake refused the request as malformed (400), if it did. */
  readonly invalid?: string;
  /** The status it answered. */
  readonly status: number;
}

export interface LokiReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `{a="b", c="d"}` → {a: 'b', c: 'd'} (values are Go-quoted; the simple escapes are JSON's). */
export function parseLabelString(s: string): Record<string, string> {
  if (!s.startsWith('{') || !s.endsWith('}')) throw new Error(`labels ${s} are not {…}`);
  const out: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/gy;
  const inner = s.slice(1, -1);
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(inner)) !== null && m[0] !== '') {
    out[m[1] as string] = JSON.parse(`"${m[2] as string}"`) as string;
    end = re.lastIndex;
  }
  if (end !== inner.length) throw new Error(`labels ${s} are malformed at ${end}`);
  return out;
}

/** PushRequest decoded field by field with upstream's numbers: streams=1; labels=1, entries=2; timestamp=1 {seconds=1, nanos=2}, line=2, structuredMetadata=3 {name=1, value=2}. */
export function decodePushRequest(bytes: Uint8Array): PushedStream[] {
  const streams: PushedStream[] = [];
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) streams.push(decodeStream(r.bytes()));
    else r.skipType(tag & 7);
  }
  return streams;
}

function decodeStream(bytes: Uint8Array): PushedStream {
  const r = protobuf.Reader.create(bytes);
  let labels = '';
  const entries: PushedEntry[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) labels = r.string();
    else if (field === 2) entries.push(decodeEntry(r.bytes()));
    else r.skipType(tag & 7);
  }
  return { labels: parseLabelString(labels), entries };
}

function decodeEntry(bytes: Uint8Array): PushedEntry {
  const r = protobuf.Reader.create(bytes);
  let seconds = 0n;
  let nanos = 0n;
  let line = '';
  const metadata: Record<string, string> = {};
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) {
      const t = protobuf.Reader.create(r.bytes());
      while (t.pos < t.len) {
        const tt = t.uint32();
        if (tt >>> 3 === 1) seconds = BigInt(t.int64().toString());
        else if (tt >>> 3 === 2) nanos = BigInt(t.int32());
        else t.skipType(tt & 7);
      }
    } else if (field === 2) line = r.string();
    else if (field === 3) {
      const p = protobuf.Reader.create(r.bytes());
      let name = '';
      let value = '';
      while (p.pos < p.len) {
        const pt = p.uint32();
        if (pt >>> 3 === 1) name = p.string();
        else if (pt >>> 3 === 2) value = p.string();
        else p.skipType(pt & 7);
      }
      metadata[name] = value;
    } else r.skipType(tag & 7);
  }
  return { ts: (seconds * 1_000_000_000n + nanos).toString(), line, metadata };
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** The JSON push body, checked against the documented shape. */
export function decodeJsonPush(text: string): PushedStream[] {
  const body = JSON.parse(text) as unknown;
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { streams?: unknown }).streams)) throw new Error('body has no streams array');
  return ((body as { streams: unknown[] }).streams).map((s) => {
    const { stream, values } = s as { stream?: unknown; values?: unknown };
    if (!isStringMap(stream)) throw new Error('stream is not an object of strings');
    if (!Array.isArray(values)) throw new Error('values is not an array');
    return {
      labels: stream,
      entries: values.map((v: unknown) => {
        if (!Array.isArray(v) || v.length < 2 || v.length > 3) throw new Error('a value is not [ts, line] or [ts, line, metadata]');
        const [ts, line, metadata] = v as unknown[];
        if (typeof ts !== 'string' || !/^\d+$/.test(ts)) throw new Error(`timestamp ${String(ts)} is not a string of nanoseconds`);
        if (typeof line !== 'string') throw new Error('line is not a string');
        if (metadata !== undefined && !isStringMap(metadata)) throw new Error('structured metadata is not an object of strings');
        return { ts, line, metadata: metadata ?? {} };
      }),
    };
  });
}

/** Loki's own checks that matter here: at least one valid label per stream, entries oldest first. */
function checkStreams(streams: readonly PushedStream[]): string | undefined {
  for (const s of streams) {
    const names = Object.keys(s.labels);
    if (names.length === 0) return 'error at least one label pair is required per stream';
    const bad = names.find((n) => !LABEL_NAME.test(n));
    if (bad) return `error parsing labels: invalid label name ${bad}`;
    for (let i = 1; i < s.entries.length; i++) {
      if (BigInt((s.entries[i] as PushedEntry).ts) < BigInt((s.entries[i - 1] as PushedEntry).ts)) return 'entry out of order';
    }
  }
  return undefined;
}

export class FakeLoki {
  readonly requests: PushRequestRecord[] = [];
  /** Scripted replies, one per request; when empty, 204. */
  readonly replies: LokiReply[] = [];
  url = '';
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  static async start(): Promise<FakeLoki> {
    const f = new FakeLoki();
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  get pushUrl(): string {
    return `${this.url}/loki/api/v1/push`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let streams: PushedStream[] = [];
      let invalid: string | undefined;
      try {
        if (req.method !== 'POST') throw new Error(`method ${req.method} is not POST`);
        if (req.url !== '/loki/api/v1/push') throw new Error(`path ${req.url} is not /loki/api/v1/push`);
        const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
        const encoding = req.headers['content-encoding'];
        if (type === 'application/x-protobuf') {
          // The snappy is part of the protobuf body, not a Content-Encoding.
          if (encoding !== undefined) throw new Error(`unexpected Content-Encoding ${encoding} on a protobuf push`);
          // Block format (what Loki decodes), not the framed format that starts with its stream identifier.
          if (raw[0] === 0xff) throw new Error('framed snappy is not accepted');
          streams = decodePushRequest(uncompressSync(raw, { asBuffer: true }) as Buffer);
        } else if (type === 'application/json') {
          const text = encoding === 'gzip' ? gunzipSync(raw).toString('utf8') : encoding === undefined ? raw.toString('utf8') : undefined;
          if (text === undefined) throw new Error(`unsupported Content-Encoding ${encoding}`);
          streams = decodeJsonPush(text);
        } else {
          throw new Error(`unsupported Content-Type ${type}`);
        }
        invalid = checkStreams(streams);
      } catch (err) {
        invalid = (err as Error).message;
      }
      const reply: LokiReply = invalid ? { status: 400, body: `${invalid}\n` } : (this.replies.shift() ?? { status: 204 });
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, streams, invalid, status: reply.status });
      res.writeHead(reply.status, { 'content-type': 'text/plain; charset=utf-8', ...reply.headers });
      res.end(reply.body);
    });
  }

  /** Every entry of the requests answered 204, with its stream's labels and tenant. */
  entries(): Array<PushedEntry & { labels: Record<string, string>; tenant: string | undefined }> {
    return this.requests.flatMap((r) =>
      r.status !== 204 ? [] : r.streams.flatMap((s) => s.entries.map((e) => ({ ...e, labels: s.labels, tenant: r.headers['x-scope-orgid'] as string | undefined }))),
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
