// The Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, read line by line
// into samples grouped by family. The one npm parser (parse-prometheus-text-format, 2018)
// knows neither OpenMetrics (UNIT, _created, exemplars, # EOF) nor timestamps in seconds.

/** Family types of both formats; `untyped` (0.0.4) is read as `unknown`. */
export type ParsedType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

export interface ParsedExemplar {
  readonly labels: ReadonlyArray<readonly [string, string]>;
  readonly value: number;
  readonly timestampMs?: number;
}

export interface ParsedSample {
  /** The sample's own name (`http_requests_total`, `latency_bucket`). */
  readonly name: string;
  readonly family: ParsedFamily;
  /** Labels in the order written, without `__name__`. */
  readonly labels: Array<[string, string]>;
  /** The series as written (`name{labels}`): a cheap identity of the series within one target. */
  readonly series: string;
  readonly value: number;
  /** Milliseconds since the epoch, when the line carries a timestamp. */
  readonly timestampMs?: number;
  readonly exemplar?: ParsedExemplar;
}

export interface ParsedFamily {
  readonly name: string;
  type: ParsedType;
  help: string;
  unit: string;
}

export interface ParseResult {
  readonly openMetrics: boolean;
  readonly families: ReadonlyMap<string, ParsedFamily>;
  readonly samples: ParsedSample[];
}

export class ExpositionParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ExpositionParseError';
  }
}

const TYPES: Readonly<Record<string, ParsedType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram',
  summary: 'summary',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
  untyped: 'unknown',
};

/** Sample-name suffixes each family type owns (the name itself is allowed for all but counters in OpenMetrics). */
const SUFFIXES: Readonly<Record<ParsedType, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
  stateset: [],
  unknown: [],
};

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** [a-zA-Z_] by char code: the label scanner runs per character of every line. */
function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57);
}

/** Does the Content-Type say OpenMetrics? */
export function isOpenMetrics(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.toLowerCase().startsWith('application/openmetrics-text');
}

/** A float as Go's strconv.ParseFloat reads exposition values (Inf, +Inf, NaN in any case). */
export function parseFloatValue(s: string): number | undefined {
  if (s === '') return undefined;
  const lower = s.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?0[xX]/.test(s)) return undefined;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

class LineReader {
  pos = 0;
  constructor(
    readonly text: string,
    readonly lineNo: number,
  ) {}

  fail(message: string): never {
    throw new ExpositionParseError(this.lineNo, message);
  }

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  skipSpaces(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  /** A token up to the next space, `{`, or the end. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '{') break;
      this.pos++;
    }
    return this.text.slice(start, this.pos);
  }

  labelName(): string {
    const start = this.pos;
    if (!isLabelStart(this.text.charCodeAt(this.pos))) this.fail(`invalid label name at "${this.text.slice(this.pos, this.pos + 20)}"`);
    this.pos++;
    while (isLabelChar(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A double-quoted label value with `\\`, `\"` and `\n` escapes. */
  quoted(): string {
    if (this.peek() !== '"') this.fail('label value must be in double quotes');
    this.pos++;
    const start = this.pos;
    // Fast path: no escapes.
    const close = this.text.indexOf('"', start);
    const backslash = this.text.indexOf('\\', start);
    if (close >= 0 && (backslash < 0 || backslash > close)) {
      this.pos = close + 1;
      return this.text.slice(start, close);
    }
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unterminated label value');
      this.pos++;
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.text[this.pos++];
        if (e === 'n') out += '\n';
        else if (e === '\\' || e === '"') out += e;
        else out += '\\' + (e ?? '');
      } else out += c;
    }
  }

  /** `{name="value",...}` (the opening brace is next). */
  labels(): Array<[string, string]> {
    this.pos++; // {
    const out: Array<[string, string]> = [];
    for (;;) {
      this.skipSpaces();
      if (this.peek() === '}') {
        this.pos++;
        return out;
      }
      const name = this.labelName();
      this.skipSpaces();
      if (this.peek() !== '=') this.fail(`expected "=" after label name ${name}`);
      this.pos++;
      this.skipSpaces();
      const value = this.quoted();
      if (out.some(([n]) => n === name)) this.fail(`duplicate label ${name}`);
      out.push([name, value]);
      this.skipSpaces();
      const c = this.peek();
      if (c === ',') this.pos++;
      else if (c !== '}') this.fail(`expected "," or "}" after label ${name}`);
    }
  }
}

