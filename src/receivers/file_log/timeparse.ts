// Timestamp parsing as stanza's time parser does it: `strptime` directives, Go reference
// layouts (`gotime`), and `epoch` numbers (s, ms, us, ns, s.ms, s.us, s.ns); times without an
// offset are read in `location` (an IANA zone) or, unset, the local zone.

export type LayoutType = 'strptime' | 'gotime' | 'epoch';

interface Parts {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  nanos?: number;
  pm?: boolean;
  offsetMinutes?: number;
}

type Assign = (p: Parts, text: string) => void;

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const monthIndex = (s: string): number => MONTHS.findIndex((m) => m.startsWith(s.toLowerCase().slice(0, 3))) + 1;
const MONTH_SHORT = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const MONTH_LONG = '(?:January|February|March|April|May|June|July|August|September|October|November|December)';
const DAY_SHORT = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const DAY_LONG = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';

const num = (key: keyof Parts): Assign => (p, t) => void (p[key] = Number(t.trim()) as never);
const fraction: Assign = (p, t) => void (p.nanos = Number(t.padEnd(9, '0').slice(0, 9)));
const offset: Assign = (p, t) => {
  if (t === 'Z' || t === 'z') {
    p.offsetMinutes = 0;
    return;
  }
  const m = /^([+-])(\d\d):?(\d\d)?(?::?(\d\d))?$/.exec(t);
  if (!m) return;
  const sign = m[1] === '-' ? -1 : 1;
  p.offsetMinutes = sign * (Number(m[2]) * 60 + Number(m[3] ?? 0));
};
const zoneName: Assign = (p, t) => {
  if (/^(UTC|GMT|Z)$/i.test(t)) p.offsetMinutes = 0;
};
const ampm: Assign = (p, t) => void (p.pm = t.toUpperCase() === 'PM');
const monthName: Assign = (p, t) => void (p.month = monthIndex(t));
const skip: Assign = () => undefined;
const year2: Assign = (p, t) => {
  const y = Number(t);
  p.year = y < 69 ? 2000 + y : 1900 + y;
};

