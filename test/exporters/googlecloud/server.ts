// A fake Google Cloud for the googlecloud exporter. Its token endpoint does what Google's OAuth 2.0
// server does for service accounts (https://developers.google.com/identity/protocols/oauth2/service-account#httprest):
// grant_type urn:ietf:params:oauth:grant-type:jwt-bearer, an RS256 JWT whose signature verifies with
// the key's public half, iss = client_email, aud = token_uri, scope, iat/exp within an hour; it
// answers {access_token, expires_in, token_type}. Its Logging and Trace endpoints check each request
// against the REST references: POST /v2/entries:write (https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write:
// entries[] of LogEntry with logName projects/{p}/logs/{url-encoded id}, resource.type, a LogSeverity,
// one payload, RFC 3339 timestamp) and POST /v2/projects/{p}/traces:batchWrite
// (https://cloud.google.com/trace/docs/reference/v2/rest/v2/projects.traces/batchWrite: spans[] with
// name projects/{p}/traces/{32 hex}/spans/{16 hex}, displayName, startTime, endTime), each with
// Authorization: Bearer <a token it issued>. Errors are Google's JSON errors.
import { createVerify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

const SEVERITIES = new Set(['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY']);

export interface ApiRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
  readonly status: number;
}

export class FakeGoogle {
  readonly requests: ApiRequest[] = [];
  readonly tokenRequests: number[] = [];
  readonly entries: Array<Record<string, unknown>> = [];
  readonly spans: Array<Record<string, unknown>> = [];
  /** Scripted whole-request replies for API calls. */
  readonly replies: Array<{ status: number; body?: unknown; headers?: Record<string, string> }> = [];
  /** Entries refused one by one (partialSuccess): by their textPayload. */
  refuseEntry: (entry: Record<string, unknown>) => string | undefined = () => undefined;
  url = '';
  private issued = new Set<string>();
  private n = 0;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const send = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      const gerror = (code: number, status: string, message: string, details?: unknown[]): unknown => ({ error: { code, message, status, ...(details ? { details } : {}) } });
      if (req.url === '/token') return this.token(body, send);
      const record = (status: number, parsed: Record<string, unknown>): void => {
        this.requests.push({ path: req.url ?? '', headers: req.headers, body: parsed, status });
      };
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(body) as Record<string, unknown>;
      } catch {
        record(400, {});
        return send(400, gerror(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
      }
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json') {
        record(400, parsed);
        return send(400, gerror(400, 'INVALID_ARGUMENT', 'POST application/json expected'));
      }
      if (!auth || !this.issued.has(auth)) {
        record(401, parsed);
        return send(401, gerror(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
      }
      const scripted = this.replies.shift();
      if (scripted) {
        record(scripted.status, parsed);
        return send(scripted.status, scripted.body ?? gerror(scripted.status, 'UNAVAILABLE', 'scripted'), scripted.headers);
      }
      if (req.url === '/v2/entries:write') {
        const entries = parsed.entries as Array<Record<string, unknown>> | undefined;
        const problem = !Array.isArray(entries) || entries.length === 0 ? 'entries is required' : entries.map((e) => this.entryProblem(e)).find((p) => p !== undefined);
        if (problem) {
          record(400, parsed);
          return send(400, gerror(400, 'INVALID_ARGUMENT', problem));
        }
        const errors: Record<string, { code: number; message: string }> = {};
        (entries ?? []).forEach((e, i) => {
          const why = this.refuseEntry(e);
          if (why) errors[String(i)] = { code: 3, message: why };
          else this.entries.push(e);
        });
        if (Object.keys(errors).length > 0) {
          record(400, parsed);
          return send(400, gerror(400, 'INVALID_ARGUMENT', 'Log entry with size exceeds maximum', [{ '@type': 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors', logEntryErrors: errors }]));
        }
        record(200, parsed);
        return send(200, {});
      }
      const m = /^\/v2\/projects\/([^/]+)\/traces:batchWrite$/.exec(req.url ?? '');
      if (m) {
        const spans = parsed.spans as Array<Record<string, unknown>> | undefined;
        const name = new RegExp(`^projects/${m[1]}/traces/[0-9a-f]{32}/spans/[0-9a-f]{16}$`);
        const bad = (spans ?? []).find((s) => !name.test(String(s.name)) || typeof (s.displayName as { value?: unknown })?.value !== 'string' || Number.isNaN(Date.parse(String(s.startTime))) || Number.isNaN(Date.parse(String(s.endTime))));
        if (!Array.isArray(spans) || bad) {
          record(400, parsed);
          return send(400, gerror(400, 'INVALID_ARGUMENT', `invalid span ${JSON.stringify(bad)}`));
        }
        this.spans.push(...spans);
        record(200, parsed);
        return send(200, {});
      }
      record(404, parsed);
      send(404, gerror(404, 'NOT_FOUND', `${req.url} not found`));
    });
  });

  constructor(
    private readonly clientEmail: string,
    private readonly publicKey: KeyObject,
  ) {}

  static async start(clientEmail: string, publicKey: KeyObject): Promise<FakeGoogle> {
    const f = new FakeGoogle(clientEmail, publicKey);
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  private entryProblem(e: Record<string, unknown>): string | undefined {
    if (!/^projects\/[^/]+\/logs\/[^/]+$/.test(String(e.logName))) return `logName ${String(e.logName)} is not projects/[PROJECT_ID]/logs/[LOG_ID] (URL-encoded)`;
    if (typeof (e.resource as { type?: unknown })?.type !== 'string') return 'resource.type is required';
    if (!SEVERITIES.has(String(e.severity))) return `severity ${String(e.severity)} is not a LogSeverity`;
    const payloads = ['textPayload', 'jsonPayload', 'protoPayload'].filter((k) => k in e);
    if (payloads.length !== 1) return 'exactly one payload is required';
    if (Number.isNaN(Date.parse(String(e.timestamp)))) return 'timestamp is not RFC 3339';
    return undefined;
  }

  private token(body: string, send: (status: number, json: unknown) => void): void {
    this.tokenRequests.push(Date.now());
    const form = new URLSearchParams(body);
    const fail = (d: string): void => send(400, { error: 'invalid_grant', error_description: d });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return fail('Invalid grant_type');
    const [h, c, s] = (form.get('assertion') ?? '').split('.');
    if (!h || !c || !s) return fail('Invalid JWT');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as { iss?: string; aud?: string; scope?: string; iat?: number; exp?: number };
    if (header.alg !== 'RS256') return fail('Invalid JWT alg');
    if (!createVerify('RSA-SHA256').update(`${h}.${c}`).verify(this.publicKey, Buffer.from(s, 'base64url'))) return fail('Invalid JWT Signature.');
    if (claims.iss !== this.clientEmail) return fail('Invalid issuer');
    if (claims.aud !== `${this.url}/token`) return fail('Invalid audience');
    if (!claims.scope?.split(' ').includes('https://www.googleapis.com/auth/cloud-platform')) return fail('Invalid scope');
    const now = Date.now() / 1000;
    if (!claims.iat || !claims.exp || claims.exp - claims.iat > 3600 || Math.abs(claims.iat - now) > 300) return fail('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    const token = `ya29.fake-${++this.n}`;
    this.issued.add(token);
    send(200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }

  /** Tokens issued so far stop working (they expired). */
  expireTokens(): void {
    this.issued = new Set();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
