// --watch-config: watch the configuration files' directories and call back, debounced,
// when the content of one of them changed (editors' atomic renames and Kubernetes'
// ConfigMap symlink swaps included: any event re-reads the files, and only new bytes count).
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

async function contentOf(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    // Mid-rename, or deleted: nothing to reload from; the next event will tell.
    return '\u0000missing';
  }
}

/**
 * Watch `paths`; `onChange` runs once per burst of events (after `debounceMs` of quiet)
 * in which some file's content differs from the last seen. Returns a function that stops.
 */
export function watchFiles(paths: readonly string[], debounceMs: number, onChange: (changed: string[]) => void, onError: (err: Error) => void = () => undefined): () => void {
  const files = [...new Set(paths.map((p) => resolve(p)))];
  const seen = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const ready = Promise.all(files.map(async (f) => seen.set(f, await contentOf(f))));

  const check = async (): Promise<void> => {
    await ready;
    const changed: string[] = [];
    for (const f of files) {
      const now = await contentOf(f);
      if (now !== seen.get(f) && now !== '\u0000missing') {
        seen.set(f, now);
        changed.push(f);
      }
    }
    if (changed.length > 0 && !stopped) onChange(changed);
  };
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
  };

  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    try {
      const w = watch(dir, { persistent: false }, schedule);
      w.on('error', onError);
      watchers.push(w);
    } catch (err) {
      onError(err as Error);
    }
  }
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
