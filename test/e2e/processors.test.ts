// The processors end to end: OpenTelemetry JS SDK clients send to real Ferry processes whose
// file exporters write what arrives. Checked: every resource/attributes action, batch sizes and
// triggers with the split at send_batch_max_size, an exporter failure reaching exactly the
// senders whose data was in the failed batch, the filter's drops and counts, and the memory
// limiter refusing (retryably) while a backend is slow, then recovering.
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { freePort, waitFor } from '../helpers/index.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { metricValue, startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { plain } from '../processors/helpers.js';
import type { Result } from '../processors/e2e-helpers.js';
import { backend, bigLogsRequest, close, fileBatches, listen, logsIn, pointsIn, postProtobuf, pressUntilRefused, sdkExport, sha256, spansIn } from '../processors/e2e-helpers.js';

describe('processors end to end, through a real Ferry', () => {
  const dir = tempDir('ferry-e2e-processors-');
  const files = { actions: join(dir, 'actions.jsonl'), batched: join(dir, 'batched.jsonl'), filtered: join(dir, 'filtered.jsonl') };
  const ports: Record<string, number> = {};
  let ferry: FerryProcess;
  let limited: FerryProcess;
  let marker: ReturnType<typeof backend>;
  let slow: ReturnType<typeof backend>;
  const held: ServerResponse[] = [];
  let backendSlow = true;
  const url = (name: string, path: string) => `http://127.0.0.1:${ports[name]}${path}`;
  const metrics = (name: string) => url(name, '/metrics');

  beforeAll(async () => {
    for (const k of ['actions', 'batch', 'fail', 'filter', 'metrics', 'marker', 'limited', 'limitedMetrics', 'slow']) ports[k] = await freePort();
    // Answers 400 to a request holding a log record with the `marker` attribute, 200 otherwise.
    marker = backend((resources, res) => res.writeHead(logsIn(resources).some((l) => 'marker' in l.a) ? 400 : 200, { 'content-type': 'application/x-protobuf' }).end());
    slow = backend((_r, res) => (backendSlow ? held.push(res) : res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()));
    await Promise.all([listen(marker.server, ports.marker!), listen(slow.server, ports.slow!)]);

    const http = (name: string, extra = '') => `  otlp/${name}:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:${ports[name]}\n${extra}`;
    const config = writeConfig(`
receivers:
${http('actions', '        include_metadata: true\n')}${http('batch')}${http('fail')}${http('filter')}
processors:
  resource/stamp:
    attributes:
      - {key: service.name, value: stamped-svc, action: upsert}
      - {key: deployment.environment, value: ci, action: insert}
      - {key: service.version, value: "9.9.9", action: insert}
      - {key: host.name, value: nowhere, action: update}
      - {key: pipeline_run_id, from_context: metadata.x-run-id, action: upsert}
      - {key: client, from_context: client.address, action: insert}
      - {pattern: "^secret\\\\.", action: delete}
  attributes/actions:
    include:
      match_type: strict
      attributes: [{key: kind, value: target}]
    actions:
      - {key: step_id, value: compile, action: insert}
      - {key: user.name, value: redacted, action: update}
      - {key: http.route, from_attribute: url.path, action: upsert}
      - {key: password, action: delete}
      - {pattern: "^tmp\\\\.", action: delete}
      - {key: user.email, action: hash}
      - {key: url.path, pattern: "^/api/(?P<api_version>v\\\\d+)/(?P<api_resource>\\\\w+)", action: extract}
      - {key: http.status_code, action: convert, converted_type: int}
      - {key: retry.count, action: convert, converted_type: string}
  batch/sized:
    send_batch_size: 10
    send_batch_max_size: 15
    timeout: 400ms
  batch/merge:
    send_batch_size: 10
    send_batch_max_size: 10
    timeout: 1500ms
    # Export errors reach the senders only when they wait for the result.
    wait_for_result: true
  filter/level:
    logs:
      min_severity: WARN
      exclude:
        match_type: regexp
        bodies: ["^GET /healthz"]
    spans:
      exclude:
        match_type: regexp
        span_names: ["^healthz"]
    metrics:
      exclude:
        match_type: strict
        metric_names: [noise_total]
exporters:
  file/actions:
    path: ${files.actions}
    flush_interval: 50ms
  file/batched:
    path: ${files.batched}
    flush_interval: 50ms
  file/filtered:
    path: ${files.filtered}
    flush_interval: 50ms
  otlphttp/marker:
    endpoint: http://127.0.0.1:${ports.marker}
    retry_on_failure:
      enabled: false
    sending_queue:
      enabled: false
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${ports.metrics}
  pipelines:
${(['logs', 'traces', 'metrics'] as const).map((s) => `    ${s}/actions:\n      receivers: [otlp/actions]\n      processors: [resource/stamp, attributes/actions]\n      exporters: [file/actions]\n    ${s}/filter:\n      receivers: [otlp/filter]\n      processors: [filter/level]\n      exporters: [file/filtered]`).join('\n')}
    logs/batch:
      receivers: [otlp/batch]
      processors: [batch/sized]
      exporters: [file/batched]
    logs/fail:
      receivers: [otlp/fail]
      processors: [batch/merge]
      exporters: [otlphttp/marker]
`);
    // The memory limiter measures the whole process, so it gets a Ferry of its own.
    const limitedConfig = writeConfig(`
receivers:
${http('limited')}
processors:
  memory_limiter:
    check_interval: 50ms
    limit_mib: 64
    spike_limit_mib: 16
    measure: heap
    min_gc_interval_when_soft_limited: 100ms
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${ports.slow}
    compression: none
    timeout: 60s
    retry_on_failure:
      enabled: false
    # Without a queue each accepted request stays in memory, whole, until the backend answers.
    sending_queue:
      enabled: false
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${ports.limitedMetrics}
  pipelines:
    logs:
      receivers: [otlp/limited]
      processors: [memory_limiter]
      exporters: [otlphttp]
`);
    [ferry, limited] = await Promise.all([startFerry(['--config', config]), startFerry(['--config', limitedConfig])]);
  }, 30_000);

  afterAll(async () => {
    for (const res of held.splice(0)) res.destroy();
    await Promise.all([ferry?.stop(), limited?.stop()]);
    await Promise.all([close(marker?.server), close(slow?.server)]);
  });

  it('applies every resource and attributes action to what the SDK sent, on logs, spans and data points', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'sdk-default', 'service.version': '1.2.3', 'secret.token': 's3cr3t', 'secret.key': 'k' });
    const headers = { 'x-run-id': 'run-42' };
    const exporter = new OTLPLogExporter({ url: url('actions', '/v1/logs'), headers });
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
    const logger = provider.getLogger('e2e');
    logger.emit({
      body: 'target',
      attributes: {
        kind: 'target',
        'user.name': 'ada',
        'url.path': '/api/v2/orders',
        password: 'hunter2',
        'tmp.a': 1,
        'tmp.b': 2,
        'user.email': 'ada@example.com',
        'http.status_code': '503',
        'retry.count': 3,
      },
    });
    logger.emit({ body: 'other', attributes: { kind: 'other', 'user.name': 'bob', password: 'pw', 'http.status_code': '200' } });
    await provider.forceFlush();
    await provider.shutdown();

    const tracer = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: url('actions', '/v1/traces'), headers }))] });
    tracer.getTracer('e2e').startSpan('op', { attributes: { kind: 'target', password: 'x' } }).end();
    await tracer.forceFlush();
    await tracer.shutdown();

    const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: url('actions', '/v1/metrics'), headers }), exportIntervalMillis: 60_000 });
    const meters = new MeterProvider({ resource, readers: [reader] });
    meters.getMeter('e2e').createCounter('jobs_total').add(1, { kind: 'target' });
    await meters.shutdown(); // collects and exports once

    await waitFor(() => logsIn(fileBatches(files.actions, 'logs').flat()).length >= 2 && spansIn(fileBatches(files.actions, 'traces').flat()).length >= 1 && pointsIn(fileBatches(files.actions, 'metrics').flat()).length >= 1, 'actions output');
    const logs = logsIn(fileBatches(files.actions, 'logs').flat());
    const target = logs.find((l) => plain(l.lr.body) === 'target')!;
    const other = logs.find((l) => plain(l.lr.body) === 'other')!;

    // resource: upsert overrides, insert keeps what was there, update of an absent key does nothing,
    // from_context reads the request header and the peer address, delete by pattern.
    expect(target.resource).toEqual({
      'service.name': 'stamped-svc',
      'service.version': '1.2.3',
      'deployment.environment': 'ci',
      pipeline_run_id: 'run-42',
      client: '127.0.0.1',
      // the SDK's telemetry.sdk.* attributes are kept as they came
      ...Object.fromEntries(Object.entries(target.resource).filter(([k]) => k.startsWith('telemetry.'))),
    });
    // attributes: every action on the included record…
    expect(target.a).toEqual({
      kind: 'target',
      step_id: 'compile',
      'user.name': 'redacted',
      'url.path': '/api/v2/orders',
      'http.route': '/api/v2/orders',
      'user.email': sha256('ada@example.com'),
      api_version: 'v2',
      api_resource: 'orders',
      'http.status_code': 503,
      'retry.count': '3',
    });
    // …and none on the record that include does not select.
    expect(other.a).toEqual({ kind: 'other', 'user.name': 'bob', password: 'pw', 'http.status_code': '200' });

    const span = spansIn(fileBatches(files.actions, 'traces').flat())[0]!;
    expect(span.resource['service.name']).toBe('stamped-svc');
    expect(span.a).toEqual({ kind: 'target', step_id: 'compile' });
    const point = pointsIn(fileBatches(files.actions, 'metrics').flat()).find((p) => p.name === 'jobs_total')!;
    expect(point.resource.pipeline_run_id).toBe('run-42');
    expect(point.a).toEqual({ kind: 'target', step_id: 'compile' });
  });

  it('batches by size, splits at send_batch_max_size, and sends the rest on timeout, counting each trigger', async () => {
    const exporter = new OTLPLogExporter({ url: url('batch', '/v1/logs') });
    const resource = resourceFromAttributes({ 'service.name': 'batcher' });
    // 25 records in one request: the size trigger (10) with a cap of 15 sends 15, then 10.
    const bulk = await sdkExport(exporter, resource, (l) => {
      for (let i = 0; i < 25; i++) l.emit({ body: `bulk ${i}` });
    });
    expect(bulk.code).toBe(0);
    // 3 more: below the size trigger, sent when the 400ms timeout fires.
    const tail = await sdkExport(exporter, resource, (l) => {
      for (let i = 0; i < 3; i++) l.emit({ body: `tail ${i}` });
    });
    expect(tail.code).toBe(0);
    await exporter.shutdown();

    await waitFor(() => fileBatches(files.batched, 'logs').length >= 3, 'three batches');
    const batches = fileBatches(files.batched, 'logs');
    const bodies = batches.map((b) => logsIn(b).map((l) => String(plain(l.lr.body))));
    expect(bodies.map((b) => b.length)).toEqual([15, 10, 3]);
    expect(bodies.flat()).toEqual([...Array.from({ length: 25 }, (_, i) => `bulk ${i}`), 'tail 0', 'tail 1', 'tail 2']);
    // Split at resource/scope level: each batch holds the one resource and scope once.
    for (const b of batches) {
      expect(b).toHaveLength(1);
      expect(b[0]!.scopeLogs).toHaveLength(1);
    }
    const m = metrics('metrics');
    expect(await metricValue(m, 'otelcol_processor_batch_batch_size_trigger_send_total', { processor: 'batch/sized' })).toBe(2);
    expect(await metricValue(m, 'otelcol_processor_batch_timeout_trigger_send_total', { processor: 'batch/sized' })).toBe(1);
    expect(await metricValue(m, 'otelcol_processor_batch_batch_send_size_sum', { processor: 'batch/sized' })).toBe(28);
  });

  it('with wait_for_result, fails exactly the senders whose records were in the batch the exporter failed', async () => {
    // Three SDK clients send 6 records each, 150ms apart, into one batcher (10 per batch, timeout 1.5s).
    // A's records carry the marker the backend refuses with 400.
    const senders = ['A', 'B', 'C'] as const;
    const pending: Promise<Result>[] = [];
    for (const name of senders) {
      const exporter = new OTLPLogExporter({ url: url('fail', '/v1/logs'), timeoutMillis: 15_000 });
      const resource = resourceFromAttributes({ 'service.name': `sender-${name}` });
      pending.push(
        sdkExport(exporter, resource, (l) => {
          for (let i = 0; i < 6; i++) l.emit({ body: `${name}${i}`, attributes: name === 'A' ? { sender: name, marker: true } : { sender: name } });
        }),
      );
      await new Promise((r) => setTimeout(r, 150));
    }
    const results = await Promise.all(pending);
    const outcome = Object.fromEntries(senders.map((n, i) => [n, results[i]!.code]));

    // What the backend saw decides who must have failed: every sender with a record in a refused request.
    expect(marker.requests.map((rs) => logsIn(rs).length)).toEqual([10, 8]);
    const refusedSenders = new Set(marker.requests.filter((rs) => logsIn(rs).some((l) => 'marker' in l.a)).flatMap((rs) => logsIn(rs).map((l) => String(l.a.sender))));
    for (const n of senders) expect(outcome[n], `sender ${n}`).toBe(refusedSenders.has(n) ? 1 : 0);
    // Sent in order A, B, C: [A×6 + B×4] is refused, [B×2 + C×6] delivered. B fails too (it will
    // resend: at-least-once, its 2 delivered records arrive twice); C succeeds.
    expect(outcome).toEqual({ A: 1, B: 1, C: 0 });
  });

  it('drops exactly what the filter says, and counts each drop', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'noisy' });
    const exporter = new OTLPLogExporter({ url: url('filter', '/v1/logs') });
    const levels: [SeverityNumber | undefined, string][] = [
      [SeverityNumber.TRACE, 'trace detail'],
      [SeverityNumber.DEBUG, 'debug detail'],
      [SeverityNumber.INFO, 'request served'],
      [SeverityNumber.WARN, 'GET /healthz slow'],
      [SeverityNumber.WARN, 'disk 85% full'],
      [SeverityNumber.ERROR, 'job failed'],
      [SeverityNumber.FATAL, 'out of memory'],
      [undefined, 'plain stdout line'],
    ];
    const sent = await sdkExport(exporter, resource, (l) => {
      for (const [severityNumber, body] of levels) l.emit(severityNumber === undefined ? { body } : { body, severityNumber });
    });
    expect(sent.code).toBe(0);
    await exporter.shutdown();

    const tracer = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: url('filter', '/v1/traces') }))] });
    for (const name of ['healthz', 'checkout', 'healthz-deep']) tracer.getTracer('e2e').startSpan(name).end();
    await tracer.forceFlush();
    await tracer.shutdown();

    const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: url('filter', '/v1/metrics') }), exportIntervalMillis: 60_000 });
    const meters = new MeterProvider({ resource, readers: [reader] });
    const noise = meters.getMeter('e2e').createCounter('noise_total');
    noise.add(1, { a: '1' });
    noise.add(1, { a: '2' });
    meters.getMeter('e2e').createCounter('orders_total').add(5);
    await meters.shutdown(); // collects and exports once

    await waitFor(
      () => spansIn(fileBatches(files.filtered, 'traces').flat()).length >= 1 && pointsIn(fileBatches(files.filtered, 'metrics').flat()).length >= 1 && logsIn(fileBatches(files.filtered, 'logs').flat()).length >= 1,
      'filtered output',
    );
    expect(logsIn(fileBatches(files.filtered, 'logs').flat()).map((l) => plain(l.lr.body))).toEqual(['disk 85% full', 'job failed', 'out of memory', 'plain stdout line']);
    expect(spansIn(fileBatches(files.filtered, 'traces').flat()).map((s) => s.sp.name)).toEqual(['checkout']);
    expect(pointsIn(fileBatches(files.filtered, 'metrics').flat()).map((p) => p.name)).toEqual(['orders_total']);
    const m = metrics('metrics');
    expect(await metricValue(m, 'otelcol_processor_filter_logs_filtered_total', { filter: 'filter/level' })).toBe(4);
    expect(await metricValue(m, 'otelcol_processor_filter_spans_filtered_total', { filter: 'filter/level' })).toBe(2);
    expect(await metricValue(m, 'otelcol_processor_filter_datapoints_filtered_total', { filter: 'filter/level' })).toBe(2);
  });

  it("refuses with a retryable status while the backend is slow, and recovers after: the SDK's retry gets through", async () => {
    // Fill the limited Ferry: every request it accepts waits on the slow backend, in memory
    // (random bodies, sent uncompressed, so that what is held is as large as what was sent).
    const big = bigLogsRequest();
    const post = (body: Uint8Array) => postProtobuf(url('limited', '/v1/logs'), body);
    const { refusals, inflight } = await pressUntilRefused(url('limited', '/v1/logs'), big);
    expect(refusals).toBe(3);

    // An SDK client sends now: its first attempt is refused with a retryable status (and counted)…
    const m = metrics('limitedMetrics');
    const refusedRecords = () => metricValue(m, 'otelcol_processor_memory_limiter_refused_log_records_total', { processor: 'memory_limiter' });
    const before = await refusedRecords();
    // The pressure stays on until then (a big request is 4000 records, the SDK's is one).
    let pressing = true;
    const pressure = (async () => {
      while (pressing) {
        inflight.push(post(big));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const exporter = new OTLPLogExporter({ url: url('limited', '/v1/logs'), timeoutMillis: 20_000 });
    const result = sdkExport(exporter, resourceFromAttributes({ 'service.name': 'patient' }), (l) => l.emit({ body: 'sent under pressure' }));
    await waitFor(async () => ((await refusedRecords()) - before) % 4000 !== 0, 'the SDK to be refused');
    pressing = false;
    await pressure;

    // …then the backend catches up, memory is collected, and the SDK's retry is accepted and delivered.
    backendSlow = false;
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    expect((await result).code).toBe(0);
    await exporter.shutdown();
    await waitFor(() => slow.requests.some((rs) => logsIn(rs).some((l) => plain(l.lr.body) === 'sent under pressure')), 'the SDK record at the backend');
    const statuses = await Promise.all(inflight);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(await metricValue(m, 'otelcol_receiver_refused_log_records_total')).toBeGreaterThan(0);
  }, 30_000);
});
