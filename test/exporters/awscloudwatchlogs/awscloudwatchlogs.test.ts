// The awscloudwatchlogs exporter against a local CloudWatch Logs endpoint that checks every
// request as the API reference specifies (JSON 1.1, SigV4, PutLogEvents batch rules).
// References:
//   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
//   https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/awscloudwatchlogsexporter
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Exporter } from '../../../src/component.js';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import { awsCloudWatchLogsExporter, type AwsCloudWatchLogsConfig } from '../../../src/exporters/awscloudwatchlogs/index.js';
import { configSchema } from '../../../src/exporters/awscloudwatchlogs/config.js';
import { rejectedPositions } from '../../../src/exporters/awscloudwatchlogs/batching.js';
import { scrubSecrets } from '../../../src/exporters/awscloudwatchlogs/client.js';
import { emfDestination } from '../../../src/exporters/awscloudwatchlogs/events.js';
import type { LogsBatch } from '../../../src/pdata/batch.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { SPAN_ID, TRACE_ID, logsBatch, metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { CloudWatchLogsPeer, type PeerOptions } from './server.js';
import { ACCESS_KEY_ID, DAY, REGION, SECRET_ACCESS_KEY, logsAt, useTestAwsEnv } from './helpers.js';

const FAST_RETRY = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };
// These tests watch each send while its sender waits; the sending queue has its own tests (test/exporters/helper).
const NO_QUEUE = { enabled: false };

let peer: CloudWatchLogsPeer | undefined;
let exporter: Exporter | undefined;

beforeAll(() => useTestAwsEnv());

afterEach(async () => {
  await exporter?.shutdown();
  await peer?.close();
  exporter = undefined;
  peer = undefined;
  delete process.env.AWS_SESSION_TOKEN;
});

async function start(config: Record<string, unknown> = {}, peerOptions: Partial<PeerOptions> = {}) {
  peer = await CloudWatchLogsPeer.start({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY, region: REGION, ...peerOptions });
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<AwsCloudWatchLogsConfig>(configSchema, {
    log_group_name: '/ferry/test',
    log_stream_name: 'web-1',
    region: REGION,
    endpoint: peer.url,
    retry_on_failure: FAST_RETRY,
    sending_queue: NO_QUEUE,
    ...config,
  });
  expect(awsCloudWatchLogsExporter.validate?.(cfg)).toEqual([]);
  exporter = awsCloudWatchLogsExporter.create(cfg, { id: 'awscloudwatchlogs/test', kind: 'exporter', logger, telemetry });
  await exporter.start(testHost);
  const metric = (what: 'sent' | 'send_failed') => metricValue(telemetry, `otelcol_exporter_${what}_log_records_total`, { exporter: 'awscloudwatchlogs/test' });
  return { peer, exporter, logger, metric };
}

/** A group and stream that already exist, as most deployments have them. */
function preCreate(p: CloudWatchLogsPeer, retentionInDays?: number, group = '/ferry/test', stream = 'web-1'): void {
  p.groups.set(group, { retentionInDays, streams: new Map([[stream, []]]) });
}

