// The queue directory's lock between real Ferry processes: a second instance on the same
// directory fails fast, naming the directory and the holder; the lock goes with a process
// killed by -9; a lock file naming some live, unrelated pid (pid reuse) stops nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runFerryToEnd, startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort } from '../helpers/index.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function config(storageDir: string): Promise<string> {
  const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
  return writeConfig(
    faultConfig({ httpPort, metricsPort, backendUrl: `http://127.0.0.1:${backendPort}`, storageDir, exporterExtra: '    sending_queue:\n      storage: file_storage/q' }),
  );
}

describe('the storage directory lock between Ferry processes', () => {
  it('a second Ferry on a held directory exits with the directory and the holder; after kill -9 of the holder it starts', async () => {
    const storageDir = tempDir('ferry-lock-');
    const first = await startFerry(['--config', await config(storageDir)]);
    cleanups.push(() => first.stop(2_000));

    const second = await runFerryToEnd(['--config', await config(storageDir)], { timeoutMs: 10_000 });
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBe('SIGKILL'); // it failed by itself, it was not stuck
    expect(second.stderr).toContain(`directory ${storageDir} is in use by process ${first.child.pid}`);

    first.child.kill('SIGKILL');
    await first.exited;
    const third = await startFerry(['--config', await config(storageDir)]);
    cleanups.push(() => third.stop(2_000));
  });

  it('a lock file naming a live pid that holds no lock (pid reuse) does not stop a start', async () => {
    const storageDir = tempDir('ferry-lock-reuse-');
    // This test process is alive and unrelated to the directory.
    writeFileSync(join(storageDir, '.ferry.lock'), `${process.pid}\n`);
    const ferry = await startFerry(['--config', await config(storageDir)]);
    cleanups.push(() => ferry.stop(2_000));
  });
});
