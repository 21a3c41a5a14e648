// Helpers for the processor tests: load a processor's config through the real loader
// (defaults, schema, factory checks), run a processor over a batch, read attributes plainly.
import type { Processor } from '../../src/component.js';
import { components } from '../../src/components.js';
import type { ConfigError } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { Batch, RequestContext } from '../../src/pdata/batch.js';
import { makeBatch } from '../../src/pdata/batch.js';
import type { KeyValue, LogRecord, ResourceLogs, Signal } from '../../src/pdata/types.js';
import { CollectingConsumer, testHost, testProcessorContext } from '../helpers/index.js';
import { attrs as attrsOf } from '../helpers/values.js';
import { SelfTelemetry } from '../../src/telemetry/self.js';

/**
 * Validate `processors:` YAML (indented under the section) in a pipeline of `signal`, with the
 * real registry. Returns the errors and each processor's config with defaults filled in.
 */
export async function loadProcessors(yaml: string, signal: Signal = 'logs'): Promise<{ errors: ConfigError[]; configs: Map<string, unknown> }> {
  const ids = [...yaml.matchAll(/^ {2}([\w/.-]+):/gm)].map((m) => m[1] as string);
  const text = `receivers:\n  otlp:\n    protocols:\n      http:\nprocessors:\n${yaml}\nexporters:\n  debug:\nservice:\n  pipelines:\n    ${signal}:\n      receivers: [otlp]\n      processors: [${ids.join(', ')}]\n      exporters: [debug]\n`;
  const r = await loadConfig({ sources: [{ name: 'c.yaml', text }], env: {}, components });
  const configs = new Map<string, unknown>();
  for (const [id, c] of r.config?.processors ?? []) configs.set(id, c.config);
  return { errors: [...r.errors], configs };
}

/** Create a processor by type from a config as the loader fills it, in front of a collecting consumer. */
export async function makeProcessor(type: string, yamlBody: string, signal: Signal = 'logs', telemetry = new SelfTelemetry({ defaultMetrics: false })) {
  const indented = yamlBody
    .split('\n')
    .map((l) => (l.trim() === '' ? l : `    ${l}`))
    .join('\n');
  const { errors, configs } = await loadProcessors(`  ${type}:\n${indented}`, signal);
  if (errors.length > 0) throw new Error(`config errors: ${JSON.stringify(errors)}`);
  const factory = components.processors.get(type);
  if (!factory) throw new Error(`no processor ${type}`);
  const next = new CollectingConsumer();
  const processor: Processor = factory.create(configs.get(type), testProcessorContext(type, signal, telemetry), next);
  await processor.start(testHost);
  return { processor, next, telemetry };
}



export { plain, attrs as attrsOf } from '../helpers/values.js';

/** A KeyValue list from a plain object (ints stay ints, fractions become doubles). */
export function kvs(o: Record<string, string | number | boolean>): KeyValue[] {
  return Object.entries(o).map(([key, v]) => ({
    key,
    value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: v } : { doubleValue: v },
  }));
}

/** A logs batch: one resource per entry, one scope each, the records given. */
export function logsBatch(resources: { resource?: Record<string, string | number | boolean>; records: Partial<LogRecord>[]; scope?: string }[], context?: RequestContext): Batch {
  const rs: ResourceLogs[] = resources.map((r) => ({
    resource: r.resource ? { attributes: kvs(r.resource) } : null,
    scopeLogs: [{ scope: { name: r.scope ?? 'test', attributes: [] }, logRecords: r.records.map((lr) => ({ attributes: [], ...lr })) }],
  }));
  return makeBatch('logs', rs, context);
}

/** The log records that reached `next`, flattened with their resource attributes. */
export function receivedLogs(next: CollectingConsumer): { resource: Record<string, unknown>; scope: string | undefined; record: LogRecord }[] {
  return next.batches.flatMap((b) =>
    b.signal === 'logs' ? b.resources.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((record) => ({ resource: attrsOf(r.resource?.attributes), scope: s.scope?.name, record })))) : [],
  );
}

/** The error lines, `path: message (fix)`, for compact assertions. */
export function errorLines(errors: readonly ConfigError[]): string[] {
  return errors.map((e) => `${e.path}: ${e.message}${e.fix === undefined ? '' : ` (fix: ${e.fix})`}`);
}
