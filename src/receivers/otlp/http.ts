// OTLP/HTTP on node:http: POST protobuf or JSON to /v1/{traces,metrics,logs}, answered
// after the pipeline accepted the data, with the OTLP spec's status codes and Status bodies.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SignalConsumers } from '../../component.js';
import { httpsServerOptions, loadTlsServer } from '../../config/tls-server.js';
import { listen } from '../../net.js';
import type { RequestContext } from '../../pdata/batch.js';
import { countItems, makeBatch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ConnectionMetrics, ReceiverMetrics } from '../../telemetry/self.js';
import type { InFlight } from '../helper.js';
import { GrpcCode, clientAddress, consumeCounted, httpRefusal, retryAfterSeconds } from '../helper.js';
import { discardRest, readBody } from './body.js';
import { BUDGET_RETRY_AFTER_MS, type RequestBudget } from './budget.js';
import { capConnections } from './connections.js';
import type { ResolvedHttp } from './config.js';
import { Cors } from './cors.js';
import { loadCompression } from '../../compression.js';
import type { Encoding } from './wire.js';
import { CONTENT_TYPE, decodeRequest, encodingOf, statusBody, successBody } from './wire.js';

export interface OtlpHttpOptions {
  readonly config: ResolvedHttp;
  readonly consumers: SignalConsumers;
  readonly metrics: ReceiverMetrics;
  readonly connections: ConnectionMetrics;
  readonly budget: RequestBudget;
  readonly logger: Logger;
  /** Shared with the gRPC server: shutdown waits for both. */
  readonly inFlight: InFlight;
}

// Status.code for an HTTP status, mapped as the Collector does (OTLP/HTTP clients ignore it).
const STATUS_CODE: Readonly<Record<number, number>> = {
  400: GrpcCode.INVALID_ARGUMENT,
  404: GrpcCode.UNIMPLEMENTED,
  429: GrpcCode.RESOURCE_EXHAUSTED,
  500: GrpcCode.INTERNAL,
  503: GrpcCode.UNAVAILABLE,
};

/**
 * node:http's slow-client guards from the Collector's keys. Node checks them on a timer
 * (every 30 s by default), so the check runs often enough for short configured timeouts.
 */
export function serverTimeouts(config: ResolvedHttp): { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  const read = config.readTimeoutMs;
  // Node refuses headersTimeout > requestTimeout; the whole-request limit wins anyway.
  const headers = read > 0 && (config.readHeaderTimeoutMs === 0 || config.readHeaderTimeoutMs > read) ? read : config.readHeaderTimeoutMs;
  const shortest = Math.min(...[read, headers].filter((t) => t > 0), 120_000);
  return { requestTimeout: read, headersTimeout: headers, connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(shortest / 4))) };
}

export class OtlpHttpServer {
  private server: Server | undefined;
  private draining = false;
  private readonly routes = new Map<string, Signal>();
  private readonly cors: Cors | undefined;

