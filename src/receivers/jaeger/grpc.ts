// Jaeger's gRPC collector API (jaeger.api_v2.CollectorService/PostSpans) on grpc-js, with
// the otlp receiver's server plumbing: identity (de)serializers, TLS, keepalive, limits.
import type { Metadata as MetadataType, ServerUnaryCall, ServiceDefinition, sendUnaryData } from '@grpc/grpc-js';
import { Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import type { Consumer } from '../../consumer.js';
import { loadTlsServer } from '../../config/tls-server.js';
import { formatHostPort } from '../../net.js';
import type { RequestContext } from '../../pdata/batch.js';
import { countItems, makeBatch } from '../../pdata/batch.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ReceiverMetrics } from '../../telemetry/self.js';
import type { InFlight } from '../helper.js';
import { GrpcCode, clientAddress, consumeCounted, encodeGrpcStatusDetails, grpcRefusal } from '../helper.js';
import type { ResolvedGrpc } from '../otlp/config.js';
import { bindError, channelOptions } from '../otlp/grpc.js';
import { SpanDecodeError } from '../span_http.js';
import { decodePostSpansRequest } from './proto.js';
import { jaegerToOtlp } from './translate.js';

export interface JaegerGrpcOptions {
  readonly config: ResolvedGrpc;
  readonly consumer: Consumer;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
  readonly inFlight: InFlight;
}

export const POST_SPANS_PATH = '/jaeger.api_v2.CollectorService/PostSpans';

const identity = (b: Buffer): Buffer => b;
const SERVICE: ServiceDefinition = {
  PostSpans: {
    path: POST_SPANS_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'postSpans',
  },
};

// PostSpansResponse is empty: zero bytes on the wire.
const EMPTY_RESPONSE = Buffer.alloc(0);

type Reply = { readonly error: { code: number; details: string; metadata?: MetadataType } } | { readonly error?: undefined };

export class JaegerGrpcServer {
  private server: Server | undefined;
  private draining = false;

  constructor(private readonly options: JaegerGrpcOptions) {}

  async start(): Promise<string> {
    const { config } = this.options;
    let credentials = ServerCredentials.createInsecure();
    if (config.tls !== undefined) {
      const tls = await loadTlsServer(config.tls);
      credentials = ServerCredentials.createSsl(tls.clientCa ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientCa !== undefined);
    }
    const server = new Server(channelOptions(config));
    server.addService(SERVICE, { PostSpans: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => this.handle(call, cb) });
    const address = formatHostPort(config.host, config.port);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, credentials, (err, bound) => (err ? reject(bindError(address, err, 'jaeger receiver')) : resolve(bound)));
    });
    this.server = server;
    return formatHostPort(config.host, port);
  }

  beginDrain(): void {
    this.draining = true;
  }

  async close(graceMs: number): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private handle(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void {
    if (this.draining) {
      callback({ code: GrpcCode.UNAVAILABLE, details: 'jaeger receiver is shutting down' });
      return;
    }
    this.options.inFlight.run(() => this.postSpans(call)).then(
      (reply) => (reply.error ? callback(reply.error) : callback(null, EMPTY_RESPONSE)),
      (err: unknown) => {
        this.options.logger.error('jaeger/grpc call failed', { error: err });
        callback({ code: GrpcCode.INTERNAL, details: 'internal error' });
      },
    );
  }

  private async postSpans(call: ServerUnaryCall<Buffer, Buffer>): Promise<Reply> {
    const { logger } = this.options;
    let batch;
    try {
      batch = makeBatch('traces', jaegerToOtlp([decodePostSpansRequest(call.request)]), this.requestContext(call));
    } catch (err) {
      if (!(err instanceof SpanDecodeError)) throw err;
      logger.debug('cannot decode request', { reason: err.message });
      return { error: { code: GrpcCode.INVALID_ARGUMENT, details: err.message } };
    }
    if (countItems(batch) === 0) return {};
    const refused = await consumeCounted(this.options.consumer, batch, this.options.metrics, logger);
    if (refused === undefined) return {};
    const { code, message, retryDelayMs } = grpcRefusal(refused);
    if (retryDelayMs === undefined) return { error: { code, details: message } };
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', encodeGrpcStatusDetails(code, message, retryDelayMs));
    return { error: { code, details: message, metadata } };
  }

  private requestContext(call: ServerUnaryCall<Buffer, Buffer>): RequestContext {
    const address = clientAddress(call.getPeer());
    if (!this.options.config.includeMetadata) return address === undefined ? {} : { clientAddress: address };
    const metadata: Record<string, string[]> = {};
    for (const key of Object.keys(call.metadata.getMap())) {
      metadata[key] = call.metadata.get(key).map((v) => (typeof v === 'string' ? v : v.toString('base64')));
    }
    return { clientAddress: address, metadata };
  }
}
