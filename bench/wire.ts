// What the sink reads from an OTLP Export*ServiceRequest without decoding it: the items
// in each scope and the send stamp the load generator put on that scope.
import type { Signal } from '../src/pdata/types.js';

/** The scope attribute carrying the load generator's send time (monotonic ms, a double). */
export const STAMP_KEY = 'bench.sent_at_ms';

/** One ScopeLogs/ScopeSpans/ScopeMetrics: its items and its stamp (NaN when unstamped). */
export interface ScopeTally {
  readonly items: number;
  readonly stampMs: number;
}

const STAMP_KEY_BYTES = Buffer.from(STAMP_KEY, 'utf8');

// Protobuf wire types.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** A cursor over protobuf bytes, reading only what the sink needs and skipping the rest. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++] as number;
      // Multiplication, not <<: lengths and tags fit a double but not always 32 bits.
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new RangeError('varint too long');
    }
  }

  /** Skip the value of a field whose wire type is `wire`. */
  skip(wire: number): void {
    switch (wire) {
      case VARINT:
        this.varint();
        break;
      case FIXED64:
        this.pos += 8;
        break;
      case LEN:
        this.pos += this.varint();
        break;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw new RangeError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new RangeError('field runs past its message');
  }

  /** Calls `onField(field, start, end)` for each length-delimited field; skips all others. */
  eachLen(onField: (field: number, start: number, end: number) => void): void {
    while (this.pos < this.end) {
      const tag = this.varint();
      const wire = tag & 7;
      if (wire !== LEN) {
        this.skip(wire);
        continue;
      }
      const len = this.varint();
      const start = this.pos;
      this.pos += len;
      if (this.pos > this.end) throw new RangeError('field runs past its message');
      onField(Math.floor(tag / 8), start, this.pos);
    }
  }
}

/** Occurrences of length-delimited `field` in the message [start, end). */
function countField(buf: Buffer, start: number, end: number, field: number): number {
  let n = 0;
  new Reader(buf, start, end).eachLen((f) => {
    if (f === field) n++;
  });
  return n;
}

// Metric: gauge = 5, sum = 7, histogram = 9, exponential_histogram = 10, summary = 11; each holds data_points = 1.
const METRIC_DATA_FIELDS = new Set([5, 7, 9, 10, 11]);

function metricPoints(buf: Buffer, start: number, end: number): number {
  let n = 0;
  new Reader(buf, start, end).eachLen((f, s, e) => {
    if (METRIC_DATA_FIELDS.has(f)) n += countField(buf, s, e, 1);
  });
  return n;
}

/** One ScopeLogs / ScopeSpans / ScopeMetrics: scope = 1, items = 2 in all three. */
function tallyScope(signal: Signal, buf: Buffer, start: number, end: number): ScopeTally {
  let items = 0;
  let stampMs = NaN;
  new Reader(buf, start, end).eachLen((f, s, e) => {
    if (f === 1) stampMs = scopeStamp(buf, s, e);
    else if (f === 2) items += signal === 'metrics' ? metricPoints(buf, s, e) : 1;
  });
  return { items, stampMs };
}

/** The stamp in InstrumentationScope.attributes (field 3: KeyValue{key = 1, value = 2: AnyValue{double_value = 4}}). */
function scopeStamp(buf: Buffer, start: number, end: number): number {
  let stamp = NaN;
  new Reader(buf, start, end).eachLen((f, s, e) => {
    if (f !== 3 || !Number.isNaN(stamp)) return;
    let isStamp = false;
    new Reader(buf, s, e).eachLen((kf, ks, ke) => {
      if (kf === 1) isStamp = ke - ks === STAMP_KEY_BYTES.length && buf.compare(STAMP_KEY_BYTES, 0, STAMP_KEY_BYTES.length, ks, ke) === 0;
      else if (kf === 2 && isStamp) {
        // AnyValue.double_value: tag (4 << 3 | FIXED64) = 0x21, then 8 bytes little-endian.
        if (ke - ks === 9 && buf[ks] === 0x21) stamp = buf.readDoubleLE(ks + 1);
      }
    });
  });
  return stamp;
}

/**
 * The scopes of an Export*ServiceRequest (request: resource_x = 1; ResourceX: scope_x = 2, in
 * every signal), each with its item count and stamp. Throws RangeError on malformed bytes.
 */
export function tallyRequest(signal: Signal, buf: Buffer): ScopeTally[] {
  const out: ScopeTally[] = [];
  new Reader(buf, 0, buf.length).eachLen((f, s, e) => {
    if (f !== 1) return;
    new Reader(buf, s, e).eachLen((rf, rs, re) => {
      if (rf === 2) out.push(tallyScope(signal, buf, rs, re));
    });
  });
  return out;
}

/** Monotonic milliseconds (CLOCK_MONOTONIC, shared by every process on the machine). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
