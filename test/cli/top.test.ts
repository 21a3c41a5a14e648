// `ferry top` against a real Ferry under load (OTLP/HTTP sender → otlp → batch → file and an
// exporter whose backend is down): --once --json checked value by value against /metrics,
// and the live view captured from a tmux pane.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FerryProcess } from '../helpers/ferry.js';
import { CLI, runFerry, startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';

const PER_REQUEST = 10;

function body(n: number): string {
  const logRecords = Array.from({ length: PER_REQUEST }, (_, i) => ({ timeUnixNano: String(Date.now() * 1e6), severityText: 'INFO', body: { stringValue: `r${n}-${i}` } }));
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ scope: {}, logRecords }] }] });
}

/** Sum of every sample of `name` whose labels include `label="value"`, read from the text as Prometheus writes it. */
function sum(text: string, name: string, label: string, value: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(`${label}="${value}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('ferry top', () => {
  const dir = tempDir('ferry-top-');
  let ferry: FerryProcess;
  let otlpPort = 0;
  let metricsUrl = '';
  let sent = 0;
  let loading = true;
  let load: Promise<void> = Promise.resolve();
  const tmux = ['-L', `ferry-top-${process.pid}`];

  beforeAll(async () => {
    otlpPort = await freePort();
    const metricsPort = await freePort();
    const downPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    ferry = await startFerry([
      '--config',
      writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
processors:
  batch:
    timeout: 50ms
exporters:
  file:
    path: ${join(dir, 'out.jsonl')}
  otlphttp/down:
    endpoint: http://127.0.0.1:${downPort}
    retry_on_failure: {initial_interval: 50ms, max_interval: 100ms, max_elapsed_time: 0s}
    sending_queue: {queue_size: 20, when_full: drop}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs: {receivers: [otlp], processors: [batch], exporters: [file, otlphttp/down]}
`),
    ]);
    load = (async () => {
      for (let n = 0; loading; n++) {
        const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(n) });
        await res.arrayBuffer();
        if (res.ok) sent += PER_REQUEST;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }, 60_000);

  afterAll(async () => {
    loading = false;
    await load;
    try {
      execFileSync('tmux', [...tmux, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no server left
    }
    await ferry?.stop();
  });

  it('shows one row per component in a live terminal (tmux), with rates while data flows', async () => {
    await waitFor(() => sent > 100, 'load', 20_000);
    execFileSync('tmux', [...tmux, 'new-session', '-d', '-x', '160', '-y', '30', `${process.execPath} ${CLI} top --metrics-url ${metricsUrl} --interval 500ms`]);
    let screen = '';
    await waitFor(
      () => {
        screen = execFileSync('tmux', [...tmux, 'capture-pane', '-p'], { encoding: 'utf8' });
        const otlp = screen.split('\n').find((l) => /^receiver\s+otlp\s/.test(l));
        return otlp !== undefined && Number(otlp.split(/\s+/)[2]) > 0 && /exporter\s+otlphttp\/down\s.*%/.test(screen);
      },
      'the live view',
      30_000,
    );
    const lines = screen.split('\n');
    expect(lines[0]).toContain(`ferry top — ${metricsUrl}`);
    expect(lines.find((l) => l.startsWith('KIND'))?.split(/\s+/)).toEqual(['KIND', 'COMPONENT', 'IN/s', 'OUT/s', 'REFUSED', 'DROPPED', 'FAILED', 'ERR/s', 'QUEUE']);
    const rowsOf = lines.filter((l) => /^(receiver|processor|exporter)\s/.test(l)).map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    // Sorted: receivers, then processors, then exporters.
    expect(rowsOf[0]).toBe('receiver otlp');
    expect(rowsOf).toContain('exporter file');
    expect(rowsOf).toContain('exporter otlphttp/down');
    expect(rowsOf.indexOf('exporter file')).toBeGreaterThan(0);
    // q quits.
    execFileSync('tmux', [...tmux, 'send-keys', 'q']);
    await waitFor(() => {
      try {
        execFileSync('tmux', [...tmux, 'has-session'], { stdio: 'ignore' });
        return false;
      } catch {
        return true;
      }
    }, 'top to quit on q', 10_000);
  }, 90_000);

  it('--once --json gives the same totals as /metrics, value by value', async () => {
    loading = false;
    await load;
    // Let everything sent reach the exporters (the batch processor flushes every 50ms).
    await waitFor(async () => sum(await (await fetch(metricsUrl)).text(), 'otelcol_exporter_sent_log_records_total', 'exporter', 'file') === sent, 'file to have every record', 30_000);
    const textBefore = await (await fetch(metricsUrl)).text();
    const run = runFerry(['top', '--metrics-url', metricsUrl, '--once', '--json', '--interval', '300ms']);
    expect(await run.exited).toBe(0);
    const text = await (await fetch(metricsUrl)).text();
    const json = JSON.parse(run.stdout()) as { components: Record<string, unknown>[] };
    const byId = new Map(json.components.map((c) => [`${String(c.kind)} ${String(c.id)}`, c]));

    const otlp = byId.get('receiver otlp');
    expect(otlp?.out_total).toBe(sum(text, 'otelcol_receiver_accepted_log_records_total', 'receiver', 'otlp'));
    expect(otlp?.out_total).toBe(sent);
    expect(otlp?.refused_total).toBe(sum(text, 'otelcol_receiver_refused_log_records_total', 'receiver', 'otlp'));
    expect(otlp?.in_per_sec).toBe(0);

    const file = byId.get('exporter file');
    expect(file?.out_total).toBe(sent);
    expect(file?.failed_total).toBe(0);

    // The down exporter keeps retrying (and re-queueing) after the load stopped: its counters
    // still move, so its JSON values must lie between a reading before top and one after.
    const down = byId.get('exporter otlphttp/down');
    const between = (field: string, name: string): void => {
      const lo = sum(textBefore, name, 'exporter', 'otlphttp/down');
      const hi = sum(text, name, 'exporter', 'otlphttp/down');
      expect(Number(down?.[field])).toBeGreaterThanOrEqual(lo);
      expect(Number(down?.[field])).toBeLessThanOrEqual(hi);
    };
    expect(down?.out_total).toBe(0);
    expect(sum(text, 'otelcol_exporter_sent_log_records_total', 'exporter', 'otlphttp/down')).toBe(0);
    between('dropped_total', 'otelcol_exporter_enqueue_failed_log_records_total');
    between('failed_total', 'otelcol_exporter_send_failed_log_records_total');
    expect(down?.queue_capacity).toBe(sum(text, 'otelcol_exporter_queue_capacity', 'exporter', 'otlphttp/down'));
    expect(Number(down?.queue_size)).toBeGreaterThan(0);
    expect(Number(down?.queue_size)).toBeLessThanOrEqual(Number(down?.queue_capacity));
    expect(down?.queue_fill).toBe(Number(down?.queue_size) / Number(down?.queue_capacity));
  }, 90_000);

  it('says which address it could not read and how to fix it', async () => {
    const port = await freePort();
    const run = runFerry(['top', '--metrics-url', `http://127.0.0.1:${port}/metrics`, '--once']);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain(`cannot read http://127.0.0.1:${port}/metrics`);
    expect(run.stderr()).toContain('set --metrics-url');
  }, 30_000);
});
