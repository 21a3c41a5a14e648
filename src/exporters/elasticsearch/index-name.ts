// Index names: date patterns (`%{+yyyy.MM.dd}` in an index name, as Beats and Logstash
// write them, and the contrib's logstash_format strftime suffix), resolved with the UTC
// date of each record, and the contrib's dynamic index routing by attributes.
import type { ConfigProblem } from '../../component.js';
import type { KeyValue } from '../../pdata/types.js';
import { valueAsString } from '../../pdata/value.js';

/** Joda-style tokens supported inside %{+…}, longest first so that yyyy is not read as yy yy. */
const JODA_TOKENS = ['yyyy', 'yy', 'MM', 'dd', 'HH'] as const;
const PATTERN = /%\{\+([^}]*)\}/g;
/** What may sit between tokens: characters Elasticsearch allows in index names. */
const LITERAL = /^[.\-_0-9]$/;

export interface DateParts {
  readonly yyyy: string;
  readonly yy: string;
  readonly MM: string;
  readonly dd: string;
  readonly HH: string;
}

/** UTC date parts of a time in nanoseconds since the epoch. */
export function dateParts(nanos: bigint): DateParts {
  const d = new Date(Number(nanos / 1_000_000n));
  const pad = (n: number): string => String(n).padStart(2, '0');
  const yyyy = String(d.getUTCFullYear()).padStart(4, '0');
  return { yyyy, yy: yyyy.slice(-2), MM: pad(d.getUTCMonth() + 1), dd: pad(d.getUTCDate()), HH: pad(d.getUTCHours()) };
}

function formatJoda(format: string, parts: DateParts): string {
  let out = '';
  for (let i = 0; i < format.length; ) {
    const token = JODA_TOKENS.find((t) => format.startsWith(t, i));
    if (token) {
      out += parts[token];
      i += token.length;
    } else {
      out += format[i];
      i++;
    }
  }
  return out;
}

/** A problem with the %{+…} patterns of an index name, or undefined. */
export function datePatternProblem(index: string): Omit<ConfigProblem, 'path'> | undefined {
  for (const m of index.matchAll(PATTERN)) {
    const format = m[1] ?? '';
    for (let i = 0; i < format.length; ) {
      const token = JODA_TOKENS.find((t) => format.startsWith(t, i));
      if (token) {
        i += token.length;
      } else if (LITERAL.test(format[i] ?? '')) {
        i++;
      } else {
        return { message: `unsupported date pattern "%{+${format}}"`, fix: 'use the tokens yyyy, yy, MM, dd and HH separated by . - or _, e.g. logs-%{+yyyy.MM.dd}' };
      }
    }
  }
  if (/%\{(?!\+)/.test(index)) return { message: `"${index}" has a %{…} that is not a date pattern`, fix: 'write date patterns as %{+yyyy.MM.dd}; field references are not supported' };
  return undefined;
}

export function hasDatePattern(index: string): boolean {
  return index.includes('%{+');
}

export function expandDatePattern(index: string, parts: DateParts): string {
  return index.replace(PATTERN, (_, format: string) => formatJoda(format, parts));
}

const STRFTIME: Readonly<Record<string, keyof DateParts | '%'>> = { Y: 'yyyy', y: 'yy', m: 'MM', d: 'dd', H: 'HH', '%': '%' };

export function strftimeProblem(format: string): Omit<ConfigProblem, 'path'> | undefined {
  for (const m of format.matchAll(/%(.?)/g)) {
    if (!(m[1] && m[1] in STRFTIME)) {
      return { message: `unsupported strftime directive "%${m[1] ?? ''}" in "${format}"`, fix: 'use %Y, %y, %m, %d, %H and %% (default %Y.%m.%d)' };
    }
  }
  return undefined;
}

export function formatStrftime(format: string, parts: DateParts): string {
  return format.replace(/%(.)/g, (_, c: string) => {
    const key = STRFTIME[c];
    return key === undefined ? `%${c}` : key === '%' ? '%' : parts[key];
  });
}

// ---- dynamic routing

export const DATA_STREAM_TYPE = 'data_stream.type';
export const DATA_STREAM_DATASET = 'data_stream.dataset';
export const DATA_STREAM_NAMESPACE = 'data_stream.namespace';
const INDEX_PREFIX = 'elasticsearch.index.prefix';
const INDEX_SUFFIX = 'elasticsearch.index.suffix';

function attr(kvs: readonly KeyValue[] | undefined, key: string): string | undefined {
  const kv = kvs?.find((k) => k.key === key);
  return kv ? valueAsString(kv.value) : undefined;
}

/** Where a document goes under *_dynamic_index, and the data_stream fields it then carries. */
export interface DynamicRoute {
  readonly index: string;
  readonly dataStream?: { readonly type: string; readonly dataset: string; readonly namespace: string };
}

/**
 * The contrib's dynamic routing: data_stream.dataset / namespace (item > scope > resource)
 * give `<type>-<dataset>-<namespace>` (dataset suffixed .otel in the otel mapping mode);
 * else elasticsearch.index.prefix / suffix (resource > scope > item) wrap `configured`;
 * else the signal's generic data stream.
 */
export function dynamicRoute(
  type: 'logs' | 'traces',
  configured: string,
  otelMode: boolean,
  attributes: { readonly resource: readonly KeyValue[] | undefined; readonly scope: readonly KeyValue[] | undefined; readonly item: readonly KeyValue[] | undefined },
): DynamicRoute {
  const fromItemFirst = (key: string): string | undefined => attr(attributes.item, key) ?? attr(attributes.scope, key) ?? attr(attributes.resource, key);
  const fromResourceFirst = (key: string): string | undefined => attr(attributes.resource, key) ?? attr(attributes.scope, key) ?? attr(attributes.item, key);
  const dataset = fromItemFirst(DATA_STREAM_DATASET);
  const namespace = fromItemFirst(DATA_STREAM_NAMESPACE);
  if (dataset !== undefined || namespace !== undefined) {
    let ds = dataset ?? 'generic';
    if (otelMode && !ds.endsWith('.otel')) ds += '.otel';
    const ns = namespace ?? 'default';
    return { index: `${type}-${ds}-${ns}`, dataStream: { type, dataset: ds, namespace: ns } };
  }
  const prefix = fromResourceFirst(INDEX_PREFIX);
  const suffix = fromResourceFirst(INDEX_SUFFIX);
  if (prefix !== undefined || suffix !== undefined) return { index: `${prefix ?? ''}${configured}${suffix ?? ''}` };
  const ds = otelMode ? 'generic.otel' : 'generic';
  return { index: `${type}-${ds}-default`, dataStream: { type, dataset: ds, namespace: 'default' } };
}
