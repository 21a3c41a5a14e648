// `ferry components`: the registry as a table (or JSON with each config schema),
// the same list the README's components table shows.
import type { AnyFactory, Components } from '../component.js';

export interface ComponentRow {
  kind: string;
  type: string;
  signals: string[];
  description: string;
}

export function componentRows(components: Components): ComponentRow[] {
  const rows: ComponentRow[] = [];
  const add = (kind: string, factories: Iterable<AnyFactory>) => {
    // A factory registered under deprecated names too appears once, under its current type.
    for (const f of new Set(factories)) {
      rows.push({ kind, type: f.type, signals: signalsOf(f), description: f.description });
    }
  };
  add('receiver', components.receivers.values());
  add('processor', components.processors.values());
  add('exporter', components.exporters.values());
  add('extension', components.extensions.values());
  add('connector', components.connectors?.values() ?? []);
  return rows;
}

/** A factory's signals; a connector's as `from→to` pairs. */
function signalsOf(f: AnyFactory): string[] {
  if ('signals' in f) return [...f.signals];
  if ('pairs' in f) return f.pairs.map(([a, b]) => `${a}→${b}`);
  return [];
}

export function printComponents(components: Components, json: boolean, write: (s: string) => void): void {
  if (json) {
    const withSchema = (kind: string, m: ReadonlyMap<string, AnyFactory>) =>
      [...new Set(m.values())].map((f) => ({ kind, type: f.type, signals: signalsOf(f), description: f.description, configSchema: f.configSchema }));
    write(
      JSON.stringify(
        [
          ...withSchema('receiver', components.receivers),
          ...withSchema('processor', components.processors),
          ...withSchema('exporter', components.exporters),
          ...withSchema('extension', components.extensions),
          ...withSchema('connector', components.connectors ?? new Map()),
        ],
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const rows = componentRows(components);
  const widths = [9, Math.max(4, ...rows.map((r) => r.type.length)), Math.max(7, ...rows.map((r) => r.signals.join(',').length))];
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(widths[0] as number)}  ${b.padEnd(widths[1] as number)}  ${c.padEnd(widths[2] as number)}  ${d}\n`;
  write(line('KIND', 'TYPE', 'SIGNALS', 'DESCRIPTION'));
  for (const r of rows) write(line(r.kind, r.type, r.signals.join(',') || '-', r.description));
}

/** The README's components table, generated so it cannot drift from the registry. */
export function componentsMarkdown(components: Components): string {
  const rows = componentRows(components);
  const lines = ['| kind | type | signals | what it does |', '|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.kind} | \`${r.type}\` | ${r.signals.join(', ') || '—'} | ${r.description} |`);
  return lines.join('\n');
}

/** Replace the text between the components markers of a README with the generated table. */
export function spliceComponentsTable(readme: string, table: string): string {
  const start = '<!-- components:start -->';
  const end = '<!-- components:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error('README has no components markers');
  return `${readme.slice(0, i + start.length)}\n${table}\n${readme.slice(j)}`;
}
