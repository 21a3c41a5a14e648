// file_storage on a real directory: the Collector's keys and defaults, the directory
// checks, the key-value client, per-component directories, the lock, the disk budget.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Extension } from '../../../src/component.js';
import { compileConfigSchema } from '../../../src/config/validate.js';
import { configSchema, type FileStorageConfig } from '../../../src/extensions/file_storage/config.js';
import { componentDirName, fileStorageExtension, type FileStorage } from '../../../src/extensions/file_storage/index.js';
import { isStorageExtension } from '../../../src/extensions/storage.js';
import { testContext, testHost } from '../../helpers/index.js';

const dirs: string[] = [];
const running: Extension[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.shutdown()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ferry-fs-'));
  dirs.push(d);
  return d;
}

function config(raw: Record<string, unknown>): FileStorageConfig {
  const data = structuredClone(raw);
  const validate = compileConfigSchema(configSchema);
  if (!validate(data)) throw new Error(JSON.stringify(validate.errors));
  return data as unknown as FileStorageConfig;
}

async function start(raw: Record<string, unknown>): Promise<FileStorage> {
  const ext = fileStorageExtension.create(config(raw), testContext('file_storage/t', 'extension')) as FileStorage;
  await ext.start(testHost);
  running.push(ext);
  return ext;
}

const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString());

describe('file_storage config', () => {
  it('has the Collector\'s keys and defaults, fsync on and a 1 GiB budget', () => {
    expect(config({ directory: '/d' })).toEqual({
      directory: '/d',
      timeout: '1s',
      fsync: true,
      create_directory: false,
      directory_permissions: '0750',
      max_size_mib: 1024,
      compaction: {
        on_start: false,
        on_rebound: false,
        max_transaction_size: 65536,
        rebound_needed_threshold_mib: 100,
        rebound_trigger_threshold_mib: 10,
        check_interval: '5s',
        cleanup_on_start: false,
      },
    });
  });

  it('requires directory and refuses unknown keys', () => {
    expect(() => config({})).toThrow(/directory/);
    expect(() => config({ directory: '/d', compaction: { on_strat: true } })).toThrow(/additionalProperties/);
  });
});

