// The Export*ServiceRequest codec of the hot path: resources and scopes are decoded, items (log
// records, spans, metrics) are validated and kept as wire bytes until read, and written back as is.
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';
import type { LazyItems } from './lazy.js';
import { installLazyItems } from './lazy.js';
import { createRequestEncoder } from './request-encoder.js';

type Msg = Record<string, unknown>;
/** protobufjs's generated decoder: (reader, length, end-group tag, depth, message to merge into). */
type Decode = (r: protobuf.Reader, length: number, endGroup: undefined, depth: number, into?: unknown) => Msg;

/** One signal's message types, top down: ResourceX → ScopeX → item, with Resource and InstrumentationScope. */
export interface SignalTypes {
  readonly resourceX: protobuf.Type;
  readonly scopeX: protobuf.Type;
  readonly item: protobuf.Type;
  readonly resource: protobuf.Type;
  readonly scope: protobuf.Type;
}

// Tags (field << 3 | wire type 2) of the fields every signal shares: ResourceX {resource = 1,
// scope_x = 2, schema_url = 3}, ScopeX {scope = 1, items = 2, schema_url = 3}, request {resource_x = 1}.
const TAG_1 = 10;
const TAG_2 = 18;
const TAG_3 = 26;

// ---- validation of items that are not decoded: the structure protobufjs would read, without objects

interface FieldRule {
  /** Wire type of the field as declared. */
  readonly wire: number;
  /** Rules of a message-typed field. */
  readonly message: Rules | null;
  /** A string protobufjs reads with UTF-8 verification. */
  readonly utf8: boolean;
  /** Element wire type of a packable repeated scalar, else -1. */
  readonly packedWire: number;
}
type Rules = (FieldRule | undefined)[];

const rulesCache = new Map<protobuf.Type, Rules>();

function rulesFor(type: protobuf.Type): Rules {
  const cached = rulesCache.get(type);
  if (cached) return cached;
  const rules: Rules = [];
  rulesCache.set(type, rules); // before the fields: AnyValue → ArrayValue → AnyValue recurses
  for (const f of type.fieldsArray) {
    f.resolve();
    // Maps and groups do not occur in OTLP; left without a rule they are skipped like unknown fields.
    if (f.map || f.delimited) continue;
    if (f.resolvedType instanceof protobuf.Type) {
      rules[f.id] = { wire: 2, message: rulesFor(f.resolvedType), utf8: false, packedWire: -1 };
      continue;
    }
    const t = f.resolvedType instanceof protobuf.Enum ? 'int32' : f.type;
    const wire = (protobuf.types.basic as Record<string, number | undefined>)[t] ?? 2;
    const packed = (protobuf.types.packed as Record<string, number | undefined>)[t];
    const features = (f as unknown as { _features?: { utf8_validation?: string } })._features;
    rules[f.id] = { wire, message: null, utf8: t === 'string' && features?.utf8_validation === 'VERIFY', packedWire: f.repeated && packed !== undefined ? packed : -1 };
  }
  return rules;
}

/** End of a length-delimited value whose length is next in `r`, checked against its parent's end. */
function lengthEnd(r: protobuf.Reader, end: number): number {
  // Most lengths in OTLP items fit one byte: read those here, the rest as protobufjs does.
  const b = r.buf[r.pos];
  let e: number;
  if (b !== undefined && b < 0x80) {
    r.pos++;
    e = r.pos + b;
  } else e = r.uint32() + r.pos;
  if (e > end) throw new RangeError('index out of range');
  return e;
}

/** A varint of at most 10 bytes (what protobufjs accepts for a known scalar). */
function skipVarint(r: protobuf.Reader, end: number): void {
  const buf = r.buf;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= end) throw new RangeError('index out of range');
    if ((buf[r.pos++] as number) < 0x80) return;
  }
  throw new Error('invalid varint encoding');
}

const INVALID_UTF8 = 'The encoded data was not valid for encoding utf-8';

/**
 * Throws on invalid UTF-8 in [start, end). ASCII is checked here, four bytes at a time; a
 * string with a high byte, or a long one, goes to node's isUtf8 (simdutf), whose call (and
 * subarray) costs more than this loop below ~128 bytes: calling it for every string of 16+
 * bytes walked the bench's log records at 0.95M/s, this at 1.45M/s.
 */
