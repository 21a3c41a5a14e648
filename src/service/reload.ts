// Which running components a reload may keep: those whose configuration is unchanged,
// and which depend on no extension that is being replaced. Everything else is rebuilt.
import type { Components } from '../component.js';
import type { ComponentConfig, ResolvedConfig } from '../config/types.js';
import { receiverSignals } from './graph.js';

export interface ReloadPlan {
  readonly keepExtensions: ReadonlySet<string>;
  readonly keepExporters: ReadonlySet<string>;
  readonly keepReceivers: ReadonlySet<string>;
}

/** JSON with object keys sorted, so two configurations compare by content alone. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

export function sameComponent(a: ComponentConfig | undefined, b: ComponentConfig | undefined): boolean {
  return a !== undefined && b !== undefined && a.type === b.type && canonical(a.config) === canonical(b.config);
}

/** Every string anywhere in a config value (extension references are strings: `storage: file_storage/q`). */
function strings(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/**
 * A component names the extensions it uses by id in its config (`storage: file_storage/q`,
 * `authenticator: basicauth`), as in the Collector: true when it names one of `ids`.
 */
export function usesExtension(c: ComponentConfig | undefined, ids: ReadonlySet<string>): boolean {
  if (c === undefined || ids.size === 0) return false;
  for (const s of strings(c.config)) if (ids.has(s)) return true;
  return false;
}

/** Keeping a component while an extension it uses is replaced would leave it holding the stopped instance. */
function usesReplacedExtension(c: ComponentConfig, extensionIds: Iterable<string>, kept: ReadonlySet<string>): boolean {
  return usesExtension(c, new Set([...extensionIds].filter((id) => !kept.has(id))));
}

/** An exporter whose sending queue is on disk (`sending_queue.storage`): what it holds survives it. */
export function persistentQueue(c: ComponentConfig | undefined): boolean {
  const q = (c?.config as { sending_queue?: { enabled?: boolean; storage?: unknown } } | undefined)?.sending_queue;
  return q !== undefined && q.enabled !== false && typeof q.storage === 'string';
}

/** The exporters some pipeline uses. */
export function exportersOf(config: ResolvedConfig): Set<string> {
  return new Set(config.pipelines.flatMap((p) => p.exporters));
}

function receiversInUse(config: ResolvedConfig): Set<string> {
  return new Set(config.pipelines.flatMap((p) => p.receivers));
}

/**
 * Decide what a reload from `before` to `after` keeps running. Processors are always
 * rebuilt (one instance per pipeline, chained to what follows them): the old ones flush
 * into the old chain, which is why exporters are stopped only after them.
 */
export function planReload(before: ResolvedConfig, after: ResolvedConfig, components: Components): ReloadPlan {
  const oldExtensions = new Set(before.serviceExtensions);
  const keepExtensions = new Set(after.serviceExtensions.filter((id) => oldExtensions.has(id) && sameComponent(before.extensions.get(id), after.extensions.get(id))));
  const allExtensionIds = new Set([...before.extensions.keys(), ...after.extensions.keys()]);

  const oldExporters = exportersOf(before);
  const keepExporters = new Set(
    [...exportersOf(after)].filter((id) => {
      const c = after.exporters.get(id);
      return oldExporters.has(id) && c !== undefined && sameComponent(before.exporters.get(id), c) && !usesReplacedExtension(c, allExtensionIds, keepExtensions);
    }),
  );

  const oldReceivers = receiversInUse(before);
  const keepReceivers = new Set(
    [...receiversInUse(after)].filter((id) => {
      const c = after.receivers.get(id);
      if (!oldReceivers.has(id) || c === undefined || !sameComponent(before.receivers.get(id), c)) return false;
      if (usesReplacedExtension(c, allExtensionIds, keepExtensions)) return false;
      // A receiver serves only the signals some pipeline takes from it (routes are fixed
      // when it is created), so a change in that set means a new instance.
      const supported = components.receivers.get(c.type)?.signals ?? [];
      return receiverSignals(before, id, supported).join() === receiverSignals(after, id, supported).join();
    }),
  );

  return { keepExtensions, keepExporters, keepReceivers };
}
