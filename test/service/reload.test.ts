// Reloading a running service in process: unchanged receivers keep their port and
// instance, in-flight data is neither dropped nor refused, unchanged exporters and
// extensions keep running, self-metrics keep counting, a bad configuration changes nothing.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Components, Exporter, ExporterFactory, ExtensionFactory } from '../../src/component.js';
import { components as builtIn } from '../../src/components.js';
import { loadConfig } from '../../src/config/index.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import type { Batch } from '../../src/pdata/batch.js';
import { planReload } from '../../src/service/reload.js';
import { Service } from '../../src/service/service.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { SelfTelemetry } from '../../src/telemetry/self.js';
import { logIds } from '../helpers/backend.js';
import { freePort, waitFor } from '../helpers/index.js';
import { LoadSender } from '../helpers/load.js';

/** A fake exporter: records what it got per instance, can hold batches, reports a queue leftover. */
interface SinkConfig {
  label?: string;
  hold_ms?: number;
  left?: number;
  /** How long shutdown takes (a queue draining to a slow backend). */
  drain_ms?: number;
  /** Record ids stuck in this sink's (memory) queue: handed over on a reload, if asked. */
  stuck?: string[];
  sending_queue?: { storage?: string };
}
interface SinkInstance {
  readonly id: string;
  readonly config: SinkConfig;
  readonly ids: string[];
  started: boolean;
  stoppedWith: number | undefined | 'not stopped';
  stopped: boolean;
}
const sinks: SinkInstance[] = [];
const sink: ExporterFactory<SinkConfig> = {
  kind: 'exporter',
  type: 'sink',
  description: 'test sink',
  signals: ['logs'],
  configSchema: {
    type: 'object',
    properties: {
      label: { type: 'string' },
      hold_ms: { type: 'integer' },
      left: { type: 'integer' },
      drain_ms: { type: 'integer' },
      stuck: { type: 'array', items: { type: 'string' } },
      sending_queue: { type: 'object' },
    },
    additionalProperties: false,
  },
  create(config, ctx): Exporter {
    const me: SinkInstance = { id: ctx.id, config, ids: [], started: false, stoppedWith: 'not stopped', stopped: false };
    sinks.push(me);
    let handedOver: Batch[] = [];
    return {
      mutatesData: false,
      async consume(batch: Batch) {
        if (config.hold_ms) await new Promise((r) => setTimeout(r, config.hold_ms));
        if (batch.signal === 'logs') me.ids.push(...logIds(batch.resources));
      },
      async start() {
        me.started = true;
      },
      async shutdown(deadlineMs?: number, options?: { handOver?: boolean }) {
        me.stoppedWith = deadlineMs;
        if (options?.handOver && config.stuck) handedOver = [logsBatch(config.stuck)];
        // As the real sending queue: handing over ends the retrying at once; only a plain stop drains.
        if (config.drain_ms && !options?.handOver) await new Promise((r) => setTimeout(r, config.drain_ms));
        me.stopped = true;
      },
      queueLeftover: () => ({ persistent: true, items: config.left ?? 0, requests: config.left ? 1 : 0 }),
      takeLeftover: () => handedOver.splice(0),
    };
  },
};
function logsBatch(ids: readonly string[]): Batch {
  return { signal: 'logs', resources: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: ids.map((id) => ({ body: { stringValue: id }, attributes: [] })) }] }] } as unknown as Batch;
}

const marker: ExtensionFactory<{ tag?: string }> = {
  kind: 'extension',
  type: 'marker',
  description: 'an extension components can name',
  configSchema: { type: 'object', properties: { tag: { type: 'string' } }, additionalProperties: false },
  create: () => ({ start: async () => undefined, shutdown: async () => undefined }),
};
const components: Components = {
  ...builtIn,
  exporters: new Map([...builtIn.exporters, ['sink', sink as ExporterFactory]]),
  extensions: new Map([...builtIn.extensions, ['marker', marker as ExtensionFactory]]),
};

async function resolve(yaml: string): Promise<ResolvedConfig> {
  const { config, errors } = await loadConfig({ sources: [{ name: 'test.yaml', text: yaml }], components });
  if (!config) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return config;
}

