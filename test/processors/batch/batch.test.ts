// The batch processor: size and timeout triggers, splitting at send_batch_max_size,
// metadata batchers, per-caller outcomes, shutdown flush, and its self-metrics.
import { afterEach, describe, expect, it } from 'vitest';
import type { Processor } from '../../../src/component.js';
import type { Consumer } from '../../../src/consumer.js';
import { PermanentError, RetryableError } from '../../../src/consumer.js';
import type { Batch, LogsBatch, RequestContext } from '../../../src/pdata/batch.js';
import { countItems, makeBatch } from '../../../src/pdata/batch.js';
import type { Metric, ResourceLogs } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { untouchedItems } from '../../../src/pdata/lazy.js';
import { decodeExportRequest, encodeExportRequest } from '../../../src/pdata/proto.js';
import { batchProcessor, createBatchProcessor } from '../../../src/processors/batch/index.js';
import type { BatchConfig } from '../../../src/processors/batch/config.js';
import { compileConfigSchema } from '../../../src/config/validate.js';
import { testHost, testProcessorContext, waitFor } from '../../helpers/index.js';

/** Records every batch; fails those `failWhen` picks; `hold` keeps calls pending until released. */
class Downstream implements Consumer {
  readonly mutatesData = false;
  readonly batches: Batch[] = [];
  failWhen: ((b: Batch) => Error | undefined) | undefined;
  hold = false;
  active = 0;
  maxActive = 0;
  private readonly waiting: (() => void)[] = [];

  async consume(batch: Batch): Promise<void> {
    this.batches.push(batch);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.hold) await new Promise<void>((r) => this.waiting.push(r));
      const err = this.failWhen?.(batch);
      if (err) throw err;
    } finally {
      this.active--;
    }
  }

  release(): void {
    this.hold = false;
    for (const r of this.waiting.splice(0)) r();
  }

  /** Let the oldest held call go on. */
  releaseOne(): void {
    this.waiting.shift()?.();
  }
}

/** A logs batch from a tag: shape[i] is the log-record count of scope i of one resource each. */
function logs(tag: string, shape: number[][], context?: RequestContext): LogsBatch {
  const resources: ResourceLogs[] = shape.map((scopes, r) => ({
    resource: { attributes: [{ key: 'res', value: { stringValue: `${tag}r${r}` } }] },
    scopeLogs: scopes.map((n, s) => ({
      scope: { name: `${tag}s${s}`, attributes: [] },
      logRecords: Array.from({ length: n }, (_, i) => ({ body: { stringValue: `${tag}r${r}s${s}i${i}` }, attributes: [] })),
    })),
  }));
  return makeBatch('logs', resources, context);
}

function bodies(batch: Batch): string[] {
  if (batch.signal !== 'logs') throw new Error('logs only');
  return batch.resources.flatMap((r) =>
    r.scopeLogs.flatMap((s) =>
      s.logRecords.map((l) => {
        const body = String(l.body?.stringValue);
        // Each record still sits under its own resource and scope.
        expect(body.startsWith(String(r.resource?.attributes[0]?.value?.stringValue))).toBe(true);
        expect(body).toContain(`s${String(s.scope?.name).split('s').at(-1)}i`);
        return body;
      }),
    ),
  );
}

/** Tracks whether a promise has settled, and how. */
function track(p: Promise<void>): { settled: boolean; error: unknown; promise: Promise<void> } {
  const t = { settled: false, error: undefined as unknown, promise: p };
  t.promise = p.then(
    () => {
      t.settled = true;
    },
    (err: unknown) => {
      t.settled = true;
      t.error = err;
    },
  );
  return t;
}

const tick = () => new Promise((r) => setImmediate(r));

async function metricValues(telemetry: SelfTelemetry, name: string): Promise<{ labels: Record<string, unknown>; value: number; metricName?: string }[]> {
  const m = telemetry.registry.getSingleMetric(name);
  if (!m) return [];
  const got = await m.get();
  return got.values.map((v) => ({ labels: { ...v.labels }, value: v.value, metricName: (v as { metricName?: string }).metricName }));
}

