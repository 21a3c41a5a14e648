// The HTTP server of the span receivers that speak a vendor format (zipkin, jaeger thrift_http):
// the confighttp server settings of the otlp receiver (TLS, CORS, timeouts, body limits,
// gzip/deflate), a route per path that decodes a body into OTLP spans, answered after consume().
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Consumer } from '../consumer.js';
import { httpsServerOptions, loadTlsServer } from '../config/tls-server.js';
import { listen } from '../net.js';
import type { RequestContext } from '../pdata/batch.js';
import { countItems, makeBatch } from '../pdata/batch.js';
import type { ResourceSpans } from '../pdata/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { ReceiverMetrics } from '../telemetry/self.js';
import type { InFlight } from './helper.js';
import { clientAddress, consumeCounted, httpRefusal } from './helper.js';
import { discardRest, readBody } from './otlp/body.js';
import type { ResolvedHttp } from './otlp/config.js';
import { Cors } from './otlp/cors.js';
import { serverTimeouts } from './otlp/http.js';

/** A request body the format's decoder refuses: the sender gets 400 with this message. */
export class SpanDecodeError extends Error {
  override readonly name = 'SpanDecodeError';
}

/** Decode one request body (already decompressed) into OTLP resource spans; throws SpanDecodeError. */
export type SpanRoute = (body: Buffer, contentType: string) => ResourceSpans[];

export interface SpanHttpOptions {
  /** The component, for log lines and error messages ("zipkin receiver"). */
  readonly what: string;
  readonly config: ResolvedHttp;
  readonly routes: ReadonlyMap<string, SpanRoute>;
  readonly consumer: Consumer;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
  readonly inFlight: InFlight;
  /** The status of a success: Zipkin and Jaeger both answer 202 Accepted. */
  readonly successStatus: number;
}

/** The media type of a Content-Type header, lower-cased, parameters dropped. */
export function mediaType(contentType: string | undefined): string {
  return ((contentType ?? '').split(';', 1)[0] as string).trim().toLowerCase();
}

export class SpanHttpServer {
  private server: Server | undefined;
  private draining = false;
  private readonly cors: Cors | undefined;

  constructor(private readonly options: SpanHttpOptions) {
    this.cors = options.config.cors === undefined ? undefined : new Cors(options.config.cors);
  }

  /** Bind and resolve once listening; the bound `host:port`. */
  async start(): Promise<string> {
    const { config } = this.options;
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const timeouts = serverTimeouts(config);
    const server =
      config.tls === undefined ? createHttpServer(timeouts, handler) : createHttpsServer({ ...timeouts, ...httpsServerOptions(await loadTlsServer(config.tls)) }, handler);
    server.keepAliveTimeout = config.idleTimeoutMs;
    this.server = server;
    return listen(server, config.host, config.port, this.options.what);
  }

  /** New requests get 503 from now on; the ones in flight finish normally. */
  beginDrain(): void {
    this.draining = true;
  }

  /** Stop listening and close connections: idle ones now, busy ones after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    try {
      await closed;
    } finally {
      clearTimeout(timer);
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const { config, routes, what } = this.options;
    if (config.writeTimeoutMs > 0) {
      // Go's WriteTimeout: an answer not finished in time closes the connection.
      const timer = setTimeout(() => req.socket.destroy(), config.writeTimeoutMs);
      res.once('close', () => clearTimeout(timer));
    }
    const path = (req.url ?? '/').split('?', 1)[0] as string;
    const route = routes.get(path);
    if (route === undefined) {
      this.fail(res, 404, `404 page not found: ${what} serves ${[...routes.keys()].join(', ')}`);
      return;
    }
    this.cors?.decorate(req, res);
    if (req.method === 'OPTIONS' && this.cors !== undefined) {
      this.cors.preflight(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', this.cors === undefined ? 'POST' : 'POST, OPTIONS');
      this.fail(res, 405, '405 method not allowed, supported: [POST]');
      return;
    }
    if (this.draining) {
      res.setHeader('connection', 'close');
      this.fail(res, 503, `${what} is shutting down`);
      return;
    }
    void this.options.inFlight
      .run(() => this.receive(route, req, res))
      .catch((err: unknown) => {
        this.options.logger.error('request failed', { path, error: err });
        this.fail(res, 500, 'internal error');
      });
  }

  private async receive(route: SpanRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { config, logger } = this.options;
    const body = await readBody(req, config.maxRequestBodySize);
    switch (body.kind) {
      case 'aborted':
        return;
      case 'too-large':
        if (!discardRest(req, 2 * config.maxRequestBodySize)) res.setHeader('connection', 'close');
        this.fail(res, 413, body.message);
        return;
      case 'bad':
        this.fail(res, 400, body.message);
        return;
      case 'over-budget':
        // Not charged here (no byte budget on these receivers yet); kept for the type's sake.
        this.fail(res, 429, 'too many request bytes in flight; retry later');
        return;
      case 'ok':
        break;
    }
    let resources: ResourceSpans[];
    try {
      resources = route(body.body, mediaType(req.headers['content-type']));
    } catch (err) {
      if (!(err instanceof SpanDecodeError)) throw err;
      logger.debug('cannot decode request', { path: req.url, contentType: req.headers['content-type'], reason: err.message });
      this.fail(res, 400, err.message);
      return;
    }
    const batch = makeBatch('traces', resources, this.requestContext(req));
    if (countItems(batch) > 0) {
      const refused = await consumeCounted(this.options.consumer, batch, this.options.metrics, logger);
      if (refused !== undefined) {
        const { status, message, headers } = httpRefusal(refused);
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        this.fail(res, status, message);
        return;
      }
    }
    res.writeHead(this.options.successStatus, { 'content-length': 0 });
    res.end();
  }

  private requestContext(req: IncomingMessage): RequestContext {
    const address = clientAddress(req.socket.remoteAddress);
    if (!this.options.config.includeMetadata) return address === undefined ? {} : { clientAddress: address };
    const metadata: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(req.headersDistinct)) if (v !== undefined) metadata[k] = v;
    return { clientAddress: address, metadata };
  }

  /** An error answer in plain text, as Zipkin's and Jaeger's own collectors answer. */
  private fail(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) return;
    const body = Buffer.from(`${message}\n`, 'utf8');
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
    res.end(body);
  }
}