interface Ports {
  a: number;
  b: number;
  health: number;
}
const yaml = (p: Ports, o: { aBody?: number; sink?: string; batch?: string; secondReceiver?: boolean; hold?: number } = {}) => `
receivers:
  otlp/a:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.a}
        max_request_body_size: ${o.aBody ?? 1048576}
  otlp/b:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.b}
processors:
  batch:
    timeout: ${o.batch ?? '50ms'}
exporters:
  sink:
    label: ${o.sink ?? 'one'}
    hold_ms: ${o.hold ?? 0}
extensions:
  health_check:
    endpoint: 127.0.0.1:${p.health}
service:
  extensions: [health_check]
  pipelines:
    logs:
      receivers: [otlp/a${o.secondReceiver === false ? '' : ', otlp/b'}]
      processors: [batch]
      exporters: [sink]
`;

const lines: string[] = [];
const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  sinks.length = 0;
  lines.length = 0;
});

async function startService(config: ResolvedConfig): Promise<Service> {
  const svc = new Service(config, {
    components,
    logger: createLogger({ level: 'info', write: (l) => void lines.push(l) }),
    telemetry: new SelfTelemetry({ defaultMetrics: false }),
  });
  await svc.start();
  stops.push(() => svc.shutdown(2_000));
  return svc;
}

const deliveredIds = () => new Set(sinks.flatMap((s) => s.ids));

