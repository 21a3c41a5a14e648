// file_sd_configs: target groups read from JSON or YAML files, as Prometheus reads them
// (a list of {targets, labels}; `*` in the file name; __meta_filepath on every target).
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FileSdConfig, StaticConfig } from './config.js';

async function expand(pattern: string): Promise<string[]> {
  const name = basename(pattern);
  if (!name.includes('*')) return [pattern];
  const re = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  const dir = dirname(pattern);
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries.filter((e) => re.test(e)).sort().map((e) => join(dir, e));
}

function groupsOf(data: unknown, file: string): StaticConfig[] {
  if (!Array.isArray(data)) throw new Error(`${file}: expected a list of {targets, labels}`);
  return data.map((g: unknown, i) => {
    const group = g as { targets?: unknown; labels?: unknown };
    if (!Array.isArray(group.targets) || !group.targets.every((t) => typeof t === 'string')) throw new Error(`${file}: group ${i} needs targets: [host:port, …]`);
    const labels: Record<string, string> = { __meta_filepath: file };
    if (group.labels !== undefined) {
      if (typeof group.labels !== 'object' || group.labels === null) throw new Error(`${file}: group ${i} labels must be a map`);
      for (const [k, v] of Object.entries(group.labels)) labels[k] = String(v);
    }
    return { targets: group.targets as string[], labels };
  });
}

/** Every target group of the configs' files; throws (naming the file) when one does not read. */
export async function readFileSd(configs: readonly FileSdConfig[]): Promise<StaticConfig[]> {
  const groups: StaticConfig[] = [];
  for (const c of configs) {
    for (const pattern of c.files) {
      for (const file of await expand(pattern)) {
        const text = await readFile(file, 'utf8');
        const data: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
        groups.push(...groupsOf(data ?? [], file));
      }
    }
  }
  return groups;
}
