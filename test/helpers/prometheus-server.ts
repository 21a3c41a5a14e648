// Starts a real Prometheus server (temp TSDB, free loopback port) for a test: scraping the
// given targets every second and/or receiving remote write; missing binary: the test skips,
// or fails when FERRY_REQUIRE_BACKENDS=1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendAvailable, backendBinary, killAndWait } from './backends.js';
import { freePort } from './index.js';

/** The binary: $PROMETHEUS, else where Debian's package puts it. */
export const PROMETHEUS_BIN = backendBinary('PROMETHEUS', ['/usr/bin/prometheus', '/usr/local/bin/prometheus']);

/** True when prometheus is there; throws when it is required and missing. */
export function prometheusAvailable(): boolean {
  return backendAvailable(PROMETHEUS_BIN);
}

export interface PrometheusOptions {
  /** host:port targets scraped on /metrics every `scrapeInterval`, in one job (labels honoured, as for a federated endpoint). */
  readonly scrapeTargets?: readonly string[];
  readonly scrapeInterval?: string;
  /** Accept remote write on /api/v1/write (--web.enable-remote-write-receiver). */
  readonly remoteWrite?: boolean;
}

/** One series of an instant query's result. */
export interface QuerySample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PrometheusServer {
  readonly url: string;
  /** POST target of remote write. */
  readonly remoteWriteUrl: string;
  /** An instant query at now; throws when Prometheus answers with an error. */
  query(expr: string): Promise<QuerySample[]>;
  /** Prometheus's own log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

interface QueryResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ferry-prometheus-'));
  const interval = options.scrapeInterval ?? '1s';
  const targets = options.scrapeTargets ?? [];
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    ...(targets.length === 0
      ? []
      : [
          '  - job_name: ferry',
          // The exporter's job and instance labels come from service.name / service.instance.id:
          // keep them rather than rename them to exported_job / exported_instance.
          '    honor_labels: true',
          `    scrape_interval: ${interval}`,
          `    scrape_timeout: ${interval}`,
          '    static_configs:',
          `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
        ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config + '\n');
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  if (options.remoteWrite) args.push('--web.enable-remote-write-receiver');
  const child: ChildProcess = spawn(PROMETHEUS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const url = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    await killAndWait(child);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 15 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    remoteWriteUrl: `${url}/api/v1/write`,
    async query(expr: string): Promise<QuerySample[]> {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as QueryResponse;
      if (body.status !== 'success' || !body.data) throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    log: () => output,
    stop,
  };
}
