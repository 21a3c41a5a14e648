// A local HTTP endpoint for the http exporter's tests: records each request (method, path,
// headers, body gunzipped when Content-Encoding says gzip) and answers with scripted statuses.
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface SinkRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

export class HttpSink {
  readonly requests: SinkRequest[] = [];
  /** One reply per request while any are left, then 200. */
  readonly replies: Reply[] = [];
  /** Bodies over this many bytes (as received) get a 413. */
  maxBody = Infinity;
  url = '';
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const reply: Reply = raw.byteLength > this.maxBody ? { status: 413, body: 'payload too large' } : (this.replies.shift() ?? { status: 200, body: 'ok' });
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, status: reply.status });
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body ?? '');
    });
  });

  static async start(): Promise<HttpSink> {
    const s = new HttpSink();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  /** The requests the sink accepted (2xx). */
  accepted(): SinkRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