function checkUtf8(buf: Uint8Array, start: number, end: number): void {
  if (end - start < 128) {
    let i = start;
    let high = 0;
    for (; i + 3 < end; i += 4) high |= (buf[i] as number) | (buf[i + 1] as number) | (buf[i + 2] as number) | (buf[i + 3] as number);
    for (; i < end; i++) high |= buf[i] as number;
    if (high < 0x80) return;
  }
  if (!isUtf8(buf.subarray(start, end))) throw new TypeError(INVALID_UTF8);
}

function skipPacked(r: protobuf.Reader, end: number, elementWire: number): void {
  if (elementWire === 0) while (r.pos < end) skipVarint(r, end);
  else if ((end - r.pos) % (elementWire === 1 ? 8 : 4) !== 0) throw new RangeError('index out of range');
  r.pos = end;
}

/**
 * Walk one message as protobufjs decodes it, and throw where it would: lengths past their
 * parent, bad wire types and tags, invalid UTF-8 in verified strings, nesting past the
 * recursion limit. Fields with an unexpected wire type are skipped as unknown, as protobufjs does.
 */
let skippedUnknown = false;

function validateMessage(rules: Rules, r: protobuf.Reader, end: number, depth: number): void {
  if (depth > protobuf.Reader.recursionLimit) throw new Error('max depth exceeded');
  const buf = r.buf;
  while (r.pos < end) {
    // One-byte tags (fields 1 to 15) are read here, not by a call per tag: 1.45M → 1.8M log records/s.
    const b = buf[r.pos] as number;
    let tag: number;
    if (b >= 8 && b < 0x80) {
      tag = b;
      r.pos++;
    } else tag = r.tag();
    const wire = tag & 7;
    const id = tag >>> 3;
    const rule = rules[id];
    if (rule !== undefined && wire === rule.wire) {
      if (wire === 2) {
        const e = lengthEnd(r, end);
        if (rule.message !== null) validateMessage(rule.message, r, e, depth + 1);
        else {
          if (rule.utf8) checkUtf8(buf, r.pos, e);
          r.pos = e;
        }
      } else if (wire === 0) skipVarint(r, end);
      else {
        r.pos += wire === 1 ? 8 : 4;
        if (r.pos > end) throw new RangeError('index out of range');
      }
      continue;
    }
    if (rule !== undefined && wire === 2 && rule.packedWire >= 0) {
      skipPacked(r, lengthEnd(r, end), rule.packedWire);
      continue;
    }
    // Unknown, or known with another wire type: protobufjs skips it, and so drops it.
    r.skipType(wire, depth, id);
    skippedUnknown = true;
  }
  if (r.pos !== end) throw new RangeError('index out of range');
}

// ---- metric data points, counted on the wire

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++] as number;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
  }
}

/** Calls `each(tag, start, end)` for every length-delimited field of an already validated message. */
function eachLengthDelimited(buf: Uint8Array, start: number, end: number, each: (tag: number, s: number, e: number) => void): void {
  let pos = start;
  while (pos < end) {
    let tag: number;
    [tag, pos] = readVarint(buf, pos);
    switch (tag & 7) {
      case 0:
        while ((buf[pos++] as number) >= 0x80);
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        let len: number;
        [len, pos] = readVarint(buf, pos);
        each(tag, pos, pos + len);
        pos += len;
        break;
      }
      default:
        // Groups (skipped by the validator as unknown fields) hold no data points: stop here.
        return;
    }
  }
}

// Metric.data oneof: gauge = 5, sum = 7, histogram = 9, exponential_histogram = 10, summary = 11.
const METRIC_DATA_TAGS = new Set([42, 58, 74, 82, 90]);

/** Data points of one Metric: those of its data member (the last one on the wire wins, as in a oneof). */
function metricPoints(buf: Uint8Array, start: number, end: number): number {
  let points = 0;
  eachLengthDelimited(buf, start, end, (tag, s, e) => {
    if (!METRIC_DATA_TAGS.has(tag)) return;
    points = 0;
    eachLengthDelimited(buf, s, e, (t) => {
      if (t === TAG_1) points++;
    });
  });
  return points;
}

// ---- the codec

export interface RequestCodec {
  /**
   * The request's resources, read from `r` (a reader over `buf`); items validated and kept as
   * bytes (views into `buf`) until read. Throws where protobufjs would; `r.pos` tells where.
   */
  decode(r: protobuf.Reader, buf: Buffer): Msg[];
  /** `alloc` gives the output buffer of exactly `size` bytes (default: Buffer.allocUnsafe). */
  encode(resources: readonly Msg[], alloc?: (size: number) => Buffer): Uint8Array;
}