/** `n` times between `from` and `to` (ms), shuffled deterministically. */
function spread(n: number, from: number, to: number): number[] {
  const out = Array.from({ length: n }, (_, i) => Math.round(from + ((to - from) * i) / Math.max(1, n - 1)));
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

function withTime(batch: LogsBatch, ms: number): LogsBatch {
  for (const r of batch.resources) for (const s of r.scopeLogs) for (const lr of s.logRecords) lr.timeUnixNano = (BigInt(ms) * 1_000_000n).toString();
  return batch;
}

describe('awscloudwatchlogs exporter: what arrives', () => {
  it('creates the missing group (tags, retention) and stream once, then puts; later batches only put', async () => {
    const { peer, exporter, metric } = await start({ log_retention: 7, tags: { team: 'payments', env: 'ci' } });
    const now = Date.now();
    await exporter.consume(logsAt([now - 1000, now - 2000, now]));
    expect(peer.requests.map((r) => `${r.target} ${r.status}${r.errorType ? ` ${r.errorType}` : ''}`)).toEqual([
      'PutLogEvents 400 ResourceNotFoundException',
      'CreateLogStream 400 ResourceNotFoundException',
      'CreateLogGroup 200',
      'PutRetentionPolicy 200',
      'CreateLogStream 200',
      'PutLogEvents 200',
    ]);
    expect(peer.calls('CreateLogGroup')[0]?.body).toEqual({ logGroupName: '/ferry/test', tags: { team: 'payments', env: 'ci' } });
    expect(peer.calls('PutRetentionPolicy')[0]?.body).toEqual({ logGroupName: '/ferry/test', retentionInDays: 7 });
    expect(peer.groups.get('/ferry/test')?.retentionInDays).toBe(7);
    // Sorted by time, each event's message the JSON document of its record.
    const stored = peer.events('/ferry/test', 'web-1');
    expect(stored.map((e) => e.timestamp)).toEqual([now - 2000, now - 1000, now]);
    expect(stored.map((e) => (JSON.parse(e.message) as { body: string }).body)).toEqual(['event 1', 'event 0', 'event 2']);

    await exporter.consume(logsAt([now + 5]));
    expect(peer.requests.slice(6).map((r) => `${r.target} ${r.status}`)).toEqual(['PutLogEvents 200']);
    expect(peer.calls('CreateLogGroup')).toHaveLength(1);
    expect(peer.events('/ferry/test', 'web-1')).toHaveLength(4);
    expect(await metric('sent')).toBe(4);
    expect(await metric('send_failed')).toBe(0);
    expect(peer.violations).toEqual([]);
  });

  it('tolerates a group or stream created by someone else in the meantime', async () => {
    const { peer, exporter } = await start();
    peer.groups.set('/ferry/test', { streams: new Map() });
    // Another writer creates the stream between our failed put and our CreateLogStream.
    peer.faults.push({ target: 'CreateLogStream', status: 400, type: 'ResourceAlreadyExistsException', message: 'The specified log stream already exists' });
    peer.groups.get('/ferry/test')?.streams.set('web-1', []);
    peer.faults.push({ target: 'PutLogEvents', status: 400, type: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' });
    await exporter.consume(logsAt([Date.now()]));
    expect(peer.requests.map((r) => `${r.target} ${r.status}`)).toEqual(['PutLogEvents 400', 'CreateLogStream 400', 'PutLogEvents 200']);
    expect(peer.events('/ferry/test', 'web-1')).toHaveLength(1);
  });

  it('writes the contrib exporter\'s JSON document: body, severity, flags, ids, attributes, scope, resource', async () => {
    const { peer, exporter } = await start();
    preCreate(peer);
    await exporter.consume(withTime(logsBatch(), Date.now()));
    const resource = '{"blob":"AP8Q","host.cpus":-9007199254740993,"nested":{"inner":"x"},"ratio":0.25,"ready":true,"service.name":"checkout","tags":["a",7]}';
    const scope = '{"name":"ferry-test","version":"1.2.3","attributes":{"scope.attr":"s"}}';
    expect(peer.events('/ferry/test', 'web-1').map((e) => e.message)).toEqual([
      `{"body":"order placed","severity_number":9,"severity_text":"INFO","flags":1,"trace_id":"${TRACE_ID}","span_id":"${SPAN_ID}","attributes":{"order.id":42},"scope":${scope},"resource":${resource}}`,
      `{"body":{"msg":"payment failed"},"severity_number":17,"severity_text":"ERROR","dropped_attributes_count":2,"attributes":{"retry":true},"scope":${scope},"resource":${resource}}`,
    ]);
  });

  it('raw_log sends the body as-is and routes Embedded Metric Format documents to their _aws log group', async () => {
    const { peer, exporter } = await start({ raw_log: true });
    preCreate(peer);
    const now = Date.now();
    const emf = JSON.stringify({ _aws: { Timestamp: now, LogGroupName: '/ferry/emf', LogStreamName: 'metrics', CloudWatchMetrics: [{ Namespace: 'ferry', Dimensions: [['svc']], Metrics: [{ Name: 'latency', Unit: 'Milliseconds' }] }] }, svc: 'checkout', latency: 12 });
    await exporter.consume(logsAt([now, now], (i) => (i === 0 ? 'plain line <ok> & done' : emf)));
    expect(peer.events('/ferry/test', 'web-1').map((e) => e.message)).toEqual(['plain line <ok> & done']);
    expect(peer.events('/ferry/emf', 'metrics').map((e) => e.message)).toEqual([emf]);
    expect(peer.violations).toEqual([]);
  });

  it('splits 25,000 events into requests of at most 10,000 events (raw) and of at most 1 MiB by the +26 rule (JSON)', async () => {
    const { peer, exporter, metric } = await start({ raw_log: true });
    preCreate(peer);
    const now = Date.now();
    await exporter.consume(logsAt(spread(25_000, now - 60_000, now), (i) => `r${i}`));
    expect(peer.puts().map((p) => p.logEvents.length)).toEqual([10_000, 10_000, 5_000]);
    const stored = peer.events('/ferry/test', 'web-1');
    expect(new Set(stored.map((e) => e.message)).size).toBe(25_000);
    expect(stored.map((e) => e.timestamp)).toEqual([...stored.map((e) => e.timestamp)].sort((a, b) => a - b));
    expect(await metric('sent')).toBe(25_000);

    // The same records as JSON documents (about 200 bytes each) need at least 5 requests, each within 1,048,576 bytes.
    await exporter.shutdown();
    const json = await start();
    preCreate(json.peer);
    await json.exporter.consume(logsAt(spread(25_000, now - 60_000, now), (i) => `r${i} ${'x'.repeat(100)}`));
    const puts = json.peer.puts();
    expect(puts.length).toBeGreaterThanOrEqual(3);
    for (const p of puts) {
      expect(p.logEvents.length).toBeLessThanOrEqual(10_000);
      expect(p.logEvents.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0)).toBeLessThanOrEqual(1_048_576);
    }
    expect(puts.reduce((n, p) => n + p.logEvents.length, 0)).toBe(25_000);
    expect(json.peer.violations).toEqual([]);
  });

  it('splits events spanning 3 days into requests of less than 24 hours, each in chronological order', async () => {
    const { peer, exporter, metric } = await start();
    preCreate(peer);
    const now = Date.now();
    await exporter.consume(logsAt(spread(300, now - 3 * DAY, now)));
    const puts = peer.puts();
    expect(puts.length).toBeGreaterThanOrEqual(3);
    for (const p of puts) {
      const ts = p.logEvents.map((e) => e.timestamp);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
      expect((ts[ts.length - 1] as number) - (ts[0] as number)).toBeLessThan(DAY);
    }
    expect(peer.events('/ferry/test', 'web-1')).toHaveLength(300);
    expect(await metric('sent')).toBe(300);
    expect(peer.violations).toEqual([]);
  });

  it('truncates an event larger than 1 MB on a character boundary', async () => {
    const { peer, exporter, logger } = await start({ raw_log: true });
    preCreate(peer);
    await exporter.consume(logsAt([Date.now()], () => 'é'.repeat(600_000)));
    const [event] = peer.events('/ferry/test', 'web-1');
    expect(event?.message.endsWith('é[Truncated...]')).toBe(true);
    expect(Buffer.byteLength(event?.message ?? '') + 26).toBeLessThanOrEqual(1_048_576);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('truncated'))).toBe(true);
  });
});

