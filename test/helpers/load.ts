// A load sender for fault tests: OTLP/HTTP protobuf log requests whose records carry
// unique ids, retried like an SDK would, with every id sent and every id accepted recorded.
import http from 'node:http';
import { encodeExportRequest } from '../../src/pdata/proto.js';
import type { ResourceLogs } from '../../src/pdata/types.js';

/** One OTLP logs request whose record bodies are the given ids. */
export function logsRequest(ids: readonly string[]): Buffer {
  const resources: ResourceLogs[] = [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'load' } }], droppedAttributesCount: 0 },
      scopeLogs: [{ scope: { name: 'load', version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: ids.map((id) => ({ body: { stringValue: id }, attributes: [] })) }],
    } as unknown as ResourceLogs,
  ];
  return Buffer.from(encodeExportRequest('logs', resources));
}

export interface PostResult {
  /** HTTP status, or the network error code (ECONNREFUSED, ECONNRESET, …). */
  readonly status: number | string;
  readonly retryAfterMs?: number;
}

/** POST a body; never rejects: a network failure is reported as its error code. */
export function postOtlp(url: string, body: Buffer, agent?: http.Agent, timeoutMs = 10_000): Promise<PostResult> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => {
        const ra = Number(res.headers['retry-after']);
        resolve({ status: res.statusCode ?? 0, retryAfterMs: Number.isFinite(ra) ? ra * 1000 : undefined });
      });
      res.on('error', () => resolve({ status: 'ECONNRESET' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? err.message }));
    req.end(body);
  });
}

export interface LoadOptions {
  /** Base URL of an OTLP/HTTP receiver (`http://127.0.0.1:4318`). */
  readonly url: string;
  /** Record ids are `${prefix}-${n}`. */
  readonly prefix: string;
  readonly recordsPerRequest: number;
  /** Attempts per request on 429/503/network errors (like an SDK's retry); 1 = no retry. */
  readonly maxAttempts?: number;
  /** Pause between attempts when the server gave no Retry-After. */
  readonly retryDelayMs?: number;
  /** Pause between requests of one lane, to spread a load over time. */
  readonly pauseMs?: number;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

export class LoadSender {
  /** Ids sent at least once. */
  readonly sent = new Set<string>();
  /** Ids of requests answered 200: Ferry accepted them and must deliver them. */
  readonly accepted = new Set<string>();
  /**
   * Ids sent again after a connection error: Ferry may have taken them before the
   * connection broke, so a second copy of these is the sender's own at-least-once.
   */
  readonly resent = new Set<string>();
  /** Answers seen, by status or error code. */
  readonly outcomes = new Map<string, number>();
  private next = 0;
  private stopped = false;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly options: LoadOptions) {}

  /** Send one request of fresh ids, retrying retryable answers; true when it was accepted. */
  async sendOne(): Promise<boolean> {
    const { url, prefix, recordsPerRequest, maxAttempts = 1, retryDelayMs = 50 } = this.options;
    const ids = Array.from({ length: recordsPerRequest }, () => `${prefix}-${this.next++}`);
    const body = logsRequest(ids);
    for (const id of ids) this.sent.add(id);
    for (let attempt = 1; ; attempt++) {
      const r = await postOtlp(`${url}/v1/logs`, body, this.agent);
      const key = String(r.status);
      this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
      if (r.status === 200) {
        for (const id of ids) this.accepted.add(id);
        return true;
      }
      const retryable = typeof r.status === 'string' || RETRYABLE.has(r.status);
      if (!retryable || attempt >= maxAttempts || this.stopped) return false;
      if (typeof r.status === 'string') for (const id of ids) this.resent.add(id);
      await new Promise((res) => setTimeout(res, Math.min(r.retryAfterMs ?? retryDelayMs, 2000)));
    }
  }

  /** Run `lanes` concurrent senders until stop() (or `requests` requests in all). */
  async run(lanes: number, requests = Infinity): Promise<void> {
    let started = 0;
    const lane = async (): Promise<void> => {
      while (!this.stopped && started < requests) {
        started++;
        await this.sendOne();
        if (this.options.pauseMs) await new Promise((res) => setTimeout(res, this.options.pauseMs));
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }

  stop(): void {
    this.stopped = true;
  }

  close(): void {
    this.agent.destroy();
  }

  /** Accepted ids the backend never got. */
  missing(delivered: ReadonlyMap<string, number>): string[] {
    return [...this.accepted].filter((id) => !delivered.has(id));
  }
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}
