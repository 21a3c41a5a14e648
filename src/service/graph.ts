// Builds the component graph from a resolved configuration: one instance per
// receiver and exporter id, one processor instance per pipeline, wired by fan-outs.
// A reload builds the next graph around the instances it keeps running.
import type {
  ComponentContext,
  ComponentKind,
  Components,
  Exporter,
  Extension,
  Processor,
  ProcessorContext,
  Receiver,
  SignalConsumers,
} from '../component.js';
import type { Consumer } from '../consumer.js';
import type { ResolvedConfig } from '../config/types.js';
import type { Signal } from '../pdata/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfTelemetry } from '../telemetry/self.js';
import { fanout } from './fanout.js';
import { SwitchableConsumer } from './switchable.js';

export interface BuiltPipeline {
  readonly id: string;
  readonly signal: Signal;
  /** In pipeline order: the first receives from the receivers. */
  readonly processors: readonly { id: string; instance: Processor }[];
}

export interface Built<T> {
  readonly id: string;
  readonly instance: T;
  /** Carried over, already running, from the graph before a reload. */
  readonly reused: boolean;
}

export interface BuiltReceiver extends Built<Receiver> {
  /** What the receiver consumes from, per signal: re-pointed by a reload. */
  readonly switches: Readonly<Partial<Record<Signal, SwitchableConsumer>>>;
  /** This graph's pipelines for each signal; a reused receiver is switched to them once they run. */
  readonly targets: Readonly<Partial<Record<Signal, Consumer>>>;
}

export interface Graph {
  readonly extensions: readonly Built<Extension>[];
  readonly exporters: readonly Built<Exporter>[];
  readonly pipelines: readonly BuiltPipeline[];
  readonly receivers: readonly BuiltReceiver[];
}

/** Running instances a reload keeps, by id (the plan decided their config is unchanged). */
export interface Reuse {
  readonly extensions: ReadonlyMap<string, Extension>;
  readonly exporters: ReadonlyMap<string, Exporter>;
  readonly receivers: ReadonlyMap<string, BuiltReceiver>;
}

const NOTHING_REUSED: Reuse = { extensions: new Map(), exporters: new Map(), receivers: new Map() };

export interface GraphEnv {
  readonly components: Components;
  readonly logger: Logger;
  readonly telemetry: SelfTelemetry;
}

function context(env: GraphEnv, kind: ComponentKind, id: string): ComponentContext {
  return { id, kind, logger: env.logger.child({ kind, id }), telemetry: env.telemetry };
}

function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K, what: string): V {
  const v = map.get(key);
  if (v === undefined) throw new Error(`internal: ${what} "${String(key)}" missing after validation`);
  return v;
}

/** The signals a receiver feeds in this configuration: those of the pipelines that list it. */
export function receiverSignals(config: ResolvedConfig, receiverId: string, supported: readonly Signal[]): Signal[] {
  return supported.filter((signal) => config.pipelines.some((p) => p.signal === signal && p.receivers.includes(receiverId)));
}

/**
 * Instantiate every component the pipelines use, except those in `reuse`, which are taken
 * as they are; nothing is started here.
 */
export function buildGraph(config: ResolvedConfig, env: GraphEnv, reuse: Reuse = NOTHING_REUSED): Graph {
  const { components } = env;

  const extensions = config.serviceExtensions.map((id): Built<Extension> => {
    const kept = reuse.extensions.get(id);
    if (kept) return { id, instance: kept, reused: true };
    const c = mustGet(config.extensions, id, 'extension');
    const factory = mustGet(components.extensions, c.type, 'extension factory');
    return { id, instance: factory.create(c.config, context(env, 'extension', id)), reused: false };
  });

  // Exporters are shared by every pipeline that lists them.
  const exporters = new Map<string, Built<Exporter>>();
  for (const p of config.pipelines) {
    for (const id of p.exporters) {
      if (exporters.has(id)) continue;
      const kept = reuse.exporters.get(id);
      if (kept) {
        exporters.set(id, { id, instance: kept, reused: true });
        continue;
      }
      const c = mustGet(config.exporters, id, 'exporter');
      const factory = mustGet(components.exporters, c.type, 'exporter factory');
      exporters.set(id, { id, instance: factory.create(c.config, context(env, 'exporter', id)), reused: false });
    }
  }

  // Each pipeline: processors chained back to front, ending in a fan-out to its exporters.
  const heads = new Map<string, Consumer>();
  const pipelines: BuiltPipeline[] = [];
  for (const p of config.pipelines) {
    let next: Consumer = fanout(p.exporters.map((id) => mustGet(exporters, id, 'exporter').instance));
    let mutates = next.mutatesData;
    const processors: { id: string; instance: Processor }[] = [];
    for (let i = p.processors.length - 1; i >= 0; i--) {
      const id = p.processors[i] as string;
      const c = mustGet(config.processors, id, 'processor');
      const factory = mustGet(components.processors, c.type, 'processor factory');
      const ctx: ProcessorContext = {
        id,
        kind: 'processor',
        logger: env.logger.child({ kind: 'processor', id, pipeline: p.id }),
        telemetry: env.telemetry,
        pipeline: p.id,
        signal: p.signal,
      };
      const instance = factory.create(c.config, ctx, next);
      processors.unshift({ id, instance });
      mutates ||= instance.mutatesData;
      next = instance;
    }
    // Whoever feeds this pipeline must know whether anything in it changes the data.
    const head = next;
    heads.set(p.id, mutates === head.mutatesData ? head : { mutatesData: mutates, consume: (b) => head.consume(b) });
    pipelines.push({ id: p.id, signal: p.signal, processors });
  }

  // Receivers are shared: one instance per id, a consumer per signal fanning out to its
  // pipelines, behind a switch that a reload can re-point.
  const receiverIds = new Set(config.pipelines.flatMap((p) => p.receivers));
  const receivers = [...receiverIds].map((id): BuiltReceiver => {
    const c = mustGet(config.receivers, id, 'receiver');
    const factory = mustGet(components.receivers, c.type, 'receiver factory');
    const targets: Partial<Record<Signal, Consumer>> = {};
    for (const signal of receiverSignals(config, id, factory.signals)) {
      const pipelineHeads = config.pipelines.filter((p) => p.signal === signal && p.receivers.includes(id)).map((p) => mustGet(heads, p.id, 'pipeline'));
      targets[signal] = fanout(pipelineHeads);
    }
    const kept = reuse.receivers.get(id);
    if (kept) return { id, instance: kept.instance, switches: kept.switches, targets, reused: true };
    const switches: Partial<Record<Signal, SwitchableConsumer>> = {};
    for (const [signal, target] of Object.entries(targets) as [Signal, Consumer][]) switches[signal] = new SwitchableConsumer(target);
    const next: SignalConsumers = { ...switches };
    return { id, instance: factory.create(c.config, context(env, 'receiver', id), next), switches, targets, reused: false };
  });

  return { extensions, exporters: [...exporters.values()], pipelines, receivers };
}