describe('awscloudwatchlogs exporter: refused and failed events', () => {
  it('counts events the service rejects as too old (rejectedLogEventsInfo) as failed, and delivers the rest exactly once', async () => {
    // The service's clock is an hour ahead: events 14 days less 30 minutes old by ours are
    // past 14 days by its; those 14 days less 2 hours old are not. One request (< 24 h) holds all.
    const HOUR = 60 * 60_000;
    const { peer, exporter, logger, metric } = await start({}, { clockOffsetMs: HOUR });
    preCreate(peer);
    const now = Date.now();
    const times = [...spread(3, now - 14 * DAY + 30 * 60_000, now - 14 * DAY + 31 * 60_000), ...spread(7, now - 14 * DAY + 2 * HOUR, now - 14 * DAY + 3 * HOUR)];
    const err = await exporter.consume(logsAt(times)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/refused 3 of 10 log records: 3 too old/);
    // One put, no retry: the rejected events are dropped, the others stored once.
    expect(peer.puts()).toHaveLength(1);
    expect(peer.events('/ferry/test', 'web-1').map((e) => (JSON.parse(e.message) as { body: string }).body).sort()).toEqual(['event 3', 'event 4', 'event 5', 'event 6', 'event 7', 'event 8', 'event 9']);
    expect(await metric('sent')).toBe(7);
    expect(await metric('send_failed')).toBe(3);
    expect(logger.lines.find((l) => l.level === 'warn' && l.message.includes('dropping'))?.fields).toMatchObject({ dropped: 3, too_old: 3 });
  });

  it('counts events before the group\'s retention period (expiredLogEventEndIndex) as failed', async () => {
    const { peer, exporter, metric } = await start();
    preCreate(peer, 1);
    const now = Date.now();
    // Within 24 hours of each other (one request), the first past the 1-day retention.
    await expect(exporter.consume(logsAt([now - DAY - 30 * 60_000, now - 23 * 60 * 60_000]))).rejects.toBeInstanceOf(PermanentError);
    expect(peer.events('/ferry/test', 'web-1')).toHaveLength(1);
    expect(peer.puts()[0]?.logEvents).toHaveLength(2);
    expect(await metric('sent')).toBe(1);
    expect(await metric('send_failed')).toBe(1);
  });

  it('drops events older than 14 days or more than 2 hours ahead without sending them', async () => {
    const { peer, exporter, logger, metric } = await start();
    preCreate(peer);
    const now = Date.now();
    const err = await exporter.consume(logsAt([now - 15 * DAY, now, now + 3 * 60 * 60 * 1000])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(peer.puts().map((p) => p.logEvents.length)).toEqual([1]);
    expect(await metric('sent')).toBe(1);
    expect(await metric('send_failed')).toBe(2);
    expect(logger.lines.find((l) => l.message.includes('dropping'))?.fields).toMatchObject({ too_old: 1, too_new: 1 });
  });

  it('retries only the requests a ThrottlingException stopped, and delivers every event exactly once', async () => {
    const { peer, exporter, metric } = await start({ raw_log: true });
    preCreate(peer);
    peer.faults.push({ target: 'PutLogEvents', after: 1, status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const now = Date.now();
    await exporter.consume(logsAt(spread(25_000, now - 60_000, now), (i) => `r${i}`));
    expect(peer.calls('PutLogEvents').map((r) => `${r.status} ${(r.body.logEvents as unknown[]).length}`)).toEqual(['200 10000', '400 10000', '200 10000', '200 5000']);
    const stored = peer.events('/ferry/test', 'web-1');
    expect(stored).toHaveLength(25_000);
    expect(new Set(stored.map((e) => e.message)).size).toBe(25_000);
    expect(await metric('sent')).toBe(25_000);
    expect(await metric('send_failed')).toBe(0);
  });

  it('counts rejected events once when a later request of the same batch is throttled and retried', async () => {
    const { peer, exporter, logger, metric } = await start();
    preCreate(peer, 1);
    const now = Date.now();
    // Request 1 (about a day ago): its first event is past the group's 1-day retention. Request 2 (now): throttled once.
    const times = [now - DAY - 30 * 60_000, now - 23 * 60 * 60_000, now - 2000, now - 1000];
    peer.faults.push({ target: 'PutLogEvents', after: 1, status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    await exporter.consume(logsAt(times));
    expect(peer.calls('PutLogEvents').map((r) => `${r.status} ${(r.body.logEvents as unknown[]).length}`)).toEqual(['200 2', '400 2', '200 2']);
    expect(peer.events('/ferry/test', 'web-1').map((e) => e.timestamp)).toEqual(times.slice(1));
    expect(await metric('sent')).toBe(3);
    expect(await metric('send_failed')).toBe(1);
    expect(logger.lines.find((l) => l.message.includes('dropping'))?.fields).toMatchObject({ dropped: 1, expired: 1 });
  });

  it('does not retry an InvalidParameterException, and retries a ServiceUnavailableException', async () => {
    const { peer, exporter, metric } = await start();
    preCreate(peer);
    peer.faults.push({ target: 'PutLogEvents', status: 400, type: 'InvalidParameterException', message: 'Log event too large' });
    const err = await exporter.consume(logsAt([Date.now()])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('InvalidParameterException (HTTP 400): Log event too large');
    expect(peer.calls('PutLogEvents')).toHaveLength(1);
    expect(await metric('send_failed')).toBe(1);

    peer.faults.push({ target: 'PutLogEvents', status: 500, type: 'ServiceUnavailableException', message: 'The service cannot complete the request.' });
    await exporter.consume(logsAt([Date.now()]));
    expect(peer.calls('PutLogEvents').map((r) => r.status)).toEqual([400, 500, 200]);
    expect(await metric('sent')).toBe(1);
  });

  it('gives up after max_elapsed_time with a retryable error', async () => {
    const { peer, exporter, metric } = await start({ retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '200ms' } });
    preCreate(peer);
    for (let i = 0; i < 100; i++) peer.faults.push({ target: 'PutLogEvents', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    const err = await exporter.consume(logsAt([Date.now()])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).reason).toBe('throttled');
    expect((err as Error).message).toMatch(/no more retries left .*ThrottlingException/);
    expect(await metric('send_failed')).toBe(1);
  });

  it('lets the SDK retry max_retries times within an attempt, and not at all by default', async () => {
    const { peer, exporter } = await start({ retry_on_failure: { enabled: false } });
    preCreate(peer);
    peer.faults.push({ target: 'PutLogEvents', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    await expect(exporter.consume(logsAt([Date.now()]))).rejects.toBeInstanceOf(RetryableError);
    expect(peer.calls('PutLogEvents').map((r) => r.headers['amz-sdk-request'])).toEqual(['attempt=1; max=1']);
    await exporter.shutdown();
    await peer.close();

    const retrying = await start({ max_retries: 2, retry_on_failure: { enabled: false } });
    preCreate(retrying.peer);
    retrying.peer.faults.push({ target: 'PutLogEvents', status: 400, type: 'ThrottlingException', message: 'Rate exceeded' });
    await retrying.exporter.consume(logsAt([Date.now()]));
    expect(retrying.peer.calls('PutLogEvents').map((r) => r.headers['amz-sdk-request'])).toEqual(['attempt=1; max=3', 'attempt=2; max=3']);
  });

  it('keeps the secret key, session token and signature out of errors and logs, even when the service echoes them', async () => {
    process.env.AWS_SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEFERRYSESSIONTOKENxyz';
    const { peer, exporter, logger } = await start({ retry_on_failure: { enabled: false } }, { echoCanonicalRequest: true });
    preCreate(peer);
    const err = await exporter.consume(logsAt([Date.now()])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('InvalidSignatureException (HTTP 403): The request signature we calculated does not match');
    const request = peer.requests[0];
    expect(request?.headers['x-amz-security-token']).toBe('IQoJb3JpZ2luX2VjEFERRYSESSIONTOKENxyz');
    const signature = /Signature=([0-9a-f]{64})/.exec(String(request?.headers.authorization))?.[1] ?? 'missing';
    const everything = `${(err as Error).message}\n${JSON.stringify(logger.lines)}`;
    for (const secret of [SECRET_ACCESS_KEY, 'IQoJb3JpZ2luX2VjEFERRYSESSIONTOKENxyz', signature]) expect(everything).not.toContain(secret);
  });

  it('creates the group and stream once when several sends find them missing at the same time', async () => {
    const { peer, exporter, metric } = await start();
    const now = Date.now();
    await Promise.all([0, 1, 2, 3].map((k) => exporter.consume(logsAt([now - k, now - k - 10], (i) => `send ${k} record ${i}`))));
    expect(peer.calls('CreateLogGroup').map((r) => r.status)).toEqual([200]);
    expect(peer.calls('CreateLogStream').filter((r) => r.status === 200)).toHaveLength(1);
    expect(peer.events('/ferry/test', 'web-1')).toHaveLength(8);
    expect(await metric('sent')).toBe(8);
    expect(peer.violations).toEqual([]);
  });

  it('treats a refused connection as retryable', async () => {
    const { peer: live, exporter: first } = await start({ retry_on_failure: { enabled: false } });
    await first.shutdown();
    const url = live.url;
    await live.close();
    const cfg = withDefaults<AwsCloudWatchLogsConfig>(configSchema, { log_group_name: 'g', log_stream_name: 's', region: REGION, endpoint: url, retry_on_failure: { enabled: false }, sending_queue: NO_QUEUE });
    exporter = awsCloudWatchLogsExporter.create(cfg, { id: 'awscloudwatchlogs/down', kind: 'exporter', logger: recordingLogger(), telemetry: new SelfTelemetry({ defaultMetrics: false }) });
    await exporter.start(testHost);
    const err = await exporter.consume(logsAt([Date.now()])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('refuses traces and metrics for good', async () => {
    const { exporter } = await start();
    await expect(exporter.consume({ signal: 'traces', resources: [] })).rejects.toBeInstanceOf(PermanentError);
  });
});

describe('awscloudwatchlogs config', () => {
  const check = (config: Record<string, unknown>) => awsCloudWatchLogsExporter.validate?.(withDefaults<AwsCloudWatchLogsConfig>(configSchema, config)) ?? [];

  it('has the contrib defaults and Ferry\'s retry split', () => {
    const cfg = withDefaults<AwsCloudWatchLogsConfig>(configSchema, { log_group_name: 'g', log_stream_name: 's' });
    expect(cfg).toMatchObject({ log_retention: 0, raw_log: false, max_retries: 0, timeout: '30s', retry_on_failure: { enabled: true, initial_interval: '5s' } });
  });

  it('requires log_group_name and log_stream_name, naming the path and the fix', () => {
    expect(check({})).toEqual([
      { path: 'log_group_name', message: 'is required', fix: expect.stringContaining('log_group_name: /ferry/app') },
      { path: 'log_stream_name', message: 'is required', fix: expect.stringContaining('log_stream_name: web-1') },
    ]);
    expect(check({ log_group_name: 'bad group!', log_stream_name: 'a:b' }).map((p) => p.path)).toEqual(['log_group_name', 'log_stream_name']);
  });

  it('says role_arn is not supported and how to assume a role instead', () => {
    expect(check({ log_group_name: 'g', log_stream_name: 's', role_arn: 'arn:aws:iam::123456789012:role/logs' })).toEqual([
      expect.objectContaining({ path: 'role_arn', fix: expect.stringContaining('source_profile') }),
    ]);
  });

  it('checks tags and the endpoint, and lets the schema refuse unknown retention periods', () => {
    expect(check({ log_group_name: 'g', log_stream_name: 's', tags: {} }).map((p) => p.path)).toEqual(['tags']);
    expect(check({ log_group_name: 'g', log_stream_name: 's', tags: { 'bad!key': 'v' } }).map((p) => p.message)).toEqual(['key "bad!key" is not a valid tag key']);
    expect(check({ log_group_name: 'g', log_stream_name: 's', endpoint: 'ftp://x' }).map((p) => p.path)).toEqual(['endpoint']);
    expect(check({ log_group_name: 'g', log_stream_name: 's', endpoint: 'logs.us-east-1.amazonaws.com' })).toEqual([]);
    expect(() => withDefaults(configSchema, { log_group_name: 'g', log_stream_name: 's', log_retention: 2 })).toThrow(/enum/);
  });

  it('fails to start without a region, saying where to set one', async () => {
    const cfg = withDefaults<AwsCloudWatchLogsConfig>(configSchema, { log_group_name: 'g', log_stream_name: 's', sending_queue: NO_QUEUE });
    exporter = awsCloudWatchLogsExporter.create(cfg, { id: 'awscloudwatchlogs/noregion', kind: 'exporter', logger: recordingLogger(), telemetry: new SelfTelemetry({ defaultMetrics: false }) });
    await expect(exporter.start(testHost)).rejects.toThrow(/no AWS region .*region: us-east-1.*AWS_REGION/);
    exporter = undefined;
  });
});

describe('awscloudwatchlogs pieces', () => {
  it('reads rejectedLogEventsInfo as the API reference defines its indexes', () => {
    // tooOld and expired end indexes are exclusive; tooNew's start index is inclusive.
    expect([...rejectedPositions({ tooOldLogEventEndIndex: 2, tooNewLogEventStartIndex: 4 }, 6)]).toEqual([
      [0, 'too_old'],
      [1, 'too_old'],
      [4, 'too_new'],
      [5, 'too_new'],
    ]);
    expect([...rejectedPositions({ expiredLogEventEndIndex: 1, tooOldLogEventEndIndex: 2 }, 3)]).toEqual([
      [0, 'expired'],
      [1, 'too_old'],
    ]);
    expect(rejectedPositions(undefined, 3).size).toBe(0);
  });

  it('scrubs credentials, signatures and echoed canonical requests from messages', () => {
    const message = `denied for wJalrSECRET and token IQoTOKEN; Authorization: AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=${'ab'.repeat(32)}`;
    const out = scrubSecrets(message, ['wJalrSECRET', 'IQoTOKEN']);
    expect(out).not.toMatch(/wJalrSECRET|IQoTOKEN|abab/);
    expect(out).toContain('Signature=<redacted>');
    expect(scrubSecrets("bad signature. The Canonical String for this request should have been\n'POST\n/\nx-amz-security-token:IQoTOKEN'", [])).toBe('bad signature. (request details omitted)');
  });

  it('finds the EMF destination in _aws (any case) or in the v0 top-level keys', () => {
    expect(emfDestination('{"_aws":{"LogGroupName":"g1","LogStreamName":"s1"}}')).toEqual({ group: 'g1', stream: 's1' });
    expect(emfDestination('{"_aws":{"logGroupName":"g2"}}')).toEqual({ group: 'g2', stream: undefined });
    expect(emfDestination('{"log_group_name":"g3","log_stream_name":"s3"}')).toEqual({ group: 'g3', stream: 's3' });
    expect(emfDestination('not json')).toBeUndefined();
    expect(emfDestination('{"_aws":{}}')).toBeUndefined();
  });
});
