// A burst of large uploads against a real Ferry with the default receiver settings: the bytes
// of requests in flight are bounded (max_request_bytes_in_flight), the rest are refused with a
// retryable 429 + Retry-After, and the process stays under 512 MiB RSS (it reached 1.7 GB).
import { createServer } from 'node:http';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { metricValue, startFerry, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort } from '../helpers/index.js';
import { logsRequest, rssBytes } from '../helpers/load.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MIB = 1024 * 1024;

function upload(url: string, body: Buffer): Promise<{ status: number | string; retryAfter?: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      res.on('error', () => resolve({ status: 'ECONNRESET' }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? err.message }));
    req.end(body);
  });
}

describe('memory bounded in bytes at the receiver', () => {
  it('100 concurrent 19 MB uploads: RSS stays under 512 MiB; what is not taken gets 429 + Retry-After', async () => {
    const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    // A backend that takes everything at once without decoding it.
    const backend = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    });
    await new Promise<void>((r) => backend.listen(backendPort, '127.0.0.1', r));
    cleanups.push(() => {
      backend.closeAllConnections();
      return new Promise((r) => backend.close(r));
    });
    const ferry = await startFerry(['--config', writeConfig(faultConfig({ httpPort, metricsPort, backendUrl: `http://127.0.0.1:${backendPort}` }))]);
    cleanups.push(() => ferry.stop(5_000));
    const pid = ferry.child.pid as number;

    const pad = 'm'.repeat(1010);
    const body = logsRequest(Array.from({ length: 19_000 }, (_, i) => `${i}-${pad}`));
    expect(body.length).toBeGreaterThan(18.5 * MIB);
    expect(body.length).toBeLessThan(20 * MIB);

    let peak = await rssBytes(pid);
    const sampler = setInterval(() => {
      rssBytes(pid).then((r) => (peak = Math.max(peak, r)), () => undefined);
    }, 20);
    let results: { status: number | string; retryAfter?: string }[];
    try {
      results = await Promise.all(Array.from({ length: 100 }, () => upload(`http://127.0.0.1:${httpPort}/v1/logs`, body)));
    } finally {
      clearInterval(sampler);
    }
    const byStatus = new Map<string, number>();
    for (const r of results) byStatus.set(String(r.status), (byStatus.get(String(r.status)) ?? 0) + 1);
    console.log(`[fault] 100 concurrent 19 MB uploads: peak RSS ${(peak / MIB).toFixed(0)} MiB, answers ${JSON.stringify(Object.fromEntries(byStatus))}`);
    expect(peak).toBeLessThan(512 * MIB);
    expect(byStatus.get('200') ?? 0).toBeGreaterThan(0);
    // Everything else was refused with a retryable status the sender can act on. A sender still
    // writing its 19 MB when the 429 goes out can see the connection end first (EPIPE/ECONNRESET,
    // which an SDK retries too): seen in 5 of 100 in one CI run; Ferry counts it as refused all the same.
    const cut = (byStatus.get('EPIPE') ?? 0) + (byStatus.get('ECONNRESET') ?? 0);
    expect((byStatus.get('200') ?? 0) + (byStatus.get('429') ?? 0) + cut).toBe(100);
    expect(cut).toBeLessThanOrEqual(10);
    for (const r of results) if (r.status === 429) expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(await metricValue(`http://127.0.0.1:${metricsPort}/metrics`, 'ferry_receiver_memory_refused_requests_total', { transport: 'http' })).toBe((byStatus.get('429') ?? 0) + cut);
  }, 120_000); // 1.9 GB through loopback: ~20 s alone, more beside other tests
});
