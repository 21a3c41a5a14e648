// Zipkin's v2 span model, as the JSON, Protobuf and v1 decoders all produce it before the
// translation to OTLP (what zipkin-go's model.SpanModel is to the Collector's translator).
import { isIPv4, isIPv6 } from 'node:net';
import { SpanDecodeError } from '../span_http.js';

export type ZipkinKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinAnnotation {
  /** Epoch microseconds. */
  timestamp: number;
  value: string;
}

export interface ZipkinSpan {
  /** 16 bytes: a 64-bit trace id is left-padded with zeros, as zipkin-go's TraceID{High: 0}. */
  traceId: Uint8Array;
  id: Uint8Array;
  parentId?: Uint8Array;
  name: string;
  kind?: string;
  /** Epoch microseconds; absent (or 0) when the span's start is unknown. */
  timestamp?: number;
  /** Microseconds. */
  duration?: number;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations: ZipkinAnnotation[];
  /** In the sender's order (Go's map order is random; ours is the order received). */
  tags: Map<string, string>;
}

const HEX = /^[0-9a-fA-F]+$/;

/** A hex id of at most `bytes`*2 digits, big endian, left-padded into `bytes` bytes (zipkin-go's ParseUint rules). */
export function hexId(value: string, bytes: number, what: string): Uint8Array {
  if (value.length > bytes * 2 || (value !== '' && !HEX.test(value))) {
    throw new SpanDecodeError(`invalid ${what} "${value}": expected up to ${bytes * 2} hex digits`);
  }
  const out = new Uint8Array(bytes);
  const padded = value.padStart(bytes * 2, '0');
  for (let i = 0; i < bytes; i++) out[i] = parseInt(padded.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Bytes of a proto id (8 or 16), left-padded into `bytes`. */
export function padId(raw: Uint8Array, bytes: number): Uint8Array {
  if (raw.length === bytes) return raw;
  const out = new Uint8Array(bytes);
  out.set(raw, bytes - raw.length);
  return out;
}

export function isZeroId(id: Uint8Array): boolean {
  for (const b of id) if (b !== 0) return false;
  return true;
}

export function sameId(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An IP address as Go's net.IP.String() prints it (IPv6 compressed, lower case); throws when it is none. */
export function canonicalIp(value: string, what: string): string {
  if (isIPv4(value)) return value;
  if (isIPv6(value)) {
    const host = new URL(`http://[${value}]/`).hostname;
    const v6 = host.slice(1, -1);
    // Go prints an IPv4-mapped address as IPv4.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
    if (mapped) {
      const hi = parseInt(mapped[1] as string, 16);
      const lo = parseInt(mapped[2] as string, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
    return v6;
  }
  throw new SpanDecodeError(`invalid ${what} "${value}": not an IP address`);
}

/** An IP address from its 4 or 16 raw bytes (the Protobuf encoding). */
export function ipFromBytes(raw: Uint8Array, what: string): string | undefined {
  if (raw.length === 0) return undefined;
  if (raw.length === 4) return Array.from(raw).join('.');
  if (raw.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((raw[i] as number) * 256 + (raw[i + 1] as number)).toString(16));
    return canonicalIp(groups.join(':'), what);
  }
  throw new SpanDecodeError(`invalid ${what}: ${raw.length} bytes, expected 4 or 16`);
}