describe('service reload', () => {
  it('keeps an unchanged receiver serving throughout: nothing refused, nothing lost, same exporter', async () => {
    const p: Ports = { a: await freePort(), b: await freePort(), health: await freePort() };
    const svc = await startService(await resolve(yaml(p)));
    const sender = new LoadSender({ url: `http://127.0.0.1:${p.a}`, prefix: 'r', recordsPerRequest: 10, pauseMs: 2 });
    stops.push(() => sender.close());
    const load = sender.run(8);
    await waitFor(() => sender.accepted.size > 200, 'load before the reload');
    // Only the batch processor changes: receivers, exporter and extension are kept.
    const outcome = await svc.reload(await resolve(yaml(p, { batch: '20ms' })));
    await waitFor(() => sender.accepted.size > sender.sent.size - 100 && sender.accepted.size > 600, 'load after the reload');
    sender.stop();
    await load;
    expect(outcome).toMatchObject({ ok: true, keptReceivers: ['otlp/a', 'otlp/b'], restartedReceivers: [] });
    // Every request got 200: held during the swap, never refused or cut.
    expect([...sender.outcomes.keys()]).toEqual(['200']);
    await waitFor(() => sender.missing(new Map([...deliveredIds()].map((id) => [id, 1]))).length === 0, 'every accepted record delivered');
    expect(sinks).toHaveLength(1);
    expect(sinks[0]?.stoppedWith).toBe('not stopped');
    expect(sinks[0]?.ids.length).toBe(new Set(sinks[0]?.ids).size);
  });

  it('restarts a changed receiver and exporter, drains the old exporter with a deadline, and keeps counting self-metrics', async () => {
    const p: Ports = { a: await freePort(), b: await freePort(), health: await freePort() };
    const svc = await startService(await resolve(yaml(p)));
    const sender = new LoadSender({ url: `http://127.0.0.1:${p.b}`, prefix: 's', recordsPerRequest: 5 });
    stops.push(() => sender.close());
    for (let i = 0; i < 3; i++) expect(await sender.sendOne()).toBe(true);
    const accepted = () => svc.telemetry.registry.getSingleMetric('otelcol_receiver_accepted_log_records_total')?.get();
    const before = (await accepted())?.values.reduce((n, v) => n + v.value, 0);
    expect(before).toBe(15);

    const outcome = await svc.reload(await resolve(yaml(p, { aBody: 2048, sink: 'two' })), 3_000);
    expect(outcome).toMatchObject({ ok: true, keptReceivers: ['otlp/b'], restartedReceivers: ['otlp/a'] });
    expect(outcome.swapMs).toBeGreaterThanOrEqual(0);
    expect(sinks.map((s) => s.config.label)).toEqual(['one', 'two']);
    expect(typeof sinks[0]?.stoppedWith).toBe('number');
    expect(sinks[1]?.started).toBe(true);
    for (let i = 0; i < 3; i++) expect(await sender.sendOne()).toBe(true);
    const aSender = new LoadSender({ url: `http://127.0.0.1:${p.a}`, prefix: 'a', recordsPerRequest: 5 });
    stops.push(() => aSender.close());
    expect(await aSender.sendOne()).toBe(true);
    await waitFor(() => (sinks[1]?.ids.length ?? 0) === 20, 'the new exporter to get the new records');
    expect((await accepted())?.values.reduce((n, v) => n + v.value, 0)).toBe(35);
    expect(lines.some((l) => l.includes('configuration reloaded') && l.includes('swap_ms'))).toBe(true);
  });

  it('lets in-flight requests finish through the old pipeline while new ones wait for the new one', async () => {
    const p: Ports = { a: await freePort(), b: await freePort(), health: await freePort() };
    const svc = await startService(await resolve(yaml(p, { hold: 300 })));
    const sender = new LoadSender({ url: `http://127.0.0.1:${p.a}`, prefix: 'f', recordsPerRequest: 3 });
    stops.push(() => sender.close());
    const inFlight = Promise.all(Array.from({ length: 5 }, () => sender.sendOne()));
    await new Promise((r) => setTimeout(r, 100));
    const reloading = svc.reload(await resolve(yaml(p, { sink: 'two', hold: 0 })), 5_000);
    const during = Promise.all(Array.from({ length: 5 }, () => sender.sendOne()));
    expect(await inFlight).toEqual([true, true, true, true, true]);
    expect((await reloading).ok).toBe(true);
    expect(await during).toEqual([true, true, true, true, true]);
    await waitFor(() => deliveredIds().size === 30, 'all 30 records delivered');
    expect(sinks[0]?.ids).toHaveLength(15);
    expect(sinks[1]?.ids).toHaveLength(15);
  });

  it('drains a removed exporter while the new graph already serves, and hands a persistent queue over at once', async () => {
    const p: Ports = { a: await freePort(), b: await freePort(), health: await freePort() };
    const v1 = yaml(p).replace('hold_ms: 0', 'hold_ms: 0\n    drain_ms: 1500\n  sink/disk:\n    sending_queue:\n      storage: file_storage/x').replace('exporters: [sink]', 'exporters: [sink, sink/disk]');
    const svc = await startService(await resolve(v1));
    // v2: `sink` is gone (it drains 1.5 s), `sink/disk` changes (its queue is on disk), `sink/new` appears.
    const v2 = yaml(p).replace('sink:\n    label: one', 'sink/new:\n    label: new\n  sink/disk:\n    label: changed\n    sending_queue:\n      storage: file_storage/x').replace('exporters: [sink]', 'exporters: [sink/new, sink/disk]');
    const startedAt = Date.now();
    const reloading = svc.reload(await resolve(v2), 5_000);
    const sender = new LoadSender({ url: `http://127.0.0.1:${p.a}`, prefix: 'd', recordsPerRequest: 2 });
    stops.push(() => sender.close());
    await waitFor(() => sinks.some((s) => s.id === 'sink/new' && s.started), 'the new exporter to start');
    expect(await sender.sendOne()).toBe(true);
    const old = sinks.find((s) => s.id === 'sink' && s.config.label === 'one');
    // Served by the new graph while the removed exporter is still draining.
    expect(old?.stoppedWith).not.toBe('not stopped');
    expect(old?.stopped).toBe(false);
    expect((await reloading).ok).toBe(true);
    expect(old?.stopped).toBe(true);
    // It was given the whole reload budget (5 s from the reload's start) to drain.
    expect(old?.stoppedWith as number).toBeGreaterThanOrEqual(startedAt + 5_000);
    expect(old?.stoppedWith as number).toBeLessThan(startedAt + 6_000);
    // The persistent one was told to stop now, not to drain for 5 s: its successor reads the disk.
    const disk = sinks.find((s) => s.id === 'sink/disk' && s.config.label === undefined);
    expect(typeof disk?.stoppedWith).toBe('number');
    expect((disk?.stoppedWith as number) - startedAt).toBeLessThan(1_000);
    await waitFor(() => (sinks.find((s) => s.id === 'sink/new')?.ids.length ?? 0) === 2, 'the record at the new exporter');
  });

  it('hands what a replaced exporter\'s memory queue still held over to its successor, at once', async () => {
    const p: Ports = { a: await freePort(), b: await freePort(), health: await freePort() };
    const svc = await startService(await resolve(yaml(p).replace('hold_ms: 0', 'hold_ms: 0\n    drain_ms: 5000\n    stuck: [q-1, q-2, q-3]')));
    const outcome = await svc.reload(await resolve(yaml(p, { sink: 'two' })), 5_000);
    expect(outcome.ok).toBe(true);
    // Not drained for 5 s: stopped at once, its batches given to the new instance.
    expect(outcome.swapMs).toBeLessThan(4_000);
    expect(sinks.map((s) => s.config.label)).toEqual(['one', 'two']);
    expect(sinks[1]?.ids).toEqual(['q-1', 'q-2', 'q-3']);
    expect(lines.some((l) => l.includes('handed a replaced exporter') && l.includes('"items":3'))).toBe(true);
  });

  it('keeps the health check answering 200 through a reload that keeps it', async () => {
    const p: Ports = { a: await freePort(), b: await freePort(), health: await freePort() };
    const svc = await startService(await resolve(yaml(p)));
    const statuses: number[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        statuses.push((await fetch(`http://127.0.0.1:${p.health}/`)).status);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await svc.reload(await resolve(yaml(p, { aBody: 4096, sink: 'two' })));
    polling = false;
    await poll;
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it('keeps the old graph when the new one cannot start (a taken port), and says why', async () => {
    const p: Ports = { a: await freePort(), b: await freePort(), health: await freePort() };
    const svc = await startService(await resolve(yaml(p)));
    const taken = createServer();
    const takenPort = await freePort();
    await new Promise<void>((r) => taken.listen(takenPort, '127.0.0.1', () => r()));
    stops.push(() => new Promise<void>((r) => taken.close(() => r())));
    const outcome = await svc.reload(await resolve(yaml({ ...p, a: takenPort }, { sink: 'two' })), 2_000);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/otlp\/a.*address already in use/);
    expect(svc.state).toBe('running');
    // The old configuration is back: both old ports serve, into a fresh instance of the old exporter.
    for (const port of [p.a, p.b]) {
      const sender = new LoadSender({ url: `http://127.0.0.1:${port}`, prefix: `back-${port}`, recordsPerRequest: 2 });
      expect(await sender.sendOne()).toBe(true);
      sender.close();
    }
    await waitFor(() => sinks.at(-1)?.config.label === 'one' && sinks.at(-1)?.ids.length === 4, 'the restored exporter to deliver');
  });

  it('reports in the last log line what exporters left in their queues', async () => {
    const p: Ports = { a: await freePort(), b: await freePort(), health: await freePort() };
    const config = await resolve(yaml(p).replace('hold_ms: 0', 'hold_ms: 0\n    left: 42'));
    const svc = new Service(config, {
      components,
      logger: createLogger({ level: 'info', write: (l) => void lines.push(l) }),
      telemetry: new SelfTelemetry({ defaultMetrics: false }),
    });
    await svc.start();
    await svc.shutdown(1_000);
    const last = lines.at(-1) ?? '';
    expect(last).toContain('shutdown complete');
    expect(last).toContain('"items_left_on_disk":42');
    expect(last).toContain('"items_dropped":0');
    expect(last).toContain('"sink":"42 items left on disk"');
  });
});

describe('reload plan', () => {
  it('keeps what is unchanged, and rebuilds a component whose extension is replaced', async () => {
    const base = (tag: string, label = 'x') => `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:1
exporters:
  sink/plain:
    label: ${label}
  sink/uses:
    label: marker/m
extensions:
  marker/m:
    tag: ${tag}
service:
  extensions: [marker/m]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [sink/plain, sink/uses]
`;
    const same = planReload(await resolve(base('a')), await resolve(base('a')), components);
    expect([...same.keepExporters].sort()).toEqual(['sink/plain', 'sink/uses']);
    expect([...same.keepExtensions]).toEqual(['marker/m']);
    const newTag = planReload(await resolve(base('a')), await resolve(base('b')), components);
    expect([...newTag.keepExporters]).toEqual(['sink/plain']);
    expect([...newTag.keepReceivers]).toEqual(['otlp']);
    const newLabel = planReload(await resolve(base('a')), await resolve(base('a', 'y')), components);
    expect([...newLabel.keepExporters]).toEqual(['sink/uses']);
  });
});
