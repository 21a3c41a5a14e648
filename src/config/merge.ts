// Merges configuration sources in order (maps deep-merged, later wins; lists and
// scalars replaced) and remembers which source every value came from.

export type PathSegment = string | number;
export type ConfigPath = readonly PathSegment[];
export type ConfigMap = { [key: string]: unknown };

/** The Collector's key separator: `exporters::debug::verbosity: detailed` is a nested key. */
export const KEY_DELIMITER = '::';

export function isConfigMap(v: unknown): v is ConfigMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Assigns an own property even for `__proto__`, so a config key can never reach a prototype. */
export function setOwn(target: ConfigMap, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

interface OriginNode {
  file: string | undefined;
  children: Map<PathSegment, OriginNode>;
}

/**
 * Which source each value came from, as a tree mirroring the config. A lookup walks
 * down the path and answers with the deepest recorded source, so a default filled
 * in later (no source of its own) is blamed on the map that holds it.
 */
export class Origins {
  private readonly root: OriginNode = { file: undefined, children: new Map() };

  /** Record `file` for `path` and forget what was recorded below it (the value was replaced). */
  replace(path: ConfigPath, file: string): void {
    const node = this.node(path);
    node.file = file;
    node.children = new Map();
  }

  /** Record `file` for `path`, keeping what is recorded below it (a map being merged into). */
  touch(path: ConfigPath, file: string): void {
    this.node(path).file = file;
  }

  fileOf(path: ConfigPath): string {
    let node: OriginNode | undefined = this.root;
    let file = this.root.file;
    for (const seg of path) {
      node = node.children.get(seg);
      if (node === undefined) break;
      if (node.file !== undefined) file = node.file;
    }
    return file ?? '';
  }

  private node(path: ConfigPath): OriginNode {
    let node = this.root;
    for (const seg of path) {
      let next = node.children.get(seg);
      if (next === undefined) {
        next = { file: undefined, children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
    return node;
  }
}

/**
 * A fresh copy of a parsed YAML value with `a::b::c` keys turned into nested maps,
 * as the Collector's confmap does for every source.
 */
export function unflattenKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unflattenKeys);
  if (!isConfigMap(value)) return value;
  const out: ConfigMap = {};
  for (const [key, v] of Object.entries(value)) {
    const parts = key.split(KEY_DELIMITER);
    const leaf = parts.pop() as string;
    let target = out;
    for (const part of parts) {
      const existing = Object.hasOwn(target, part) ? target[part] : undefined;
      if (isConfigMap(existing)) {
        target = existing;
      } else {
        const created: ConfigMap = {};
        setOwn(target, part, created);
        target = created;
      }
    }
    const converted = unflattenKeys(v);
    const existing = Object.hasOwn(target, leaf) ? target[leaf] : undefined;
    if (isConfigMap(existing) && isConfigMap(converted)) mergeMaps(existing, converted);
    else setOwn(target, leaf, converted);
  }
  return out;
}

function mergeMaps(into: ConfigMap, from: ConfigMap): void {
  for (const [k, v] of Object.entries(from)) {
    const existing = Object.hasOwn(into, k) ? into[k] : undefined;
    if (isConfigMap(existing) && isConfigMap(v)) mergeMaps(existing, v);
    else setOwn(into, k, v);
  }
}

function recordAll(value: unknown, path: PathSegment[], file: string, origins: Origins): void {
  origins.replace(path, file);
  if (Array.isArray(value)) value.forEach((v, i) => recordAll(v, [...path, i], file, origins));
  else if (isConfigMap(value)) for (const [k, v] of Object.entries(value)) recordAll(v, [...path, k], file, origins);
}

/**
 * Merge `source` (already unflattened) into `target` in place, recording origins.
 * A map merges into a map key by key; anything else (list, scalar, null) replaces
 * what was there, as in the Collector: a later `batch:` with nothing under it resets
 * that component to its defaults.
 */
export function mergeSource(target: ConfigMap, source: ConfigMap, file: string, origins: Origins, path: PathSegment[] = []): void {
  origins.touch(path, file);
  for (const [k, v] of Object.entries(source)) {
    const existing = Object.hasOwn(target, k) ? target[k] : undefined;
    if (isConfigMap(existing) && isConfigMap(v)) {
      mergeSource(existing, v, file, origins, [...path, k]);
    } else {
      setOwn(target, k, v);
      recordAll(v, [...path, k], file, origins);
    }
  }
}
