// What the tests that start a real server (nats-server, prometheus) share: finding the
// binary, FERRY_REQUIRE_BACKENDS (a missing binary fails the test instead of skipping it),
// and stopping the child.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The binary: $`envVar`, else the first of `candidates` that exists, else the first candidate. */
export function backendBinary(envVar: string, candidates: readonly [string, ...string[]]): string {
  return process.env[envVar] ?? candidates.find((p) => existsSync(p)) ?? candidates[0];
}

/** True when `bin` is there; throws when FERRY_REQUIRE_BACKENDS=1 and it is missing. */
export function backendAvailable(bin: string): boolean {
  if (existsSync(bin)) return true;
  if (process.env.FERRY_REQUIRE_BACKENDS === '1') throw new Error(`FERRY_REQUIRE_BACKENDS=1 but ${bin} is missing`);
  return false;
}

/** Send `signal` to `child` and resolve once it has exited (at once if it already has). */
export async function killAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