async function counterValue(telemetry: SelfTelemetry, name: string): Promise<number> {
  const values = await metricValues(telemetry, name);
  return values.filter((v) => v.labels.processor === 'batch/test').reduce((n, v) => n + v.value, 0);
}

let processors: Processor[] = [];
afterEach(async () => {
  await Promise.all(processors.map((p) => p.shutdown()));
  processors = [];
});

function make(config: Partial<BatchConfig>, next: Consumer, telemetry = new SelfTelemetry({ defaultMetrics: false })): Processor {
  const p = createBatchProcessor(config, testProcessorContext('batch/test', 'logs', telemetry), next);
  processors.push(p);
  return p;
}

describe('batch processor config', () => {
  it('fills the Collector defaults through the schema', () => {
    const validate = compileConfigSchema(batchProcessor.configSchema);
    const config: Record<string, unknown> = {};
    expect(validate(config)).toBe(true);
    expect(config).toEqual({ send_batch_size: 8192, timeout: '200ms', send_batch_max_size: 0, metadata_keys: [], metadata_cardinality_limit: 1000, wait_for_result: false, max_buffered_items: 65536 });
    expect(validate({ timeout: '2 seconds' })).toBe(false);
    expect(validate({ send_batch_sizes: 5 })).toBe(false);
  });

  it('rejects send_batch_max_size below send_batch_size, with the fix', () => {
    const problems = batchProcessor.validate?.({ send_batch_size: 100, timeout: '1s', send_batch_max_size: 50, metadata_keys: [], metadata_cardinality_limit: 0, wait_for_result: false, max_buffered_items: 1 }) ?? [];
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('send_batch_max_size');
    expect(problems[0]?.fix).toMatch(/0 .*or to at least 100/);
    expect(batchProcessor.validate?.({ send_batch_size: 100, timeout: '1s', send_batch_max_size: 0, metadata_keys: [], metadata_cardinality_limit: 0, wait_for_result: false, max_buffered_items: 1 })).toEqual([]);
    expect(batchProcessor.validate?.({ send_batch_size: 100, timeout: '1s', send_batch_max_size: 100, metadata_keys: [], metadata_cardinality_limit: 0, wait_for_result: false, max_buffered_items: 1 })).toEqual([]);
  });

  it('rejects duplicate metadata_keys, case-insensitively', () => {
    const problems = batchProcessor.validate?.({ send_batch_size: 1, timeout: '1s', send_batch_max_size: 0, metadata_keys: ['Tenant', 'tenant'], metadata_cardinality_limit: 0, wait_for_result: false, max_buffered_items: 1 }) ?? [];
    expect(problems.map((p) => p.path)).toEqual(['metadata_keys.1']);
  });
});

