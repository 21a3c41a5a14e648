// file_storage: a directory on the local disk that components keep state in — the
// persistent sending queues' write-ahead logs and small key-value checkpoints.
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ComponentKind, ExtensionFactory } from '../../component.js';
import { parseComponentId } from '../../component.js';
import { errorMessage } from '../../consumer.js';
import { parseDuration } from '../../config/units.js';
import type { DiskQuota, StorageClient, StorageExtension } from '../storage.js';
import { DiskBudget, FileKvClient, diskUsage, escapeName, removeTempFiles } from './client.js';
import { configSchema, validate, type FileStorageConfig } from './config.js';
import { lockDirectory } from './lock.js';

export type { FileStorageConfig } from './config.js';

const MIB = 1024 * 1024;

/**
 * The directory name for one component (and an optional sub-name): `exporter_otlphttp_backend`,
 * with every part escaped so two different components never share a name.
 */
export function componentDirName(kind: ComponentKind, componentId: string, name?: string): string {
  const { type, name: idName } = parseComponentId(componentId);
  const parts = [kind, escapeName(type), escapeName(idName ?? '')];
  if (name) parts.push(escapeName(name));
  return parts.join('_');
}

export interface FileStorage extends StorageExtension {
  /** The absolute directory, once started. */
  readonly directory: string | undefined;
}

export const fileStorageExtension: ExtensionFactory<FileStorageConfig> = {
  kind: 'extension',
  type: 'file_storage',
  description: 'Keeps state on the local disk: persistent sending queues (write-ahead logs, fsync\'d) and key-value checkpoints, with a disk budget.',
  configSchema,
  validate,
  create(config, ctx): FileStorage {
    const mode = Number.parseInt(config.directory_permissions ?? '0750', 8);
    const fsync = config.fsync ?? true;
    let root: string | undefined;
    let quota: DiskBudget | undefined;
    let unlock: (() => Promise<void>) | undefined;
    const clients = new Set<StorageClient>();

    const running = (): { root: string; quota: DiskBudget } => {
      if (root === undefined || quota === undefined) throw new Error(`extension ${ctx.id} is not running`);
      return { root, quota };
    };

    return {
      storage: true,
      fsync,
      get quota(): DiskQuota | undefined {
        return quota;
      },
      get directory() {
        return root;
      },

      async start() {
        const dir = resolve(config.directory);
        if (config.create_directory) {
          await mkdir(dir, { recursive: true, mode });
          if (config.compaction?.directory) await mkdir(resolve(config.compaction.directory), { recursive: true, mode });
        }
        let isDir = false;
        try {
          isDir = (await stat(dir)).isDirectory();
        } catch (err) {
          const hint = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (create it, or set create_directory: true)' : '';
          throw new Error(`file_storage ${ctx.id}: directory ${dir} is not usable: ${errorMessage(err)}${hint}`, { cause: err });
        }
        if (!isDir) throw new Error(`file_storage ${ctx.id}: ${dir} is not a directory`);
        unlock = await lockDirectory(dir, parseDuration(config.timeout ?? '1s'));
        try {
          await removeTempFiles(dir);
          quota = new DiskBudget((config.max_size_mib ?? 1024) * MIB, await diskUsage(dir));
        } catch (err) {
          await unlock();
          unlock = undefined;
          throw err;
        }
        root = dir;
        ctx.logger.info('file storage ready', { directory: dir, used_bytes: quota.usedBytes, max_size_mib: config.max_size_mib, fsync });
      },

      async shutdown() {
        await Promise.all([...clients].map((c) => c.close()));
        clients.clear();
        root = undefined;
        await unlock?.();
        unlock = undefined;
      },

      async getClient(kind: ComponentKind, componentId: string, name?: string): Promise<StorageClient> {
        const r = running();
        const dir = join(r.root, `kv_${componentDirName(kind, componentId, name)}`);
        await mkdir(dir, { recursive: true, mode });
        const client = new FileKvClient(dir, fsync, r.quota);
        clients.add(client);
        return client;
      },

      async directoryFor(kind: ComponentKind, componentId: string, name?: string): Promise<string> {
        const dir = join(running().root, componentDirName(kind, componentId, name));
        await mkdir(dir, { recursive: true, mode });
        return dir;
      },
    };
  },
};
