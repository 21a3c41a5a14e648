// The `awscloudwatchlogs` exporter: each batch of log records becomes PutLogEvents requests
// within the API's limits; events the service refuses for good are dropped and counted.
import type { ComponentContext, Exporter, ExporterFactory } from '../../component.js';
import { PermanentError, RetryableError, toConsumerError } from '../../consumer.js';
import { countItems, type Batch, type LogsBatch } from '../../pdata/batch.js';
import { selectItems } from '../../pdata/select.js';
import { createExporter, helperSettings } from '../helper/exporter.js';
import { planRequests, rejectedPositions, timeProblem } from './batching.js';
import { CloudWatchLogsSession } from './client.js';
import { configSchema, endpointUrl, validate, type AwsCloudWatchLogsConfig } from './config.js';
import { MAX_EVENT_BYTES, toEvents, type CwlEvent } from './events.js';

export type { AwsCloudWatchLogsConfig } from './config.js';

/** Why a log record was not delivered and will not be retried. */
type DropReason = 'too_old' | 'too_new' | 'expired' | 'empty_message' | 'refused';

function createCloudWatchLogsExporter(config: AwsCloudWatchLogsConfig, ctx: ComponentContext): Exporter {
  let session: CloudWatchLogsSession | undefined;

  async function send(batch: Batch, signal: AbortSignal): Promise<void> {
    if (batch.signal !== 'logs') throw new PermanentError(`exporter ${ctx.id} exports logs only, not ${batch.signal}`);
    if (!session) throw new RetryableError(`exporter ${ctx.id} is not started`);
    const total = countItems(batch);
    const nowMs = Date.now();
    const { events, refused } = toEvents(batch.resources, {
      logGroupName: config.log_group_name ?? '',
      logStreamName: config.log_stream_name ?? '',
      rawLog: config.raw_log,
      nowMs,
    });
    const dropped = new Map<number, DropReason>();
    for (const r of refused) dropped.set(r.index, r.reason);
    // The service refuses these for their time whatever we do: not worth a request.
    const sendable: CwlEvent[] = [];
    for (const e of events) {
      const problem = timeProblem(e.timestamp, nowMs);
      if (problem) dropped.set(e.index, problem);
      else sendable.push(e);
    }
    const truncated = events.filter((e) => e.truncated).length;
    if (truncated > 0) ctx.logger.warn('Log events larger than CloudWatch Logs takes were truncated.', { events: truncated, max_event_bytes: MAX_EVENT_BYTES });

    const failed = new Set<number>();
    let retry: RetryableError | undefined;
    const refusals: string[] = [];
    for (const request of planRequests(sendable)) {
      if (retry) {
        // After a retryable failure (throttling, unavailable) pressing on is pointless: retry these later.
        for (const e of request.events) failed.add(e.index);
        continue;
      }
      try {
        const rejected = rejectedPositions(await session.put(request.group, request.stream, request.events, signal), request.events.length);
        for (const [position, reason] of rejected) {
          const e = request.events[position];
          if (e) dropped.set(e.index, reason);
        }
      } catch (err) {
        const e = toConsumerError(err);
        if (e instanceof RetryableError) {
          retry = e;
          for (const ev of request.events) failed.add(ev.index);
        } else {
          refusals.push(e.message);
          for (const ev of request.events) dropped.set(ev.index, 'refused');
        }
      }
    }

    const reasons = countBy(dropped.values());
    if (dropped.size > 0) {
      ctx.logger.warn('CloudWatch Logs cannot take some log events; dropping them.', {
        dropped: dropped.size,
        ...reasons,
        log_group: config.log_group_name,
        log_stream: config.log_stream_name,
        ...(refusals.length > 0 ? { error: refusals[0] } : {}),
      });
    }
    const summary = Object.entries(reasons).map(([reason, n]) => `${n} ${reason.replace('_', ' ')}`).join(', ');
    if (retry) {
      // Nothing delivered and nothing dropped: the plain error, and the helper retries the whole batch.
      if (failed.size === total) throw retry;
      throw new RetryableError(`${failed.size} of ${total} log records to retry (${retry.message})${summary ? `; dropped ${summary}` : ''}`, {
        cause: retry,
        failed: selectItems(batch as LogsBatch, (i) => failed.has(i)),
        droppedItems: dropped.size,
        retryAfterMs: retry.retryAfterMs,
        reason: retry.reason,
      });
    }
    if (dropped.size > 0) {
      throw new PermanentError(`CloudWatch Logs refused ${dropped.size} of ${total} log records: ${summary}${refusals.length > 0 ? ` (${refusals[0]})` : ''}`, { failedItems: dropped.size });
    }
  }

  return createExporter(ctx, {
    signals: ['logs'],
    send,
    ...helperSettings(config),
    async start() {
      session = await CloudWatchLogsSession.open({
        region: config.region || undefined,
        endpoint: config.endpoint ? endpointUrl(config.endpoint).href : undefined,
        profile: config.profile || undefined,
        maxAttempts: config.max_retries + 1,
        retentionDays: config.log_retention,
        tags: config.tags,
      });
    },
    async shutdown() {
      session?.close();
      session = undefined;
    },
  });
}

function countBy(values: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export const awsCloudWatchLogsExporter: ExporterFactory<AwsCloudWatchLogsConfig> = {
  kind: 'exporter',
  type: 'aws_cloudwatch_logs',
  deprecatedTypes: ['awscloudwatchlogs'],
  description: 'Sends logs to AWS CloudWatch Logs (PutLogEvents), creating the log group and stream when missing.',
  signals: ['logs'],
  configSchema,
  validate,
  create: createCloudWatchLogsExporter,
};
