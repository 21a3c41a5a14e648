// Starts a real nats-server (JetStream on, temp store) on a free loopback port for a test;
// missing binary: the test skips, or fails when FERRY_REQUIRE_BACKENDS=1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendAvailable, backendBinary, killAndWait } from './backends.js';
import { freePort } from './index.js';

/** The binary: $NATS_SERVER, else where Debian's package puts it (/usr/sbin), else /usr/bin. */
export const NATS_SERVER_BIN = backendBinary('NATS_SERVER', ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']);

/** True when nats-server is there; throws when it is required and missing. */
export function natsServerAvailable(): boolean {
  return backendAvailable(NATS_SERVER_BIN);
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Kill it hard and start again on the same port and store (a broker outage). */
  restart(): Promise<void>;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNatsServer(extraArgs: string[] = []): Promise<NatsServer> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'ferry-nats-'));
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const proc = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store, ...extraArgs], { stdio: 'ignore' });
    child = proc;
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}`);
      if (await portOpen(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error('nats-server did not start within 5 s');
  };
  const kill = (signal: NodeJS.Signals): Promise<void> => killAndWait(child, signal);
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async stop() {
      await kill('SIGKILL');
      rmSync(store, { recursive: true, force: true });
    },
    async restart() {
      await kill('SIGKILL');
      await launch();
    },
  };
}
