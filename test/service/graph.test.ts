// The graph: shared receivers and exporters, one processor per pipeline, copies
// only for mutating consumers, downstream-first start and upstream-first stop.
import { describe, expect, it } from 'vitest';
import type { Components, ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory, SignalConsumers } from '../../src/component.js';
import type { Consumer } from '../../src/consumer.js';
import { PermanentError, RetryableError } from '../../src/consumer.js';
import type { ResolvedConfig, PipelineConfig } from '../../src/config/types.js';
import type { Batch, LogsBatch } from '../../src/pdata/batch.js';
import { Service } from '../../src/service/service.js';
import { fanout } from '../../src/service/fanout.js';
import { nopLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self.js';
import { CollectingConsumer } from '../helpers/index.js';

const logsBatch = (body: string): LogsBatch => ({
  signal: 'logs',
  resources: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ body: { stringValue: body }, attributes: [] }] }] }],
});
const bodyOf = (b: Batch) => (b.signal === 'logs' ? b.resources[0]?.scopeLogs[0]?.logRecords[0]?.body?.stringValue : undefined);

/** A tiny world of fake components that record what happens to them. */
function world() {
  const events: string[] = [];
  const receivers = new Map<string, SignalConsumers>();
  const exported = new Map<string, Batch[]>();
  let processorInstances = 0;
  const receiver: ReceiverFactory = {
    kind: 'receiver',
    type: 'fake',
    description: 'fake receiver',
    signals: ['logs', 'traces'],
    configSchema: { type: 'object' },
    create(_c, ctx, next) {
      receivers.set(ctx.id, next);
      return { start: async () => void events.push(`start ${ctx.id}`), shutdown: async () => void events.push(`stop ${ctx.id}`) };
    },
  };
  const stamp: ProcessorFactory = {
    kind: 'processor',
    type: 'stamp',
    description: 'appends its pipeline to the body (mutates)',
    signals: ['logs'],
    configSchema: { type: 'object' },
    create(_c, ctx, next) {
      processorInstances++;
      return {
        mutatesData: true,
        consume: async (b) => {
          if (b.signal === 'logs') for (const r of b.resources) for (const s of r.scopeLogs) for (const lr of s.logRecords) lr.body = { stringValue: `${lr.body?.stringValue}+${ctx.pipeline}` };
          return next.consume(b);
        },
        start: async () => void events.push(`start ${ctx.id}@${ctx.pipeline}`),
        shutdown: async () => void events.push(`stop ${ctx.id}@${ctx.pipeline}`),
      };
    },
  };
  const sink: ExporterFactory = {
    kind: 'exporter',
    type: 'sink',
    description: 'records batches',
    signals: ['logs', 'traces'],
    configSchema: { type: 'object' },
    create(_c, ctx) {
      const got: Batch[] = [];
      exported.set(ctx.id, got);
      return {
        mutatesData: false,
        consume: async (b) => void got.push(b),
        start: async () => void events.push(`start ${ctx.id}`),
        shutdown: async () => void events.push(`stop ${ctx.id}`),
      };
    },
  };
  const ext: ExtensionFactory = {
    kind: 'extension',
    type: 'ext',
    description: 'an extension',
    configSchema: { type: 'object' },
    create: (_c, ctx) => ({ start: async () => void events.push(`start ${ctx.id}`), shutdown: async () => void events.push(`stop ${ctx.id}`) }),
  };
  const components: Components = {
    receivers: new Map([['fake', receiver]]),
    processors: new Map([['stamp', stamp]]),
    exporters: new Map([['sink', sink]]),
    extensions: new Map([['ext', ext]]),
  };
  return { events, receivers, exported, components, processorCount: () => processorInstances };
}

function config(pipelines: PipelineConfig[]): ResolvedConfig {
  const ids = (k: 'receivers' | 'processors' | 'exporters') => new Set(pipelines.flatMap((p) => p[k]));
  const kindOf = { receivers: 'receiver', processors: 'processor', exporters: 'exporter' } as const;
  const map = (k: 'receivers' | 'processors' | 'exporters') =>
    new Map([...ids(k)].map((id) => [id, { kind: kindOf[k], id, type: id.split('/')[0] as string, config: {} }]));
  return {
    receivers: map('receivers'),
    processors: map('processors'),
    exporters: map('exporters'),
    extensions: new Map([['ext', { kind: 'extension', id: 'ext', type: 'ext', config: {} }]]),
    pipelines,
    serviceExtensions: ['ext'],
    telemetry: { metrics: { address: undefined }, logs: { level: 'info', encoding: 'console' } },
    sources: ['test'],
  };
}