interface Compiled {
  readonly regex: RegExp;
  readonly assigns: Assign[];
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const STRPTIME: Record<string, [string, Assign] | string> = {
  Y: ['(\\d{4})', num('year')],
  y: ['(\\d{2})', year2],
  m: ['(\\d{1,2})', num('month')],
  q: ['(\\d{1,2})', num('month')],
  b: [`(${MONTH_SHORT})`, monthName],
  h: [`(${MONTH_SHORT})`, monthName],
  B: [`(${MONTH_LONG})`, monthName],
  d: ['(\\d{1,2})', num('day')],
  e: ['( ?\\d{1,2})', num('day')],
  a: [`(${DAY_SHORT})`, skip],
  A: [`(${DAY_LONG})`, skip],
  H: ['(\\d{1,2})', num('hour')],
  I: ['(\\d{1,2})', num('hour')],
  l: ['( ?\\d{1,2})', num('hour')],
  p: ['(AM|PM|am|pm)', ampm],
  M: ['(\\d{2})', num('minute')],
  S: ['(\\d{2})', num('second')],
  L: ['(\\d{3})', fraction],
  f: ['(\\d{1,9})', fraction],
  s: ['(\\d{9})', fraction],
  z: ['(Z|[+-]\\d\\d:?\\d\\d)', offset],
  j: ['(Z|[+-]\\d\\d:\\d\\d)', offset],
  i: ['([+-]\\d\\d)', offset],
  Z: ['([A-Za-z]{1,5}|[+-]\\d\\d:?\\d\\d)?', (p, t) => (t.startsWith('+') || t.startsWith('-') ? offset(p, t) : zoneName(p, t))],
  D: '%m/%d/%y',
  F: '%Y-%m-%d',
  T: '%H:%M:%S',
  R: '%H:%M',
  c: '%a %b %e %H:%M:%S %Y',
};

function compileStrptime(layout: string): Compiled {
  let re = '';
  const assigns: Assign[] = [];
  const walk = (l: string): void => {
    for (let i = 0; i < l.length; i++) {
      const c = l[i] as string;
      if (c !== '%') {
        re += escapeRe(c);
        continue;
      }
      const d = l[++i];
      if (d === '%') {
        re += '%';
        continue;
      }
      const spec = d === undefined ? undefined : STRPTIME[d];
      if (spec === undefined) throw new Error(`strptime layout "${layout}": unsupported directive %${d ?? ''}`);
      if (typeof spec === 'string') walk(spec);
      else {
        re += spec[0];
        assigns.push(spec[1]);
      }
    }
  };
  walk(layout);
  return { regex: new RegExp(`^${re}$`), assigns };
}

/** Go's reference layout chunks, longest first where they share a start (as time.Parse reads them). */
const GO_CHUNKS: [string, string, Assign][] = [
  ['January', `(${MONTH_LONG})`, monthName],
  ['Jan', `(${MONTH_SHORT})`, monthName],
  ['Monday', `(${DAY_LONG})`, skip],
  ['Mon', `(${DAY_SHORT})`, skip],
  ['MST', '([A-Z]{2,5}|[+-]\\d{2,4})', (p, t) => (t.startsWith('+') || t.startsWith('-') ? offset(p, t) : zoneName(p, t))],
  ['2006', '(\\d{4})', num('year')],
  ['Z07:00:00', '(Z|[+-]\\d\\d:\\d\\d:\\d\\d)', offset],
  ['-07:00:00', '([+-]\\d\\d:\\d\\d:\\d\\d)', offset],
  ['Z070000', '(Z|[+-]\\d{6})', offset],
  ['-070000', '([+-]\\d{6})', offset],
  ['Z07:00', '(Z|[+-]\\d\\d:\\d\\d)', offset],
  ['-07:00', '([+-]\\d\\d:\\d\\d)', offset],
  ['Z0700', '(Z|[+-]\\d{4})', offset],
  ['-0700', '([+-]\\d{4})', offset],
  ['Z07', '(Z|[+-]\\d\\d)', offset],
  ['-07', '([+-]\\d\\d)', offset],
  ['002', '(\\d{3})', skip],
  ['01', '(\\d{2})', num('month')],
  ['02', '(\\d{2})', num('day')],
  ['03', '(\\d{2})', num('hour')],
  ['04', '(\\d{2})', num('minute')],
  // Go accepts a fractional second after the seconds even when the layout has none.
  ['05', '(\\d{2})(?:[.,](\\d{1,9}))?', num('second')],
  ['06', '(\\d{2})', year2],
  ['15', '(\\d{1,2})', num('hour')],
  ['_2', '( ?\\d{1,2})', num('day')],
  ['1', '(\\d{1,2})', num('month')],
  ['2', '(\\d{1,2})', num('day')],
  ['3', '(\\d{1,2})', num('hour')],
  ['4', '(\\d{1,2})', num('minute')],
  ['5', '(\\d{1,2})(?:[.,](\\d{1,9}))?', num('second')],
  ['PM', '(AM|PM)', ampm],
  ['pm', '(am|pm)', ampm],
];

function compileGo(layout: string): Compiled {
  let re = '';
  const assigns: Assign[] = [];
  let i = 0;
  outer: while (i < layout.length) {
    const rest = layout.slice(i);
    const frac = /^[.,](0+|9+)(?!\d)/.exec(rest);
    if (frac) {
      const n = (frac[1] as string).length;
      re += (frac[1] as string)[0] === '0' ? `[.,](\\d{${n}})` : `(?:[.,](\\d{1,${n}}))?`;
      assigns.push((p, t) => (t === '' ? undefined : fraction(p, t)));
      i += frac[0].length;
      continue;
    }
    for (const [chunk, pattern, assign] of GO_CHUNKS) {
      if (!rest.startsWith(chunk)) continue;
      re += pattern;
      assigns.push(assign);
      // Seconds carry an optional fraction group of their own.
      if (chunk === '05' || chunk === '5') assigns.push((p, t) => (t === '' ? undefined : fraction(p, t)));
      i += chunk.length;
      continue outer;
    }
    re += escapeRe(layout[i] as string);
    i++;
  }
  return { regex: new RegExp(`^${re}$`), assigns };
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at `ms`, in minutes. */
function zoneOffsetMinutes(ms: number, zone: string): number {
  let f = zoneFormats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zoneFormats.set(zone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/** Check an IANA zone name; throws with the name when it is unknown. */
export function checkZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new Error(`unknown location "${zone}": use an IANA time zone such as UTC or Europe/Berlin`);
  }
}

function toNanos(p: Parts, location: string | undefined): bigint {
  let hour = p.hour ?? 0;
  if (p.pm !== undefined) {
    if (p.pm && hour < 12) hour += 12;
    if (!p.pm && hour === 12) hour = 0;
  }
  // A layout without a year (syslog's "Jan _2 15:04:05") means this year, as stanza does.
  const year = p.year ?? new Date().getUTCFullYear();
  const fields = [year, (p.month ?? 1) - 1, p.day ?? 1, hour, p.minute ?? 0, p.second ?? 0] as const;
  let ms: number;
  if (p.offsetMinutes !== undefined) ms = Date.UTC(...fields) - p.offsetMinutes * 60000;
  else if (location !== undefined) {
    const guess = Date.UTC(...fields);
    ms = guess - zoneOffsetMinutes(guess, location) * 60000;
    ms = guess - zoneOffsetMinutes(ms, location) * 60000;
  } else ms = new Date(...fields).getTime();
  if (Number.isNaN(ms)) throw new Error('not a valid date');
  return BigInt(ms) * 1_000_000n + BigInt(p.nanos ?? 0);
}

const EPOCH_UNITS: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

function parseEpoch(layout: string, value: unknown): bigint {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? value.toFixed(0) : String(value)) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`"${String(value)}" is not an epoch time`);
  const [whole = '0', frac = ''] = text.split('.');
  const unit = EPOCH_UNITS[layout.split('.')[0] as string] ?? EPOCH_UNITS.s as bigint;
  const nanos = BigInt(whole) * unit;
  if (frac === '') return nanos;
  // The fraction is of the whole's unit (s.ms: 1136214245.123 → 123 ms).
  const digits = unit.toString().length - 1;
  return nanos + BigInt(frac.padEnd(digits, '0').slice(0, digits) || '0') * (digits === 0 ? 0n : 1n);
}

export interface TimeParser {
  /** Nanoseconds since the epoch; throws when the value does not fit the layout. */
  parse(value: unknown): bigint;
}

/** Compile a layout once; the error names the layout. */
export function compileTimeParser(layoutType: LayoutType, layout: string, location?: string): TimeParser {
  if (location !== undefined) checkZone(location);
  if (layoutType === 'epoch') {
    if (!['s', 'ms', 'us', 'ns', 's.ms', 's.us', 's.ns'].includes(layout)) throw new Error(`epoch layout "${layout}": use s, ms, us, ns, s.ms, s.us or s.ns`);
    return { parse: (v) => parseEpoch(layout, v) };
  }
  const compiled = layoutType === 'gotime' ? compileGo(layout) : compileStrptime(layout);
  return {
    parse(value) {
      if (typeof value !== 'string') throw new Error(`a ${layoutType} time must be a string, got ${typeof value}`);
      const m = compiled.regex.exec(value.trim());
      if (!m) throw new Error(`"${value}" does not match the layout "${layout}"`);
      const parts: Parts = {};
      compiled.assigns.forEach((assign, i) => {
        const g = m[i + 1];
        if (g !== undefined) assign(parts, g);
      });
      return toNanos(parts, location);
    },
  };
}
