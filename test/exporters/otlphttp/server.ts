// A minimal OTLP/HTTP peer for exporter tests: records every request (headers, raw and
// decompressed body) and answers from a script of replies, then 200 with an empty response.
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { decodeExportRequest } from '../../../src/pdata/proto.js';
import { decodeJsonExportRequest } from '../../../src/pdata/json.js';
import type { Signal } from '../../../src/pdata/types.js';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: Buffer;
  /** Body after Content-Encoding is undone. */
  readonly body: Buffer;
  readonly at: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Hold the response this long (to trigger the client's timeout). */
  delayMs?: number;
}

export class OtlpHttpPeer {
  readonly requests: ReceivedRequest[] = [];
  /** Replies used in order, one per request; when empty, 200 with an empty body. */
  readonly replies: Reply[] = [];
  private timers = new Set<NodeJS.Timeout>();

  private readonly server: http.Server;
  /** Base URL, set once listening. */
  url = '';

  private constructor(tls?: { cert: string; key: string }) {
    const handler: http.RequestListener = (req, res) => this.handle(req, res);
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
  }

  static async start(tls?: { cert: string; key: string }): Promise<OtlpHttpPeer> {
    const peer = new OtlpHttpPeer(tls);
    await new Promise<void>((resolve) => peer.server.listen(0, '127.0.0.1', resolve));
    const { port } = peer.server.address() as AddressInfo;
    peer.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return peer;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body = raw;
      let reply: Reply | undefined;
      try {
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(raw);
      } catch {
        // As a real receiver would: a body that is not what its Content-Encoding says is the client's fault.
        reply = { status: 400, body: 'invalid gzip body' };
      }
      this.requests.push({ path: req.url ?? '', headers: req.headers, raw, body, at: Date.now() });
      reply ??= this.replies.shift() ?? { status: 200 };
      const respond = (): void => {
        if (res.destroyed) return;
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body === undefined ? undefined : Buffer.from(reply.body));
      };
      if (reply.delayMs) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          respond();
        }, reply.delayMs);
        this.timers.add(t);
      } else respond();
    });
  }

  /** The resources of request `i`, decoded per its Content-Type. */
  decode<S extends Signal>(signal: S, i: number): unknown {
    const r = this.requests[i];
    if (!r) throw new Error(`no request ${i}`);
    return r.headers['content-type'] === 'application/json' ? decodeJsonExportRequest(signal, r.body.toString('utf8')) : decodeExportRequest(signal, r.body);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
