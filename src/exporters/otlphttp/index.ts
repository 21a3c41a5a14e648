// The `otlphttp` exporter: encodes each batch as an OTLP/HTTP request (protobuf or JSON,
// gzip by default) and POSTs it; the exporter helper retries what the spec says to retry.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, errorMessage } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { decodeJsonExportResponse, decodeJsonStatus, encodeJsonExportRequest } from '../../pdata/json.js';
import { decodeExportResponse, decodeStatus, encodeExportRequest, type ExportResponse } from '../../pdata/proto.js';
import type { Signal } from '../../pdata/types.js';
import { SIGNALS } from '../../pdata/types.js';
import { USER_AGENT, addConfiguredHeaders, redactUrl as redact } from '../helper/client-config.js';
import { httpStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { readExportResponse } from '../helper/response.js';
import { configSchema, signalUrl, validate, type OtlpHttpConfig } from './config.js';
import { CONTENT_ENCODING, compressBody, loadCompression } from '../../compression.js';
import { DEFAULT_GZIP_LEVEL, ExporterHttpClient, Gzipper, gzipBody, type HttpResponse } from '../helper/http-client.js';

export type { OtlpHttpConfig } from './config.js';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
/** As the Collector: read at most 64 KiB of a response. */
const MAX_RESPONSE_BYTES = 64 * 1024;
function contentType(res: HttpResponse): string {
  const value = res.headers['content-type'] ?? '';
  return value.split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The server's message from an error body: google.rpc.Status (protobuf or JSON) when it is one, else the text. */
function serverMessage(res: HttpResponse): string {
  if (res.body.byteLength === 0) return '';
  const type = contentType(res);
  try {
    if (type === PROTOBUF) return decodeStatus(res.body).message;
    if (type === JSON_TYPE) return decodeJsonStatus(res.body.toString('utf8')).message;
  } catch {
    // Not a Status after all: fall back to the raw text.
  }
  return res.body.toString('utf8', 0, Math.min(res.body.byteLength, 512)).replace(/\s+/g, ' ');
}

function partialSuccess(signal: Signal, res: HttpResponse): ExportResponse {
  if (res.body.byteLength === 0) return {};
  const type = contentType(res);
  if (type === PROTOBUF) return decodeExportResponse(signal, res.body);
  if (type === JSON_TYPE) return decodeJsonExportResponse(signal, res.body.toString('utf8'));
  return {};
}

function createOtlpHttpExporter(config: OtlpHttpConfig, ctx: ComponentContext): Exporter {
  const urls = new Map<Signal, URL>();
  for (const signal of SIGNALS) {
    const url = signalUrl(config, signal);
    if (url) urls.set(signal, new URL(url));
  }
  const json = config.encoding === 'json';
  const compress = config.compression === 'gzip';
  // zstd, snappy, zlib, deflate, lz4: encode, then compress with src/compression.ts.
  const other = config.compression !== 'gzip' && config.compression !== 'none' && config.compression !== '' ? config.compression : undefined;
  const gzipLevel = config.compression_params?.level ?? DEFAULT_GZIP_LEVEL;
  const baseHeaders: Record<string, string> = { 'content-type': json ? JSON_TYPE : PROTOBUF, 'user-agent': config.user_agent ?? USER_AGENT };
  addConfiguredHeaders(baseHeaders, config.headers, ['content-encoding']);
  if (compress) baseHeaders['content-encoding'] = 'gzip';
  if (other !== undefined) baseHeaders['content-encoding'] = CONTENT_ENCODING[other];
  const client = new ExporterHttpClient(ctx.id, config, MAX_RESPONSE_BYTES);
  const gzipper = new Gzipper(gzipLevel);

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    const url = urls.get(batch.signal);
    if (!url) {
      throw new PermanentError(`no endpoint for ${batch.signal}: set endpoint or ${batch.signal}_endpoint in exporter ${ctx.id}`);
    }
    let body: Uint8Array;
    try {
      if (json) body = Buffer.from(encodeJsonExportRequest(batch.signal, batch.resources));
      else if (compress) body = await gzipper.gzip((alloc) => encodeExportRequest(batch.signal, batch.resources, alloc));
      else body = encodeExportRequest(batch.signal, batch.resources);
    } catch (err) {
      throw new PermanentError(`cannot encode ${batch.signal}: ${errorMessage(err)}`, { cause: err });
    }
    if (compress && json) body = await gzipBody(body, gzipLevel);
    if (other !== undefined) {
      try {
        body = await compressBody(other, body, config.compression_params?.level);
      } catch (err) {
        throw new PermanentError(`cannot compress ${batch.signal} with ${other}: ${errorMessage(err)}`, { cause: err });
      }
    }
    let res: HttpResponse;
    try {
      res = await client.post(url, body, baseHeaders, signal);
    } catch (err) {
      throw networkError(err);
    }
    if (res.status < 200 || res.status > 299) {
      throw httpStatusError(res.status, res.headers, serverMessage(res), `request to ${redact(url)}`);
    }
    readExportResponse(ctx.logger, batch.signal, () => partialSuccess(batch.signal, res), { url: redact(url) });
  }

  return createExporter(ctx, {
    signals: SIGNALS,
    send,
    ...helperSettings(config),
    async start() {
      if (other !== undefined) await loadCompression([other]);
      await client.open();
    },
    async shutdown() {
      client.close();
    },
  });
}

export const otlphttpExporter: ExporterFactory<OtlpHttpConfig> = {
  kind: 'exporter',
  type: 'otlp_http',
  deprecatedTypes: ['otlphttp'],
  description: 'Sends logs, traces and metrics over OTLP/HTTP (protobuf or JSON), with retry and gzip.',
  signals: SIGNALS,
  configSchema,
  validate,
  create: createOtlpHttpExporter,
};