describe('service graph', () => {
  it('shares a receiver across pipelines, gives each pipeline its own processor and each mutating pipeline its own copy', async () => {
    const w = world();
    const svc = new Service(
      config([
        { id: 'logs/a', signal: 'logs', receivers: ['fake'], processors: ['stamp'], exporters: ['sink/a'] },
        { id: 'logs/b', signal: 'logs', receivers: ['fake'], processors: ['stamp'], exporters: ['sink/b'] },
        { id: 'logs/plain', signal: 'logs', receivers: ['fake'], processors: [], exporters: ['sink/a'] },
      ]),
      { components: w.components, logger: nopLogger, telemetry: new SelfTelemetry({ defaultMetrics: false }) },
    );
    await svc.start();
    expect(svc.state).toBe('running');
    expect(w.receivers.size).toBe(1);
    expect(w.processorCount()).toBe(2);
    const original = logsBatch('x');
    await w.receivers.get('fake')?.logs?.consume(original);
    // sink/a is shared by logs/a and logs/plain: it got the stamped copy and the untouched original.
    expect(w.exported.get('sink/a')?.map(bodyOf).sort()).toEqual(['x', 'x+logs/a']);
    expect(w.exported.get('sink/b')?.map(bodyOf)).toEqual(['x+logs/b']);
    expect(bodyOf(original)).toBe('x');
    expect(w.receivers.get('fake')?.traces).toBeUndefined();
    await svc.shutdown();
    expect(svc.state).toBe('stopped');
  });

  it('starts downstream first and stops upstream first', async () => {
    const w = world();
    const svc = new Service(config([{ id: 'logs', signal: 'logs', receivers: ['fake'], processors: ['stamp'], exporters: ['sink'] }]), {
      components: w.components,
      logger: nopLogger,
      telemetry: new SelfTelemetry({ defaultMetrics: false }),
    });
    await svc.start();
    await svc.shutdown();
    expect(w.events).toEqual(['start ext', 'start sink', 'start stamp@logs', 'start fake', 'stop fake', 'stop stamp@logs', 'stop sink', 'stop ext']);
  });

  it('stops what started when a later component fails to start, and reports which one', async () => {
    const w = world();
    const broken: ReceiverFactory = {
      kind: 'receiver',
      type: 'broken',
      description: 'cannot start',
      signals: ['logs'],
      configSchema: { type: 'object' },
      create: () => ({
        start: async () => {
          throw new Error('port taken');
        },
        shutdown: async () => undefined,
      }),
    };
    const components = { ...w.components, receivers: new Map([['broken', broken]]) };
    const svc = new Service(config([{ id: 'logs', signal: 'logs', receivers: ['broken'], processors: [], exporters: ['sink'] }]), {
      components,
      logger: nopLogger,
      telemetry: new SelfTelemetry({ defaultMetrics: false }),
    });
    await expect(svc.start()).rejects.toThrow('receiver "broken" failed to start: port taken');
    expect(w.events).toEqual(['start ext', 'start sink', 'stop sink', 'stop ext']);
    expect(svc.state).toBe('stopped');
  });
});

describe('fanout', () => {
  const reader = () => new CollectingConsumer();
  const mutator = (): Consumer & { seen: Batch[] } => {
    const seen: Batch[] = [];
    return { mutatesData: true, seen, consume: async (b) => void seen.push(b) };
  };

  it('passes the original to readers and copies for mutators', async () => {
    const r1 = reader();
    const r2 = reader();
    const m = mutator();
    const f = fanout([r1, m, r2]);
    expect(f.mutatesData).toBe(false);
    const b = logsBatch('y');
    await f.consume(b);
    expect(r1.batches[0]).toBe(b);
    expect(r2.batches[0]).toBe(b);
    expect(m.seen[0]).not.toBe(b);
    expect(bodyOf(m.seen[0] as Batch)).toBe('y');
  });

  it('lets the last mutator own the original when there is no reader', async () => {
    const m1 = mutator();
    const m2 = mutator();
    const f = fanout([m1, m2]);
    expect(f.mutatesData).toBe(true);
    const b = logsBatch('z');
    await f.consume(b);
    expect(m1.seen[0]).not.toBe(b);
    expect(m2.seen[0]).toBe(b);
  });

  it('waits for every consumer and reports retryable if any failure is retryable', async () => {
    const ok = reader();
    const down = reader();
    down.fail = new RetryableError('backend down', { retryAfterMs: 2000 });
    const bad = reader();
    bad.fail = new PermanentError('bad data');
    const err = await fanout([ok, down, bad]).consume(logsBatch('q')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).retryAfterMs).toBe(2000);
    expect((err as Error).message).toContain('backend down');
    expect((err as Error).message).toContain('bad data');
    expect(ok.batches).toHaveLength(1);

    const onlyPermanent = await fanout([ok, bad]).consume(logsBatch('q')).catch((e: unknown) => e);
    expect(onlyPermanent).toBeInstanceOf(PermanentError);
  });
});