function parseTimestamp(r: LineReader, token: string, openMetrics: boolean): number {
  if (openMetrics) {
    const seconds = parseFloatValue(token);
    if (seconds === undefined || !Number.isFinite(seconds)) r.fail(`invalid timestamp "${token}"`);
    return seconds * 1000;
  }
  if (!/^-?\d+$/.test(token)) r.fail(`invalid timestamp "${token}" (milliseconds as an integer)`);
  return Number(token);
}

/**
 * Parse a whole exposition. Throws ExpositionParseError on the first malformed line (as
 * Prometheus fails the scrape). Samples keep their order; each points at its family.
 */
export function parseExposition(text: string, openMetrics: boolean): ParseResult {
  const families = new Map<string, ParsedFamily>();
  const samples: ParsedSample[] = [];
  let sawEof = false;
  let lineNo = 0;
  let start = 0;
  const family = (name: string): ParsedFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'unknown', help: '', unit: '' };
      families.set(name, f);
    }
    return f;
  };
  /** The family a sample belongs to: its own name, or a typed family whose suffix it carries. */
  const familyOf = (name: string): ParsedFamily => {
    const own = families.get(name);
    if (own && (own.type !== 'counter' || !openMetrics)) return own;
    const underscore = name.lastIndexOf('_');
    if (underscore > 0) {
      const base = families.get(name.slice(0, underscore));
      if (base && SUFFIXES[base.type].includes(name.slice(underscore))) return base;
    }
    return own ?? family(name);
  };

  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    lineNo++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (sawEof) {
      if (line.trim() === '') continue;
      throw new ExpositionParseError(lineNo, 'data after # EOF');
    }
    if (line.trim() === '') continue;
    const r: LineReader = new LineReader(line, lineNo);
    if (line[0] === '#') {
      if (line === '# EOF') {
        sawEof = true;
        continue;
      }
      const m = /^#\s+(HELP|TYPE|UNIT)\s+([^\s]+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // a comment
      const [, keyword, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) r.fail(`invalid metric name "${name}"`);
      const f = family(name);
      if (keyword === 'HELP') {
        f.help = rest.replace(/\\(\\|n|")/g, (_, e: string) => (e === 'n' ? '\n' : e));
      } else if (keyword === 'TYPE') {
        const t = TYPES[rest.trim().toLowerCase()];
        if (t === undefined) r.fail(`unknown metric type "${rest.trim()}"`);
        f.type = t;
      } else {
        f.unit = rest.trim();
      }
      continue;
    }
    const name = r.token();
    if (!METRIC_NAME.test(name)) r.fail(`invalid metric name "${name}"`);
    const labels = r.peek() === '{' ? r.labels() : [];
    const series = line.slice(0, r.pos);
    r.skipSpaces();
    const valueToken = r.token();
    const value = parseFloatValue(valueToken);
    if (value === undefined) r.fail(`invalid value "${valueToken}" for ${name}`);
    r.skipSpaces();
    let timestampMs: number | undefined;
    let exemplar: ParsedExemplar | undefined;
    if (!r.done && r.peek() !== '#') {
      timestampMs = parseTimestamp(r, r.token(), openMetrics);
      r.skipSpaces();
    }
    if (!r.done) {
      if (!openMetrics || r.peek() !== '#') r.fail(`unexpected "${line.slice(r.pos, r.pos + 20)}" after the value`);
      r.pos++;
      r.skipSpaces();
      if (r.peek() !== '{') r.fail('exemplar labels expected after " # "');
      const exLabels = r.labels();
      r.skipSpaces();
      const exToken = r.token();
      const exValue = parseFloatValue(exToken);
      if (exValue === undefined) r.fail(`invalid exemplar value "${exToken}"`);
      r.skipSpaces();
      const exTs = r.done ? undefined : parseTimestamp(r, r.token(), true);
      r.skipSpaces();
      if (!r.done) r.fail('unexpected text after the exemplar');
      exemplar = exTs === undefined ? { labels: exLabels, value: exValue } : { labels: exLabels, value: exValue, timestampMs: exTs };
    }
    const f = familyOf(name);
    const sample: { -readonly [K in keyof ParsedSample]: ParsedSample[K] } = { name, family: f, labels, series, value };
    if (timestampMs !== undefined) sample.timestampMs = timestampMs;
    if (exemplar) sample.exemplar = exemplar;
    samples.push(sample);
  }
  if (openMetrics && !sawEof) throw new ExpositionParseError(lineNo, 'OpenMetrics exposition without "# EOF"');
  return { openMetrics, families, samples };
}
