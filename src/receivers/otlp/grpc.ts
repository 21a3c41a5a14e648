// OTLP/gRPC on @grpc/grpc-js: the Logs/Trace/Metrics Export services, with identity
// (de)serializers so the handler decodes the raw bytes once, with our own decoder.
import type { ChannelOptions, Metadata as MetadataType, ServerUnaryCall, ServiceDefinition, handleUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import type { Server as NetServer } from 'node:net';
import type { SignalConsumers } from '../../component.js';
import { loadTlsServer } from '../../config/tls-server.js';
import { formatHostPort } from '../../net.js';
import type { RequestContext } from '../../pdata/batch.js';
import { countItems, makeBatch } from '../../pdata/batch.js';
import { decodeExportRequest } from '../../pdata/proto.js';
import type { Signal } from '../../pdata/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ConnectionMetrics, ReceiverMetrics } from '../../telemetry/self.js';
import type { InFlight } from '../helper.js';
import { GrpcCode, clientAddress, consumeCounted, encodeGrpcStatusDetails, grpcRefusal } from '../helper.js';
import type { ResolvedGrpc } from './config.js';
import { BUDGET_RETRY_AFTER_MS, type RequestBudget } from './budget.js';
import { capConnections, reapSilentSessions } from './connections.js';

export interface OtlpGrpcOptions {
  readonly config: ResolvedGrpc;
  readonly consumers: SignalConsumers;
  readonly metrics: ReceiverMetrics;
  readonly connections: ConnectionMetrics;
  readonly budget: RequestBudget;
  readonly logger: Logger;
  /** Shared with the HTTP server: shutdown waits for both. */
  readonly inFlight: InFlight;
}

/** The fully qualified gRPC service of each signal's Export method. */
export const GRPC_SERVICE: Readonly<Record<Signal, string>> = {
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
  traces: 'opentelemetry.proto.collector.trace.v1.TraceService',
  metrics: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
};

const identity = (b: Buffer): Buffer => b;

function exportService(signal: Signal): ServiceDefinition {
  return {
    Export: {
      path: `/${GRPC_SERVICE[signal]}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
}

// The Export*ServiceResponse of a full success is empty: zero bytes on the wire.
const EMPTY_RESPONSE = Buffer.alloc(0);

type Reply = { readonly error: { code: number; details: string; metadata?: MetadataType } } | { readonly error?: undefined };

export function channelOptions(c: ResolvedGrpc): ChannelOptions {
  const o: ChannelOptions = { 'grpc.max_receive_message_length': c.maxRecvMsgSizeBytes };
  if (c.maxConcurrentStreams !== undefined) o['grpc.max_concurrent_streams'] = c.maxConcurrentStreams;
  const k = c.keepalive;
  if (k.maxConnectionIdleMs !== undefined) o['grpc.max_connection_idle_ms'] = k.maxConnectionIdleMs;
  if (k.maxConnectionAgeMs !== undefined) o['grpc.max_connection_age_ms'] = k.maxConnectionAgeMs;
  if (k.maxConnectionAgeGraceMs !== undefined) o['grpc.max_connection_age_grace_ms'] = k.maxConnectionAgeGraceMs;
  if (k.timeMs !== undefined) o['grpc.keepalive_time_ms'] = k.timeMs;
  if (k.timeoutMs !== undefined) o['grpc.keepalive_timeout_ms'] = k.timeoutMs;
  return o;
}

/** grpc-js wraps bind failures ("No address added… [listen EADDRINUSE: …]"); say it plainly. */
export function bindError(address: string, err: Error, what = 'otlp receiver'): Error {
  const m = err.message;
  const why = m.includes('EADDRINUSE')
    ? 'address already in use'
    : m.includes('EACCES')
      ? 'permission denied'
      : m.includes('EADDRNOTAVAIL')
        ? 'address not available on this host'
        : m;
  return new Error(`${what}: cannot listen on ${address}: ${why}`, { cause: err });
}

export class OtlpGrpcServer {
  private server: Server | undefined;
  private draining = false;

  constructor(private readonly options: OtlpGrpcOptions) {}

  /** Bind and resolve once listening; the bound `host:port`. */
  async start(): Promise<string> {
    const { config, consumers } = this.options;
    let credentials = ServerCredentials.createInsecure();
    if (config.tls !== undefined) {
      const tls = await loadTlsServer(config.tls);
      credentials = ServerCredentials.createSsl(tls.clientCa ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientCa !== undefined);
    }
    const server = new Server(channelOptions(config));
    // Only signals some pipeline takes get a service; grpc-js answers UNIMPLEMENTED for the rest.
    for (const signal of ['logs', 'traces', 'metrics'] as const) {
      if (consumers[signal] !== undefined) server.addService(exportService(signal), { Export: this.handler(signal) });
    }
    const address = config.unixPath !== undefined ? `unix:${config.unixPath}` : formatHostPort(config.host, config.port);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, credentials, (err, bound) => (err ? reject(bindError(address, err)) : resolve(bound)));
    });
    // grpc-js has no connection cap or handshake deadline of its own, nor a public handle on
    // its listening server: take it from the one private field (grpc-js is pinned; the fault
    // tests fail if this stops working).
    const listening = (server as unknown as { http2Servers?: Map<NetServer, unknown> }).http2Servers;
    if (!(listening instanceof Map) || listening.size === 0) {
      server.forceShutdown();
      throw new Error('otlp receiver: cannot guard the gRPC server\'s connections (grpc-js internals changed)');
    }
    for (const http2Server of listening.keys()) {
      capConnections(http2Server, config.maxConnections, this.options.connections);
      reapSilentSessions(http2Server, config.handshakeTimeoutMs, this.options.connections);
    }
    this.server = server;
    return config.unixPath !== undefined ? address : formatHostPort(config.host, port);
  }

  /** New calls get UNAVAILABLE from now on; the ones in flight finish normally. */
  beginDrain(): void {
    this.draining = true;
  }

  /** Close gracefully; calls still open after `graceMs` are cut. */
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

  private handler(signal: Signal): handleUnaryCall<Buffer, Buffer> {
    return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
      if (this.draining) {
        callback({ code: GrpcCode.UNAVAILABLE, details: 'otlp receiver is shutting down' });
        return;
      }
      this.options.inFlight.run(() => this.export(signal, call)).then(
        (reply) => (reply.error ? callback(reply.error) : callback(null, EMPTY_RESPONSE)),
        (err: unknown) => {
          this.options.logger.error('otlp/grpc call failed', { signal, error: err });
          callback({ code: GrpcCode.INTERNAL, details: 'internal error' });
        },
      );
    };
  }

  private async export(signal: Signal, call: ServerUnaryCall<Buffer, Buffer>): Promise<Reply> {
    const { budget } = this.options;
    // grpc-js has read the message already (at most max_recv_msg_size_mib); refusing it here
    // keeps it from being decoded and held until the pipeline settles.
    const bytes = call.request.length;
    if (!budget.tryTake(bytes)) {
      budget.refused();
      const message = `otlp receiver is holding max_request_bytes_in_flight (${budget.limitBytes} bytes) of requests; retry later`;
      const metadata = new Metadata();
      metadata.set('grpc-status-details-bin', encodeGrpcStatusDetails(GrpcCode.RESOURCE_EXHAUSTED, message, BUDGET_RETRY_AFTER_MS));
      return { error: { code: GrpcCode.RESOURCE_EXHAUSTED, details: message, metadata } };
    }
    try {
      return await this.decodeAndConsume(signal, call);
    } finally {
      budget.give(bytes);
    }
  }

  private async decodeAndConsume(signal: Signal, call: ServerUnaryCall<Buffer, Buffer>): Promise<Reply> {
    const { logger } = this.options;
    let batch;
    try {
      batch = makeBatch(signal, decodeExportRequest(signal, call.request), this.requestContext(call));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.debug('cannot decode request', { signal, reason: message });
      return { error: { code: GrpcCode.INVALID_ARGUMENT, details: message } };
    }
    // An empty request is a success with nothing to pass on (the Collector does the same).
    if (countItems(batch) === 0) return {};
    const consumer = this.options.consumers[signal];
    if (consumer === undefined) throw new Error(`internal: no consumer for ${signal}`);
    const refused = await consumeCounted(consumer, batch, this.options.metrics, logger);
    if (refused === undefined) return {};
    const { code, message, retryDelayMs } = grpcRefusal(refused);
    if (retryDelayMs === undefined) return { error: { code, details: message } };
    // The OTLP throttling signal: google.rpc.Status with a RetryInfo, in grpc-status-details-bin.
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', encodeGrpcStatusDetails(code, message, retryDelayMs));
    return { error: { code, details: message, metadata } };
  }

  private requestContext(call: ServerUnaryCall<Buffer, Buffer>): RequestContext {
    const address = clientAddress(call.getPeer());
    if (!this.options.config.includeMetadata) return address === undefined ? {} : { clientAddress: address };
    const metadata: Record<string, string[]> = {};
    for (const key of Object.keys(call.metadata.getMap())) {
      // Binary (-bin) values arrive as Buffers; carry them as base64 text.
      metadata[key] = call.metadata.get(key).map((v) => (typeof v === 'string' ? v : v.toString('base64')));
    }
    return { clientAddress: address, metadata };
  }
}
