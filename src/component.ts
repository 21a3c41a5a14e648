// The component contract: every receiver, processor, exporter and extension is a
// factory with a type name, the signals it supports, a JSON Schema, and create().
import type { SchemaObject } from 'ajv';
import type { Consumer } from './consumer.js';
import type { Batch } from './pdata/batch.js';
import type { Signal } from './pdata/types.js';
import type { Logger } from './telemetry/logger.js';
import type { SelfTelemetry } from './telemetry/self.js';

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'extension' | 'connector';
export type ServiceState = 'starting' | 'running' | 'stopping' | 'stopped';

/** What a running component can ask of the collector. */
export interface Host {
  /** A started extension by id (e.g. `file_storage/queue`), for components that use one. */
  getExtension(id: string): Extension | undefined;
  /** The whole service's state, for health checks. */
  readonly state: ServiceState;
}

export interface Lifecycle {
  start(host: Host): Promise<void>;
  /** Stop and release everything; for processors and exporters, flush what they hold first. */
  shutdown(): Promise<void>;
}

export interface ComponentContext {
  /** The component id as configured: `type` or `type/name`. */
  readonly id: string;
  readonly kind: ComponentKind;
  readonly logger: Logger;
  readonly telemetry: SelfTelemetry;
}

export interface ProcessorContext extends ComponentContext {
  /** The pipeline this instance belongs to (`logs`, `traces/backend`, …): one instance per pipeline. */
  readonly pipeline: string;
  readonly signal: Signal;
}

/** A semantic problem found by a factory's own check, beyond what the JSON Schema says. */
export interface ConfigProblem {
  /** Path inside the component's config, dot-separated (`protocols.http.endpoint`); '' for the whole. */
  readonly path: string;
  readonly message: string;
  /** What the user should write instead. */
  readonly fix?: string;
  /**
   * 'warning': the key is accepted but Ferry cannot honour it (Node or a library lacks it);
   * `ferry validate` says so and the configuration stays valid. Default: an error.
   */
  readonly severity?: 'error' | 'warning';
}

interface FactoryBase<C> {
  /** The Collector's current name for the type (lower snake case, e.g. `otlp_http`, `file_log`). */
  readonly type: string;
  /**
   * Older names the Collector still accepts for this type (`otlphttp`, `filelog`): a config
   * may use them, with a warning that names `type`. The registry maps both (src/components.ts).
   */
  readonly deprecatedTypes?: readonly string[];
  /** One line for `ferry components` and the README table. */
  readonly description: string;
  /** JSON Schema of the config: every property has a description and, where one makes sense, a default. */
  readonly configSchema: SchemaObject;
  /** Checks the schema cannot express; the config here already has its defaults. */
  validate?(config: C): ConfigProblem[];
}

export type SignalConsumers = Partial<Record<Signal, Consumer>>;

export type Receiver = Lifecycle;
export interface Processor extends Consumer, Lifecycle {}
/** What an exporter's sending queue held: on disk (persistent) or in memory (lost at exit). */
export interface QueueLeftover {
  readonly persistent: boolean;
  readonly items: number;
  readonly requests: number;
}
export interface Exporter extends Consumer, Lifecycle {
  /**
   * Drain until `deadlineMs` (a Date.now() time; the service's shutdown deadline), then close.
   * `handOver`: a memory queue keeps what it could not send for takeLeftover() instead of dropping it.
   */
  shutdown(deadlineMs?: number, options?: { readonly handOver?: boolean }): Promise<void>;
  /** What the sending queue holds now; after shutdown, what it left. Absent: no queue to report. */
  queueLeftover?(): QueueLeftover;
  /** After shutdown with handOver: the batches left in a memory queue, once, for a successor to take. */
  takeLeftover?(): Batch[];
}
export type Extension = Lifecycle;

export interface ReceiverFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'receiver';
  readonly signals: readonly Signal[];
  /** One instance per receiver id, feeding every pipeline that lists it: `next` has a consumer per signal in use. */
  create(config: C, ctx: ComponentContext, next: SignalConsumers): Receiver;
}

export interface ProcessorFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'processor';
  readonly signals: readonly Signal[];
  /** Checks that depend on the signal of a pipeline the processor is listed in (paths as in validate()). */
  validateForSignal?(config: C, signal: Signal): ConfigProblem[];
  /** One instance per pipeline. */
  create(config: C, ctx: ProcessorContext, next: Consumer): Processor;
}

export interface ExporterFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'exporter';
  readonly signals: readonly Signal[];
  /** One instance per exporter id, consuming from every pipeline that lists it. */
  create(config: C, ctx: ComponentContext): Exporter;
}

export interface ExtensionFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'extension';
  create(config: C, ctx: ComponentContext): Extension;
}

/** A connector joins pipelines: an exporter of pipelines of `from` and a receiver of pipelines of `to`. */
export interface Connector extends Consumer, Lifecycle {}

/** What a connector instance sends to: the pipelines of one signal that list it as a receiver. */
export interface ConnectorTargets {
  readonly signal: Signal;
  /** Every one of those pipelines (fan-out): settles when all of them settle. */
  readonly all: Consumer;
  /** Each of them by pipeline id (`logs/tenant_a`), for connectors that route. */
  readonly pipelines: ReadonlyMap<string, Consumer>;
}

export interface ConnectorFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'connector';
  /** The [from, to] signal pairs it joins (the Collector creates one instance per pair used). */
  readonly pairs: readonly (readonly [Signal, Signal])[];
  /** Checks that depend on the pipelines it joins (e.g. routing's pipeline ids). */
  validateForPipelines?(config: C, to: ReadonlyMap<Signal, readonly string[]>): ConfigProblem[];
  /** One instance per pair; consume() settles when what it sent downstream settles. */
  create(config: C, ctx: ComponentContext, from: Signal, next: ConnectorTargets): Connector;
}

export type AnyFactory = ReceiverFactory | ProcessorFactory | ExporterFactory | ExtensionFactory | ConnectorFactory;

/** All factories Ferry knows, by kind and type. */
export interface Components {
  readonly receivers: ReadonlyMap<string, ReceiverFactory>;
  readonly processors: ReadonlyMap<string, ProcessorFactory>;
  readonly exporters: ReadonlyMap<string, ExporterFactory>;
  readonly extensions: ReadonlyMap<string, ExtensionFactory>;
  /** Optional, so that test registries without connectors stay valid. */
  readonly connectors?: ReadonlyMap<string, ConnectorFactory>;
}

/** Split `type/name` into its parts. */
export function parseComponentId(id: string): { type: string; name: string | undefined } {
  const slash = id.indexOf('/');
  if (slash < 0) return { type: id, name: undefined };
  return { type: id.slice(0, slash), name: id.slice(slash + 1) };
}
