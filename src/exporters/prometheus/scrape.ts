// What one scrape shows: the accumulated series as metric families (one TYPE per name, as
// the spec requires), const_labels added, and one target_info per job/instance.
import { formatGoG } from '../../prometheus/float.js';
import type { ExpositionFamily, ExpositionSample } from '../../prometheus/exposition.js';
import { orderedLabels } from '../../prometheus/exposition.js';
import type { SeriesState } from '../../prometheus/accumulator.js';
import { targetInfoLabels, withConfiguredLabels, type Labels, type ResourceInfo } from '../../prometheus/labels.js';
import { targetInfoName } from '../../prometheus/naming.js';
import { nanosToMillis, type FamilyType } from '../../prometheus/points.js';
import { pointSamples } from '../../prometheus/samples.js';
import type { Logger } from '../../telemetry/logger.js';

export interface ScrapeOptions {
  readonly namespace: string;
  readonly constLabels: Labels;
  readonly sendTimestamps: boolean;
  readonly logger: Logger;
  /** Names already warned about (type conflicts), so a scrape every 15 s does not log every time. */
  readonly warned: Set<string>;
}

interface Building {
  readonly type: FamilyType;
  help: string;
  /** By sample name and labels: a later series with the same identity replaces an earlier one. */
  readonly samples: Map<string, ExpositionSample>;
}

/** The families of one scrape, sorted by name; `series` oldest update first (as Accumulator.collect returns them). */
export function scrapeFamilies(series: readonly SeriesState[], options: ScrapeOptions): ExpositionFamily[] {
  const families = new Map<string, Building>();
  const targets = new Map<string, Labels>();
  const infoOf = new Map<ResourceInfo, Labels | undefined>();
  for (const s of series) {
    let family = families.get(s.name);
    if (!family) {
      family = { type: s.family, help: s.help, samples: new Map() };
      families.set(s.name, family);
    } else if (family.type !== s.family) {
      // The spec: never two TYPEs for one name; the metric that came first keeps it.
      const key = `${s.name}\u0000${s.family}`;
      if (!options.warned.has(key)) {
        options.warned.add(key);
        options.logger.warn('Two metrics map to one Prometheus name with different types; leaving out the later one.', { name: s.name, kept: family.type, dropped: s.family });
      }
      continue;
    }
    if (family.help === '') family.help = s.help;
    const labels = withConfiguredLabels(s.labels, options.constLabels);
    const timestampMs = options.sendTimestamps && s.timeNs > 0n ? nanosToMillis(s.timeNs) : undefined;
    for (const sample of pointSamples(s.name, s.family, s.value, labels, s.exemplars, formatGoG)) {
      const ordered = orderedLabels(sample.labels);
      family.samples.set(`${sample.name}\u0000${JSON.stringify([...ordered])}`, { ...sample, labels: ordered, timestampMs });
    }
    // Series of one resource share its ResourceInfo: clean and sort its attributes once per scrape.
    let info = infoOf.get(s.resource);
    if (!infoOf.has(s.resource)) {
      info = targetInfoLabels(s.resource);
      infoOf.set(s.resource, info);
    }
    // The latest series of a job/instance tells its resource (series come oldest first).
    if (info) targets.set(`${s.resource.job ?? ''}\u0000${s.resource.instance ?? ''}`, info);
  }
  const out: ExpositionFamily[] = [...families].map(([name, f]) => ({ name, type: f.type, help: f.help, samples: [...f.samples.values()] }));
  const name = targetInfoName(options.namespace);
  if (targets.size > 0 && !families.has(name)) {
    // As the Collector: target_info carries the resource, job and instance, not the const_labels.
    const samples = [...targets.values()].map((labels) => ({ name, labels: orderedLabels(labels), value: 1, exemplars: [] }));
    out.push({ name, type: 'gauge', help: 'Target metadata', samples });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
