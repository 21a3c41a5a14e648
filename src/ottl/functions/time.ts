// The Time converter's strptime formats (the Collector's ctimefmt directives): %Y %m %d %H %M
// %S %L %f %s %z %Z %b %B %a %A %p %I %y %j-free subset, parsed to nanoseconds since the epoch.
import { OttlRuntimeError } from '../errors.js';

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: bigint;
  offsetMinutes: number;
  pm?: boolean;
}

const DIRECTIVES: Readonly<Record<string, { re: string; set: (p: Parts, s: string) => void }>> = {
  Y: { re: '\\d{4}', set: (p, s) => (p.year = Number(s)) },
  y: { re: '\\d{2}', set: (p, s) => (p.year = 2000 + Number(s)) },
  m: { re: '\\d{1,2}', set: (p, s) => (p.month = Number(s)) },
  o: { re: ' ?\\d{1,2}', set: (p, s) => (p.month = Number(s.trim())) },
  q: { re: '\\d{1,2}', set: (p, s) => (p.month = Number(s)) },
  d: { re: '\\d{1,2}', set: (p, s) => (p.day = Number(s)) },
  e: { re: ' ?\\d{1,2}', set: (p, s) => (p.day = Number(s.trim())) },
  g: { re: '\\d{1,2}', set: (p, s) => (p.day = Number(s)) },
  H: { re: '\\d{1,2}', set: (p, s) => (p.hour = Number(s)) },
  I: { re: '\\d{1,2}', set: (p, s) => (p.hour = Number(s)) },
  l: { re: '\\d{1,2}', set: (p, s) => (p.hour = Number(s)) },
  M: { re: '\\d{2}', set: (p, s) => (p.minute = Number(s)) },
  S: { re: '\\d{2}', set: (p, s) => (p.second = Number(s)) },
  L: { re: '\\d{3}', set: (p, s) => (p.nanos = BigInt(s) * 1_000_000n) },
  f: { re: '\\d{1,9}', set: (p, s) => (p.nanos = BigInt(s.padEnd(9, '0'))) },
  s: { re: '\\d{9}', set: (p, s) => (p.nanos = BigInt(s)) },
  b: { re: '[A-Za-z]{3}', set: (p, s) => (p.month = monthOf(s)) },
  h: { re: '[A-Za-z]{3}', set: (p, s) => (p.month = monthOf(s)) },
  B: { re: '[A-Za-z]+', set: (p, s) => (p.month = monthOf(s)) },
  a: { re: '[A-Za-z]{3}', set: () => undefined },
  A: { re: '[A-Za-z]+', set: () => undefined },
  p: { re: '[AaPp][Mm]', set: (p, s) => (p.pm = s.toLowerCase() === 'pm') },
  P: { re: '[AaPp][Mm]', set: (p, s) => (p.pm = s.toLowerCase() === 'pm') },
  z: { re: 'Z|[+-]\\d{2}:?\\d{2}', set: (p, s) => (p.offsetMinutes = offsetOf(s)) },
  j: { re: '[+-]\\d{2}:\\d{2}', set: (p, s) => (p.offsetMinutes = offsetOf(s)) },
  i: { re: '[+-]\\d{2}', set: (p, s) => (p.offsetMinutes = offsetOf(s + '00')) },
  Z: { re: '[A-Z]{1,5}|[+-]\\d{2}:?\\d{2}', set: (p, s) => (p.offsetMinutes = /^[+-]/.test(s) ? offsetOf(s) : 0) },
  F: { re: '\\d{4}-\\d{2}-\\d{2}', set: (p, s) => ([p.year, p.month, p.day] = s.split('-').map(Number) as [number, number, number]) },
  T: { re: '\\d{2}:\\d{2}:\\d{2}', set: (p, s) => ([p.hour, p.minute, p.second] = s.split(':').map(Number) as [number, number, number]) },
  D: { re: '\\d{2}/\\d{2}/\\d{2}', set: (p, s) => { const [m, d, y] = s.split('/').map(Number) as [number, number, number]; p.month = m; p.day = d; p.year = 2000 + y; } },
  '%': { re: '%', set: () => undefined },
};

function monthOf(s: string): number {
  const i = MONTHS.findIndex((m) => m.startsWith(s.toLowerCase()));
  if (i < 0) throw new OttlRuntimeError(`unknown month ${JSON.stringify(s)}`);
  return i + 1;
}
function offsetOf(s: string): number {
  if (s === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}
void DAYS;

const compiled = new Map<string, { re: RegExp; sets: ((p: Parts, s: string) => void)[] }>();

/** Whether every % directive in `format` is known (checked at load). */
export function strptimeProblem(format: string): string | undefined {
  for (const m of format.matchAll(/%(.)/g)) if (DIRECTIVES[m[1] as string] === undefined) return `unsupported directive %${m[1]}`;
  return undefined;
}

export function parseStrptime(value: string, format: string): bigint {
  let c = compiled.get(format);
  if (c === undefined) {
    let src = '';
    const sets: ((p: Parts, s: string) => void)[] = [];
    for (let i = 0; i < format.length; i++) {
      const ch = format[i] as string;
      if (ch === '%' && i + 1 < format.length) {
        const d = DIRECTIVES[format[++i] as string];
        if (d === undefined) throw new OttlRuntimeError(`unsupported directive %${format[i]}`);
        src += `(${d.re})`;
        sets.push(d.set);
      } else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    c = { re: new RegExp(`^${src}$`), sets };
    compiled.set(format, c);
  }
  const m = c.re.exec(value);
  if (!m) throw new OttlRuntimeError(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(format)}: does not match`);
  const p: Parts = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanos: 0n, offsetMinutes: 0 };
  c.sets.forEach((set, i) => set(p, m[i + 1] as string));
  if (p.pm !== undefined) p.hour = (p.hour % 12) + (p.pm ? 12 : 0);
  const ms = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - p.offsetMinutes * 60_000;
  return BigInt(ms) * 1_000_000n + p.nanos;
}
