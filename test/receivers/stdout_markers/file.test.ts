// Following a file: start_at, appends, partial last lines, rotation, truncation, and the
// checkpointed offset that makes a restart neither re-send nor skip (fake and file_storage).
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComponentKind, Extension, Host } from '../../../src/component.js';
import type { StorageClient, StorageExtension } from '../../../src/extensions/storage.js';
import { fileStorageExtension } from '../../../src/extensions/file_storage/index.js';
import type { FileStorageConfig } from '../../../src/extensions/file_storage/index.js';
import type { StdoutMarkersConfig } from '../../../src/receivers/stdout_markers/index.js';
import { StdoutMarkersReceiver } from '../../../src/receivers/stdout_markers/index.js';
import { tempDir } from '../../helpers/ferry.js';
import { testContext, waitFor } from '../../helpers/index.js';
import { GateConsumer, attrs, bodies } from './helpers.js';

class MemoryStorage implements StorageExtension {
  readonly storage = true as const;
  readonly data = new Map<string, Uint8Array>();
  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  async getClient(kind: ComponentKind, id: string): Promise<StorageClient> {
    const prefix = `${kind}/${id}/`;
    return {
      get: async (k) => this.data.get(prefix + k),
      set: async (k, v) => void this.data.set(prefix + k, v),
      delete: async (k) => void this.data.delete(prefix + k),
      close: async () => undefined,
    };
  }
  async directoryFor(): Promise<string> {
    throw new Error('not needed');
  }
}

const hostWith = (id: string, ext: Extension): Host => ({ getExtension: (x) => (x === id ? ext : undefined), state: 'running' });

const running: StdoutMarkersReceiver[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.shutdown()));
});

async function follow(config: Partial<StdoutMarkersConfig>, host: Host, logs = new GateConsumer()) {
  const r = new StdoutMarkersReceiver({ poll_interval: '20ms', force_flush_period: '100ms', ...config }, testContext('stdout_markers/file'), { logs });
  running.push(r);
  await r.start(host);
  return { r, logs };
}

async function stop(r: StdoutMarkersReceiver): Promise<void> {
  await r.shutdown();
  running.splice(running.indexOf(r), 1);
}

const noHost: Host = { getExtension: () => undefined, state: 'running' };