describe('batch processor with wait_for_result: the sender waits for the downstream outcome', () => {
  it('sends once send_batch_size is reached, merging the callers\' resources in order', async () => {
    const next = new Downstream();
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = make({ wait_for_result: true,  send_batch_size: 10, timeout: '10s' }, next, telemetry);
    await p.start(testHost);
    expect(p.mutatesData).toBe(false);
    const a = track(p.consume(logs('a', [[4]])));
    await tick();
    expect(next.batches).toHaveLength(0);
    expect(a.settled).toBe(false);
    const b = track(p.consume(logs('b', [[3], [4]])));
    await Promise.all([a.promise, b.promise]);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(next.batches).toHaveLength(1);
    const sent = next.batches[0] as LogsBatch;
    expect(sent.resources).toHaveLength(3);
    expect(bodies(sent)).toEqual([...bodies(logs('a', [[4]])), ...bodies(logs('b', [[3], [4]]))]);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_batch_size_trigger_send_total')).toBe(1);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_timeout_trigger_send_total')).toBe(0);
    const hist = await metricValues(telemetry, 'otelcol_processor_batch_batch_send_size');
    expect(hist.find((v) => v.metricName === 'otelcol_processor_batch_batch_send_size_sum')?.value).toBe(11);
    expect(hist.find((v) => v.metricName === 'otelcol_processor_batch_batch_send_size_count')?.value).toBe(1);
    expect(hist.find((v) => v.metricName === 'otelcol_processor_batch_batch_send_size_bucket' && v.labels.le === 10)?.value).toBe(0);
    expect(hist.find((v) => v.metricName === 'otelcol_processor_batch_batch_send_size_bucket' && v.labels.le === 25)?.value).toBe(1);
  });

  it('sends on timeout what has not reached send_batch_size', async () => {
    const next = new Downstream();
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = make({ wait_for_result: true,  send_batch_size: 1000, timeout: '50ms' }, next, telemetry);
    const a = track(p.consume(logs('a', [[3]])));
    const b = track(p.consume(logs('b', [[2]])));
    await tick();
    expect(next.batches).toHaveLength(0);
    expect(a.settled || b.settled).toBe(false);
    await Promise.all([a.promise, b.promise]);
    expect(next.batches).toHaveLength(1);
    expect(bodies(next.batches[0] as Batch)).toEqual(['ar0s0i0', 'ar0s0i1', 'ar0s0i2', 'br0s0i0', 'br0s0i1']);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_timeout_trigger_send_total')).toBe(1);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_batch_size_trigger_send_total')).toBe(0);
    // A later batch starts a new wait.
    await p.consume(logs('c', [[1]]));
    expect(next.batches).toHaveLength(2);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_timeout_trigger_send_total')).toBe(2);
  });

  it('with timeout 0 sends every batch at once, split at send_batch_max_size', async () => {
    const next = new Downstream();
    const p = make({ wait_for_result: true,  send_batch_size: 8192, timeout: '0', send_batch_max_size: 3 }, next);
    await p.consume(logs('a', [[2]]));
    expect(next.batches.map(countItems)).toEqual([2]);
    await p.consume(logs('b', [[4, 3]]));
    expect(next.batches.map(countItems)).toEqual([2, 3, 3, 1]);
    expect(next.batches.flatMap(bodies)).toEqual([...bodies(logs('a', [[2]])), ...bodies(logs('b', [[4, 3]]))]);
  });

  it('with send_batch_size 0 sends at once too, as the Collector does', async () => {
    const next = new Downstream();
    const p = make({ wait_for_result: true,  send_batch_size: 0, timeout: '10s' }, next);
    await p.consume(logs('a', [[2]]));
    await p.consume(logs('b', [[1]]));
    expect(next.batches.map(countItems)).toEqual([2, 1]);
  });

  it('splits at send_batch_max_size across resources and scopes: no loss, no duplicate, order kept', async () => {
    const next = new Downstream();
    const p = make({ wait_for_result: true,  send_batch_size: 5, send_batch_max_size: 5, timeout: '10s' }, next);
    const inputA = logs('a', [[3], [2, 2]]);
    const inputB = logs('b', [[4]]);
    const expected = [...bodies(inputA), ...bodies(inputB)];
    const a = track(p.consume(inputA));
    const b = track(p.consume(inputB));
    await a.promise;
    await tick();
    // 11 items: two full batches of 5 went out; b's last record waits for the timeout.
    expect(next.batches.map(countItems)).toEqual([5, 5]);
    expect(b.settled).toBe(false);
    await p.shutdown();
    await b.promise;
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(next.batches.map(countItems)).toEqual([5, 5, 1]);
    expect(next.batches.flatMap(bodies)).toEqual(expected);
    // The second batch holds a's second resource (second scope) and part of b's resource.
    const second = next.batches[1] as LogsBatch;
    expect(second.resources.map((r) => r.resource?.attributes[0]?.value?.stringValue)).toEqual(['ar1', 'br0']);
    const third = next.batches[2] as LogsBatch;
    expect(third.resources.map((r) => r.resource?.attributes[0]?.value?.stringValue)).toEqual(['br0']);
    // The callers' own batches are untouched.
    expect(bodies(inputA)).toHaveLength(7);
    expect(bodies(inputB)).toHaveLength(4);
  });

  it('keeps one batcher per metadata value combination, and sends their metadata along', async () => {
    const next = new Downstream();
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = make({ wait_for_result: true,  send_batch_size: 100, timeout: '30ms', metadata_keys: ['Tenant'] }, next, telemetry);
    const ctx = (tenant: string | undefined): RequestContext => ({ clientAddress: '127.0.0.1', metadata: tenant === undefined ? { other: ['x'] } : { tenant: [tenant], other: ['x'] } });
    await Promise.all([
      p.consume(logs('a', [[1]], ctx('acme'))),
      p.consume(logs('b', [[2]], ctx('globex'))),
      p.consume(logs('c', [[3]], ctx('acme'))),
      p.consume(logs('d', [[1]], ctx(undefined))),
      p.consume(logs('e', [[1]], ctx(''))),
    ]);
    expect(next.batches).toHaveLength(4);
    const byTenant = new Map(next.batches.map((b) => [JSON.stringify(b.context?.metadata ?? null), bodies(b)]));
    expect(byTenant.get(JSON.stringify({ tenant: ['acme'] }))).toEqual(['ar0s0i0', 'cr0s0i0', 'cr0s0i1', 'cr0s0i2']);
    expect(byTenant.get(JSON.stringify({ tenant: ['globex'] }))).toEqual(['br0s0i0', 'br0s0i1']);
    expect(byTenant.get(JSON.stringify({}))).toEqual(['dr0s0i0']);
    expect(byTenant.get(JSON.stringify({ tenant: [''] }))).toEqual(['er0s0i0']);
    const card = await metricValues(telemetry, 'otelcol_processor_batch_metadata_cardinality');
    expect(card).toEqual([{ labels: { processor: 'batch/test' }, value: 4, metricName: undefined }]);
  });

  it('refuses a new metadata combination beyond metadata_cardinality_limit with a permanent error', async () => {
    const next = new Downstream();
    const p = make({ wait_for_result: true,  send_batch_size: 100, timeout: '0', metadata_keys: ['tenant'], metadata_cardinality_limit: 2 }, next);
    const ctx = (tenant: string): RequestContext => ({ metadata: { tenant: [tenant] } });
    await p.consume(logs('a', [[1]], ctx('one')));
    await p.consume(logs('b', [[1]], ctx('two')));
    const err = await p.consume(logs('c', [[1]], ctx('three'))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toBe('too many batcher metadata-value combinations');
    // Known combinations still pass.
    await p.consume(logs('d', [[1]], ctx('one')));
    expect(next.batches.flatMap(bodies)).toEqual(['ar0s0i0', 'br0s0i0', 'dr0s0i0']);
  });

  it('rejects exactly the callers whose items were in the failed batch, with that error', async () => {
    const next = new Downstream();
    const boom = new RetryableError('backend down', { retryAfterMs: 5000 });
    next.failWhen = (b) => (bodies(b).some((x) => x.startsWith('bad')) ? boom : undefined);
    const p = make({ wait_for_result: true,  send_batch_size: 4, send_batch_max_size: 4, timeout: '10s' }, next);
    const one = track(p.consume(logs('bad1', [[2]])));
    const two = track(p.consume(logs('ok2', [[2]])));
    const three = track(p.consume(logs('ok3', [[4]])));
    await Promise.all([one.promise, two.promise, three.promise]);
    expect(next.batches.map(countItems)).toEqual([4, 4]);
    expect(one.error).toBe(boom);
    expect(two.error).toBe(boom);
    expect(three.error).toBeUndefined();
  });

  it('settles a caller split across two batches only when both did, rejecting if either failed', async () => {
    const next = new Downstream();
    const boom = new PermanentError('bad data');
    next.failWhen = (b) => (bodies(b).includes('zr0s0i4') ? boom : undefined);
    next.hold = true;
    const p = make({ wait_for_result: true,  send_batch_size: 4, send_batch_max_size: 4, timeout: '10s' }, next);
    const first = track(p.consume(logs('y', [[2]])));
    // z's 6 records: 2 in the first batch (fine), 4 in the second (fails).
    const split = track(p.consume(logs('z', [[6]])));
    await waitFor(() => next.batches.length === 2, 'two batches in flight');
    // Both downstream calls are in flight at once: sends are not serialized.
    expect(next.maxActive).toBe(2);
    // The first batch is accepted: y is done, z still waits for its second batch.
    next.releaseOne();
    await first.promise;
    await tick();
    expect(split.settled).toBe(false);
    next.release();
    await Promise.all([first.promise, split.promise]);
    expect(first.error).toBeUndefined();
    expect(split.error).toBe(boom);
    expect(next.batches.flatMap(bodies)).toEqual([...bodies(logs('y', [[2]])), ...bodies(logs('z', [[6]]))]);
  });

  it('flushes everything on shutdown and settles every pending caller', async () => {
    const next = new Downstream();
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = make({ wait_for_result: true,  send_batch_size: 1000, send_batch_max_size: 1000, timeout: '1h' }, next, telemetry);
    const a = track(p.consume(logs('a', [[3]])));
    const b = track(p.consume(logs('b', [[2]])));
    await tick();
    expect(next.batches).toHaveLength(0);
    next.hold = true;
    const stopping = track(p.shutdown());
    await waitFor(() => next.batches.length === 1, 'the flush');
    await tick();
    // shutdown() waits for the flush to be accepted downstream.
    expect(stopping.settled).toBe(false);
    expect(a.settled).toBe(false);
    next.release();
    await stopping.promise;
    expect(a.settled && b.settled).toBe(true);
    expect(a.error ?? b.error).toBeUndefined();
    expect(bodies(next.batches[0] as Batch)).toEqual(['ar0s0i0', 'ar0s0i1', 'ar0s0i2', 'br0s0i0', 'br0s0i1']);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_timeout_trigger_send_total')).toBe(1);
    // After shutdown, data passes straight through rather than waiting for a timer that will not run.
    await p.consume(logs('late', [[1]]));
    expect(next.batches.map(countItems)).toEqual([5, 1]);
    expect(await metricValues(telemetry, 'otelcol_processor_batch_metadata_cardinality')).toEqual([
      { labels: { processor: 'batch/test' }, value: 0, metricName: undefined },
    ]);
  });

  it('settles thousands of small callers, each exactly once, in order', async () => {
    const next = new Downstream();
    const p = make({ wait_for_result: true,  send_batch_size: 1000, send_batch_max_size: 1000, timeout: '10s' }, next);
    const calls = Array.from({ length: 3500 }, (_, i) => track(p.consume(logs(`n${i}-`, [[1]]))));
    await Promise.all(calls.slice(0, 3000).map((c) => c.promise));
    expect(next.batches.map(countItems)).toEqual([1000, 1000, 1000]);
    expect(calls.slice(3000).some((c) => c.settled)).toBe(false);
    await p.shutdown();
    await Promise.all(calls.map((c) => c.promise));
    expect(calls.every((c) => c.settled && c.error === undefined)).toBe(true);
    expect(next.batches.flatMap(bodies)).toEqual(calls.map((_, i) => `n${i}-r0s0i0`));
  });

  it('accepts an empty batch at once without sending anything', async () => {
    const next = new Downstream();
    const p = make({ wait_for_result: true,  send_batch_size: 10, timeout: '10s' }, next);
    await p.consume(logs('empty', [[0]]));
    await p.shutdown();
    expect(next.batches).toHaveLength(0);
  });

  it('batches metrics by data point and traces by span', async () => {
    const metricsNext = new Downstream();
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const pm = createBatchProcessor({ send_batch_size: 3, send_batch_max_size: 3, timeout: '10s' }, testProcessorContext('batch/test', 'metrics', telemetry), metricsNext);
    processors.push(pm);
    const gauge = (name: string, n: number): Metric => ({
      name,
      unit: 's',
      gauge: { dataPoints: Array.from({ length: n }, (_, i) => ({ attributes: [{ key: 'i', value: { intValue: i } }], asDouble: i, exemplars: [] })) },
    });
    await pm.consume(makeBatch('metrics', [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: 's', attributes: [] }, metrics: [gauge('a', 2), gauge('b', 4)] }] }]));
    expect(metricsNext.batches.map(countItems)).toEqual([3, 3]);
    const names = metricsNext.batches.map((b) => (b.signal === 'metrics' ? b.resources.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => `${m.name}:${m.gauge?.dataPoints.length}`))) : []));
    expect(names).toEqual([['a:2', 'b:1'], ['b:3']]);

    const tracesNext = new Downstream();
    const pt = createBatchProcessor({ send_batch_size: 2, timeout: '10s' }, testProcessorContext('batch/test', 'traces', telemetry), tracesNext);
    processors.push(pt);
    const span = (name: string) => ({ traceId: new Uint8Array(16), spanId: new Uint8Array(8), name, attributes: [], events: [], links: [] });
    await Promise.all([
      pt.consume(makeBatch('traces', [{ resource: { attributes: [] }, scopeSpans: [{ scope: null, spans: [span('x')] }] }])),
      pt.consume(makeBatch('traces', [{ resource: { attributes: [] }, scopeSpans: [{ scope: null, spans: [span('y')] }] }])),
    ]);
    expect(tracesNext.batches.map(countItems)).toEqual([2]);
  });

  it('merges identical resources and scopes from different callers, without touching their batches', async () => {
    const next = new Downstream();
    const p = make({ wait_for_result: true,  send_batch_size: 100, timeout: '10s' }, next);
    // Same resource and scope (attributes in another order), then a second scope, then another resource.
    const same = (tag: string, scopeName: string, n: number, attrs = [{ key: 'service.name', value: { stringValue: 'api' } }, { key: 'host', value: { stringValue: 'h1' } }]): LogsBatch =>
      makeBatch('logs', [{ resource: { attributes: attrs }, scopeLogs: [{ scope: { name: scopeName, attributes: [] }, logRecords: Array.from({ length: n }, (_, i) => ({ body: { stringValue: `${tag}${i}` }, attributes: [] })) }] }]);
    const a = same('a', 'lib', 2);
    const b = same('b', 'lib', 1, [{ key: 'host', value: { stringValue: 'h1' } }, { key: 'service.name', value: { stringValue: 'api' } }]);
    const c = same('c', 'other-lib', 1);
    const d = same('d', 'lib', 1, [{ key: 'service.name', value: { stringValue: 'worker' } }]);
    const e = same('e', 'lib', 1);
    await Promise.all([a, b, c, d, e].map((x) => p.consume(x)).concat(p.shutdown()));
    const sent = next.batches[0] as LogsBatch;
    const shape = sent.resources.map((r) => ({
      service: r.resource?.attributes.find((kv) => kv.key === 'service.name')?.value?.stringValue,
      scopes: r.scopeLogs.map((s) => `${s.scope?.name}:${s.logRecords.map((l) => l.body?.stringValue).join(',')}`),
    }));
    expect(shape).toEqual([
      { service: 'api', scopes: ['lib:a0,a1,b0,e0', 'other-lib:c0'] },
      { service: 'worker', scopes: ['lib:d0'] },
    ]);
    // The callers' own containers are as they were.
    for (const [x, n] of [[a, 2], [b, 1], [c, 1], [e, 1]] as const) {
      expect(x.resources).toHaveLength(1);
      expect(x.resources[0]!.scopeLogs).toHaveLength(1);
      expect(x.resources[0]!.scopeLogs[0]!.logRecords).toHaveLength(n);
    }
  });

  it('after merging, still fails exactly the callers whose items were in the failed batch', async () => {
    const next = new Downstream();
    next.failWhen = (b) => (next.batches.length === 1 ? new RetryableError(`first batch of ${countItems(b)} failed`) : undefined);
    const p = make({ wait_for_result: true,  send_batch_size: 8, send_batch_max_size: 5, timeout: '10s' }, next);
    const res = (name: string, tag: string, n: number): LogsBatch =>
      makeBatch('logs', [{ resource: { attributes: [{ key: 'res', value: { stringValue: name } }] }, scopeLogs: [{ scope: { name: 's', attributes: [] }, logRecords: Array.from({ length: n }, (_, i) => ({ body: { stringValue: `${tag}${i}` }, attributes: [] })) }] }]);
    // A and C share resource X; B is alone on Y. Pending becomes X[a0-a2, c0-c2], Y[b0-b1].
    const a = track(p.consume(res('X', 'a', 3)));
    const b = track(p.consume(res('Y', 'b', 2)));
    const c = track(p.consume(res('X', 'c', 3)));
    await a.promise;
    expect(next.batches.map((x) => bodies2(x))).toEqual([['a0', 'a1', 'a2', 'c0', 'c1']]);
    expect(a.error).toBeInstanceOf(RetryableError);
    // C's last record is still pending: C settles (with the first failure) once that batch has.
    expect(c.settled || b.settled).toBe(false);
    await p.shutdown();
    await Promise.all([b.promise, c.promise]);
    expect(c.error).toBeInstanceOf(RetryableError);
    expect(b.error).toBeUndefined();
    expect(next.batches.map((x) => bodies2(x))).toEqual([['a0', 'a1', 'a2', 'c0', 'c1'], ['c2', 'b0', 'b1']]);
  });

  it('merges the resources of decoded requests without decoding their items to merge scopes', async () => {
    const next = new Downstream();
    const p = make({ wait_for_result: true,  send_batch_size: 100, timeout: '10s' }, next);
    const request = (tag: string) =>
      makeBatch(
        'logs',
        decodeExportRequest(
          'logs',
          encodeExportRequest('logs', [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }, scopeLogs: [{ scope: { name: 'lib', attributes: [] }, logRecords: [{ body: { stringValue: tag }, attributes: [] }] }] }]),
        ),
      );
    await Promise.all([p.consume(request('x')), p.consume(request('y')), p.shutdown()]);
    const sent = next.batches[0] as LogsBatch;
    expect(sent.resources).toHaveLength(1);
    // Two scopes with the same identity: merging them would have meant decoding both.
    expect(sent.resources[0]!.scopeLogs.map((s) => untouchedItems(s) !== undefined)).toEqual([true, true]);
    expect(bodies2(sent)).toEqual(['x', 'y']);
  });
});

