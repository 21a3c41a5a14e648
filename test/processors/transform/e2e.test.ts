// The transform fixtures (test/fixtures/transform: modelled on the OpenTelemetry demo's, New
// Relic's and Honeycomb's collector configs) validate with `ferry validate`, and real OTLP/HTTP
// sent through a running Ferry per fixture comes out of its file exporter changed exactly as each
// statement says, item by item.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExportRequest } from '../../../src/pdata/proto.js';
import type { LogRecord, ResourceLogs, ResourceMetrics, ResourceSpans, Span } from '../../../src/pdata/types.js';
import { freePort, waitFor } from '../../helpers/index.js';
import type { FerryProcess } from '../../helpers/ferry.js';
import { runFerryToEnd, startFerry, tempDir } from '../../helpers/ferry.js';
import { fileBatches, logsIn, pointsIn, postProtobuf, spansIn } from '../e2e-helpers.js';
import { kvs } from '../helpers.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/transform/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, `${name}.yaml`);
const LONG = 'x'.repeat(5000);

const span = (name: string, attributes = kvs({})): Span => ({ traceId: randomBytes(16), spanId: randomBytes(8), name, kind: 2, startTimeUnixNano: 1, endTimeUnixNano: 2, attributes, events: [], links: [] });
const spans = (resource: Record<string, string>, list: Span[]): ResourceSpans[] => [{ resource: { attributes: kvs(resource) }, scopeSpans: [{ scope: { name: 'e2e', attributes: [] }, spans: list }] }];
const logs = (resource: Record<string, string>, list: Partial<LogRecord>[]): ResourceLogs[] => [{ resource: { attributes: kvs(resource) }, scopeLogs: [{ scope: { name: 'e2e', attributes: [] }, logRecords: list.map((l) => ({ attributes: [], ...l })) }] }];

