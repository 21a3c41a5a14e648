// The storage contract that extensions such as file_storage provide and components
// (persistent queues, file-following receivers) use, after the Collector's storage API.
import type { ComponentKind, Extension, Host } from '../component.js';

/** A key-value store private to one component. */
export interface StorageClient {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Durable once the promise resolves (subject to the extension's `fsync` setting). */
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** A disk budget shared by every user of one storage extension (file_storage `max_size_mib`). */
export interface DiskQuota {
  /** Take `bytes` from the budget; false (and nothing taken) when they do not fit. */
  tryReserve(bytes: number): boolean;
  /** Count bytes written whatever the budget (acknowledgements, small checkpoints). */
  add(bytes: number): void;
  /** Give back bytes of files removed or writes that failed. */
  release(bytes: number): void;
  readonly usedBytes: number;
  /** 0 means no limit. */
  readonly limitBytes: number;
}

export interface StorageExtension extends Extension {
  readonly storage: true;
  /** Whether writes are fsync'd before they count as done (file_storage `fsync`). */
  readonly fsync?: boolean;
  /** The disk budget, when the extension has one. */
  readonly quota?: DiskQuota;
  /** A client whose keys belong to one component (`exporter`, `otlphttp/backend`, optional sub-name). */
  getClient(kind: ComponentKind, componentId: string, name?: string): Promise<StorageClient>;
  /**
   * A directory that belongs to one component alone, created on demand, for data that
   * manages its own files (a write-ahead log). Stable across restarts.
   */
  directoryFor(kind: ComponentKind, componentId: string, name?: string): Promise<string>;
}

export function isStorageExtension(ext: Extension | undefined): ext is StorageExtension {
  return ext !== undefined && (ext as Partial<StorageExtension>).storage === true;
}

/** The storage extension a component's config names, or an error that says how to fix it. */
export function getStorage(host: Host, extensionId: string, user: string): StorageExtension {
  const ext = host.getExtension(extensionId);
  if (ext === undefined) {
    throw new Error(`${user}: storage "${extensionId}" is not running: define it under extensions: and list it in service.extensions`);
  }
  if (!isStorageExtension(ext)) throw new Error(`${user}: extension "${extensionId}" is not a storage extension (use file_storage)`);
  return ext;
}
