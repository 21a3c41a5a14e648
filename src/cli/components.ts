// `ferry components`: the registry as a table (or JSON with each config schema),
// the same list the README's components table shows.
import type { AnyFactory, Components } from '../component.js';

export interface ComponentRow {
  kind: string;
  type: string;
  /** Older names the Collector still accepts for the same component. */
  deprecatedTypes: string[];
  signals: string[];
  description: string;
}

/** Each factory once: the registry maps a factory under its current and its deprecated names. */
function distinct<F extends AnyFactory>(m: ReadonlyMap<string, F>): F[] {
  return [...new Set(m.values())];
}

export function componentRows(components: Components): ComponentRow[] {
  const rows: ComponentRow[] = [];
  const add = (kind: string, m: ReadonlyMap<string, AnyFactory>) => {
    for (const f of distinct(m)) {
      rows.push({ kind, type: f.type, deprecatedTypes: [...(f.deprecatedTypes ?? [])], signals: signalsOf(f), description: f.description });
    }
  };
  add('receiver', components.receivers);
  add('processor', components.processors);
  add('exporter', components.exporters);
  add('extension', components.extensions);
  if (components.connectors) add('connector', components.connectors);
  return rows;
}

/** A factory's signals; a connector's as `from→to` pairs. */
function signalsOf(f: AnyFactory): string[] {
  if ('signals' in f) return [...f.signals];
  if ('pairs' in f) return f.pairs.map(([a, b]) => `${a}→${b}`);
  return [];
}

/** `(deprecated: otlp)` after a type with older names, for the table and the README. */
function aliasNote(r: ComponentRow): string {
  return r.deprecatedTypes.length > 0 ? ` (deprecated: ${r.deprecatedTypes.join(', ')})` : '';
}

const SECTION_OF = { receivers: 'receiver', processors: 'processor', exporters: 'exporter', extensions: 'extension' } as const;

/**
 * A JSON Schema of a whole configuration file, for editors (`ferry components --schema`):
 * each section maps `type` or `type/name` (current and deprecated names) to that component's schema.
 */
export function configFileSchema(components: Components): Record<string, unknown> {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const section = (key: keyof typeof SECTION_OF) => {
    const patternProperties: Record<string, unknown> = {};
    for (const [name, f] of components[key]) {
      const schema = f.type === name ? f.configSchema : { ...f.configSchema, deprecated: true, description: `Deprecated name of ${f.type}. ${String(f.configSchema.description ?? '')}`.trim() };
      patternProperties[`^${escape(name)}(/.+)?$`] = { anyOf: [schema, { type: 'null' }] };
    }
    return { type: 'object', description: `The ${SECTION_OF[key]}s, by id (type or type/name).`, patternProperties, additionalProperties: false };
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Ferry (OpenTelemetry Collector) configuration',
    type: 'object',
    properties: {
      receivers: section('receivers'),
      processors: section('processors'),
      exporters: section('exporters'),
      extensions: section('extensions'),
      connectors: { type: 'object', description: 'Connectors: an exporter of one pipeline and a receiver of others.' },
      service: { type: 'object', description: 'pipelines, extensions and telemetry.' },
    },
  };
}

export function printComponents(components: Components, json: boolean, write: (s: string) => void, schema = false): void {
  if (schema) {
    write(JSON.stringify(configFileSchema(components), null, 2) + '\n');
    return;
  }
  if (json) {
    const withSchema = (kind: string, m: ReadonlyMap<string, AnyFactory>) =>
      distinct(m).map((f) => ({
        kind,
        type: f.type,
        deprecatedTypes: f.deprecatedTypes ?? [],
        signals: signalsOf(f),
        description: f.description,
        configSchema: f.configSchema,
      }));
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
  // The deprecated names go after the description, so the TYPE column stays one word.
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(widths[0] as number)}  ${b.padEnd(widths[1] as number)}  ${c.padEnd(widths[2] as number)}  ${d}\n`;
  write(line('KIND', 'TYPE', 'SIGNALS', 'DESCRIPTION'));
  for (const r of rows) write(line(r.kind, r.type, r.signals.join(',') || '-', r.description + aliasNote(r)));
}

/** The README's components table, generated so it cannot drift from the registry. */
export function componentsMarkdown(components: Components): string {
  const rows = componentRows(components);
  const lines = ['| kind | type | signals | what it does |', '|---|---|---|---|'];
  for (const r of rows) {
    const names = [`\`${r.type}\``, ...r.deprecatedTypes.map((t) => `\`${t}\` (deprecated)`)].join('<br>');
    lines.push(`| ${r.kind} | ${names} | ${r.signals.join(', ') || '—'} | ${r.description} |`);
  }
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
