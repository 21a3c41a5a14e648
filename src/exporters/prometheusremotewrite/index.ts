// The `prometheusremotewrite` exporter: metrics as remote write 1.0 requests (snappy-compressed
// protobuf WriteRequest), split by size; the exporter helper retries what the spec says to retry.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError, toConsumerError, type ConsumerError } from '../../consumer.js';
import type { Batch, MetricsBatch } from '../../pdata/batch.js';
import { labelOptions, namingOptions } from '../../prometheus/config.js';
import { configuredLabels } from '../../prometheus/labels.js';
import { selectDataPoints } from '../../pdata/select.js';
import { toTimeSeries, type RemoteSeries } from '../../prometheus/timeseries.js';
import { USER_AGENT, addConfiguredHeaders, redactUrl } from '../helper/client-config.js';
import { httpStatusError, networkError } from '../helper/errors.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { ExporterHttpClient, type HttpResponse } from '../helper/http-client.js';
import { configSchema, requestParallelism, resolvedSendingQueue, validate, type PrometheusRemoteWriteConfig } from './config.js';
import { encodeTimeSeries, splitBySize, writeRequest } from './write-request.js';
import { loadSnappy, snappyCompress } from '../helper/snappy.js';

export type { PrometheusRemoteWriteConfig } from './config.js';

/** The headers remote write 1.0 requires; a configured header of the same name is ignored. */
const PROTOCOL_HEADERS: Readonly<Record<string, string>> = {
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': USER_AGENT,
};
/** Remote-write receivers answer with a short text; read at most this much of it. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Run `fn` over `items`, at most `limit` at a time; each item's error, or undefined. */
async function settleAll<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<Array<ConsumerError | undefined>> {
  const results = new Array<ConsumerError | undefined>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T);
        results[i] = undefined;
      } catch (err) {
        results[i] = toConsumerError(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function pointsOf(series: readonly RemoteSeries[], groups: readonly number[][], which: readonly number[]): Set<number> {
  const points = new Set<number>();
  for (const g of which) for (const s of groups[g] ?? []) for (const p of (series[s] as RemoteSeries).points) points.add(p);
  return points;
}

function createPrometheusRemoteWriteExporter(config: PrometheusRemoteWriteConfig, ctx: ComponentContext): Exporter {
  const url = new URL(config.endpoint ?? '');
  const where = `remote write to ${redactUrl(url)}`;
  const headers: Record<string, string> = {};
  addConfiguredHeaders(headers, config.headers, Object.keys(PROTOCOL_HEADERS));
  Object.assign(headers, PROTOCOL_HEADERS);
  const translation = {
    naming: namingOptions(config),
    labels: labelOptions(config.resource_to_telemetry_conversion, !config.disable_scope_info),
    externalLabels: configuredLabels(config.external_labels),
    targetInfo: config.target_info?.enabled ?? true,
  };
  const parallelism = requestParallelism(config);
  const maxBytes = config.max_batch_size_bytes;
  /** Metric names already warned about, so a steady stream of deltas logs once, not per batch. */
  const warned = new Set<string>();
  const client = new ExporterHttpClient(ctx.id, config, MAX_RESPONSE_BYTES);

  /** A non-2xx answer, classified as the remote write spec says: 5xx and 429 retryable, other 4xx never. */
  function statusError(res: HttpResponse): ConsumerError {
    const text = res.body.toString('utf8', 0, Math.min(res.body.byteLength, 512)).replace(/\s+/g, ' ').trim();
    return httpStatusError(res.status, res.headers, text, where, (s) => s === 429 || (s >= 500 && s <= 599));
  }

  async function post(body: Uint8Array, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new RetryableError('request aborted before it was sent');
    let res: HttpResponse;
    try {
      res = await client.post(url, snappyCompress(body), headers, signal);
    } catch (err) {
      throw networkError(err);
    }
    if (res.status < 200 || res.status > 299) throw statusError(res);
  }

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (batch.signal !== 'metrics') throw new PermanentError(`exporter ${ctx.id} exports metrics only`);
    const { series, dropped, reasons } = toTimeSeries(batch.resources, translation);
    for (const [metric, reason] of reasons) {
      if (warned.has(`${metric}\u0000${reason}`)) continue;
      warned.add(`${metric}\u0000${reason}`);
      ctx.logger.warn('Dropping data points remote write cannot carry.', { metric, reason });
    }
    const refused = (): string => `${dropped.size} data points cannot be written (${[...new Set(reasons.values())].join(', ')})`;
    const encoded = series.map(encodeTimeSeries);
    const groups = splitBySize(encoded, maxBytes);
    const results = await settleAll(groups, parallelism, (group) => post(writeRequest(group.map((i) => encoded[i] as Uint8Array)), signal));
    const retryable: number[] = [];
    const permanent: number[] = [];
    results.forEach((err, g) => {
      if (err) (err.retryable ? retryable : permanent).push(g);
    });
    if (retryable.length === 0 && permanent.length === 0) {
      if (dropped.size > 0) throw new PermanentError(refused(), { failedItems: dropped.size });
      return;
    }
    // Report a retryable error when there is one (that is what happens next), else a permanent one.
    const firstError = results.find((e) => e !== undefined && e.retryable === (retryable.length > 0)) as ConsumerError;
    const of = groups.length > 1 ? ` (${retryable.length + permanent.length} of ${groups.length} requests failed)` : '';
    if (retryable.length > 0) {
      // Everything failed the same retryable way: retry the batch as it is.
      if (retryable.length === groups.length && dropped.size === 0) throw firstError;
      const retry = pointsOf(series, groups, retryable);
      const refusedForGood = [...pointsOf(series, groups, permanent)].filter((p) => !retry.has(p)).length + dropped.size;
      const hints = retryable.map((g) => (results[g] as RetryableError).retryAfterMs).filter((ms): ms is number => ms !== undefined);
      throw new RetryableError(`${firstError.message}${of}`, {
        cause: firstError,
        failed: selectDataPoints(batch as MetricsBatch, (i) => retry.has(i)),
        droppedItems: refusedForGood,
        retryAfterMs: hints.length > 0 ? Math.max(...hints) : undefined,
        reason: retryable.some((g) => (results[g] as RetryableError).reason === 'throttled') ? 'throttled' : 'unavailable',
      });
    }
    const failedItems = pointsOf(series, groups, permanent).size + dropped.size;
    throw new PermanentError(`${firstError.message}${of}${dropped.size > 0 ? `; ${refused()}` : ''}`, { cause: firstError, failedItems });
  }

  return createExporter(ctx, {
    signals: ['metrics'],
    send,
    ...helperSettings({ ...config, sending_queue: resolvedSendingQueue(config) }),
    async start() {
      await loadSnappy();
      await client.open();
    },
    async shutdown() {
      client.close();
    },
  });
}

export const prometheusRemoteWriteExporter: ExporterFactory<PrometheusRemoteWriteConfig> = {
  kind: 'exporter',
  type: 'prometheus_remote_write',
  deprecatedTypes: ['prometheusremotewrite'],
  description: 'Sends metrics to a Prometheus remote-write 1.0 endpoint (snappy protobuf), split by size, with retry.',
  signals: ['metrics'],
  configSchema,
  validate,
  create: createPrometheusRemoteWriteExporter,
};
