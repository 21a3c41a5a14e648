// A fake Datadog Logs intake that checks every request as the API reference specifies
// (https://docs.datadoghq.com/api/latest/logs/#send-logs): POST /api/v2/logs, DD-API-KEY,
// Content-Type application/json, optional gzip/deflate, a JSON array of at most 1000 HTTPLogItems
// whose values are strings and whose `message` is set, at most 5 MB uncompressed. It answers
// 202 {} or the documented errors ({"errors":[{status,title,detail}]}), scripted per request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

export const MAX_PAYLOAD = 5_000_000;
export const MAX_ENTRIES = 1000;
export const MAX_LOG = 1_000_000;

export type LogItem = Record<string, string>;

export interface IntakeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Uncompressed body size. */
  readonly bytes: number;
  readonly logs: LogItem[];
  readonly status: number;
  readonly at: number;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** The intake's documented error body. */
export function errorBody(status: number, title: string, detail: string): string {
  return JSON.stringify({ errors: [{ status: String(status), title, detail }] });
}

export class FakeIntake {
  readonly requests: IntakeRequest[] = [];
  /** Requests that broke the API's rules (the exporter must never send one). */
  readonly violations: string[] = [];
  /** Replies used in order, one per valid request; then `policy`, then 202. */
  readonly replies: Reply[] = [];
  policy: ((logs: LogItem[]) => Reply | undefined) | undefined;
  url = '';
  private readonly server: http.Server;

  private constructor(private readonly apiKey: string) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  static async start(apiKey: string): Promise<FakeIntake> {
    const intake = new FakeIntake(apiKey);
    await new Promise<void>((resolve) => intake.server.listen(0, '127.0.0.1', resolve));
    intake.url = `http://127.0.0.1:${(intake.server.address() as AddressInfo).port}`;
    return intake;
  }

  /** Every log that arrived in an accepted request, in order. */
  accepted(): LogItem[] {
    return this.requests.filter((r) => r.status === 202).flatMap((r) => r.logs);
  }

  private refuse(res: http.ServerResponse, status: number, title: string, detail: string): number {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(errorBody(status, title, detail));
    return status;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record = (logs: LogItem[], bytes: number, status: number): void => {
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, bytes, logs, status, at: Date.now() });
      };
      const violation = (why: string, status: number, title: string): void => {
        this.violations.push(why);
        record([], 0, this.refuse(res, status, title, why));
      };
      const url = new URL(req.url ?? '/', 'http://intake');
      if (req.method !== 'POST' || url.pathname !== '/api/v2/logs') return violation(`${req.method} ${url.pathname}`, 404, 'Not Found');
      for (const key of url.searchParams.keys()) if (key !== 'ddtags') return violation(`unknown query parameter ${key}`, 400, 'Bad Request');
      const key = req.headers['dd-api-key'];
      if (key === undefined) return void record([], 0, this.refuse(res, 401, 'Unauthorized', 'API key is missing'));
      if (key !== this.apiKey) return void record([], 0, this.refuse(res, 403, 'Forbidden', 'API key is invalid'));
      if ((req.headers['content-type'] ?? '').split(';')[0]?.trim() !== 'application/json') return violation(`content-type ${req.headers['content-type']}`, 400, 'Bad Request');
      let raw = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'] ?? 'identity';
      try {
        if (encoding === 'gzip') raw = gunzipSync(raw);
        else if (encoding === 'deflate') raw = inflateSync(raw);
        else if (encoding !== 'identity') return violation(`content-encoding ${encoding}`, 400, 'Bad Request');
      } catch {
        return violation('body is not what Content-Encoding says', 400, 'Bad Request');
      }
      if (raw.byteLength > MAX_PAYLOAD) {
        this.violations.push(`payload of ${raw.byteLength} bytes`);
        return void record([], raw.byteLength, this.refuse(res, 413, 'Payload Too Large', 'batch is above 5MB uncompressed'));
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        return violation('body is not JSON', 400, 'Bad Request');
      }
      const items = Array.isArray(parsed) ? parsed : [parsed];
      if (items.length > MAX_ENTRIES) return violation(`${items.length} entries`, 400, 'Bad Request');
      for (const item of items) {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) return violation('an entry is not an object', 400, 'Bad Request');
        const entries = Object.entries(item as Record<string, unknown>);
        if (entries.some(([, v]) => typeof v !== 'string')) return violation('an entry has a value that is not a string', 400, 'Bad Request');
        if (typeof (item as Record<string, unknown>).message !== 'string') return violation('an entry has no message', 400, 'Bad Request');
        if (Buffer.byteLength(JSON.stringify(item)) > MAX_LOG) this.violations.push('a log above 1 MB (the intake truncates it)');
      }
      const logs = items as LogItem[];
      const reply = this.replies.shift() ?? this.policy?.(logs) ?? { status: 202, body: '{}' };
      record(logs, raw.byteLength, reply.status);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? (reply.status === 202 ? '{}' : ''));
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
