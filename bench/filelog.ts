// The file_log bench: Ferry tails one large file (1 GiB by default) into the debug exporter
// (basic verbosity: one line per batch), and reports lines per CPU-second of Ferry and its peak RSS.
//   npm run build && node bench/build.mjs && node dist/bench/filelog.js [--gib 1] [--operators json]
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FERRY_CLI, ferryLaunch } from './ferry.js';
import { cpuSample, memorySample } from './proc.js';
import { freePort } from './runner.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};

const gib = Number(arg('gib') ?? '1');
const withJson = arg('operators') === 'json';
const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bench-filelog-'));
const file = path.join(dir, 'big.log');

/** ~100-byte lines, plain text or JSON (for the json_parser variant). */
const line = (i: number): string =>
  withJson
    ? `{"time":"2024-05-01T10:00:00.000Z","level":"info","msg":"request ${i} served","ms":12,"path":"/api/v1/items"}\n`
    : `2024-05-01T10:00:00.000Z INFO request ${String(i).padStart(9, '0')} served in 12 ms ${'x'.repeat(40)}\n`;

const target = gib * 1024 ** 3;
const fd = openSync(file, 'w');
let bytes = 0;
let lines = 0;
while (bytes < target) {
  let chunk = '';
  for (let j = 0; j < 10_000; j++) chunk += line(lines++);
  bytes += writeSync(fd, chunk);
}
closeSync(fd);

const metricsPort = await freePort();
const config = path.join(dir, 'config.yaml');
writeFileSync(
  config,
  `receivers:
  file_log:
    include: [${file}]
    start_at: beginning
${withJson ? '    operators:\n      - type: json_parser\n        timestamp: {parse_from: attributes.time, layout_type: gotime, layout: "2006-01-02T15:04:05.000Z07:00"}\n        severity: {parse_from: attributes.level}\n' : ''}exporters:
  debug:
    verbosity: basic
    sampling_initial: 1
    sampling_thereafter: 1000000
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [file_log]
      exporters: [debug]
`,
);

const launch = ferryLaunch();
const child = spawn(process.execPath, [...launch.nodeArgs, FERRY_CLI, '--config', config], { env: { ...process.env, ...launch.env }, stdio: ['ignore', 'ignore', 'pipe'] });
const pid = child.pid as number;
let stderr = '';
child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));

async function accepted(): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const m = /^otelcol_receiver_accepted_log_records_total\{[^}]*receiver="file_log"[^}]*\} (\S+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

while (!stderr.includes('Everything is ready')) {
  if (child.exitCode !== null) throw new Error(`ferry exited: ${stderr}`);
  await new Promise((r) => setTimeout(r, 20));
}
const start = cpuSample(pid);
for (;;) {
  if ((await accepted()) >= lines) break;
  await new Promise((r) => setTimeout(r, 100));
}
const end = cpuSample(pid);
// VmHWM: the highest RSS the process ever had.
const peakRss = memorySample(pid).peakRss / 1024 ** 2;
child.kill('SIGTERM');
const cpu = end.cpuSeconds - start.cpuSeconds;
const wall = end.at - start.at;
console.log(
  JSON.stringify(
    {
      scenario: withJson ? 'file_log json_parser → debug' : 'file_log plain lines → debug',
      fileGiB: +(bytes / 1024 ** 3).toFixed(2),
      lines,
      wallSeconds: +wall.toFixed(1),
      cpuSeconds: +cpu.toFixed(1),
      linesPerCpuSecond: Math.round(lines / cpu),
      mibPerCpuSecond: Math.round(bytes / 1024 ** 2 / cpu),
      peakRssMiB: Math.round(peakRss),
    },
    null,
    2,
  ),
);
rmSync(dir, { recursive: true, force: true });
