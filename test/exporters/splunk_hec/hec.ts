// A fake Splunk HTTP Event Collector that checks every request as Splunk documents HEC
// (https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector,
// https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTinput#services.2Fcollector,
// status codes from "Troubleshoot HTTP Event Collector"): POST /services/collector[/event],
// "Authorization: Splunk <token>", optional gzip, a body of JSON event objects one after the
// other, each with a non-blank `event`, optional time/host/source/sourcetype/index, and flat
// `fields`; metric events ("event":"metric") carry numeric metric_name:<name> measurements.
// It answers {"text":"Success","code":0} or the documented error replies, scripted per request.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type HecEvent = Record<string, unknown> & { event: unknown; fields?: Record<string, unknown> };

export interface HecRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Uncompressed body. */
  readonly raw: string;
  readonly events: HecEvent[];
  readonly status: number;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A HEC reply body. */
export const hecReply = (text: string, code: number, extra: Record<string, unknown> = {}): string => JSON.stringify({ text, code, ...extra });

/** Split a body of concatenated JSON objects (whitespace between them allowed) into their texts. */
export function splitEvents(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) out.push(body.slice(start, i + 1));
      if (depth < 0) throw new Error('unbalanced');
    } else if (depth === 0 && !/\s/.test(c ?? '')) throw new Error(`unexpected ${c} between events`);
  }
  if (depth !== 0 || inString) throw new Error('truncated body');
  return out;
}

const scalar = (v: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof v);

export class FakeHec {
  readonly requests: HecRequest[] = [];
  /** Requests that broke HEC's rules (the exporter must never send one). */
  readonly violations: string[] = [];
  readonly replies: Reply[] = [];
  policy: ((events: HecEvent[]) => Reply | undefined) | undefined;
  url = '';
  private readonly server: http.Server;

  private constructor(
    private readonly token: string,
    /** The largest uncompressed body the exporter may send (its max_content_length). */
    readonly maxContentLength: number,
    tls?: { cert: string; key: string },
  ) {
    const handler: http.RequestListener = (req, res) => this.handle(req, res);
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
  }

  static async start(token: string, maxContentLength = 2 * 1024 * 1024, tls?: { cert: string; key: string }): Promise<FakeHec> {
    const hec = new FakeHec(token, maxContentLength, tls);
    await new Promise<void>((resolve) => hec.server.listen(0, '127.0.0.1', resolve));
    hec.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(hec.server.address() as AddressInfo).port}`;
    return hec;
  }

  accepted(): HecEvent[] {
    return this.requests.filter((r) => r.status === 200).flatMap((r) => r.events);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: string, events: HecEvent[] = [], raw = '', headers: Record<string, string> = {}): void => {
        this.requests.push({ path: req.url ?? '', headers: req.headers, raw, events, status });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body);
      };
      const invalid = (why: string, text: string, code: number, extra: Record<string, unknown> = {}): void => {
        this.violations.push(why);
        answer(400, hecReply(text, code, extra));
      };
      const path = new URL(req.url ?? '/', 'http://hec').pathname;
      if (req.method !== 'POST' || (path !== '/services/collector' && path !== '/services/collector/event')) {
        this.violations.push(`${req.method} ${path}`);
        return answer(404, hecReply('The requested URL was not found on this server.', 404));
      }
      const auth = req.headers.authorization;
      if (auth === undefined) return answer(401, hecReply('Token is required', 2));
      if (!auth.startsWith('Splunk ')) return answer(401, hecReply('Invalid authorization', 3));
      if (auth.slice('Splunk '.length) !== this.token) return answer(403, hecReply('Invalid token', 4));
      let raw = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      if (encoding !== undefined && encoding !== 'gzip') return invalid(`content-encoding ${encoding}`, 'Invalid data format', 6);
      try {
        if (encoding === 'gzip') raw = gunzipSync(raw);
      } catch {
        return invalid('body is not gzip', 'Invalid data format', 6);
      }
      if (this.maxContentLength > 0 && raw.byteLength > this.maxContentLength) this.violations.push(`a body of ${raw.byteLength} bytes`);
      const text = raw.toString('utf8');
      if (text.trim() === '') return invalid('empty body', 'No data', 5);
      let events: HecEvent[];
      try {
        events = splitEvents(text).map((e) => JSON.parse(e) as HecEvent);
      } catch (err) {
        return invalid(`body: ${String(err)}`, 'Invalid data format', 6, { 'invalid-event-number': 0 });
      }
      for (const [n, e] of events.entries()) {
        if (!('event' in e)) return invalid('an event without event', 'Event field is required', 12, { 'invalid-event-number': n });
        if (e.event === null || e.event === '') return invalid('a blank event', 'Event field cannot be blank', 13, { 'invalid-event-number': n });
        if ('time' in e && typeof e.time !== 'number') return invalid('time is not a number', 'Invalid data format', 6, { 'invalid-event-number': n });
        for (const k of ['host', 'source', 'sourcetype', 'index']) if (k in e && typeof e[k] !== 'string') return invalid(`${k} is not a string`, 'Invalid data format', 6, { 'invalid-event-number': n });
        if (e.fields !== undefined) {
          if (typeof e.fields !== 'object' || e.fields === null || Array.isArray(e.fields)) return invalid('fields is not an object', 'Error in handling indexed fields', 15, { 'invalid-event-number': n });
          for (const v of Object.values(e.fields)) {
            if (!(scalar(v) || (Array.isArray(v) && v.every(scalar)))) return invalid('a nested indexed field', 'Error in handling indexed fields', 15, { 'invalid-event-number': n });
          }
        }
        if (e.event === 'metric') {
          const measures = Object.entries(e.fields ?? {}).filter(([k]) => k.startsWith('metric_name:'));
          if (measures.length === 0 || measures.some(([, v]) => typeof v !== 'number')) return invalid('a metric event without a numeric measurement', 'Invalid data format', 6, { 'invalid-event-number': n });
        }
      }
      const reply = this.replies.shift() ?? this.policy?.(events) ?? { status: 200, body: hecReply('Success', 0) };
      answer(reply.status, reply.body ?? hecReply('Success', 0), events, text, reply.headers);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
