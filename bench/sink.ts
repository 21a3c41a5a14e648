// The sink: an OTLP/HTTP endpoint (child process) that counts what Ferry delivers, measures
// each scope's send → arrival latency from its stamp, and discards the data.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Signal } from '../src/pdata/types.js';
import { monotonicMs, tallyRequest } from './wire.js';

/** Parent → sink. */
export type SinkCommand = { readonly type: 'mark' } | { readonly type: 'stats'; readonly id: number };

/** Sink → parent. */
export type SinkMessage = { readonly type: 'ready'; readonly port: number } | ({ readonly type: 'stats'; readonly id: number } & SinkStats);

export interface SinkStats {
  /** Items delivered since the sink started. */
  readonly items: number;
  readonly requests: number;
  /** Bytes on the wire (compressed when Ferry compressed). */
  readonly bytes: number;
  /** Requests the sink could not read (must stay 0). */
  readonly bad: number;
  /** Since the last mark: each scope's latency in ms and its item count. */
  readonly latencyMs: number[];
  readonly latencyItems: number[];
}

const PATHS: Readonly<Record<string, Signal>> = { '/v1/logs': 'logs', '/v1/traces': 'traces', '/v1/metrics': 'metrics' };

export function startSink(port: number, onReady: (port: number) => void): { stats(): SinkStats; mark(): void; close(): void } {
  let items = 0;
  let requests = 0;
  let bytes = 0;
  let bad = 0;
  let latencyMs: number[] = [];
  let latencyItems: number[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrived = monotonicMs();
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const signal = PATHS[req.url ?? ''];
      try {
        if (signal === undefined) throw new Error(`unexpected path ${req.url}`);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        for (const r of tallyRequest(signal, body)) {
          items += r.items;
          if (!Number.isNaN(r.stampMs)) {
            latencyMs.push(arrived - r.stampMs);
            latencyItems.push(r.items);
          }
        }
        requests++;
        bytes += raw.length;
        // An empty Export*ServiceResponse: full success.
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
        res.end();
      } catch (err) {
        bad++;
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String(err));
      }
    });
  });
  server.keepAliveTimeout = 120_000;
  server.listen(port, '127.0.0.1', () => onReady((server.address() as AddressInfo).port));
  return {
    stats: () => ({ items, requests, bytes, bad, latencyMs, latencyItems }),
    mark() {
      latencyMs = [];
      latencyItems = [];
    },
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

// Run as a child process: `node sink.js [port]`, driven over IPC.
if (process.send !== undefined && process.argv[1] !== undefined && /sink\.[jt]s$/.test(process.argv[1])) {
  const send = process.send.bind(process);
  const sink = startSink(Number(process.argv[2] ?? 0), (port) => send({ type: 'ready', port } satisfies SinkMessage));
  process.on('message', (m: SinkCommand) => {
    if (m.type === 'mark') sink.mark();
    else if (m.type === 'stats') send({ type: 'stats', id: m.id, ...sink.stats() } satisfies SinkMessage);
  });
  process.on('disconnect', () => {
    sink.close();
    process.exit(0);
  });
}
