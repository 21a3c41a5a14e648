// The `otlp` exporter: sends each batch as an OTLP/gRPC Export call (gzip by default),
// encoded with our own protobuf code; the exporter helper retries what the spec says to retry.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError, errorMessage } from '../../consumer.js';
import { loadTlsClient, tlsDisabled } from '../../config/tls-client.js';
import { parseDuration } from '../../config/units.js';
import type { Batch } from '../../pdata/batch.js';
import { decodeExportResponse, encodeExportRequest } from '../../pdata/proto.js';
import { SIGNALS, type Signal } from '../../pdata/types.js';
import { USER_AGENT, headerEntries } from '../helper/client-config.js';
import { grpcStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { readExportResponse } from '../helper/response.js';
import { configSchema, grpcTarget, validate, type OtlpGrpcConfig } from './config.js';
import type { GrpcClient } from './grpc-client.js';
import { loadGrpc } from '../../telemetry/grpc-log.js';

export type { OtlpGrpcConfig } from './config.js';

/** The Export method of each OTLP collector service. */
export const EXPORT_METHOD: Readonly<Record<Signal, string>> = {
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
};

function isServiceError(err: unknown): err is Error & { code: number; details: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && 'details' in err;
}

function createOtlpGrpcExporter(config: OtlpGrpcConfig, ctx: ComponentContext): Exporter {
  const { target, https } = grpcTarget(config.endpoint);
  let client: GrpcClient | undefined;

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (!client) throw new RetryableError(`exporter ${ctx.id} is not started`);
    let request: Uint8Array;
    try {
      request = encodeExportRequest(batch.signal, batch.resources);
    } catch (err) {
      throw new PermanentError(`cannot encode ${batch.signal}: ${errorMessage(err)}`, { cause: err });
    }
    let bytes: Buffer;
    try {
      bytes = await client.unary(EXPORT_METHOD[batch.signal], request, signal);
    } catch (err) {
      throw isServiceError(err) ? grpcStatusError(err) : networkError(err);
    }
    readExportResponse(ctx.logger, batch.signal, () => decodeExportResponse(batch.signal, bytes));
  }

  return createExporter(ctx, {
    signals: SIGNALS,
    send,
    ...helperSettings(config),
    async start() {
      // As configgrpc: plaintext only with tls.insecure (and no CA), unless the endpoint says https://.
      const plaintext = tlsDisabled(config.tls) && !https;
      const keepalive = config.keepalive;
      await loadGrpc();
      const { createGrpcClient } = await import('./grpc-client.js');
      client = createGrpcClient({
        target,
        tls: plaintext ? undefined : await loadTlsClient(config.tls),
        compression: config.compression === 'deflate' ? 'deflate' : config.compression === 'none' || config.compression === '' ? 'none' : 'gzip',
        userAgent: USER_AGENT,
        balancerName: config.balancer_name ?? '',
        keepalive: keepalive
          ? {
              timeMs: parseDuration(keepalive.time ?? '10s'),
              timeoutMs: parseDuration(keepalive.timeout ?? '10s'),
              permitWithoutStream: keepalive.permit_without_stream ?? false,
            }
          : undefined,
        authority: config.authority,
        waitForReady: config.wait_for_ready ?? false,
        headers: headerEntries(config.headers),
      });
    },
    async shutdown() {
      client?.close();
      client = undefined;
    },
  });
}

export const otlpExporter: ExporterFactory<OtlpGrpcConfig> = {
  kind: 'exporter',
  type: 'otlp_grpc',
  deprecatedTypes: ['otlp'],
  description: 'Sends logs, traces and metrics over OTLP/gRPC, with retry and gzip.',
  signals: SIGNALS,
  configSchema,
  validate,
  create: createOtlpGrpcExporter,
};
