// The http exporter (a generic HTTP sink, as Vector's http sink) against a local endpoint that
// records every request: body formats, gzip, auth, batch limits, and each refusal as documented
// in the exporter (408/429/5xx retried, 401/403 final, 413 halves the request).
import { afterEach, describe, expect, it } from 'vitest';
import { httpExporter, type HttpSinkConfig } from '../../../src/exporters/http/index.js';
import { configSchema } from '../../../src/exporters/http/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { makeBatch, type LogsBatch } from '../../../src/pdata/batch.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { SPAN_ID, TRACE_ID, logsBatch, metricValue, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { str } from '../../helpers/values.js';
import { HttpSink } from './server.js';

const sinks: HttpSink[] = [];
let exporter: QueuedExporter | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  for (const s of sinks.splice(0)) await s.close();
});

async function sink(): Promise<HttpSink> {
  const s = await HttpSink.start();
  sinks.push(s);
  return s;
}

async function start(config: Record<string, unknown>) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<HttpSinkConfig>(configSchema, { sending_queue: { enabled: false }, retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '2s' }, ...config });
  expect(httpExporter.validate?.(cfg)).toEqual([]);
  exporter = httpExporter.create(cfg, { id: 'http/test', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  const metric = (what: 'sent' | 'send_failed') => metricValue(telemetry, `otelcol_exporter_${what}_log_records_total`, { exporter: 'http/test' });
  return { exporter, logger, metric };
}

function lines(n: number, size = 10): LogsBatch {
  return makeBatch('logs', [
    { resource: { attributes: [str('service.name', 'api')] }, scopeLogs: [{ scope: { name: 's', attributes: [] }, logRecords: Array.from({ length: n }, (_, i) => ({ attributes: [], body: { stringValue: `${i}`.padStart(size, '.') } })) }] },
  ]);
}

describe('http exporter', () => {
  it('posts a JSON array of records with bearer auth and the configured headers', async () => {
    const s = await sink();
    const { exporter, metric } = await start({ endpoint: `${s.url}/ingest?source=fly`, auth: { strategy: 'bearer', token: 'tok-123456' }, headers: { 'X-Source': 'ferry' } });
    await exporter.consume(logsBatch());
    const req = s.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/ingest?source=fly');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.authorization).toBe('Bearer tok-123456');
    expect(req?.headers['x-source']).toBe('ferry');
    const records = JSON.parse(req?.body ?? '') as unknown[];
    expect(records).toEqual([
      {
        timestamp: '2023-11-14T22:13:20.123456789Z',
        observed_timestamp: '2023-11-14T22:13:21.987654321Z',
        severity_text: 'INFO',
        severity_number: 9,
        body: 'order placed',
        attributes: { 'order.id': 42 },
        resource: { blob: 'AP8Q', 'host.cpus': -9007199254740992, nested: { inner: 'x' }, ratio: 0.25, ready: true, 'service.name': 'checkout', tags: ['a', 7] },
        scope: { name: 'ferry-test', version: '1.2.3' },
        trace_id: TRACE_ID,
        span_id: SPAN_ID,
      },
      expect.objectContaining({ severity_text: 'ERROR', body: { msg: 'payment failed' }, attributes: { retry: true } }),
    ]);
    // int64 written exactly.
    expect(req?.body).toContain('"host.cpus":-9007199254740993');
    expect(await metric('sent')).toBe(2);
  });

  it('NDJSON and text lines, gzipped, with Basic auth and PUT', async () => {
    const s = await sink();
    const nd = await start({ endpoint: s.url, format: 'ndjson', compression: 'gzip', auth: { strategy: 'basic', user: 'u', password: 'p4ss-word' } });
    await nd.exporter.consume(lines(3, 1));
    expect(s.requests[0]?.headers['content-encoding']).toBe('gzip');
    expect(s.requests[0]?.headers['content-type']).toBe('application/x-ndjson');
    expect(s.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('u:p4ss-word').toString('base64')}`);
    expect(s.requests[0]?.body.split('\n').slice(0, -1).map((l) => (JSON.parse(l) as { body: string }).body)).toEqual(['0', '1', '2']);
    expect(s.requests[0]?.body.endsWith('\n')).toBe(true);
    await nd.exporter.shutdown();

    const text = await start({ endpoint: s.url, format: 'text', method: 'PUT' });
    await text.exporter.consume(lines(2, 3));
    expect(s.requests[1]?.method).toBe('PUT');
    expect(s.requests[1]?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(s.requests[1]?.body).toBe('..0\n..1\n');
    await text.exporter.shutdown();

    // A Slack incoming webhook's message: {"text": …}.
    const slack = await start({ endpoint: s.url, format: 'text_json' });
    await slack.exporter.consume(lines(2, 3));
    expect(s.requests[2]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(s.requests[2]?.body ?? '')).toEqual({ text: '..0\n..1' });
  });

  it('splits a batch by batch.max_events and batch.max_bytes; a record alone over max_bytes is dropped and counted', async () => {
    const s = await sink();
    const byCount = await start({ endpoint: s.url, format: 'text', batch: { max_events: 4 } });
    await byCount.exporter.consume(lines(10, 9));
    expect(s.requests.map((r) => r.body.split('\n').length - 1)).toEqual([4, 4, 2]);
    await byCount.exporter.shutdown();

    // 10-byte lines (9 + newline): 25 bytes hold two.
    const bySize = await start({ endpoint: s.url, format: 'text', batch: { max_bytes: 25 } });
    const batch = lines(5, 9);
    const big = batch.resources[0]?.scopeLogs[0]?.logRecords[2];
    if (big) big.body = { stringValue: 'x'.repeat(40) };
    await expect(bySize.exporter.consume(batch)).rejects.toThrow(/refused 1 of 5 items: 1 records are each larger than batch.max_bytes \(25\)/);
    expect(s.requests.slice(3).map((r) => r.body)).toEqual(['........0\n........1\n', '........3\n........4\n']);
    for (const r of s.requests.slice(3)) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(25);
    expect(await bySize.metric('sent')).toBe(4);
    expect(await bySize.metric('send_failed')).toBe(1);
  });

  it('retries 429 (Retry-After) and 503, halves a 413, and resends only what was not delivered', async () => {
    const s = await sink();
    s.replies.push({ status: 429, headers: { 'retry-after': '0' } }, { status: 503 });
    const { exporter, metric } = await start({ endpoint: s.url, format: 'ndjson' });
    await exporter.consume(lines(3, 1));
    expect(s.requests.map((r) => r.status)).toEqual([429, 503, 200]);
    await exporter.shutdown();

    const small = await sink();
    small.maxBody = 40;
    const second = await start({ endpoint: small.url, format: 'text', batch: { max_events: 6 } });
    await second.exporter.consume(lines(8, 9));
    // 6 lines (60 bytes) → 413 → 3 + 3 (30 bytes each); then the last 2.
    expect(small.requests.map((r) => [r.status, r.body.split('\n').length - 1])).toEqual([
      [413, 6],
      [200, 3],
      [200, 3],
      [200, 2],
    ]);
    expect(small.accepted().map((r) => r.body).join('')).toBe(Array.from({ length: 8 }, (_, i) => `${i}`.padStart(9, '.') + '\n').join(''));
    expect(await metric('sent')).toBe(3);

    // A failure after a first request got through retries only the rest.
    const third = await sink();
    third.replies.push({ status: 200 }, { status: 502 });
    const t = await start({ endpoint: third.url, format: 'text', batch: { max_events: 2 } });
    await t.exporter.consume(lines(4, 1));
    expect(third.requests.map((r) => [r.status, r.body])).toEqual([
      [200, '0\n1\n'],
      [502, '2\n3\n'],
      [200, '2\n3\n'],
    ]);
  });

  it('401 and 403 are final and name the fix, without the secret; another 4xx drops the request\'s records', async () => {
    const s = await sink();
    s.replies.push({ status: 401, body: 'bad token tok-secret-999' });
    const { exporter, metric, logger } = await start({ endpoint: s.url, auth: { strategy: 'bearer', token: 'tok-secret-999' } });
    const err = await exporter.consume(lines(2)).catch((e: unknown) => e as Error);
    expect((err as Error).message).toMatch(/HTTP 401: bad token \*\*\* \(check the credentials of exporter http\/test/);
    expect((err as Error).message).not.toContain('tok-secret-999');
    expect(s.requests).toHaveLength(1);
    expect(await metric('send_failed')).toBe(2);
    expect(JSON.stringify(logger.lines)).not.toContain('tok-secret-999');
    await exporter.shutdown();

    const t = await sink();
    t.replies.push({ status: 400, body: 'invalid' });
    const second = await start({ endpoint: t.url, format: 'text', batch: { max_events: 1 } });
    await expect(second.exporter.consume(lines(2))).rejects.toThrow(/refused 1 of 2 items: .*HTTP 400: invalid/);
    expect(t.requests.map((r) => r.status)).toEqual([400, 200]);
    expect(await second.metric('sent')).toBe(1);
  });

  it('validation names a bad endpoint and incomplete auth', () => {
    const cfg = withDefaults<HttpSinkConfig>(configSchema, { endpoint: 'logs.example.com', auth: { strategy: 'bearer' } });
    expect((httpExporter.validate?.(cfg) ?? []).map((p) => p.path)).toEqual(['endpoint', 'auth.token']);
  });
});
