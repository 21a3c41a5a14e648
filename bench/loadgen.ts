// The load generator (child process): sends stamped OTLP requests to Ferry over HTTP (protobuf
// or JSON) or gRPC, gzip or not, at a fixed rate or as fast as N concurrent senders can.
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import type { Signal } from '../src/pdata/types.js';
import { loadCodecs } from './ferry.js';
import type { PayloadTemplate, WireEncoding } from './payloads.js';
import { buildTemplates, stamped } from './payloads.js';
import { monotonicMs } from './wire.js';

export interface LoadSpec {
  readonly signal: Signal;
  readonly protocol: 'http' | 'grpc';
  readonly encoding: WireEncoding;
  readonly gzip: boolean;
  readonly itemsPerRequest: number;
  /** Distinct requests cycled through (different ids, values, services). */
  readonly variants: number;
  /** Fixed rate (items/s, open loop) or max rate (closed loop: N senders, each waits for its answer). */
  readonly mode: { readonly kind: 'rate'; readonly itemsPerSecond: number } | { readonly kind: 'max'; readonly concurrency: number };
  readonly host: string;
  readonly port: number;
}

export interface LoadStats {
  readonly sentRequests: number;
  readonly acceptedRequests: number;
  readonly acceptedItems: number;
  readonly failedRequests: number;
  readonly inFlight: number;
  /** Fixed rate only: sends skipped because too many requests were already waiting. */
  readonly skipped: number;
  /** Since the last mark: each answered request's time from send to response, ms. */
  readonly answerMs: number[];
  readonly errors: readonly string[];
}

export type LoadCommand =
  | { readonly type: 'start'; readonly spec: LoadSpec }
  | { readonly type: 'mark' }
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'stop'; readonly id: number };
export type LoadMessage = { readonly type: 'ready' } | ({ readonly type: 'stats'; readonly id: number } & LoadStats);

const GRPC_PATH: Readonly<Record<Signal, string>> = {
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
};
const HTTP_PATH: Readonly<Record<Signal, string>> = { logs: '/v1/logs', traces: '/v1/traces', metrics: '/v1/metrics' };
/** Open-loop sends beyond this many waiting requests are skipped (and counted), not queued without bound. */
const MAX_WAITING = 2048;

type SendOne = (body: Buffer) => Promise<void>;

function httpSender(spec: LoadSpec, sockets: number): { send: SendOne; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const headers: Record<string, string> = { 'content-type': spec.encoding === 'json' ? 'application/json' : 'application/x-protobuf' };
  if (spec.gzip) headers['content-encoding'] = 'gzip';
  const send: SendOne = (body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: spec.host, port: spec.port, path: HTTP_PATH[spec.signal], method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } });
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

function grpcSender(spec: LoadSpec): { send: SendOne; close(): void } {
  // gzip: grpc-js compresses each message itself (the grpc-encoding header says so).
  const client = new Client(`${spec.host}:${spec.port}`, credentials.createInsecure(), spec.gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
  const identity = (b: Buffer): Buffer => b;
  const send: SendOne = (body) =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(GRPC_PATH[spec.signal], identity, identity, body, new Metadata(), {}, (err) => (err ? reject(err) : resolve()));
    });
  return { send, close: () => client.close() };
}

/** Drive one load: start() sends until stop(); stats() at any time. */
export class LoadGenerator {
  private sentRequests = 0;
  private acceptedRequests = 0;
  private acceptedItems = 0;
  private failedRequests = 0;
  private inFlight = 0;
  private skipped = 0;
  private answerMs: number[] = [];
  private readonly errors: string[] = [];
  private running = false;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly loops: Promise<void>[] = [];
  private sender: { send: SendOne; close(): void } | undefined;

  constructor(
    private readonly spec: LoadSpec,
    private readonly templates: readonly PayloadTemplate[],
  ) {}

