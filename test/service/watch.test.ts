// --watch-config's watcher: one callback per burst of changes, editors' atomic renames
// seen, and a rewrite with the same bytes (or another file in the directory) ignored.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchFiles } from '../../src/service/watch.js';
import { tempDir } from '../helpers/ferry.js';
import { waitFor } from '../helpers/index.js';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s();
});

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

describe('watchFiles', () => {
  it('calls back once per burst of writes, for atomic renames too, and not for unchanged content', async () => {
    const dir = tempDir('ferry-watch-');
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'a: 1\n');
    const calls: string[][] = [];
    stops.push(watchFiles([file], 50, (changed) => calls.push(changed)));
    await settle(100);

    for (let i = 2; i < 6; i++) writeFileSync(file, `a: ${i}\n`);
    await waitFor(() => calls.length === 1, 'one callback for the burst');
    expect(calls[0]).toEqual([file]);

    // An editor's save: write a temp file, rename it over the original.
    writeFileSync(join(dir, '.config.yaml.swp'), 'a: 9\n');
    renameSync(join(dir, '.config.yaml.swp'), file);
    await waitFor(() => calls.length === 2, 'a callback for the rename');

    writeFileSync(file, 'a: 9\n'); // same bytes
    writeFileSync(join(dir, 'other.txt'), 'unrelated');
    await settle();
    expect(calls).toHaveLength(2);
  });

  it('stops calling back once stopped', async () => {
    const dir = tempDir('ferry-watch-');
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'a: 1\n');
    let calls = 0;
    const stop = watchFiles([file], 20, () => calls++);
    await settle(50);
    stop();
    writeFileSync(file, 'a: 2\n');
    await settle(200);
    expect(calls).toBe(0);
  });
});
