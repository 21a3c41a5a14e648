// The configuration loader's public API: sources in, a validated ResolvedConfig out,
// with every error (file, path, message, fix) and every warning collected on the way.
import type { Components } from '../component.js';
import type { ComponentConfig, ConfigError, ResolvedConfig } from './types.js';
import type { ConfigSource } from './load.js';
import type { ConfigMap } from './merge.js';
import type { CheckedComponent, SectionKey, ValidationContext } from './validate.js';
import { loadSources } from './load.js';
import { Origins, mergeSource } from './merge.js';
import { expandConfig } from './expand.js';
import { KIND_OF, SECTIONS, checkSection, checkTopLevel, warnAt } from './validate.js';
import { checkService } from './service.js';
import { collectScalars, collectSecrets, redact, redactErrors } from './secrets.js';

export type { ComponentConfig, ConfigError, PipelineConfig, ResolvedConfig, TelemetryConfig } from './types.js';
export type { ConfigSource } from './load.js';
export { ConfigLoadError, formatConfigErrors } from './errors.js';
export { compileConfigSchema } from './validate.js';
export { parseDuration, durationSchema } from './units.js';

export interface LoadConfigOptions {
  /** `--config` values in order (path, `file:`, `env:`, `yaml:`), or `{name, text}` for embedded text. */
  readonly sources: readonly ConfigSource[];
  /** For `${env:VAR}` and `env:VAR` sources; defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly components: Components;
}

export interface LoadConfigResult {
  /** Present only when there are no errors. */
  readonly config?: ResolvedConfig;
  readonly errors: ConfigError[];
  /** Unset variables, unused components, ignored Collector settings: one line each. */
  readonly warnings: string[];
}

/**
 * Load, merge, expand and validate the configuration. Never throws for a bad
 * configuration: it reports every problem found. Components defined but not used
 * by any pipeline (or extensions not listed in `service.extensions`) are validated,
 * reported as warnings and left out of the result, as the Collector ignores them.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadConfigResult> {
  const env = options.env ?? process.env;
  if (options.sources.length === 0) {
    return { errors: [{ file: '', path: '', message: 'no configuration given', fix: 'pass --config with a file path' }], warnings: [] };
  }
  const loaded = await loadSources(options.sources, env);
  // A source that could not be read or parsed leaves the merged result incomplete, and
  // checking it would report things (no pipelines, undefined ids) that are not wrong.
  if (loaded.errors.length > 0) return { errors: loaded.errors, warnings: loaded.warnings };
  const origins = new Origins();
  const root: ConfigMap = {};
  for (const s of loaded.sources) mergeSource(root, s.value, s.name, origins);
  const expanded = expandConfig(root, env, origins);
  const ctx: ValidationContext = {
    origins,
    originals: expanded.originals,
    errors: [...expanded.errors],
    warnings: [...loaded.warnings, ...expanded.warnings],
  };

  checkTopLevel(root, ctx);
  const sections = {} as Record<SectionKey, Map<string, CheckedComponent>>;
  for (const section of SECTIONS) sections[section] = checkSection(root, section, options.components, ctx);
  const types = {
    receivers: [...options.components.receivers.keys()],
    processors: [...options.components.processors.keys()],
    exporters: [...options.components.exporters.keys()],
    extensions: [...options.components.extensions.keys()],
    connectors: [...(options.components.connectors?.keys() ?? [])],
  };
  const service = checkService(root, sections, types, ctx);

  // Secrets never printed: writeOnly fields' values and everything given inline (--set, yaml:).
  const secrets = new Set<string>();
  for (const s of loaded.sources) if (s.name.startsWith('yaml:')) collectScalars(s.value, secrets);
  for (const section of SECTIONS) for (const c of sections[section].values()) collectSecrets(c.factory?.configSchema, c.config, secrets);
  const hide = () => {
    const errors = redactErrors(ctx.errors, secrets);
    ctx.errors.splice(0, ctx.errors.length, ...errors);
    ctx.warnings.splice(0, ctx.warnings.length, ...ctx.warnings.map((w) => redact(w, secrets)));
  };

  const resolved = {} as Record<SectionKey, Map<string, ComponentConfig>>;
  for (const section of SECTIONS) {
    resolved[section] = new Map();
    for (const [id, c] of sections[section]) {
      if (!service.used[section].has(id)) {
        const where = section === 'extensions' ? 'service.extensions' : 'any pipeline';
        warnAt(ctx, [section, id], `${KIND_OF[section]} "${id}" is defined but not used in ${where}; Ferry ignores it, as the Collector does`);
        continue;
      }
      resolved[section].set(id, { kind: KIND_OF[section], id, type: c.type, config: c.config });
    }
  }
  hide();
  if (ctx.errors.length > 0) return { errors: ctx.errors, warnings: ctx.warnings };
  const config: ResolvedConfig = {
    receivers: resolved.receivers,
    processors: resolved.processors,
    exporters: resolved.exporters,
    extensions: resolved.extensions,
    connectors: resolved.connectors,
    pipelines: service.pipelines,
    serviceExtensions: service.serviceExtensions,
    telemetry: service.telemetry,
    sources: loaded.sources.map((s) => s.name),
  };
  return { config, errors: [], warnings: ctx.warnings };
}