function bodies2(batch: Batch): string[] {
  return batch.signal === 'logs' ? batch.resources.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => String(l.body?.stringValue)))) : [];
}

describe('batch processor (default): answers at once, holds a bounded buffer, never drops what it answered for', () => {
  it('answers before the batch is sent, then sends it on timeout', async () => {
    const next = new Downstream();
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = make({ send_batch_size: 100, timeout: '50ms' }, next, telemetry);
    await p.start(testHost);
    await p.consume(logs('a', [[3]]));
    await p.consume(logs('b', [[2]]));
    expect(next.batches).toHaveLength(0);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_buffer_items')).toBe(5);
    await waitFor(() => next.batches.length === 1);
    expect(bodies(next.batches[0] as Batch)).toEqual([...bodies(logs('a', [[3]])), ...bodies(logs('b', [[2]]))]);
    await waitFor(async () => (await counterValue(telemetry, 'otelcol_processor_batch_buffer_items')) === 0);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_timeout_trigger_send_total')).toBe(1);
  });

  it('refuses a sender with a retryable, throttled error once the buffer is full, counts it, and takes data again once it drains', async () => {
    const next = new Downstream();
    next.hold = true;
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = make({ send_batch_size: 4, timeout: '10s', max_buffered_items: 10 }, next, telemetry);
    await p.consume(logs('a', [[4]]));
    await p.consume(logs('b', [[4]]));
    const refusal = await p.consume(logs('c', [[4]])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(RetryableError);
    expect(refusal).toMatchObject({ reason: 'throttled', retryAfterMs: 1000 });
    expect((refusal as Error).message).toBe('batch processor batch/test is full (8 of 10 log_records held); retry later');
    expect(await counterValue(telemetry, 'otelcol_processor_batch_refused_log_records_total')).toBe(4);
    next.release();
    await waitFor(async () => (await counterValue(telemetry, 'otelcol_processor_batch_buffer_items')) === 0);
    await p.consume(logs('c', [[4]]));
    await waitFor(() => next.batches.length === 3);
    expect(next.batches.flatMap((b) => bodies(b))).toEqual([...bodies(logs('a', [[4]])), ...bodies(logs('b', [[4]])), ...bodies(logs('c', [[4]]))]);
  });

  it('takes a request larger than the whole buffer when the buffer is empty', async () => {
    const next = new Downstream();
    const p = make({ send_batch_size: 4, timeout: '10s', max_buffered_items: 3 }, next);
    await p.consume(logs('a', [[5]]));
    await waitFor(() => next.batches.length === 1);
  });

  it('retries a batch the next component refuses for now until it is taken: nothing lost, retries counted', async () => {
    const next = new Downstream();
    let refusals = 3;
    next.failWhen = () => (refusals-- > 0 ? new RetryableError('queue full', { reason: 'throttled' }) : undefined);
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = make({ send_batch_size: 3, timeout: '10s' }, next, telemetry);
    await p.consume(logs('a', [[3]]));
    await waitFor(() => next.batches.length === 4);
    expect(next.batches.map((b) => bodies(b))).toEqual(Array.from({ length: 4 }, () => bodies(logs('a', [[3]]))));
    expect(await counterValue(telemetry, 'otelcol_processor_batch_send_retries_total')).toBe(3);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_dropped_log_records_total')).toBe(0);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_batch_size_trigger_send_total')).toBe(1);
  });

  it('honours a Retry-After from downstream before sending again', async () => {
    const next = new Downstream();
    const at: number[] = [];
    next.failWhen = () => (at.push(Date.now()) === 1 ? new RetryableError('slow down', { retryAfterMs: 400 }) : undefined);
    const p = make({ send_batch_size: 1, timeout: '10s' }, next);
    await p.consume(logs('a', [[1]]));
    await waitFor(() => at.length === 2);
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(390);
  });

  it('retries only the part a partial failure names, and counts what it dropped', async () => {
    const next = new Downstream();
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    next.failWhen = (b) => (next.batches.length === 1 ? new RetryableError('partial', { failed: logs('x', [[1]]), droppedItems: 1 }) : countItems(b) === 1 ? undefined : new Error('unexpected'));
    const p = make({ send_batch_size: 3, timeout: '10s' }, next, telemetry);
    await p.consume(logs('a', [[3]]));
    await waitFor(() => next.batches.length === 2);
    expect(bodies(next.batches[1] as Batch)).toEqual(bodies(logs('x', [[1]])));
    expect(await counterValue(telemetry, 'otelcol_processor_batch_dropped_log_records_total')).toBe(1);
  });

  it('counts as dropped a batch the next component refuses for good (the sender was answered already)', async () => {
    const next = new Downstream();
    next.failWhen = () => new PermanentError('bad data');
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = make({ send_batch_size: 2, timeout: '10s' }, next, telemetry);
    await p.consume(logs('a', [[2]]));
    await waitFor(async () => (await counterValue(telemetry, 'otelcol_processor_batch_dropped_log_records_total')) === 2);
    expect(next.batches).toHaveLength(1);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_buffer_items')).toBe(0);
  });

  it('flushes at shutdown, retries until the deadline, then counts what is still refused as dropped', async () => {
    const next = new Downstream();
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const p = createBatchProcessor({ send_batch_size: 100, timeout: '10s' }, testProcessorContext('batch/test', 'logs', telemetry), next);
    await p.consume(logs('a', [[2]]));
    await p.shutdown(Date.now() + 5000);
    expect(next.batches.map((b) => bodies(b))).toEqual([bodies(logs('a', [[2]]))]);

    const refusing = new Downstream();
    refusing.failWhen = () => new RetryableError('down');
    const q = createBatchProcessor({ send_batch_size: 100, timeout: '10s' }, testProcessorContext('batch/test', 'logs', telemetry), refusing);
    await q.consume(logs('b', [[3]]));
    await q.shutdown(Date.now() + 300);
    expect(refusing.batches.length).toBeGreaterThan(1);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_dropped_log_records_total')).toBe(3);
    expect(await counterValue(telemetry, 'otelcol_processor_batch_buffer_items')).toBe(0);
  });
});
