// CORS for browsers sending OTLP/HTTP, as the Collector's confighttp configures it:
// allowed origins with "*" wildcards, extra allowed headers, and the preflight cache age.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedCors } from './config.js';

// Always allowed by the CORS spec's "CORS-safelisted request headers", as in the Collector.
const IMPLICIT_HEADERS = ['accept', 'accept-language', 'content-type', 'content-language'];

function originPattern(origin: string): RegExp {
  const escaped = origin.toLowerCase().split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

export class Cors {
  private readonly origins: readonly RegExp[];
  private readonly anyHeader: boolean;
  private readonly headers: ReadonlySet<string>;

  constructor(private readonly config: ResolvedCors) {
    this.origins = config.allowedOrigins.map(originPattern);
    const extra = config.allowedHeaders.map((h) => h.toLowerCase());
    this.anyHeader = extra.includes('*');
    // With no headers configured the Collector (rs/cors) also allows X-Requested-With.
    this.headers = new Set([...IMPLICIT_HEADERS, ...(extra.length === 0 ? ['x-requested-with'] : extra)]);
  }

  private allowedOrigin(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    const lower = origin.toLowerCase();
    return this.origins.some((re) => re.test(lower)) ? origin : undefined;
  }

  /**
   * The Collector (rs/cors with AllowCredentials) always allows credentials, so browser SDKs
   * that send cookies or auth work; with credentials a browser refuses "*", so the origin is echoed.
   */
  private allowOrigin(res: ServerResponse, origin: string): void {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.appendHeader('vary', 'Origin');
  }

  /** On an actual request from an allowed origin, let the browser read the answer (and the exposed headers). */
  decorate(req: IncomingMessage, res: ServerResponse): void {
    const origin = this.allowedOrigin(req);
    if (origin === undefined) return;
    this.allowOrigin(res, origin);
    if (this.config.exposedHeaders.length > 0) res.setHeader('access-control-expose-headers', this.config.exposedHeaders.join(', '));
  }

  /** Answer an OPTIONS preflight: 204, with the allow headers only when the request may proceed. */
  preflight(req: IncomingMessage, res: ServerResponse, allowedMethod = 'POST'): void {
    res.appendHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    const origin = this.allowedOrigin(req);
    const method = (req.headers['access-control-request-method'] ?? '').toUpperCase();
    const requested = (req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== '');
    const headersOk = this.anyHeader || requested.every((h) => this.headers.has(h));
    if (origin !== undefined && method === allowedMethod && headersOk) {
      this.allowOrigin(res, origin);
      res.setHeader('access-control-allow-methods', allowedMethod);
      if (requested.length > 0) res.setHeader('access-control-allow-headers', requested.join(', '));
      if (this.config.maxAge !== undefined && this.config.maxAge > 0) res.setHeader('access-control-max-age', String(this.config.maxAge));
    }
    res.writeHead(204);
    res.end();
  }
}
