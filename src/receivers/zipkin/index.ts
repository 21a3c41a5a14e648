// The zipkin receiver: Zipkin's HTTP API (POST /api/v2/spans in JSON or Protobuf, POST
// /api/v1/spans in JSON or Thrift), translated to OTLP as the Collector does, answered 202 once consumed.
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import type { Logger } from '../../telemetry/logger.js';
import { InFlight } from '../helper.js';
import type { SpanRoute } from '../span_http.js';
import { SpanHttpServer } from '../span_http.js';
import type { ZipkinReceiverConfig } from './config.js';
import { configSchema, resolveZipkin, validate } from './config.js';
import { decodeJsonV1, decodeJsonV2 } from './json.js';
import { decodeProtoV2 } from './proto.js';
import { decodeThriftV1 } from './thrift.js';
import { zipkinToOtlp } from './translate.js';

export type { ZipkinReceiverConfig } from './config.js';

const DRAIN_TIMEOUT_MS = 10_000;
const CLOSE_GRACE_MS = 2_000;

/** The routes of Zipkin's collector API; the Content-Type picks the encoding, as in Zipkin and the Collector. */
export function zipkinRoutes(parseStringTags: boolean): Map<string, SpanRoute> {
  return new Map<string, SpanRoute>([
    ['/api/v2/spans', (body, type) => zipkinToOtlp(type === 'application/x-protobuf' ? decodeProtoV2(body) : decodeJsonV2(body), parseStringTags)],
    [
      '/api/v1/spans',
      (body, type) => zipkinToOtlp(type === 'application/x-thrift' ? decodeThriftV1(body) : decodeJsonV1(body), parseStringTags),
    ],
  ]);
}

export class ZipkinReceiver implements Receiver {
  private readonly inFlight = new InFlight();
  private readonly server: SpanHttpServer | undefined;
  private readonly logger: Logger;
  private started = false;

  constructor(config: ZipkinReceiverConfig, ctx: ComponentContext, next: SignalConsumers) {
    this.logger = ctx.logger;
    const consumer = next.traces;
    this.server =
      consumer === undefined
        ? undefined
        : new SpanHttpServer({
            what: 'zipkin receiver',
            config: resolveZipkin(config),
            routes: zipkinRoutes(config.parse_string_tags ?? false),
            consumer,
            metrics: ctx.telemetry.forReceiver(ctx.id, 'http'),
            logger: ctx.logger,
            inFlight: this.inFlight,
            successStatus: 202,
          });
  }

  async start(_host: Host): Promise<void> {
    if (this.server === undefined) return;
    const address = await this.server.start();
    this.logger.info('Starting HTTP server', { endpoint: address });
    this.started = true;
  }

  async shutdown(): Promise<void> {
    if (!this.started || this.server === undefined) return;
    this.started = false;
    this.server.beginDrain();
    if (!(await this.inFlight.idle(DRAIN_TIMEOUT_MS))) {
      this.logger.warn('shutting down with requests still in flight', { requests: this.inFlight.size, waitedMs: DRAIN_TIMEOUT_MS });
    }
    await this.server.close(CLOSE_GRACE_MS);
  }
}

export const zipkinReceiver: ReceiverFactory<ZipkinReceiverConfig> = {
  kind: 'receiver',
  type: 'zipkin',
  description: 'Receives Zipkin spans over HTTP (9411): /api/v2/spans in JSON or Protobuf, /api/v1/spans in JSON or Thrift.',
  signals: ['traces'],
  configSchema,
  validate,
  create(config, ctx, next) {
    return new ZipkinReceiver(config, ctx, next);
  },
};
