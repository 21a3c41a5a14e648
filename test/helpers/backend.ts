// A fake OTLP/HTTP backend for fault tests: counts every log record it accepts by its
// body (a record id), and can be taken down, made to refuse (503/429/400) or to answer slowly.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import { decodeExportRequest, encodeExportResponse } from '../../src/pdata/proto.js';
import type { ResourceLogs } from '../../src/pdata/types.js';

/** What the backend does with one request, decided from the record ids it carries. */
export interface BackendReply {
  /** HTTP status; 200 accepts (the ids count as delivered). Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer only after this long. The records count as delivered at once when status is 200. */
  readonly delayMs?: number;
}

export type BackendPolicy = (ids: readonly string[], requestNumber: number) => BackendReply;

/** The log record bodies (record ids) in an OTLP logs request. */
export function logIds(resources: readonly ResourceLogs[]): string[] {
  const ids: string[] = [];
  for (const r of resources) for (const s of r.scopeLogs) for (const lr of s.logRecords) ids.push(String(lr.body?.stringValue ?? ''));
  return ids;
}

function decodeBody(req: IncomingMessage, raw: Buffer): ResourceLogs[] {
  const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
  const body = encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
  return type === 'application/json' ? decodeJsonExportRequest('logs', body.toString('utf8')) : decodeExportRequest('logs', body);
}

export class FakeBackend {
  private server: Server | undefined;
  /** How many times each record id was accepted (more than once: a duplicate). */
  readonly delivered = new Map<string, number>();
  /** Every request seen, with the time it arrived and what it was answered. */
  readonly requests: { at: number; ids: readonly string[]; status: number }[] = [];
  policy: BackendPolicy = () => ({});

  private constructor(readonly port: number) {}

  /** Start on `port` (a freePort() result, so a restart can reuse it). */
  static async start(port: number): Promise<FakeBackend> {
    const b = new FakeBackend(port);
    await b.up();
    return b;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Listen again (after down()). */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stop listening and cut every connection: the exporter sees connection errors. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Distinct record ids delivered. */
  uniqueDelivered(): number {
    return this.delivered.size;
  }

  /** Extra copies: deliveries beyond the first of each id. */
  duplicates(): number {
    let n = 0;
    for (const c of this.delivered.values()) n += c - 1;
    return n;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let ids: string[];
      try {
        ids = logIds(decodeBody(req, Buffer.concat(chunks)));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`fake backend cannot decode: ${String(err)}`);
        return;
      }
      const reply = this.policy(ids, this.requests.length);
      const status = reply.status ?? 200;
      this.requests.push({ at: Date.now(), ids, status });
      if (status === 200) for (const id of ids) this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
      const answer = (): void => {
        if (res.destroyed) return;
        const body = status === 200 ? Buffer.from(encodeExportResponse('logs')) : Buffer.from(`fake backend says ${status}`);
        res.writeHead(status, { 'content-type': status === 200 ? 'application/x-protobuf' : 'text/plain', ...reply.headers }).end(body);
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  }
}
