// A fake Application Insights ingestion endpoint. It checks each request as the track API and the
// telemetry data model are documented (https://learn.microsoft.com/azure/azure-monitor/app/data-model-complete,
// the Breeze contract the Azure Monitor OpenTelemetry exporters post to: POST /v2.1/track (or /v2/track),
// a JSON array, or newline-delimited envelopes, gzip allowed; each envelope {name, time, iKey, tags,
// data: {baseType, baseData: {ver: 2, …}}}) and answers as the service does: 200
// {itemsReceived, itemsAccepted, errors: []}, 206 with errors[{index, statusCode, message}] for the
// items refused, or a whole-request status.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type Envelope = { name: string; time: string; iKey: string; tags: Record<string, string>; data: { baseType: string; baseData: Record<string, unknown> } };

export interface TrackRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly envelopes: Envelope[];
  readonly status: number;
}

const BASE_TYPES: Readonly<Record<string, string[]>> = {
  MessageData: ['message'],
  RequestData: ['id', 'name', 'duration', 'responseCode', 'success'],
  RemoteDependencyData: ['id', 'name', 'duration', 'resultCode', 'success'],
  ExceptionData: ['exceptions'],
};
const DURATION = /^\d+\.\d{2}:\d{2}:\d{2}\.\d{6,7}$/;

/** Why an envelope breaks the contract, or undefined. */
function problem(e: Envelope, iKey: string): string | undefined {
  if (e.iKey !== iKey) return 'Invalid instrumentation key';
  const type = e.data?.baseType ?? '';
  const required = BASE_TYPES[type];
  if (!required) return `unknown baseType ${type}`;
  if (e.name !== `Microsoft.ApplicationInsights.${iKey.replace(/-/g, '')}.${type.replace(/Data$/, '')}`) return `name ${e.name} does not match ${type}`;
  if (Number.isNaN(Date.parse(e.time))) return `time ${e.time} is not a date`;
  const base = e.data.baseData;
  if (base.ver !== 2) return 'baseData.ver must be 2';
  for (const f of required) if (base[f] === undefined) return `Field '${f}' on type '${type}' is required but missing or empty`;
  if ('duration' in base && !DURATION.test(String(base.duration))) return `duration ${String(base.duration)} is not d.hh:mm:ss.ffffff`;
  if ('properties' in base && Object.values(base.properties as object).some((v) => typeof v !== 'string')) return 'properties must be strings';
  return undefined;
}

export class FakeAppInsights {
  readonly requests: TrackRequest[] = [];
  /** Whole-request replies while any are left. */
  readonly replies: Array<{ status: number; headers?: Record<string, string>; body?: unknown }> = [];
  /** Status of an accepted-looking envelope (by the order envelopes arrive); undefined → accepted. */
  itemStatus: (e: Envelope) => number | undefined = () => undefined;
  url = '';
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown, envelopes: Envelope[] = [], headers: Record<string, string> = {}): void => {
        this.requests.push({ path: req.url ?? '', headers: req.headers, envelopes, status });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      let envelopes: Envelope[];
      try {
        if (req.method !== 'POST') throw new Error('method must be POST');
        if (!/^\/v2(\.1)?\/track$/.test(req.url ?? '')) throw new Error(`path ${req.url} is not /v2.1/track`);
        const raw = Buffer.concat(chunks);
        const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8').trim();
        envelopes = text.startsWith('[') ? (JSON.parse(text) as Envelope[]) : text.split('\n').map((l) => JSON.parse(l) as Envelope);
      } catch (err) {
        return reply(400, { itemsReceived: 0, itemsAccepted: 0, errors: [{ index: 0, statusCode: 400, message: (err as Error).message }] });
      }
      const scripted = this.replies.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? {}, envelopes, scripted.headers);
      const errors: Array<{ index: number; statusCode: number; message: string }> = [];
      envelopes.forEach((e, index) => {
        const p = problem(e, this.iKey);
        if (p) errors.push({ index, statusCode: 400, message: p });
        else {
          const s = this.itemStatus(e);
          if (s !== undefined) errors.push({ index, statusCode: s, message: s === 429 ? 'Too many requests' : 'Refused' });
          else this.accepted.push(e);
        }
      });
      reply(errors.length > 0 ? 206 : 200, { itemsReceived: envelopes.length, itemsAccepted: envelopes.length - errors.length, errors }, envelopes);
    });
  });
  readonly accepted: Envelope[] = [];

  constructor(private readonly iKey: string) {}

  static async start(iKey: string): Promise<FakeAppInsights> {
    const f = new FakeAppInsights(iKey);
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}/`;
    return f;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