describe('stdout_markers receiver: path', () => {
  it('start_at: end reads only what is appended; start_at: beginning reads it all', async () => {
    const dir = tempDir();
    const path = join(dir, 'step.log');
    writeFileSync(path, 'old 1\nold 2\n');
    const end = await follow({ path, start_at: 'end' }, noHost);
    const begin = await follow({ path, start_at: 'beginning' }, noHost);
    appendFileSync(path, 'new 1\n::{"logs":[{"level":"ERROR","message":"boom"}]}::\n');
    await waitFor(() => end.logs.records().length === 2 && begin.logs.records().length === 4, 'lines from the file');
    expect(bodies(end.logs.records())).toEqual(['new 1', 'boom']);
    expect(bodies(begin.logs.records())).toEqual(['old 1', 'old 2', 'new 1', 'boom']);
    expect(end.logs.records().map((r) => r.severityText)).toEqual(['INFO', 'ERROR']);
    expect(attrs(end.logs.records()[0]?.attributes)).toEqual({ 'log.file.name': 'step.log' });
  });

  it('waits for a file that does not exist yet, then reads it from the start', async () => {
    const path = join(tempDir(), 'later.log');
    const { logs } = await follow({ path }, noHost);
    await new Promise((r) => setTimeout(r, 60));
    writeFileSync(path, 'first\n');
    await waitFor(() => logs.records().length === 1, 'the first line');
    expect(bodies(logs.records())).toEqual(['first']);
  });

  it('emits an unfinished last line after force_flush_period', async () => {
    const path = join(tempDir(), 'p.log');
    writeFileSync(path, '');
    const { logs } = await follow({ path, start_at: 'beginning' }, noHost);
    appendFileSync(path, 'no newline yet');
    await waitFor(() => logs.records().length === 1, 'the partial line');
    expect(bodies(logs.records())).toEqual(['no newline yet']);
  });

  it('finishes a rotated file, then follows the new one from its start', async () => {
    const path = join(tempDir(), 'app.log');
    writeFileSync(path, '');
    const { logs } = await follow({ path, start_at: 'beginning' }, noHost);
    appendFileSync(path, 'a1\n');
    await waitFor(() => logs.records().length === 1, 'a1');
    // Written just before the rename: still in the old file, must not be lost.
    appendFileSync(path, 'a2\n');
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'b1\nb2\n');
    await waitFor(() => logs.records().length === 4, 'both files');
    expect(bodies(logs.records())).toEqual(['a1', 'a2', 'b1', 'b2']);
  });

  it('starts over when the file is truncated (copytruncate)', async () => {
    const path = join(tempDir(), 't.log');
    writeFileSync(path, 'x1\nx2\n');
    const { logs } = await follow({ path, start_at: 'beginning' }, noHost);
    await waitFor(() => logs.records().length === 2, 'x lines');
    truncateSync(path, 0);
    await new Promise((r) => setTimeout(r, 80));
    appendFileSync(path, 'y1\n');
    await waitFor(() => logs.records().length === 3, 'y1');
    expect(bodies(logs.records())).toEqual(['x1', 'x2', 'y1']);
  });

  it('resumes from the checkpoint after a restart: no line twice, none skipped (in-memory storage)', async () => {
    const path = join(tempDir(), 'c.log');
    writeFileSync(path, 'l1\nl2\n');
    const storage = new MemoryStorage();
    const host = hostWith('file_storage', storage);
    const first = await follow({ path, start_at: 'beginning', storage: 'file_storage' }, host);
    await waitFor(() => first.logs.records().length === 2, 'first run');
    await waitFor(() => storage.data.size === 1, 'a checkpoint');
    await stop(first.r);
    appendFileSync(path, 'l3\nl4\n');
    // start_at: end would skip l3 and l4; the checkpoint wins.
    const second = await follow({ path, start_at: 'end', storage: 'file_storage' }, host);
    appendFileSync(path, 'l5\n');
    await waitFor(() => second.logs.records().length === 3, 'second run');
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(second.logs.records())).toEqual(['l3', 'l4', 'l5']);
  });

  it('does not checkpoint lines the pipeline has not accepted', async () => {
    const path = join(tempDir(), 'u.log');
    writeFileSync(path, 'm0\n');
    const storage = new MemoryStorage();
    const host = hostWith('file_storage', storage);
    const logs = new GateConsumer();
    const first = await follow({ path, start_at: 'beginning', storage: 'file_storage' }, host, logs);
    await waitFor(() => storage.data.size === 1, 'the checkpoint after m0');
    const saved = [...storage.data.values()][0];
    logs.hold();
    appendFileSync(path, 'm1\n');
    await waitFor(() => logs.calls === 2, 'a delivery attempt of m1');
    first.r.abandon();
    await stop(first.r);
    logs.release();
    expect([...storage.data.values()][0]).toEqual(saved);
    const second = await follow({ path, start_at: 'end', storage: 'file_storage' }, host);
    await waitFor(() => second.logs.records().length === 1, 'm1 again');
    expect(bodies(second.logs.records())).toEqual(['m1']);
  });

  it('checkpoints lines delivered while shutting down, so the next run does not send them again', async () => {
    const path = join(tempDir(), 's.log');
    writeFileSync(path, 'k1\n');
    const storage = new MemoryStorage();
    const host = hostWith('file_storage', storage);
    const logs = new GateConsumer();
    logs.hold();
    const first = await follow({ path, start_at: 'beginning', storage: 'file_storage' }, host, logs);
    await waitFor(() => logs.calls === 1, 'a delivery attempt');
    const stopping = stop(first.r);
    logs.release();
    await stopping;
    expect(bodies(logs.records())).toEqual(['k1']);
    appendFileSync(path, 'k2\n');
    const second = await follow({ path, start_at: 'beginning', storage: 'file_storage' }, host);
    await waitFor(() => second.logs.records().length >= 1, 'k2');
    await new Promise((r) => setTimeout(r, 100));
    expect(bodies(second.logs.records())).toEqual(['k2']);
  });

  it('reads a different file at the path from its start after a restart', async () => {
    const path = join(tempDir(), 'r.log');
    writeFileSync(path, 'old\n');
    const storage = new MemoryStorage();
    const host = hostWith('file_storage', storage);
    const first = await follow({ path, start_at: 'beginning', storage: 'file_storage' }, host);
    await waitFor(() => storage.data.size === 1, 'a checkpoint');
    await stop(first.r);
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'fresh 1\nfresh 2\n');
    const second = await follow({ path, start_at: 'end', storage: 'file_storage' }, host);
    await waitFor(() => second.logs.records().length === 2, 'the new file');
    expect(bodies(second.logs.records())).toEqual(['fresh 1', 'fresh 2']);
  });

  it('fails to start when the storage extension is missing', async () => {
    const r = new StdoutMarkersReceiver({ path: '/tmp/x.log', storage: 'file_storage/nope' }, testContext('stdout_markers'), { logs: new GateConsumer() });
    await expect(r.start(noHost)).rejects.toThrow('storage "file_storage/nope" is not running');
  });

  it('resumes through the real file_storage extension across a restart', async () => {
    const dir = tempDir();
    const path = join(dir, 'f.log');
    writeFileSync(path, 'r1\nr2\n');
    const storageConfig = { directory: join(dir, 'state'), create_directory: true, fsync: false } as FileStorageConfig;
    const run = async (lines: number, append?: string) => {
      const ext = fileStorageExtension.create(storageConfig, testContext('file_storage', 'extension'));
      await ext.start(noHost);
      const host = hostWith('file_storage', ext);
      const f = await follow({ path, start_at: 'beginning', storage: 'file_storage' }, host);
      if (append !== undefined) appendFileSync(path, append);
      await waitFor(() => f.logs.records().length >= lines, `${lines} lines`);
      await new Promise((r) => setTimeout(r, 100));
      await stop(f.r);
      await ext.shutdown();
      return bodies(f.logs.records());
    };
    expect(await run(2)).toEqual(['r1', 'r2']);
    appendFileSync(path, 'r3\n');
    expect(await run(2, 'r4\n')).toEqual(['r3', 'r4']);
    expect(await run(1, 'r5\n')).toEqual(['r5']);
  });
});
