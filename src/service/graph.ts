// Builds the component graph from a resolved configuration: one instance per
// receiver and exporter id, one processor instance per pipeline, wired by fan-outs.
// A reload builds the next graph around the instances it keeps running.
import type {
  ComponentContext,
  ComponentKind,
  Components,
  Connector,
  ConnectorFactory,
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
  /**
   * In pipeline order: the first receives from the receivers. Connectors this pipeline exports
   * to come last, so that they start and stop with it (pipelines are listed upstream first).
   */
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

  const connectorConfigs = config.connectors ?? new Map();
  // Exporters are shared by every pipeline that lists them.
  const exporters = new Map<string, Built<Exporter>>();
  for (const p of config.pipelines) {
    for (const id of p.exporters) {
      if (exporters.has(id) || connectorConfigs.has(id)) continue;
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

  // Each pipeline: processors chained back to front, ending in a fan-out to its exporters and
  // connectors. A pipeline fed by a connector is built before the pipelines exporting to it
  // (the connector needs their heads), and listed after them: upstream first.
  const heads = new Map<string, Consumer>();
  const built = new Map<string, BuiltPipeline>();
  const connectors = new Map<string, Connector>();
  const building = new Set<string>();

  /** The connector `id` as an exporter of `from` pipelines: one instance per [from, to] pair used. */
  const connectorFor = (id: string, from: Signal, owner: { id: string; instance: Processor }[]): Consumer => {
    const c = mustGet(connectorConfigs, id, 'connector');
    const factory = mustGet<string, ConnectorFactory>(components.connectors ?? new Map<string, ConnectorFactory>(), c.type, 'connector factory');
    const instances: Consumer[] = [];
    for (const to of new Set(config.pipelines.filter((q) => q.receivers.includes(id)).map((q) => q.signal))) {
      if (!factory.pairs.some(([a, b]) => a === from && b === to)) continue;
      const key = `${id}\u0000${from}\u0000${to}`;
      let instance: Connector | undefined = connectors.get(key);
      if (instance === undefined) {
        const downstream = config.pipelines.filter((q) => q.signal === to && q.receivers.includes(id));
        const pipelineHeads = new Map(downstream.map((q) => [q.id, buildPipeline(q)]));
        instance = factory.create(c.config, context(env, 'connector', id), from, { signal: to, all: fanout([...pipelineHeads.values()]), pipelines: pipelineHeads });
        connectors.set(key, instance);
        owner.push({ id, instance });
      }
      instances.push(instance);
    }
    return fanout(instances);
  };

  function buildPipeline(p: (typeof config.pipelines)[number]): Consumer {
    const done = heads.get(p.id);
    if (done) return done;
    if (building.has(p.id)) throw new Error(`internal: pipelines form a cycle at "${p.id}" after validation`);
    building.add(p.id);
    const ownConnectors: { id: string; instance: Processor }[] = [];
    let next: Consumer = fanout(p.exporters.map((id) => (connectorConfigs.has(id) ? connectorFor(id, p.signal, ownConnectors) : mustGet(exporters, id, 'exporter').instance)));
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
    const wrapped = mutates === head.mutatesData ? head : { mutatesData: mutates, consume: (b: Parameters<Consumer['consume']>[0]) => head.consume(b) };
    heads.set(p.id, wrapped);
    building.delete(p.id);
    built.set(p.id, { id: p.id, signal: p.signal, processors: [...processors, ...ownConnectors] });
    return wrapped;
  }
  // Reverse post-order of the depth-first builds: every pipeline before those it feeds.
  const postOrder: string[] = [];
  const visited = new Set<string>();
  const visit = (p: (typeof config.pipelines)[number]): void => {
    if (visited.has(p.id)) return;
    visited.add(p.id);
    for (const id of p.exporters) if (connectorConfigs.has(id)) for (const q of config.pipelines) if (q.receivers.includes(id)) visit(q);
    postOrder.push(p.id);
  };
  // Visited last to first, so that pipelines no connector joins keep their configured order.
  for (const p of [...config.pipelines].reverse()) visit(p);
  for (const p of config.pipelines) buildPipeline(p);
  const pipelines = postOrder.reverse().map((id) => mustGet(built, id, 'pipeline'));

  // Receivers are shared: one instance per id, a consumer per signal fanning out to its
  // pipelines, behind a switch that a reload can re-point. Connectors are not among them.
  const receiverIds = new Set(config.pipelines.flatMap((p) => p.receivers).filter((id) => !connectorConfigs.has(id)));
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