describe('transform fixtures through a running Ferry', () => {
  const out = tempDir('ferry-transform-e2e-');
  const ferries: Record<string, { process: FerryProcess; port: number }> = {};
  const post = (name: string, path: string, body: Uint8Array) => postProtobuf(`http://127.0.0.1:${ferries[name]!.port}${path}`, body);

  beforeAll(async () => {
    await Promise.all(
      ['otel-demo', 'newrelic', 'honeycomb'].map(async (name) => {
        const port = await freePort();
        const env = { OTLP_PORT: String(port), TELEMETRY_PORT: String(await freePort()), OUT_DIR: out };
        ferries[name] = { process: await startFerry(['--config', fixture(name)], { env }), port };
      }),
    );
  }, 30_000);
  afterAll(async () => {
    await Promise.all(Object.values(ferries).map((f) => f.process.stop()));
  });

  it('every fixture passes ferry validate', async () => {
    const names = ['otel-demo', 'newrelic', 'honeycomb'];
    const results = await Promise.all(names.map((name) => runFerryToEnd(['validate', '--config', fixture(name)], { env: { OTLP_PORT: '4318', TELEMETRY_PORT: '8888', OUT_DIR: out } })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
  });

  it('the demo: query strings cut from span names, product ids replaced by a placeholder', async () => {
    const names = ['GET /api/products/OLJCESPC7Z?currency=USD', 'GET /api/cart?sessionId=7', 'POST /api/checkout', 'GET /api/products/66VCHSJNUP'];
    expect(await post('otel-demo', '/v1/traces', encodeExportRequest('traces', spans({ 'service.name': 'frontend' }, names.map((n) => span(n)))))).toBe(200);
    const file = join(out, 'demo.jsonl');
    await waitFor(() => fileBatches(file, 'traces').flatMap(spansIn).length === 4, 'demo spans');
    expect(fileBatches(file, 'traces').flatMap(spansIn).map((s) => s.sp.name)).toEqual(['GET /api/products/{productId}', 'GET /api/cart', 'POST /api/checkout', 'GET /api/products/{productId}']);
  });

  it('New Relic: attribute values truncated to 4095 in every signal; log trace context copied to trace.id / span.id', async () => {
    const traceId = randomBytes(16);
    const spanId = randomBytes(8);
    const logBody = logs({ 'service.name': 'api', 'k8s.pod.spec': LONG }, [
      { body: { stringValue: 'with context' }, traceId, spanId, attributes: kvs({ 'db.statement': LONG, short: 'kept' }) },
      { body: { stringValue: 'without context' }, attributes: kvs({ n: 1 }) },
    ]);
    const metrics: ResourceMetrics[] = [
      { resource: { attributes: kvs({ 'service.name': 'api', big: LONG }) }, scopeMetrics: [{ scope: null, metrics: [{ name: 'requests', sum: { dataPoints: [{ attributes: kvs({ query: LONG, route: '/x' }), asInt: 3, timeUnixNano: 5, exemplars: [] }], aggregationTemporality: 2, isMonotonic: true } }] }] },
    ];
    expect(await post('newrelic', '/v1/logs', encodeExportRequest('logs', logBody))).toBe(200);
    expect(await post('newrelic', '/v1/traces', encodeExportRequest('traces', spans({ 'service.name': 'api', big: LONG }, [span('q', kvs({ 'db.statement': LONG, n: 5 }))])))).toBe(200);
    expect(await post('newrelic', '/v1/metrics', encodeExportRequest('metrics', metrics))).toBe(200);
    const file = join(out, 'newrelic.jsonl');
    await waitFor(() => fileBatches(file, 'logs').length > 0 && fileBatches(file, 'traces').length > 0 && fileBatches(file, 'metrics').length > 0, 'all three signals');

    const [withCtx, withoutCtx] = fileBatches(file, 'logs').flatMap(logsIn);
    expect(withCtx!.resource).toEqual({ 'service.name': 'api', 'k8s.pod.spec': 'x'.repeat(4095) });
    expect(withCtx!.a).toEqual({ 'db.statement': 'x'.repeat(4095), short: 'kept', 'trace.id': traceId.toString('hex'), 'span.id': spanId.toString('hex') });
    expect(withoutCtx!.a).toEqual({ n: 1 });

    const [s] = fileBatches(file, 'traces').flatMap(spansIn);
    expect(s!.resource).toEqual({ 'service.name': 'api', big: 'x'.repeat(4095) });
    expect(s!.a).toEqual({ 'db.statement': 'x'.repeat(4095), n: 5 });

    const [p] = fileBatches(file, 'metrics').flatMap(pointsIn);
    expect(p!.resource).toEqual({ 'service.name': 'api', big: 'x'.repeat(4095) });
    expect(p!.a).toEqual({ query: 'x'.repeat(4095), route: '/x' });
  });

  it('Honeycomb: JSON bodies parsed into attributes, severity from the level, message as body, secrets dropped, signal marked', async () => {
    const body = logs({}, [
      { body: { stringValue: '{"level":"error","msg":"payment failed","user":"ann","password":"hunter2"}' } },
      { body: { stringValue: '{"level":"warn","msg":"slow","token":"t"}' }, attributes: kvs({ user: 'bob' }) },
      { body: { stringValue: 'plain text line' }, severityNumber: 9, severityText: 'INFO', attributes: kvs({ Password: 'p' }) },
      { body: { stringValue: '{not json' } },
    ]);
    expect(await post('honeycomb', '/v1/logs', encodeExportRequest('logs', body))).toBe(200);
    const file = join(out, 'honeycomb.jsonl');
    await waitFor(() => fileBatches(file, 'logs').flatMap(logsIn).length === 4, 'honeycomb logs');
    const got = fileBatches(file, 'logs')
      .flatMap(logsIn)
      .map((l) => ({ resource: l.resource, a: l.a, body: l.lr.body?.stringValue, severity: [l.lr.severityText ?? '', l.lr.severityNumber ?? 0] }));
    expect(got).toEqual([
      { resource: { 'service.name': 'unknown_service' }, a: { level: 'error', msg: 'payment failed', user: 'ann', 'meta.signal_type': 'log' }, body: 'payment failed', severity: ['ERROR', 17] },
      { resource: { 'service.name': 'unknown_service' }, a: { user: 'bob', level: 'warn', msg: 'slow', 'meta.signal_type': 'log' }, body: 'slow', severity: ['WARN', 13] },
      { resource: { 'service.name': 'unknown_service' }, a: { 'meta.signal_type': 'log' }, body: 'plain text line', severity: ['INFO', 9] },
      // IsMatch(body, "^\\{") holds but ParseJSON fails: error_mode ignore goes on with the next statements.
      { resource: { 'service.name': 'unknown_service' }, a: { 'meta.signal_type': 'log' }, body: '{not json', severity: ['', 0] },
    ]);
  });
});
