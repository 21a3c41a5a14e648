// The otlp receiver: OTLP over gRPC (:4317) and HTTP (:4318), one instance serving every
// signal some pipeline takes from it, answering each request only once the pipeline settled.
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import { portInUseFix } from '../../net.js';
import type { Logger } from '../../telemetry/logger.js';
import { InFlight } from '../helper.js';
import type { OtlpReceiverConfig } from './config.js';
import { configSchema, resolveGrpc, resolveHttp, validate } from './config.js';
import type { OtlpGrpcOptions, OtlpGrpcServer } from './grpc.js';
import { loadGrpc } from '../../telemetry/grpc-log.js';
import { RequestBudget } from './budget.js';
import { OtlpHttpServer } from './http.js';

export type { OtlpReceiverConfig } from './config.js';

export interface OtlpReceiverOptions {
  /** How long shutdown waits for requests in flight (their consume() calls) to settle. */
  readonly drainTimeoutMs?: number;
  /** After draining, how long open connections get to finish before they are cut. */
  readonly closeGraceMs?: number;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_GRACE_MS = 2_000;

export class OtlpReceiver implements Receiver {
  private readonly inFlight = new InFlight();
  /** Built at start: grpc-js is loaded only when the gRPC protocol is configured. */
  private grpc: OtlpGrpcServer | undefined;
  private readonly grpcOptions: OtlpGrpcOptions | undefined;
  private readonly http: OtlpHttpServer | undefined;
  private readonly httpConfig: { host: string; port: number } | undefined;
  private readonly id: string;
  private readonly logger: Logger;
  private readonly drainTimeoutMs: number;
  private readonly closeGraceMs: number;
  private started = false;

  constructor(config: OtlpReceiverConfig, ctx: ComponentContext, next: SignalConsumers, options: OtlpReceiverOptions = {}) {
    const { grpc, http } = config.protocols ?? {};
    this.logger = ctx.logger;
    this.id = ctx.id;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    const shared = { consumers: next, logger: ctx.logger, inFlight: this.inFlight };
    if (grpc === undefined) {
      this.grpcOptions = undefined;
    } else {
      const config = resolveGrpc(grpc);
      const budget = new RequestBudget(config.maxRequestBytesInFlight, ctx.telemetry, ctx.id, 'grpc');
      this.grpcOptions = { ...shared, config, budget, metrics: ctx.telemetry.forReceiver(ctx.id, 'grpc'), connections: ctx.telemetry.forConnections(ctx.id, 'grpc') };
    }
    if (http === undefined) {
      this.http = undefined;
    } else {
      const config = resolveHttp(http);
      this.httpConfig = config;
      const budget = new RequestBudget(config.maxRequestBytesInFlight, ctx.telemetry, ctx.id, 'http');
      this.http = new OtlpHttpServer({ ...shared, config, budget, metrics: ctx.telemetry.forReceiver(ctx.id, 'http'), connections: ctx.telemetry.forConnections(ctx.id, 'http') });
    }
  }

  /** A taken port: name the setting that picks it (receivers.<id>.protocols.<p>.endpoint). */
  private inUse(err: unknown, protocol: 'grpc' | 'http', host: string, port: number): unknown {
    if (!(err instanceof Error) || !err.message.includes('address already in use')) return err;
    return new Error(err.message + portInUseFix(`receivers.${this.id}.protocols.${protocol}.endpoint`, host, port), { cause: err });
  }

  async start(_host: Host): Promise<void> {
    if (this.grpcOptions) {
      await loadGrpc();
      const { OtlpGrpcServer } = await import('./grpc.js');
      this.grpc = new OtlpGrpcServer(this.grpcOptions);
      try {
        const address = await this.grpc.start();
        this.logger.info('Starting GRPC server', { endpoint: address });
      } catch (err) {
        throw this.inUse(err, 'grpc', this.grpcOptions.config.host, this.grpcOptions.config.port);
      }
    }
    if (this.http) {
      try {
        const address = await this.http.start();
        this.logger.info('Starting HTTP server', { endpoint: address });
      } catch (err) {
        // Do not leave the gRPC port bound when the receiver as a whole failed to start.
        await this.grpc?.close(0);
        throw this.inUse(err, 'http', this.httpConfig?.host ?? '127.0.0.1', this.httpConfig?.port ?? 4318);
      }
    }
    this.started = true;
  }

  /** Refuse new requests, let the ones in flight settle (bounded), then close both servers. */
  async shutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.grpc?.beginDrain();
    this.http?.beginDrain();
    if (!(await this.inFlight.idle(this.drainTimeoutMs))) {
      this.logger.warn('shutting down with requests still in flight', { requests: this.inFlight.size, waitedMs: this.drainTimeoutMs });
    }
    await Promise.all([this.grpc?.close(this.closeGraceMs), this.http?.close(this.closeGraceMs)]);
  }
}

export const otlpReceiver: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  description: 'Receives OTLP logs, traces and metrics over gRPC (4317) and HTTP protobuf/JSON (4318).',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  create(config, ctx, next) {
    return new OtlpReceiver(config, ctx, next);
  },
};
