// One HTTP scrape of one target: the Accept header Prometheus sends, auth, TLS, a timeout,
// gzip, and a cap on the (uncompressed) body — a target that is slow, huge or failing is an error.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { SecureVersion } from 'node:tls';
import { createGunzip } from 'node:zlib';
import { VERSION } from '../../version.js';
import type { PromTlsConfig, ScrapeConfig, ScrapeProtocol } from './config.js';

const ACCEPT: Readonly<Record<ScrapeProtocol, string>> = {
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
};

/** Prometheus's Accept header: each protocol with a falling q, then anything. */
export function acceptHeader(protocols: readonly ScrapeProtocol[]): string {
  const parts = protocols.map((p, i) => `${ACCEPT[p]};q=${(0.5 - i * 0.1).toFixed(1)}`);
  parts.push('*/*;q=0.1');
  return parts.join(',');
}

export interface ScrapeResponse {
  readonly body: string;
  readonly contentType: string | undefined;
  /** Uncompressed bytes read. */
  readonly bytes: number;
}

export class ScrapeError extends Error {
  override readonly name = 'ScrapeError';
}

const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** The request's fixed part, built once per job: agent (TLS), and how to compute headers. */
export class ScrapeClient {
  private readonly agent: http.Agent;

  private constructor(
    private readonly job: ScrapeConfig,
    private readonly accept: string,
    tls: https.AgentOptions,
  ) {
    this.agent = job.scheme === 'https' ? new https.Agent({ keepAlive: true, maxSockets: 4, ...tls }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  static async create(job: ScrapeConfig, protocols: readonly ScrapeProtocol[]): Promise<ScrapeClient> {
    return new ScrapeClient(job, acceptHeader(protocols), await tlsOptions(job.tls_config));
  }

  private async authorization(): Promise<string | undefined> {
    const j = this.job;
    if (j.basic_auth) {
      const password = j.basic_auth.password_file ? (await readFile(j.basic_auth.password_file, 'utf8')).trim() : (j.basic_auth.password ?? '');
      return 'Basic ' + Buffer.from(`${j.basic_auth.username ?? ''}:${password}`).toString('base64');
    }
    const a = j.authorization ?? (j.bearer_token !== undefined || j.bearer_token_file !== undefined ? { credentials: j.bearer_token, credentials_file: j.bearer_token_file } : undefined);
    if (!a) return undefined;
    const credentials = a.credentials_file ? (await readFile(a.credentials_file, 'utf8')).trim() : (a.credentials ?? '');
    return `${a.type ?? 'Bearer'} ${credentials}`;
  }

  /** GET the URL; rejects with a ScrapeError on timeout, a non-2xx status, a body over `limit`, or a connection failure. */
  async scrape(url: URL, limit: number, timeoutMs: number): Promise<ScrapeResponse> {
    const headers: Record<string, string> = {
      accept: this.accept,
      'accept-encoding': this.job.enable_compression === false ? 'identity' : 'gzip',
      'user-agent': `Ferry/${VERSION}`,
      'x-prometheus-scrape-timeout-seconds': String(timeoutMs / 1000),
    };
    const auth = await this.authorization();
    if (auth !== undefined) headers.authorization = auth;
    const deadline = Date.now() + timeoutMs;
    const maxRedirects = this.job.follow_redirects === false ? 0 : 10;
    for (let hop = 0; ; hop++) {
      const res = await this.get(url, headers, limit, Math.max(1, deadline - Date.now()));
      if (!('location' in res)) return res;
      if (hop >= maxRedirects) throw new ScrapeError(`server returned HTTP status ${res.status}${maxRedirects === 0 ? ' (follow_redirects is off)' : ': stopped after 10 redirects'}`);
      url = new URL(res.location, url);
    }
  }

  private get(url: URL, headers: Record<string, string>, limit: number, timeoutMs: number): Promise<ScrapeResponse | { status: number; location: string }> {
    const secure = url.protocol === 'https:';
    const lib = secure ? https : http;
    // A redirect to the other scheme goes through Node's default agent of that scheme.
    const agent = secure === this.agent instanceof https.Agent ? this.agent : undefined;
    return new Promise<ScrapeResponse | { status: number; location: string }>((resolve, reject) => {
      let settled = false;
      const fail = (message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new ScrapeError(message));
      };
      const timer = setTimeout(() => fail(`context deadline exceeded: no complete answer within ${timeoutMs / 1000}s`), timeoutMs);
      const req = lib.get(url, { agent, headers }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status <= 399 && location !== undefined) {
          res.resume();
          settled = true;
          clearTimeout(timer);
          resolve({ status, location });
          return;
        }
        if (status < 200 || status > 299) {
          res.resume();
          fail(`server returned HTTP status ${status} ${res.statusMessage ?? ''}`.trim());
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (res.headers['content-encoding'] === undefined && Number.isFinite(declared) && declared > limit) {
          res.resume();
          fail(`body size limit exceeded: Content-Length ${declared} > body_size_limit ${limit}`);
          return;
        }
        const gz = res.headers['content-encoding'] === 'gzip';
        const stream = gz ? res.pipe(createGunzip()) : res;
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > limit) {
            stream.destroy();
            fail(`body size limit exceeded: more than ${limit} bytes (body_size_limit)`);
            return;
          }
          chunks.push(chunk);
        });
        stream.on('error', (err: Error) => fail(`reading the body: ${err.message}`));
        stream.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ body: Buffer.concat(chunks).toString('utf8'), contentType: res.headers['content-type'], bytes });
        });
      });
      req.on('error', (err: Error) => fail(err.message));
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function tlsOptions(t: PromTlsConfig | undefined): Promise<https.AgentOptions> {
  if (!t) return {};
  const pem = async (file: string | undefined, inline: string | undefined): Promise<string | undefined> => inline ?? (file ? readFile(file, 'utf8') : undefined);
  const [ca, cert, key] = await Promise.all([pem(t.ca_file, t.ca), pem(t.cert_file, t.cert), pem(t.key_file, t.key)]);
  const o: https.AgentOptions = { rejectUnauthorized: !t.insecure_skip_verify };
  if (ca !== undefined) o.ca = ca;
  if (cert !== undefined) o.cert = cert;
  if (key !== undefined) o.key = key;
  if (t.server_name) o.servername = t.server_name;
  if (t.min_version) o.minVersion = TLS_VERSIONS[t.min_version];
  if (t.max_version) o.maxVersion = TLS_VERSIONS[t.max_version];
  return o;
}
