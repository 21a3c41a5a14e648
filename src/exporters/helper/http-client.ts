// The HTTP transport of the HTTP exporters (otlphttp, loki, elasticsearch, …): POST a body over keep-alive node:http(s)
// agents. Everything client-specific lives here, so moving to undici's Pool is one file.
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { gzip, gzipSync } from 'node:zlib';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { RetryableError } from '../../consumer.js';
import { loadTlsClient, type TlsClientConfig, type TlsClientOptions } from '../../config/tls-client.js';
import { parseDuration } from '../../config/units.js';

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The first `maxResponseBytes` of the body; past them the connection is dropped unread. */
  readonly body: Buffer;
}

export interface HttpClient {
  /** Rejects only when no response arrived (connection, TLS, abort); any status resolves. `method` defaults to POST. */
  post(url: URL, body: Uint8Array, headers: Readonly<Record<string, string>>, signal: AbortSignal, method?: string): Promise<HttpResponse>;
  /** Close idle connections; requests in flight finish. */
  close(): void;
}

export interface HttpClientOptions {
  readonly tls: TlsClientOptions;
  readonly keepAlive: boolean;
  /** 0 = no limit. */
  readonly maxConnsPerHost: number;
  /** Idle keep-alive sockets kept per host; 0 = no limit. */
  readonly maxIdleConnsPerHost?: number;
  /** An HTTP proxy: http:// targets are sent to it, https:// ones tunnelled with CONNECT. */
  readonly proxyUrl?: string;
  /** Keep Set-Cookie values and send them back. */
  readonly cookies?: boolean;
  readonly idleTimeoutMs: number;
  readonly maxResponseBytes: number;
}

