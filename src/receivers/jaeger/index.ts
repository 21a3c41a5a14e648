// The jaeger receiver: Jaeger's collector APIs (gRPC api_v2 PostSpans :14250, Thrift over HTTP
// POST /api/traces :14268) and agent APIs (emitBatch over UDP, compact :6831, binary :6832),
// translated to OTLP as the Collector does; HTTP and gRPC answer once the pipeline settled.
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { loadGrpc } from '../../telemetry/grpc-log.js';
import type { Logger } from '../../telemetry/logger.js';
import { InFlight } from '../helper.js';
import type { SpanRoute } from '../span_http.js';
import { SpanDecodeError, SpanHttpServer } from '../span_http.js';
import type { JaegerReceiverConfig } from './config.js';
import { configSchema, resolveJaegerGrpc, resolveThriftHttp, resolveUdp, validate } from './config.js';
import type { JaegerGrpcOptions, JaegerGrpcServer } from './grpc.js';
import { loadThrift } from '../thrift_reader.js';
import { decodeThriftBatch } from './thrift.js';
import { jaegerToOtlp } from './translate.js';
import { JaegerUdpServer } from './udp.js';

export type { JaegerReceiverConfig } from './config.js';

const DRAIN_TIMEOUT_MS = 10_000;
const CLOSE_GRACE_MS = 2_000;

// The Content-Types Jaeger's collector accepts on /api/traces.
const THRIFT_TYPES = new Set(['application/x-thrift', 'application/vnd.apache.thrift.binary']);

const thriftHttpRoute: SpanRoute = (body, type) => {
  if (!THRIFT_TYPES.has(type)) {
    throw new SpanDecodeError(`unsupported content type "${type}": send a Thrift binary Batch as application/x-thrift or application/vnd.apache.thrift.binary`);
  }
  return jaegerToOtlp([decodeThriftBatch(body, 'binary')]);
};

export class JaegerReceiver implements Receiver {
  private readonly inFlight = new InFlight();
  private readonly logger: Logger;
  private readonly grpcOptions: JaegerGrpcOptions | undefined;
  private grpc: JaegerGrpcServer | undefined;
  private readonly http: SpanHttpServer | undefined;
  /** By protocol (thrift_compact, thrift_binary). */
  readonly udp = new Map<string, JaegerUdpServer>();
  private started = false;

  constructor(config: JaegerReceiverConfig, ctx: ComponentContext, next: SignalConsumers) {
    this.logger = ctx.logger;
    const consumer: Consumer | undefined = next.traces;
    const p = config.protocols ?? {};
    if (consumer === undefined) return;
    const shared = { consumer, logger: ctx.logger, inFlight: this.inFlight };
    if (p.grpc) this.grpcOptions = { ...shared, config: resolveJaegerGrpc(p.grpc), metrics: ctx.telemetry.forReceiver(ctx.id, 'grpc') };
    if (p.thrift_http) {
      this.http = new SpanHttpServer({
        ...shared,
        what: 'jaeger receiver (thrift_http)',
        config: resolveThriftHttp(p.thrift_http),
        routes: new Map([['/api/traces', thriftHttpRoute]]),
        metrics: ctx.telemetry.forReceiver(ctx.id, 'collector_http'),
        successStatus: 202,
      });
    }
    for (const [key, protocol] of [
      ['thrift_compact', 'compact'],
      ['thrift_binary', 'binary'],
    ] as const) {
      const c = p[key];
      if (c) {
        this.udp.set(
          key,
          new JaegerUdpServer({ ...shared, protocol, config: resolveUdp(c, key), metrics: ctx.telemetry.forReceiver(ctx.id, `udp_${key}`) }),
        );
      }
    }
  }

  async start(_host: Host): Promise<void> {
    try {
      if (this.http !== undefined || this.udp.size > 0) loadThrift();
      if (this.grpcOptions) {
        await loadGrpc();
        const { JaegerGrpcServer } = await import('./grpc.js');
        this.grpc = new JaegerGrpcServer(this.grpcOptions);
        this.logger.info('Starting GRPC server', { endpoint: await this.grpc.start() });
      }
      if (this.http) this.logger.info('Starting HTTP server', { protocol: 'thrift_http', endpoint: await this.http.start() });
      for (const [protocol, udp] of this.udp) this.logger.info('Starting UDP server', { protocol, endpoint: await udp.start() });
    } catch (err) {
      // Do not leave some ports bound when the receiver as a whole failed to start.
      await Promise.all([this.grpc?.close(0), this.http?.close(0)]);
      for (const udp of this.udp.values()) udp.close();
      throw err;
    }
    this.started = true;
  }

  async shutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.grpc?.beginDrain();
    this.http?.beginDrain();
    for (const udp of this.udp.values()) udp.beginDrain();
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (const udp of this.udp.values()) await udp.settle(Math.max(0, deadline - Date.now()));
    if (!(await this.inFlight.idle(Math.max(0, deadline - Date.now())))) {
      this.logger.warn('shutting down with requests still in flight', { requests: this.inFlight.size, waitedMs: DRAIN_TIMEOUT_MS });
    }
    for (const udp of this.udp.values()) udp.close();
    await Promise.all([this.grpc?.close(CLOSE_GRACE_MS), this.http?.close(CLOSE_GRACE_MS)]);
  }
}

export const jaegerReceiver: ReceiverFactory<JaegerReceiverConfig> = {
  kind: 'receiver',
  type: 'jaeger',
  description: 'Receives Jaeger spans: gRPC api_v2 (14250), Thrift over HTTP (14268), agent UDP compact (6831) and binary (6832) Thrift.',
  signals: ['traces'],
  configSchema,
  validate,
  create(config, ctx, next) {
    return new JaegerReceiver(config, ctx, next);
  },
};
