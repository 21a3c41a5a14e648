// One owner per storage directory: a lock file holding the owner's pid, taken over
// when that process is gone (kill -9 leaves it behind), plus a registry for this process.
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const LOCK_FILE = '.ferry.lock';
/** Directories locked by this process: its own pid in a lock file is not proof the lock is stale. */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return true;
  }
}

/**
 * Lock `dir` for this process, waiting up to `timeoutMs` for another holder to let go.
 * Resolves with the release function.
 */
export async function lockDirectory(dir: string, timeoutMs: number): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let holder: string;
    if (heldHere.has(dir)) {
      holder = 'another component of this process';
    } else {
      try {
        await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
        heldHere.add(dir);
        return async () => {
          heldHere.delete(dir);
          await unlink(path).catch(() => undefined);
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = await ownerPid(path);
      // Our own pid but not held here: left by an earlier process that had the same pid (containers reuse pid 1).
      if ((pid !== undefined && (pid === process.pid || !alive(pid))) || (pid === undefined && (await olderThan(path, 1000)))) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      // No pid yet: another process has just created the file and is writing it.
      holder = pid === undefined ? 'another process' : `process ${pid}`;
    }
    if (Date.now() >= deadline) throw new Error(`directory ${dir} is in use by ${holder} (lock file ${path})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