// PERF-NOTES: http.request with keep-alive costs 0.22 ms CPU per 100 KB POST (undici Pool 0.17 ms).
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agentOptions = {
    keepAlive: options.keepAlive,
    maxSockets: options.maxConnsPerHost > 0 ? options.maxConnsPerHost : Infinity,
    maxFreeSockets: options.maxIdleConnsPerHost !== undefined && options.maxIdleConnsPerHost > 0 ? options.maxIdleConnsPerHost : 256,
    // The socket timeout closes idle keep-alive connections; requests are bounded by the helper's AbortSignal.
    timeout: options.idleTimeoutMs > 0 ? options.idleTimeoutMs : undefined,
  };
  const proxy = options.proxyUrl !== undefined && options.proxyUrl !== '' ? options.proxyUrl : undefined;
  const httpAgent: http.Agent = proxy === undefined ? new http.Agent(agentOptions) : new HttpProxyAgent(proxy, agentOptions);
  const httpsAgent: http.Agent = proxy === undefined ? new https.Agent({ ...agentOptions, ...options.tls }) : new HttpsProxyAgent(proxy, agentOptions);
  const jar = options.cookies === true ? new CookieJar() : undefined;

  function post(url: URL, body: Uint8Array, headers: Readonly<Record<string, string>>, signal: AbortSignal, method = 'POST'): Promise<HttpResponse> {
    const secure = url.protocol === 'https:';
    const request = secure ? https.request : http.request;
    const cookie = jar?.header(url.host);
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method,
        agent: secure ? httpsAgent : httpAgent,
        headers: { ...headers, ...(cookie === undefined ? {} : { cookie }), 'content-length': String(body.byteLength) },
        // Through a CONNECT tunnel the target's TLS settings travel with the request.
        ...(secure && proxy !== undefined ? options.tls : {}),
        signal,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        jar?.store(url.host, res.headers['set-cookie']);
        const chunks: Buffer[] = [];
        let kept = 0;
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        };
        res.on('data', (chunk: Buffer) => {
          const part = chunk.subarray(0, options.maxResponseBytes - kept);
          chunks.push(part);
          kept += part.byteLength;
          // Past the cap the rest is not read: a backend streaming gigabytes would burn a core for
          // nothing. Dropping the connection (it cannot go back to the pool half read) ends it.
          if (kept >= options.maxResponseBytes && !res.complete) {
            finish();
            res.destroy();
          }
        });
        res.on('error', (err) => (done ? undefined : reject(err)));
        res.on('end', finish);
      });
      req.end(body);
    });
  }

  return {
    post,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/**
 * The cookies a server set, per host, sent back on later requests (confighttp `cookies.enabled`).
 * Name and value only: an exporter talks to one server, so paths and domains do not matter,
 * and a cookie set to expire (Max-Age<=0) is dropped.
 */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  store(host: string, setCookie: readonly string[] | undefined): void {
    if (setCookie === undefined) return;
    let cookies = this.byHost.get(host);
    if (cookies === undefined) this.byHost.set(host, (cookies = new Map()));
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*(-\d+|0)\s*$/i.test(a));
      if (expired) cookies.delete(name);
      else cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  header(host: string): string | undefined {
    const cookies = this.byHost.get(host);
    if (cookies === undefined || cookies.size === 0) return undefined;
    return [...cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

/** The Collector's confighttp client keys every HTTP exporter shares. */
export interface HttpClientConfig {
  readonly tls?: TlsClientConfig;
  readonly proxy_url?: string;
  readonly max_idle_conns?: number;
  readonly max_idle_conns_per_host?: number;
  readonly cookies?: { readonly enabled?: boolean };
  readonly disable_keep_alives?: boolean;
  /** 0 = no limit. */
  readonly max_conns_per_host?: number;
  /** Default 90s, the Collector's. */
  readonly idle_conn_timeout?: string;
}

/**
 * An HTTP exporter's client: opened by the exporter's start() from its confighttp keys,
 * closed by its shutdown(). Posting before start (or after shutdown) is a retryable error.
 */
export class ExporterHttpClient {
  private client: HttpClient | undefined;

  constructor(
    private readonly exporterId: string,
    private readonly config: HttpClientConfig,
    private readonly maxResponseBytes: number,
  ) {}

  async open(): Promise<void> {
    this.client = createHttpClient({
      tls: await loadTlsClient(this.config.tls),
      keepAlive: !this.config.disable_keep_alives,
      maxConnsPerHost: this.config.max_conns_per_host ?? 0,
      maxIdleConnsPerHost: this.config.max_idle_conns_per_host ?? this.config.max_idle_conns,
      proxyUrl: this.config.proxy_url,
      cookies: this.config.cookies?.enabled ?? false,
      idleTimeoutMs: parseDuration(this.config.idle_conn_timeout ?? '90s'),
      maxResponseBytes: this.maxResponseBytes,
    });
  }

  post(url: URL, body: Uint8Array, headers: Readonly<Record<string, string>>, signal: AbortSignal, method?: string): Promise<HttpResponse> {
    if (!this.client) return Promise.reject(new RetryableError(`exporter ${this.exporterId} is not started`));
    return this.client.post(url, body, headers, signal, method);
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

/**
 * The exporter's default gzip level. Level 1 rather than zlib's default (6, the Collector's):
 * on the bench's batches of 8200 log records (4.4 MB) level 6 took 4.3 µs of CPU per record
 * and level 1 1.9 µs, for a body 15 % larger (ratio 5.0 instead of 5.7); at 150,000 records
 * per CPU-second the whole budget is 6.7 µs per record. `compression_params.level` sets it.
 */
export const DEFAULT_GZIP_LEVEL = 1;

/** Bodies up to this size are gzipped on the event loop (about 30 ms of it at level 1); larger ones on the thread pool. */
const SYNC_GZIP_LIMIT = 8 * 1024 * 1024;

/**
 * Gzips request bodies that are encoded only to be compressed, writing each into one buffer
 * reused from batch to batch instead of a new one per batch. V8 counts every new Buffer's bytes
 * towards the old generation until its next full collection ("external memory"): at 10,000
 * spans/s the bodies received, their encoding for export and the gzip output started a
 * mark-compact every ~350 ms, and the encoded batches were a third of those bytes. Only bodies
 * gzipped on the event loop (at most SYNC_GZIP_LIMIT) use the buffer, so it is free again as soon
 * as gzip returns; it keeps its largest size (at most 10 MiB) for the exporter's lifetime.
 */
export class Gzipper {
  private scratch: Buffer | undefined;

  constructor(private readonly level: number) {}

  private readonly alloc = (size: number): Buffer => {
    if (size > SYNC_GZIP_LIMIT) return Buffer.allocUnsafe(size);
    // Room to spare: the next batch is often a little larger than this one.
    if (this.scratch === undefined || this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.ceil(size * 1.25));
    return this.scratch.subarray(0, size);
  };

  /** Gzip the body `encode` writes into the buffer `alloc` gives it (`size` bytes, every one written). */
  gzip(encode: (alloc: (size: number) => Buffer) => Uint8Array): Promise<Buffer> {
    return gzipBody(encode(this.alloc), this.level);
  }
}

/**
 * Gzip a request body. On the event loop when it is at most SYNC_GZIP_LIMIT: zlib's async
 * path costs more than the compression saves the loop (bench logs-http-protobuf-max, 4.4 MB
 * batches: 311k records per CPU-second with gzipSync, 274–289k with zlib.gzip; at 10,000
 * records/s 8.3 % of a core instead of 8.5–8.7 %, latency unchanged). Larger bodies go to the
 * thread pool, in output chunks of a quarter of the body: with zlib's 16 KiB default each chunk
 * waits for a turn of a busy event loop, and exports stalled behind incoming requests.
 */
export function gzipBody(body: Uint8Array, level: number): Promise<Buffer> {
  if (body.byteLength <= SYNC_GZIP_LIMIT) {
    try {
      return Promise.resolve(gzipSync(body, { level }));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
  const chunkSize = Math.max(64 * 1024, Math.ceil(body.byteLength / 4));
  return new Promise((resolve, reject) => gzip(body, { level, chunkSize }, (err, out) => (err ? reject(err) : resolve(out))));
}
