// A fake Elasticsearch node for exporter tests. It checks each request as the Bulk API
// reference describes it (https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html):
// POST /_bulk (or /<index>/_bulk), Content-Type application/x-ndjson, an NDJSON body of
// action/document line pairs where every line is JSON and the last one ends with a newline;
// and answers as Elasticsearch does: 200 with {"took","errors","items":[{"create":{…,"status"}}]},
// per-item errors included, or a whole-request error ({"error":{"type","reason"},"status"}).
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface BulkAction {
  readonly action: string;
  readonly index: string;
}

export interface BulkRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly actions: BulkAction[];
  readonly docs: Array<Record<string, unknown>>;
  readonly status: number;
  /** Why the fake refused the request as malformed, if it did. */
  readonly invalid?: string;
}

export interface WholeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An item's error, as Elasticsearch reports it. */
export const ITEM_ERRORS: Readonly<Record<number, { type: string; reason: string }>> = {
  429: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation [coordinating_and_primary_bytes=0]' },
  400: {
    type: 'document_parsing_exception',
    reason: "[1:42] failed to parse field [attributes.order.id] of type [long] in document with id 'x1'. Preview of field's value: 'SECRET-DOC-VALUE'",
  },
  500: { type: 'illegal_state_exception', reason: 'shard not available' },
};

export class FakeElasticsearch {
  readonly requests: BulkRequestRecord[] = [];
  /** Whole-request replies, one per request while any are left (then the bulk is processed). */
  readonly replies: WholeReply[] = [];
  /** Status of each document (by the order it arrives in, over all requests); undefined → 201. */
  itemStatus: (doc: Record<string, unknown>, requestNumber: number) => number | undefined = () => undefined;
  /** Expected Authorization header: any other gets a 401, as a secured cluster answers. */
  expectAuthorization: string | undefined;
  /** http.max_content_length: larger bodies get a 413. */
  maxContentLength = Infinity;
  url = '';
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  static async start(): Promise<FakeElasticsearch> {
    const f = new FakeElasticsearch();
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  /** Documents indexed (status 201), with their index. */
  indexed(): Array<{ index: string; doc: Record<string, unknown> }> {
    return this.accepted;
  }

  private readonly accepted: Array<{ index: string; doc: Record<string, unknown> }> = [];

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const requestNumber = this.requests.length;
      const url = new URL(req.url ?? '/', 'http://x');
      const actions: BulkAction[] = [];
      const docs: Array<Record<string, unknown>> = [];
      let raw = '';
      let invalid: string | undefined;
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, raw, actions, docs, status, invalid });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      try {
        const encoding = req.headers['content-encoding'];
        const body = Buffer.concat(chunks);
        if (body.byteLength > this.maxContentLength) {
          raw = '';
          return reply(413, { error: { type: 'content_too_long_exception', reason: `request body is too large` }, status: 413 });
        }
        raw = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8');
        if (req.method !== 'POST') throw new Error(`method ${req.method} is not POST`);
        if (!/^(\/[^/]+)?\/_bulk$/.test(url.pathname)) throw new Error(`path ${url.pathname} is not /_bulk`);
        const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
        if (type !== 'application/x-ndjson') throw new Error(`Content-Type ${type} is not application/x-ndjson`);
        if (!raw.endsWith('\n')) throw new Error('The bulk request must be terminated by a newline [\\n]');
        const lines = raw.slice(0, -1).split('\n');
        for (let i = 0; i < lines.length; i += 2) {
          const action = JSON.parse(lines[i] as string) as Record<string, { _index?: unknown }>;
          const keys = Object.keys(action);
          if (keys.length !== 1 || !['create', 'index', 'update', 'delete'].includes(keys[0] as string)) throw new Error(`Malformed action/metadata line [${i + 1}]`);
          const name = keys[0] as string;
          const index = action[name]?._index;
          if (typeof index !== 'string' || index === '') throw new Error(`action line ${i + 1} has no _index`);
          if (i + 1 >= lines.length) throw new Error(`action line ${i + 1} has no document`);
          const doc = JSON.parse(lines[i + 1] as string) as unknown;
          if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`line ${i + 2} is not a JSON object`);
          actions.push({ action: name, index });
          docs.push(doc as Record<string, unknown>);
        }
      } catch (err) {
        invalid = (err as Error).message;
        return reply(400, { error: { type: 'illegal_argument_exception', reason: invalid }, status: 400 });
      }
      if (this.expectAuthorization !== undefined && req.headers.authorization !== this.expectAuthorization) {
        return reply(401, { error: { type: 'security_exception', reason: 'unable to authenticate user for REST request [/_bulk]' }, status: 401 }, { 'www-authenticate': 'Basic realm="security"' });
      }
      const scripted = this.replies.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? {}, scripted.headers);
      let errors = false;
      const items = docs.map((doc, i) => {
        const status = this.itemStatus(doc, requestNumber) ?? 201;
        const index = (actions[i] as BulkAction).index;
        if (status === 201) {
          this.accepted.push({ index, doc });
          return { [(actions[i] as BulkAction).action]: { _index: index, _id: `id-${requestNumber}-${i}`, _version: 1, result: 'created', _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: i, _primary_term: 1, status } };
        }
        errors = true;
        return { [(actions[i] as BulkAction).action]: { _index: index, _id: null, status, error: ITEM_ERRORS[status] ?? { type: 'exception', reason: `status ${status}` } } };
      });
      reply(200, { took: 3, errors, items });
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