describe('file_storage', () => {
  it('is a storage extension, and refuses to start on a missing directory unless create_directory', async () => {
    const missing = join(tempDir(), 'a', 'b');
    const ext = fileStorageExtension.create(config({ directory: missing }), testContext('file_storage/t', 'extension'));
    expect(isStorageExtension(ext)).toBe(true);
    await expect(ext.start(testHost)).rejects.toThrow(/set create_directory: true/);
    const created = await start({ directory: missing, create_directory: true });
    expect(existsSync(missing)).toBe(true);
    expect(created.directory).toBe(missing);
    expect(created.fsync).toBe(true);
  });

  it('keeps values per component and key across restarts, replaced whole, with no temporary file left', async () => {
    const dir = tempDir();
    const a = await start({ directory: dir });
    const c1 = await a.getClient('receiver', 'stdout_markers/app');
    const c2 = await a.getClient('receiver', 'stdout_markers/other');
    await c1.set('offset', Buffer.from('10'));
    await c1.set('offset', Buffer.from('42'));
    await c1.set('../../etc/passwd', Buffer.from('x'));
    await c2.set('offset', Buffer.from('7'));
    expect(text(await c1.get('offset'))).toBe('42');
    expect(text(await c1.get('missing'))).toBeUndefined();
    await a.shutdown();
    running.splice(0);
    expect(readdirSync(dir, { recursive: true }).map(String).filter((n) => n.includes('.tmp-'))).toEqual([]);

    const b = await start({ directory: dir });
    const again = await b.getClient('receiver', 'stdout_markers/app');
    expect(text(await again.get('offset'))).toBe('42');
    expect(text(await again.get('../../etc/passwd'))).toBe('x');
    expect(text(await (await b.getClient('receiver', 'stdout_markers/other')).get('offset'))).toBe('7');
    await again.delete('offset');
    await again.delete('offset');
    expect(await again.get('offset')).toBeUndefined();
    expect(existsSync(join(dir, '..', 'etc'))).toBe(false);
  });

  it('gives each component its own stable directory, names that never collide', async () => {
    const dir = tempDir();
    const ext = await start({ directory: dir });
    const q = await ext.directoryFor('exporter', 'otlphttp/backend');
    expect(q).toBe(join(dir, 'exporter_otlphttp_backend'));
    expect(await ext.directoryFor('exporter', 'otlphttp/backend')).toBe(q);
    const names = [
      componentDirName('exporter', 'a/b_c'),
      componentDirName('exporter', 'a_b/c'),
      componentDirName('exporter', 'a/b', 'c'),
      componentDirName('exporter', 'a/b_c', undefined),
      componentDirName('exporter', 'a'),
      componentDirName('exporter', 'a/..'),
    ];
    expect(new Set(names).size).toBe(names.length - 1);
    expect(names.every((n) => !n.includes('/') && n !== '..')).toBe(true);
  });

  it('removes temporary files an interrupted write left behind, at start', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'kv_receiver_x_'), { recursive: true });
    writeFileSync(join(dir, 'kv_receiver_x_', 'offset.tmp-123-1'), 'half');
    await start({ directory: dir });
    expect(readdirSync(join(dir, 'kv_receiver_x_'))).toEqual([]);
  });

  it('lets one instance use a directory at a time, and frees it at shutdown', async () => {
    const dir = tempDir();
    const first = await start({ directory: dir });
    const t0 = Date.now();
    const second = fileStorageExtension.create(config({ directory: dir, timeout: '200ms' }), testContext('file_storage/u', 'extension'));
    await expect(second.start(testHost)).rejects.toThrow(/in use by another component of this process/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    const waiting = second.start(testHost);
    await new Promise((r) => setTimeout(r, 50));
    await first.shutdown();
    running.splice(0);
    await waiting;
    running.push(second);
  });

  it('takes over a lock file left by a process that died or naming a live unrelated pid; refuses one a live process holds', async () => {
    const dir = tempDir();
    // A pid that surely is not running: a child that has already exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, '.ferry.lock'), `${dead}\n`);
    const ext = await start({ directory: dir });
    await ext.shutdown();
    running.splice(0);
    // A live pid in the file (pid reuse after a reboot, or pid 1 in every container) holds nothing.
    writeFileSync(join(dir, '.ferry.lock'), `${process.ppid}\n`);
    const again = await start({ directory: dir });
    await again.shutdown();
    running.splice(0);
    // A live process holding the OS lock: refused, naming it.
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `
      import { createRequire } from 'node:module'; import { openSync, writeFileSync } from 'node:fs';
      const fsx = createRequire(${JSON.stringify(import.meta.url)})('fs-native-extensions');
      const fd = openSync(${JSON.stringify(join(dir, '.ferry.lock'))}, 'a+');
      if (!fsx.tryLock(fd, true)) process.exit(3);
      writeFileSync(${JSON.stringify(join(dir, '.ferry.lock'))}, process.pid + '\\n');
      process.stdout.write('locked'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    try {
      const blocked = fileStorageExtension.create(config({ directory: dir, timeout: '100ms' }), testContext('file_storage/t', 'extension'));
      await expect(blocked.start(testHost)).rejects.toThrow(new RegExp(`directory ${dir} is in use by process ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('counts what the directory already holds against max_size_mib', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'old'), Buffer.alloc(3000));
    const ext = await start({ directory: dir, max_size_mib: 1 });
    expect(ext.quota?.limitBytes).toBe(1024 * 1024);
    expect(ext.quota?.usedBytes).toBeGreaterThanOrEqual(3000);
    const client = await ext.getClient('receiver', 'x');
    const before = ext.quota?.usedBytes ?? 0;
    await client.set('k', Buffer.alloc(100));
    await client.set('k', Buffer.alloc(40));
    expect(ext.quota?.usedBytes).toBe(before + 40);
    await client.delete('k');
    expect(ext.quota?.usedBytes).toBe(before);
  });
});
