// A remote-write 1.0 receiver for exporter tests. It checks every request the way the spec
// (https://prometheus.io/docs/specs/prw/remote_write_spec/) says a sender must write it —
// POST, the four headers, a snappy block of a prometheus.WriteRequest, labels sorted and unique
// with __name__, no empty values, samples in time order — answers 400 when one is not, and
// otherwise from a script of replies (then 204, as Prometheus answers).
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import snappy from 'snappy';
import { decodeWriteRequest, type DecodedWriteRequest } from '../../../src/exporters/prometheusremotewrite/write-request.js';

export interface ReceivedWrite {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The WriteRequest before snappy. */
  readonly raw: Buffer;
  readonly request: DecodedWriteRequest;
  readonly at: number;
}

export interface WriteReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A series of a received request in a comparable form: `name{a="b",…}` and its samples. */
export interface FlatSeries {
  readonly id: string;
  readonly labels: Record<string, string>;
  readonly samples: Array<[timestamp: number, value: number]>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** What is wrong with a request, by the spec; undefined when nothing. */
function specProblem(req: http.IncomingMessage, decoded: DecodedWriteRequest): string | undefined {
  if (req.method !== 'POST') return `method ${req.method}`;
  if (req.headers['content-encoding'] !== 'snappy') return 'Content-Encoding must be snappy';
  if (req.headers['content-type'] !== 'application/x-protobuf') return 'Content-Type must be application/x-protobuf';
  if (req.headers['x-prometheus-remote-write-version'] !== '0.1.0') return 'X-Prometheus-Remote-Write-Version must be 0.1.0';
  if (!req.headers['user-agent']) return 'User-Agent is required';
  for (const ts of decoded.timeseries) {
    const names = ts.labels.map((l) => l.name);
    if (!names.includes('__name__')) return 'a series without __name__';
    for (let i = 0; i < names.length; i++) {
      if (!LABEL_NAME.test(names[i] as string)) return `invalid label name ${names[i]}`;
      if (i > 0 && (names[i - 1] as string) >= (names[i] as string)) return `labels not sorted or repeated: ${names.join(',')}`;
      if (ts.labels[i]?.value === '') return `empty value for ${names[i]}`;
    }
    const times = ts.samples.map((s) => Number(s.timestamp));
    if (times.some((t, i) => i > 0 && t < (times[i - 1] as number))) return 'samples out of order';
    if (ts.samples.length === 0) return 'a series without samples';
  }
  return undefined;
}

export function flatten(request: DecodedWriteRequest): FlatSeries[] {
  return request.timeseries.map((ts) => {
    const labels = Object.fromEntries(ts.labels.map((l) => [l.name, l.value]));
    const { __name__: name, ...rest } = labels;
    const id = `${name}{${Object.entries(rest)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',')}}`;
    return { id, labels, samples: ts.samples.map((s) => [Number(s.timestamp), s.value]) };
  });
}

export class RemoteWriteReceiver {
  readonly writes: ReceivedWrite[] = [];
  /** Requests refused because they broke the spec (should stay empty). */
  readonly violations: string[] = [];
  readonly replies: WriteReply[] = [];
  /** Called for each request before the scripted reply; may return a reply of its own. */
  decide: ((write: ReceivedWrite) => WriteReply | undefined) | undefined;
  url = '';
  private readonly server: http.Server;

  private constructor(tls?: { cert: string; key: string }) {
    const handler: http.RequestListener = (req, res) => this.handle(req, res);
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
  }

  static async start(tls?: { cert: string; key: string }): Promise<RemoteWriteReceiver> {
    const r = new RemoteWriteReceiver(tls);
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(r.server.address() as AddressInfo).port}/api/v1/write`;
    return r;
  }

  /** Every series of every accepted (2xx) request. */
  accepted(): FlatSeries[] {
    return this.writes.filter((_w, i) => (this.statuses[i] ?? 0) < 300).flatMap((w) => flatten(w.request));
  }

  private readonly statuses: number[] = [];

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw: Buffer;
      let request: DecodedWriteRequest;
      try {
        raw = snappy.uncompressSync(Buffer.concat(chunks)) as Buffer;
        request = decodeWriteRequest(raw);
      } catch (err) {
        this.violations.push(`undecodable body: ${String(err)}`);
        res.writeHead(400).end('snappy: corrupt input\n');
        return;
      }
      const problem = specProblem(req, request);
      if (problem) {
        this.violations.push(problem);
        res.writeHead(400).end(`${problem}\n`);
        return;
      }
      const write: ReceivedWrite = { path: req.url ?? '', headers: req.headers, raw, request, at: Date.now() };
      this.writes.push(write);
      const reply = this.decide?.(write) ?? this.replies.shift() ?? { status: 204 };
      this.statuses.push(reply.status);
      res.writeHead(reply.status, reply.headers ?? {}).end(reply.body);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