  static async create(spec: LoadSpec): Promise<LoadGenerator> {
    const templates = buildTemplates(await loadCodecs(), spec.signal, spec.encoding, spec.itemsPerRequest, spec.variants);
    return new LoadGenerator(spec, templates);
  }

  start(): void {
    const { spec } = this;
    const sockets = spec.mode.kind === 'max' ? spec.mode.concurrency : 256;
    this.sender = spec.protocol === 'grpc' ? grpcSender(spec) : httpSender(spec, sockets);
    this.running = true;
    if (spec.mode.kind === 'max') {
      for (let i = 0; i < spec.mode.concurrency; i++) this.loops.push(this.closedLoop());
      return;
    }
    const perSecond = spec.mode.itemsPerSecond / spec.itemsPerRequest;
    const t0 = monotonicMs();
    let due = 0;
    // A fine tick with catch-up keeps the rate exact on average without one timer per request.
    this.timer = setInterval(() => {
      const target = Math.floor(((monotonicMs() - t0) / 1000) * perSecond);
      for (; due < target; due++) {
        if (this.inFlight >= MAX_WAITING) this.skipped++;
        else void this.sendOne();
      }
    }, 5);
  }

  stats(): LoadStats {
    const { sentRequests, acceptedRequests, acceptedItems, failedRequests, inFlight, skipped, answerMs, errors } = this;
    return { sentRequests, acceptedRequests, acceptedItems, failedRequests, inFlight, skipped, answerMs, errors: [...errors] };
  }

  /** The start of the measured window: answer times from here on. */
  mark(): void {
    this.answerMs = [];
  }

  /** Stop sending and wait (at most `graceMs`) for the answers still due. */
  async stop(graceMs: number): Promise<LoadStats> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    this.sender?.close();
    return this.stats();
  }

  private async closedLoop(): Promise<void> {
    while (this.running) await this.sendOne();
  }

  private async sendOne(): Promise<void> {
    const template = this.templates[this.next++ % this.templates.length] as PayloadTemplate;
    let body = stamped(template, monotonicMs());
    // Level 1: the sender's cost is not what we measure, and Ferry inflates any level alike.
    if (this.spec.gzip && this.spec.protocol === 'http') body = gzipSync(body, { level: 1 });
    this.sentRequests++;
    this.inFlight++;
    const t0 = monotonicMs();
    try {
      await (this.sender as { send: SendOne }).send(body);
      this.answerMs.push(monotonicMs() - t0);
      this.acceptedRequests++;
      this.acceptedItems += template.items;
    } catch (err) {
      this.failedRequests++;
      if (this.errors.length < 5) this.errors.push(err instanceof Error ? err.message : String(err));
      // A refused closed-loop sender backs off a little instead of spinning on errors.
      if (this.running && this.spec.mode.kind === 'max') await new Promise((r) => setTimeout(r, 50));
    } finally {
      this.inFlight--;
    }
  }
}

// Run as a child process: `node loadgen.js`, driven over IPC.
if (process.send !== undefined && process.argv[1] !== undefined && /loadgen\.[jt]s$/.test(process.argv[1])) {
  const send = process.send.bind(process);
  let gen: LoadGenerator | undefined;
  process.on('message', (m: LoadCommand) => {
    void (async () => {
      if (m.type === 'start') {
        gen = await LoadGenerator.create(m.spec);
        gen.start();
        send({ type: 'ready' } satisfies LoadMessage);
      } else if (m.type === 'mark') {
        gen?.mark();
      } else if (m.type === 'stats') {
        send({ type: 'stats', id: m.id, ...(gen?.stats() ?? emptyStats()) } satisfies LoadMessage);
      } else if (m.type === 'stop') {
        const stats = gen ? await gen.stop(15_000) : emptyStats();
        send({ type: 'stats', id: m.id, ...stats } satisfies LoadMessage);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

function emptyStats(): LoadStats {
  return { sentRequests: 0, acceptedRequests: 0, acceptedItems: 0, failedRequests: 0, inFlight: 0, skipped: 0, answerMs: [], errors: [] };
}