  constructor(private readonly options: OtlpHttpOptions) {
    const { config, consumers } = options;
    // Only signals some pipeline takes get a route; the others answer 404, as in the Collector.
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      if (consumers[signal] !== undefined) this.routes.set(config.paths[signal], signal);
    }
    this.cors = config.cors === undefined ? undefined : new Cors(config.cors);
  }

  /** Bind and resolve once listening; the bound `host:port`. */
  async start(): Promise<string> {
    const { config } = this.options;
    await loadCompression(config.compressionAlgorithms);
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const timeouts = serverTimeouts(config);
    let server: Server;
    if (config.tls === undefined) {
      server = createHttpServer(timeouts, handler);
    } else {
      const tls = await loadTlsServer(config.tls);
      server = createHttpsServer(
        { ...timeouts, ...httpsServerOptions(tls) },
        handler,
      );
    }
    server.keepAliveTimeout = config.idleTimeoutMs;
    capConnections(server, config.maxConnections, this.options.connections);
    this.server = server;
    return listen(server, config.host, config.port, 'otlp receiver');
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
    const { responseHeaders, keepAlives } = this.options.config;
    for (const name of Object.keys(responseHeaders)) res.setHeader(name, responseHeaders[name] as string);
    // Go's SetKeepAlivesEnabled(false): every answer closes its connection.
    if (!keepAlives) res.setHeader('connection', 'close');
    const writeTimeoutMs = this.options.config.writeTimeoutMs;
    if (writeTimeoutMs > 0) {
      // Go's WriteTimeout: an answer not finished in time closes the connection. The
      // pipeline call goes on; the sender sees a dropped connection and retries.
      const timer = setTimeout(() => req.socket.destroy(), writeTimeoutMs);
      res.once('close', () => clearTimeout(timer));
    }
    const path = (req.url ?? '/').split('?', 1)[0] as string;
    const signal = this.routes.get(path);
    const encoding = encodingOf(req.headers['content-type']);
    if (signal === undefined) {
      const known = [...this.routes.keys()].join(', ');
      this.fail(res, encoding, 404, `404 page not found: no OTLP endpoint at ${path} (this receiver serves ${known || 'nothing'})`);
      return;
    }
    this.cors?.decorate(req, res);
    if (req.method === 'OPTIONS' && this.cors !== undefined) {
      this.cors.preflight(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', this.cors === undefined ? 'POST' : 'POST, OPTIONS');
      this.fail(res, encoding, 405, `405 method not allowed, supported: [POST]`);
      return;
    }
    if (encoding === undefined) {
      this.fail(res, undefined, 415, `415 unsupported media type, supported: [${CONTENT_TYPE.json}, ${CONTENT_TYPE.protobuf}]`);
      return;
    }
    if (this.draining) {
      res.setHeader('connection', 'close');
      this.fail(res, encoding, 503, 'otlp receiver is shutting down');
      return;
    }
    void this.options.inFlight
      .run(() => this.export(signal, encoding, req, res))
      .catch((err: unknown) => {
        this.options.logger.error('otlp/http request failed', { signal, error: err });
        this.fail(res, encoding, 500, 'internal error');
      });
  }

  private async export(signal: Signal, encoding: Encoding, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { budget } = this.options;
    let charged = 0;
    const charge = (bytes: number): boolean => {
      if (!budget.tryTake(bytes)) return false;
      charged += bytes;
      return true;
    };
    try {
      await this.chargedExport(signal, encoding, req, res, charge);
    } finally {
      // Held until the pipeline settled: the decoded batch lives that long.
      budget.give(charged);
    }
  }

  /** 429 + Retry-After: the receiver holds as many request bytes as its budget allows. */
  private overBudget(req: IncomingMessage, res: ServerResponse, encoding: Encoding): void {
    const { budget, config } = this.options;
    budget.refused();
    // The body is read and dropped (not held) so the sender reads the answer; past twice the limit, closed.
    if (!discardRest(req, 2 * config.maxRequestBodySize)) res.setHeader('connection', 'close');
    res.setHeader('retry-after', retryAfterSeconds(BUDGET_RETRY_AFTER_MS));
    this.fail(res, encoding, 429, `otlp receiver is holding max_request_bytes_in_flight (${budget.limitBytes} bytes) of requests; retry later`);
  }

  private async chargedExport(signal: Signal, encoding: Encoding, req: IncomingMessage, res: ServerResponse, charge: (bytes: number) => boolean): Promise<void> {
    const { config, logger } = this.options;
    const declared = Number(req.headers['content-length']);
    const known = Number.isFinite(declared) && declared > 0 && declared <= config.maxRequestBodySize;
    if (known && !charge(declared)) {
      this.overBudget(req, res, encoding);
      return;
    }
    const body = await readBody(req, config.maxRequestBodySize, config.compressionAlgorithms, charge, !known);
    switch (body.kind) {
      case 'aborted':
        return;
      case 'over-budget':
        this.overBudget(req, res, encoding);
        return;
      case 'too-large':
        // A body too large to hold is still read to its end and dropped, up to twice the
        // limit, so the sender gets the 413; past that the connection is closed instead.
        if (!discardRest(req, 2 * config.maxRequestBodySize)) res.setHeader('connection', 'close');
        this.fail(res, encoding, 413, body.message);
        return;
      case 'bad':
        this.fail(res, encoding, 400, body.message);
        return;
      case 'ok':
        break;
    }

    let batch;
    try {
      batch = makeBatch(signal, decodeRequest(signal, encoding, body.body), this.requestContext(req));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.debug('cannot decode request', { signal, encoding, reason: message });
      this.fail(res, encoding, 400, message);
      return;
    }

    // An empty request is a success with nothing to pass on (the Collector does the same).
    if (countItems(batch) > 0) {
      const consumer = this.options.consumers[signal];
      if (consumer === undefined) throw new Error(`internal: no consumer for ${signal}`);
      const refused = await consumeCounted(consumer, batch, this.options.metrics, logger);
      if (refused !== undefined) {
        const { status, message, headers } = httpRefusal(refused);
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        this.fail(res, encoding, status, message);
        return;
      }
    }
    const ok = successBody(signal, encoding);
    res.writeHead(200, { 'content-type': CONTENT_TYPE[encoding], 'content-length': ok.length });
    res.end(ok);
  }

  private requestContext(req: IncomingMessage): RequestContext {
    const address = clientAddress(req.socket.remoteAddress);
    if (!this.options.config.includeMetadata) return address === undefined ? {} : { clientAddress: address };
    // headersDistinct: lower-cased names, every value of repeated headers.
    const metadata: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(req.headersDistinct)) if (v !== undefined) metadata[k] = v;
    return { clientAddress: address, metadata };
  }

  /** An error answer: google.rpc.Status in the request's encoding (JSON when it had none we know). */
  private fail(res: ServerResponse, encoding: Encoding | undefined, status: number, message: string): void {
    if (res.headersSent) return;
    const enc = encoding ?? 'json';
    const body = statusBody(enc, { code: STATUS_CODE[status] ?? GrpcCode.UNKNOWN, message });
    res.writeHead(status, { 'content-type': CONTENT_TYPE[enc], 'content-length': body.length });
    res.end(body);
  }
}
