// Builds the component graph from a resolved configuration: one instance per
// receiver and exporter id, one processor instance per pipeline, wired by fan-outs.
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

export interface BuiltPipeline {
  readonly id: string;
  readonly signal: Signal;
  /** In pipeline order: the first receives from the receivers. */
  readonly processors: readonly { id: string; instance: Processor }[];
}

export interface Graph {
  readonly extensions: readonly { id: string; instance: Extension }[];
  readonly exporters: readonly { id: string; instance: Exporter }[];
  readonly pipelines: readonly BuiltPipeline[];
  readonly receivers: readonly { id: string; instance: Receiver }[];
}

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

/** Instantiate every component the pipelines use; nothing is started here. */
export function buildGraph(config: ResolvedConfig, env: GraphEnv): Graph {
  const { components } = env;

  const extensions = config.serviceExtensions.map((id) => {
    const c = mustGet(config.extensions, id, 'extension');
    const factory = mustGet(components.extensions, c.type, 'extension factory');
    return { id, instance: factory.create(c.config, context(env, 'extension', id)) };
  });

  // Exporters are shared by every pipeline that lists them.
  const exporters = new Map<string, Exporter>();
  for (const p of config.pipelines) {
    for (const id of p.exporters) {
      if (exporters.has(id)) continue;
      const c = mustGet(config.exporters, id, 'exporter');
      const factory = mustGet(components.exporters, c.type, 'exporter factory');
      exporters.set(id, factory.create(c.config, context(env, 'exporter', id)));
    }
  }

  // Each pipeline: processors chained back to front, ending in a fan-out to its exporters.
  const heads = new Map<string, Consumer>();
  const pipelines: BuiltPipeline[] = [];
  for (const p of config.pipelines) {
    let next: Consumer = fanout(p.exporters.map((id) => mustGet(exporters, id, 'exporter')));
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

  // Receivers are shared: one instance per id, a consumer per signal fanning out to its pipelines.
  const receiverIds = new Set(config.pipelines.flatMap((p) => p.receivers));
  const receivers = [...receiverIds].map((id) => {
    const c = mustGet(config.receivers, id, 'receiver');
    const factory = mustGet(components.receivers, c.type, 'receiver factory');
    const next: SignalConsumers = {};
    for (const signal of factory.signals) {
      const targets = config.pipelines
        .filter((p) => p.signal === signal && p.receivers.includes(id))
        .map((p) => mustGet(heads, p.id, 'pipeline'));
      if (targets.length > 0) next[signal] = fanout(targets);
    }
    return { id, instance: factory.create(c.config, context(env, 'receiver', id), next) };
  });

  return { extensions, exporters: [...exporters].map(([id, instance]) => ({ id, instance })), pipelines, receivers };
}
