// OpenTelemetry names to Prometheus names, per the OTel spec "Prometheus and OpenMetrics
// Compatibility" and the Collector's translator (prometheus/otlptranslator): units, suffixes, labels.

/** What decides a metric's suffixes. */
export type NamingType = 'gauge' | 'monotonic_sum' | 'non_monotonic_sum' | 'histogram' | 'exponential_histogram' | 'summary';

export interface NamingOptions {
  /** Prefix of every metric name (`namespace`); '' for none. */
  readonly namespace: string;
  /** Unit and type suffixes (`_seconds`, `_total`, `_ratio`); `add_metric_suffixes`. */
  readonly addSuffixes: boolean;
}

/** UCUM units (the OTel semantic conventions' notation) as Prometheus base-unit words. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

/** The denominator of a rate unit (`By/s`), singular. */
const PER_UNIT_WORDS: Readonly<Record<string, string>> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

/** Characters a metric name may keep; every run of others (and of `_`) separates tokens. */
const NOT_NAME_CHAR = /[^a-zA-Z0-9:]+/;
/** Characters Prometheus refuses in a metric name (used when suffixes are off, which keeps `_` runs). */
const INVALID_NAME_CHARS = /[^a-zA-Z0-9:_]+/;

function tokens(s: string, separator: RegExp): string[] {
  return s.split(separator).filter((t) => t !== '');
}

/** An OTel unit cleaned for a name: invalid characters to `_`, runs of `_` collapsed, no leading `_`. */
function cleanUnit(unit: string): string {
  return unit.replace(/[^a-zA-Z0-9:]/g, '_').replace(/__+/g, '_').replace(/^_/, '');
}

/** The unit suffixes of a name: `By/s` → [`bytes`, `per_second`]; annotations in braces and `1` give none. */
function unitSuffixes(unit: string): { main: string; per: string } {
  const slash = unit.indexOf('/');
  const mainUnit = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const perUnit = slash < 0 ? '' : unit.slice(slash + 1).trim();
  let main = '';
  if (mainUnit !== '' && !/[{}]/.test(mainUnit)) main = UNIT_WORDS[mainUnit] ?? mainUnit;
  let per = '';
  if (perUnit !== '' && !/[{}]/.test(perUnit)) per = `per_${PER_UNIT_WORDS[perUnit] ?? perUnit}`;
  return { main: cleanUnit(main), per: cleanUnit(per) };
}

/** The Prometheus unit word of an OTel unit (`By/s` → `bytes_per_second`), '' when it has none. */
export function unitName(unit: string): string {
  const { main, per } = unitSuffixes(unit);
  const joined = main !== '' && per !== '' ? `${main}_${per}` : main || per;
  return joined.replace(/^_/, '').replace(/_$/, '');
}

/**
 * The Prometheus metric name of an OTel metric; '' when nothing valid is left (the metric
 * is then dropped). With suffixes: tokens of [a-zA-Z0-9:], the unit word unless a token
 * already is it, `_total` for monotonic sums, `_ratio` for gauges of unit `1`.
 */
export function metricName(name: string, unit: string, type: NamingType, options: NamingOptions): string {
  const namespace = tokens(options.namespace, options.addSuffixes ? NOT_NAME_CHAR : INVALID_NAME_CHARS).join('_');
  let result: string;
  if (options.addSuffixes) {
    let parts = tokens(name, NOT_NAME_CHAR);
    if (parts.length === 0) return '';
    let { main, per } = unitSuffixes(unit);
    if (parts.includes(main)) main = '';
    if (per === 'per_') per = '';
    else {
      per = per.replace(/_$/, '');
      if (parts.includes(per)) per = '';
    }
    if (per !== '') main = main.replace(/_$/, '');
    if (main !== '') parts.push(main);
    if (per !== '') parts.push(per);
    if (type === 'monotonic_sum') parts = [...parts.filter((t) => t !== 'total'), 'total'];
    if (unit === '1' && type === 'gauge') parts = [...parts.filter((t) => t !== 'ratio'), 'ratio'];
    if (namespace !== '') parts.unshift(namespace);
    result = parts.join('_');
  } else {
    const base = tokens(name, INVALID_NAME_CHARS).join('_');
    if (base === '') return '';
    result = namespace !== '' ? `${namespace}_${base}` : base;
  }
  if (/^[0-9]/.test(result)) result = `_${result}`;
  return /[a-zA-Z0-9:]/.test(result) ? result : '';
}

/**
 * An attribute key as a label name, per the spec: invalid characters become `_`, runs of
 * `_` collapse to one, a leading digit gets `key_`. '' when nothing but `_` is left.
 */
export function labelName(key: string): string {
  let name = key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/__+/g, '_');
  if (/^[0-9]/.test(name)) name = `key_${name}`;
  return /[a-zA-Z0-9]/.test(name) ? name : '';
}

/** Orders [key, value] pairs by key, as Prometheus sorts label names (code units, not locale). */
export function byKey(a: readonly [string, unknown], b: readonly [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * Attributes as labels: keys sanitized; keys that collide once sanitized get their values
 * joined with `;` in the lexicographic order of the original keys (the spec's rule). Empty
 * values are left out: Prometheus reads an empty label as an absent one.
 */
export function attributeLabels(pairs: Iterable<readonly [string, string]>): Map<string, string> {
  const sorted = [...pairs].sort(byKey);
  const out = new Map<string, string>();
  for (const [key, value] of sorted) {
    if (value === '') continue;
    const name = labelName(key);
    if (name === '') continue;
    const existing = out.get(name);
    out.set(name, existing === undefined ? value : `${existing};${value}`);
  }
  return out;
}

/** `target_info`, under the namespace as the Collector's exporters write it (`<namespace>_target_info`). */
export function targetInfoName(namespace: string): string {
  return metricName('target_info', '', 'gauge', { namespace, addSuffixes: false });
}
