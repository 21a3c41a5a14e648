// The targets of one scrape config: static targets with their labels, the `__` labels
// Prometheus gives each (address, scheme, path, params, interval), and relabel_configs.
import { relabel, type LabelSet, type RelabelRule } from '../../prometheus/relabel.js';
import { parsePromDuration, type ResolvedScrape, type ScrapeConfig, type StaticConfig } from './config.js';

export interface Target {
  /** Identity of the target (labels and URL): a target with the same key keeps its loop across refreshes. */
  readonly key: string;
  /** `job` + `instance` + the static labels, after relabeling; no `__` labels. */
  readonly labels: ReadonlyMap<string, string>;
  readonly url: URL;
  readonly scheme: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export interface TargetProblem {
  readonly target: string;
  readonly message: string;
}

function promDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Build the targets of a job; targets that relabeling drops are left out, broken ones reported. */
export function buildTargets(
  job: ScrapeConfig,
  scrape: ResolvedScrape,
  rules: readonly RelabelRule[],
  groups: readonly StaticConfig[] = job.static_configs ?? [],
): { targets: Target[]; problems: TargetProblem[] } {
  const targets: Target[] = [];
  const problems: TargetProblem[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    for (const address of group.targets) {
      const labels: LabelSet = new Map(Object.entries(group.labels ?? {}));
      labels.set('__address__', address);
      const defaults: Array<[string, string]> = [
        ['job', job.job_name],
        ['__scrape_interval__', promDuration(scrape.intervalMs)],
        ['__scrape_timeout__', promDuration(scrape.timeoutMs)],
        ['__metrics_path__', job.metrics_path ?? '/metrics'],
        ['__scheme__', job.scheme ?? 'http'],
      ];
      for (const [name, values] of Object.entries(job.params ?? {})) if (values[0] !== undefined) defaults.push([`__param_${name}`, values[0]]);
      for (const [k, v] of defaults) if (!labels.has(k)) labels.set(k, v);
      if (!relabel(labels, rules)) continue;
      const addr = labels.get('__address__');
      if (addr === undefined || addr === '') {
        problems.push({ target: address, message: 'no __address__ label after relabeling' });
        continue;
      }
      if (addr.includes('/')) {
        problems.push({ target: address, message: `"${addr}" is not a valid host:port (write the scheme in scheme: and the path in metrics_path:)` });
        continue;
      }
      if (!labels.has('instance')) labels.set('instance', addr);
      const scheme = labels.get('__scheme__') ?? 'http';
      let url: URL;
      let intervalMs: number;
      let timeoutMs: number;
      try {
        url = new URL(`${scheme}://${addr}${labels.get('__metrics_path__') ?? '/metrics'}`);
        for (const [name, values] of Object.entries(job.params ?? {})) for (const v of values) url.searchParams.append(name, v);
        for (const [k, v] of labels) {
          if (k.startsWith('__param_')) url.searchParams.set(k.slice(8), v);
        }
        intervalMs = parsePromDuration(labels.get('__scrape_interval__') ?? '');
        timeoutMs = parsePromDuration(labels.get('__scrape_timeout__') ?? '');
        if (intervalMs <= 0) throw new Error('__scrape_interval__ must be above 0');
        if (timeoutMs > intervalMs) throw new Error('__scrape_timeout__ is greater than __scrape_interval__');
      } catch (err) {
        problems.push({ target: address, message: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const publicLabels = new Map([...labels].filter(([k]) => !k.startsWith('__')));
      const key = [...publicLabels].sort().join('\u0000') + url.href;
      if (seen.has(key)) continue;
      seen.add(key);
      targets.push({ key, labels: publicLabels, url, scheme, intervalMs, timeoutMs });
    }
  }
  return { targets, problems };
}
