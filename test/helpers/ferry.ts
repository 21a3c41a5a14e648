// Runs the built `ferry` (dist/cli.js) as a real child process for end-to-end tests,
// with its stdout/stderr captured and a readiness wait on its log line.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface FerryProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

export function tempDir(prefix = 'ferry-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write a YAML config into a temp dir and return its path. */
export function writeConfig(yaml: string, dir = tempDir()): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, yaml);
  return path;
}

export function runFerry(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): FerryProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Start ferry and wait until it logs that every pipeline is running (or it exits). */
export async function startFerry(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<FerryProcess> {
  const p = runFerry(args, options);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (p.stderr().includes('Everything is ready')) return p;
    if (p.child.exitCode !== null) throw new Error(`ferry exited with ${p.child.exitCode} before it was ready:\n${p.stderr()}`);
    if (Date.now() > deadline) {
      await p.stop(1000);
      throw new Error(`ferry was not ready in time:\n${p.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Run ferry to completion (validate, components, --help…). */
export async function runFerryToEnd(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = runFerry(args, options);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Fetch the self-metrics text and read one sample's value (labels matched as a subset). */
export async function metricValue(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const m = /^[^{ ]+(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const have = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      total += Number(m[2]);
      found = true;
    }
  }
  return found ? total : 0;
}
