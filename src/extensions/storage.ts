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

export interface StorageExtension extends Extension {
  readonly storage: true;
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
