// Starting and stopping groups of components in order, within a deadline, and the
// account of what exporters' queues still held when they stopped (the last log line).
import type { ComponentKind, Exporter, Host } from '../component.js';
import type { ResolvedConfig } from '../config/types.js';
import { errorMessage } from '../consumer.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfTelemetry } from '../telemetry/self.js';
import type { Built, Graph } from './graph.js';
import { persistentQueue } from './reload.js';

export interface Step {
  readonly id: string;
  readonly kind: ComponentKind;
  readonly instance: {
    start(host: Host): Promise<void>;
    /** Exporters take the deadline (a Date.now() time) to drain their queue by; others ignore it. */
    shutdown(deadlineMs?: number): Promise<void>;
  };
}

/** After the deadline, exporters get this long to settle their queue's account before we stop waiting. */
const EXPORTER_GRACE_MS = 250;

const steps = <T extends Step['instance']>(kind: ComponentKind, items: readonly Built<T>[]): Step[] => items.map((b) => ({ id: b.id, kind, instance: b.instance }));

/** Start order, downstream first; `only` filters (a reload starts only what it did not keep). */
export function startOrder(g: Graph, only: (b: Built<unknown>) => boolean = () => true): { inner: Step[]; receivers: Step[] } {
  return {
    inner: [
      ...steps('extension', g.extensions.filter(only)),
      ...steps('exporter', g.exporters.filter(only)),
      ...g.pipelines.flatMap((p) => [...p.processors].reverse().map((x): Step => ({ id: x.id, kind: 'processor', instance: x.instance }))),
    ],
    receivers: steps('receiver', g.receivers.filter(only)),
  };
}

/** Start each in order; on a failure, throw naming the component, with `started` holding those that did start. */
export async function startAll(items: readonly Step[], host: Host, started: Step[]): Promise<void> {
  for (const s of items) {
    try {
      await s.instance.start(host);
    } catch (err) {
      throw new Error(`${s.kind} "${s.id}" failed to start: ${errorMessage(err)}`, { cause: err });
    }
    started.push(s);
  }
}

/** Stop each in order; one that fails or overruns the deadline is logged, and the rest still stop. */
export async function stopAll(items: readonly Step[], deadlineMs: number, logger: Logger): Promise<void> {
  for (const s of items) {
    const budget = Math.max(0, deadlineMs - Date.now()) + (s.kind === 'exporter' ? EXPORTER_GRACE_MS : 0);
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), budget);
    });
    try {
      const outcome = await Promise.race([s.instance.shutdown(deadlineMs).then(() => 'done' as const), overrun]);
      if (outcome === 'timeout') logger.error('shutdown timed out', { kind: s.kind, id: s.id });
    } catch (err) {
      logger.error('shutdown failed', { kind: s.kind, id: s.id, error: errorMessage(err) });
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface Leftover {
  readonly queue: 'persistent' | 'memory';
  readonly items: number;
}

/** The queue-size self-metric of one exporter, for exporters that do not report their queue themselves. */
async function queueSizeMetric(telemetry: SelfTelemetry, id: string): Promise<number> {
  const metric = telemetry.registry.getSingleMetric('otelcol_exporter_queue_size');
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values.filter((v) => v.labels.exporter === id).reduce((n, v) => n + v.value, 0);
}

/**
 * What each stopped exporter's sending queue still held: kept on disk (persistent, sent
 * after a restart) or lost (memory, counted as send_failed by the exporter).
 */
export async function leftovers(exporters: readonly Built<Exporter>[], config: ResolvedConfig, telemetry: SelfTelemetry): Promise<Record<string, Leftover>> {
  const out: Record<string, Leftover> = {};
  for (const { id, instance } of exporters) {
    const own = instance.queueLeftover?.();
    if (own) out[id] = { queue: own.persistent ? 'persistent' : 'memory', items: own.items };
    else out[id] = { queue: persistentQueue(config.exporters.get(id)) ? 'persistent' : 'memory', items: await queueSizeMetric(telemetry, id) };
  }
  return out;
}

/** The summary fields of the last log line: totals, and the exporters that left anything. */
export function leftoverFields(left: Record<string, Leftover>): Record<string, unknown> {
  let onDisk = 0;
  let dropped = 0;
  const detail: Record<string, string> = {};
  for (const [id, l] of Object.entries(left)) {
    if (l.queue === 'persistent') onDisk += l.items;
    else dropped += l.items;
    if (l.items > 0) detail[id] = l.queue === 'persistent' ? `${l.items} items left on disk` : `${l.items} items dropped`;
  }
  return { items_left_on_disk: onDisk, items_dropped: dropped, ...(Object.keys(detail).length > 0 ? { exporters: detail } : {}) };
}
