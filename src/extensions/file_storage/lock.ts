// One owner per storage directory: an OS lock (flock) on a lock file, held for as long as
// the directory is in use and released by the kernel when the process dies, however it dies.
// The file also holds the owner's pid, only to name the holder when the lock is refused.
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// fs-native-extensions (holepunch; prebuilt for linux/darwin/win32 x64 and arm64): flock on
// Linux and macOS, LockFileEx on Windows. Node has no file lock of its own.
const fsx = createRequire(import.meta.url)('fs-native-extensions') as {
  /** Take the lock at once or return false; exclusive by default. */
  tryLock(fd: number, exclusive?: boolean): boolean;
  unlock(fd: number): void;
};

const LOCK_FILE = '.ferry.lock';
/** Directories locked by this process: to tell "another component of this process" from another process. */
const heldHere = new Set<string>();

async function holderOf(path: string): Promise<string> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? `process ${pid}` : 'another process';
  } catch {
    return 'another process';
  }
}

/**
 * Lock `dir` for this process, waiting up to `timeoutMs` for another holder to let go (a
 * restart overlapping its predecessor's exit). A lock file left by a process that died, or
 * naming a pid the system has since given to another process, is no lock: only a live
 * holder of the OS lock is. Resolves with the release function.
 */
export async function lockDirectory(dir: string, timeoutMs: number): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  let fh: FileHandle;
  try {
    // 'a+': create it if needed, never truncate what a holder wrote.
    fh = await open(path, 'a+');
  } catch (err) {
    throw new Error(`cannot lock directory ${dir}: cannot open the lock file ${path}: ${(err as Error).message}`, { cause: err });
  }
  for (;;) {
    let locked = false;
    if (!heldHere.has(dir)) {
      try {
        locked = fsx.tryLock(fh.fd, true);
      } catch (err) {
        await fh.close();
        throw new Error(`cannot lock directory ${dir} (lock file ${path}): ${(err as Error).message}`, { cause: err });
      }
    }
    if (locked) break;
    if (Date.now() >= deadline) {
      await fh.close();
      const holder = heldHere.has(dir) ? 'another component of this process' : await holderOf(path);
      throw new Error(`directory ${dir} is in use by ${holder} (lock file ${path}); stop it, or give this instance its own directory`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  heldHere.add(dir);
  try {
    await fh.truncate(0);
    await fh.write(`${process.pid}\n`, 0);
  } catch {
    // The pid is only for the message another instance shows; the lock is what counts.
  }
  return async () => {
    heldHere.delete(dir);
    // The file stays: removing it would let a process waiting on the old file and one creating
    // a new file both believe they hold the lock.
    try {
      fsx.unlock(fh.fd);
    } finally {
      await fh.close();
    }
  };
}