export function createRequestCodec(types: SignalTypes, scopesField: string, itemsField: string, countDataPoints: boolean): RequestCodec {
  const itemRules = rulesFor(types.item);
  // Called through the type each time: protobufjs swaps in the generated decoder on first use.
  const item = types.item as unknown as { decode: Decode };
  const decodeItem: Decode = (r, length, z, depth) => item.decode(r, length, z, depth);
  const resource = types.resource as unknown as { decode: Decode };
  const decodeResource: Decode = (r, length, z, depth, into) => resource.decode(r, length, z, depth, into);
  const scope = types.scope as unknown as { decode: Decode };
  const decodeScope: Decode = (r, length, z, depth, into) => scope.decode(r, length, z, depth, into);
  const ResourceX = types.resourceX.ctor as unknown as new () => Msg;
  const scopeXPrototype = types.scopeX.ctor.prototype as object;

  const decodeItems = (lazy: LazyItems): unknown[] => {
    const out: unknown[] = [];
    for (const chunk of lazy.chunks) {
      const r = protobuf.Reader.create(chunk);
      while (r.pos < chunk.length) {
        r.tag();
        out.push(decodeItem(r, r.uint32(), undefined, lazy.depth));
      }
    }
    return out;
  };

  const schemaUrl = (r: protobuf.Reader, end: number, m: Msg): void => {
    const e = lengthEnd(r, end);
    const start = r.pos;
    checkUtf8(r.buf, start, e);
    const v = (r.buf as Buffer).toString('utf8', start, e);
    r.pos = e;
    if (v.length) m.schemaUrl = v;
    else delete m.schemaUrl;
  };

  function decodeScopeX(r: protobuf.Reader, end: number, buf: Buffer): Msg {
    const m = Object.create(scopeXPrototype) as Msg;
    const chunks: Buffer[] = [];
    let count = 0;
    let runStart = -1;
    let runEnd = -1;
    skippedUnknown = false;
    while (r.pos < end) {
      const fieldStart = r.pos;
      const tag = r.tag();
      if (tag === TAG_2) {
        const e = lengthEnd(r, end);
        const itemStart = r.pos;
        validateMessage(itemRules, r, e, 3);
        count += countDataPoints ? metricPoints(buf, itemStart, e) : 1;
        // Consecutive items form one run, copied in one piece when re-encoded.
        if (runEnd === fieldStart) runEnd = e;
        else {
          if (runStart >= 0) chunks.push(buf.subarray(runStart, runEnd));
          runStart = fieldStart;
          runEnd = e;
        }
      } else if (tag === TAG_1) {
        const e = lengthEnd(r, end);
        m.scope = decodeScope(r, e - r.pos, undefined, 3, m.scope ?? undefined);
      } else if (tag === TAG_3) {
        schemaUrl(r, end, m);
      } else {
        r.skipType(tag & 7, 2, tag >>> 3);
      }
    }
    if (r.pos !== end) throw new RangeError('index out of range');
    if (runStart >= 0) chunks.push(buf.subarray(runStart, runEnd));
    installLazyItems(m, itemsField, { chunks, count, verbatim: !skippedUnknown, depth: 3, decode: decodeItems, items: undefined });
    return m;
  }

  function decodeResourceX(r: protobuf.Reader, end: number, buf: Buffer): Msg {
    const m = new ResourceX();
    const scopes = m[scopesField] as Msg[];
    while (r.pos < end) {
      const tag = r.tag();
      if (tag === TAG_2) scopes.push(decodeScopeX(r, lengthEnd(r, end), buf));
      else if (tag === TAG_1) {
        const e = lengthEnd(r, end);
        m.resource = decodeResource(r, e - r.pos, undefined, 2, m.resource ?? undefined);
      } else if (tag === TAG_3) schemaUrl(r, end, m);
      else r.skipType(tag & 7, 1, tag >>> 3);
    }
    if (r.pos !== end) throw new RangeError('index out of range');
    return m;
  }

  return {
    decode(r: protobuf.Reader, buf: Buffer): Msg[] {
      const out: Msg[] = [];
      const end = buf.length;
      while (r.pos < end) {
        const tag = r.tag();
        if (tag === TAG_1) out.push(decodeResourceX(r, lengthEnd(r, end), buf));
        else r.skipType(tag & 7, 0, tag >>> 3);
      }
      return out;
    },

    encode: createRequestEncoder(types, scopesField, itemsField),
  };
}
