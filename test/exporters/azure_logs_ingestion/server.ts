// Fake Microsoft Entra ID token endpoint and Azure Monitor Logs ingestion endpoint (the references
// they check are named in azure_logs_ingestion.test.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT = '11111111-2222-3333-4444-555555555555';
export const SECRET = 'entra-client-secret-value';
export const DCR = 'dcr-00000000000000000000000000000000';
export const STREAM = 'Custom-FerryLogs_CL';

interface Call {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rows: Array<Record<string, unknown>>;
  readonly status: number;
}

export class FakeAzure {
  readonly calls: Call[] = [];
  readonly rows: Array<Record<string, unknown>> = [];
  readonly replies: Array<{ status: number; headers?: Record<string, string>; body?: unknown }> = [];
  tokens = 0;
  maxBytes = 1_000_000;
  url = '';
  private issued = new Set<string>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (req.url === `/${TENANT}/oauth2/v2.0/token`) {
        const form = new URLSearchParams(raw.toString());
        if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return send(400, { error: 'invalid_request', error_description: 'AADSTS900144: form body expected' });
        if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://monitor.azure.com//.default') return send(400, { error: 'invalid_request', error_description: 'AADSTS90014: bad grant or scope' });
        if (form.get('client_id') !== CLIENT || form.get('client_secret') !== SECRET) return send(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        const token = `eyJ0eXAi.fake.${++this.tokens}`;
        this.issued.add(token);
        return send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString();
      let rows: Array<Record<string, unknown>> = [];
      const record = (status: number): void => {
        this.calls.push({ path: `${url.pathname}${url.search}`, headers: req.headers, rows, status });
      };
      if (req.method !== 'POST' || url.pathname !== `/dataCollectionRules/${DCR}/streams/${STREAM}` || url.searchParams.get('api-version') !== '2023-01-01') {
        record(404);
        return send(404, { error: { code: 'NotFound', message: 'Data collection rule or stream not found' } });
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !this.issued.has(bearer)) {
        record(401);
        return send(401, { error: { code: 'InvalidToken', message: 'The token is invalid or expired' } });
      }
      if (raw.byteLength > this.maxBytes) {
        record(413);
        return send(413, { error: { code: 'ContentLengthLimitExceeded', message: 'Maximum request size of 1 MB exceeded' } });
      }
      try {
        rows = JSON.parse(body) as Array<Record<string, unknown>>;
        if (!Array.isArray(rows) || rows.some((r) => Number.isNaN(Date.parse(String(r.TimeGenerated))))) throw new Error('each row needs TimeGenerated');
      } catch (err) {
        record(400);
        return send(400, { error: { code: 'InvalidPayload', message: (err as Error).message } });
      }
      const scripted = this.replies.shift();
      if (scripted) {
        record(scripted.status);
        return send(scripted.status, scripted.body, scripted.headers);
      }
      this.rows.push(...rows);
      record(204);
      send(204);
    });
  });

  static async start(): Promise<FakeAzure> {
    const f = new FakeAzure();
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  expireTokens(): void {
    this.issued = new Set();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

