// The resolved configuration: what the loader hands to the service once every file
// is merged, expanded and validated (defaults filled in).
import type { Signal } from '../pdata/types.js';
import type { LogEncoding, LogLevel } from '../telemetry/logger.js';
import type { ComponentKind } from '../component.js';

export interface ComponentConfig {
  readonly kind: ComponentKind;
  /** `type` or `type/name`, as written. */
  readonly id: string;
  readonly type: string;
  /** The validated config with defaults applied. */
  readonly config: unknown;
}

export interface PipelineConfig {
  /** `logs`, `traces/backend`, … */
  readonly id: string;
  readonly signal: Signal;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

export interface TelemetryConfig {
  readonly metrics: {
    /** `host:port` for the self-metrics endpoint, or undefined when `level: none`. */
    readonly address: string | undefined;
  };
  readonly logs: {
    readonly level: LogLevel;
    readonly encoding: LogEncoding;
  };
}

export interface ResolvedConfig {
  readonly receivers: ReadonlyMap<string, ComponentConfig>;
  readonly processors: ReadonlyMap<string, ComponentConfig>;
  readonly exporters: ReadonlyMap<string, ComponentConfig>;
  readonly extensions: ReadonlyMap<string, ComponentConfig>;
  /** Connectors some pipeline lists as an exporter and another as a receiver. */
  readonly connectors?: ReadonlyMap<string, ComponentConfig>;
  readonly pipelines: readonly PipelineConfig[];
  /** Extensions to start, in order (`service.extensions`). */
  readonly serviceExtensions: readonly string[];
  readonly telemetry: TelemetryConfig;
  /** Where the configuration came from, for logs. */
  readonly sources: readonly string[];
}

/** One problem in the configuration; the loader reports all of them at once. */
export interface ConfigError {
  /** The file the offending value came from (`embedded:default.yaml` for the built-in one). */
  readonly file: string;
  /** Dot path: `exporters.otlphttp/backend.endpoint`. */
  readonly path: string;
  readonly message: string;
  /** What would fix it. */
  readonly fix?: string;
}
