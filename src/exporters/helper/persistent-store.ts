// What a persistent sending queue keeps on disk: each batch as one write-ahead log
// record (signal, item count, OTLP protobuf), read back and decoded when it is sent.
import type { DiskQuota } from '../../extensions/storage.js';
import { makeBatch, type Batch } from '../../pdata/batch.js';
import { decodeExportRequest, encodeExportRequest } from '../../pdata/proto.js';
import type { Signal } from '../../pdata/types.js';
import type { Logger } from '../../telemetry/logger.js';
import { CorruptRecordError, WriteAheadLog, type RecoveryReport, type WalRecord } from './wal.js';

const FORMAT_VERSION = 1;
const HEADER_BYTES = 6;
const SIGNAL_CODES: readonly Signal[] = ['logs', 'traces', 'metrics'];
const MIB = 1024 * 1024;

/** A batch found in the log at start, not yet delivered. */
export interface StoredBatch {
  readonly record: WalRecord;
  readonly signal: Signal;
  readonly items: number;
  /** OTLP protobuf bytes (what the bytes sizer counts). */
  readonly bytes: number;
}

export interface PersistentStoreOptions {
  readonly dir: string;
  readonly fsync: boolean;
  readonly quota?: DiskQuota;
  /** Where the log reports failed acknowledgement writes (the exporter's logger). */
  readonly logger?: Logger;
  /** Defaults to an eighth of the disk budget, between 64 KiB and 16 MiB. */
  readonly segmentBytes?: number;
}

/** Segments small enough that delivered data leaves the disk well before the budget is reached. */
function segmentSize(quota: DiskQuota | undefined): number {
  const limit = quota?.limitBytes ?? 0;
  if (limit <= 0) return 16 * MIB;
  return Math.min(16 * MIB, Math.max(64 * 1024, Math.floor(limit / 8)));
}

function header(signal: Signal, items: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt8(FORMAT_VERSION, 0);
  h.writeUInt8(SIGNAL_CODES.indexOf(signal), 1);
  h.writeUInt32BE(Math.min(items, 0xffffffff), 2);
  return h;
}

function readHeader(payload: Buffer): { signal: Signal; items: number } | undefined {
  if (payload.length < HEADER_BYTES || payload.readUInt8(0) !== FORMAT_VERSION) return undefined;
  const signal = SIGNAL_CODES[payload.readUInt8(1)];
  return signal === undefined ? undefined : { signal, items: payload.readUInt32BE(2) };
}

export class PersistentStore {
  private constructor(private readonly wal: WriteAheadLog) {}

  /** Open the log and list what it still holds, oldest first. */
  static async open(options: PersistentStoreOptions): Promise<{ store: PersistentStore; stored: StoredBatch[]; report: RecoveryReport; unknown: number }> {
    const stored: StoredBatch[] = [];
    const unreadable: WalRecord[] = [];
    const { wal, report } = await WriteAheadLog.open(
      { dir: options.dir, fsync: options.fsync, quota: options.quota, logger: options.logger, segmentBytes: options.segmentBytes ?? segmentSize(options.quota) },
      (record, payload) => {
        const h = readHeader(payload);
        if (h) stored.push({ record, signal: h.signal, items: h.items, bytes: payload.length - HEADER_BYTES });
        else unreadable.push(record);
      },
    );
    // Intact records this version cannot read (written by a newer Ferry?) are not ours to send.
    for (const r of unreadable) wal.ack(r);
    return { store: new PersistentStore(wal), stored, report, unknown: unreadable.length };
  }

  /** Write the batch to the log; resolves once it is durable. Throws DiskFullError when the budget is spent. */
  async persist(batch: Batch, items: number, encoded?: Uint8Array): Promise<{ record: WalRecord; bytes: number }> {
    const proto = encoded ?? encodeExportRequest(batch.signal, batch.resources);
    const payload = Buffer.concat([header(batch.signal, items), proto]);
    const record = await this.wal.append(payload);
    return { record, bytes: proto.byteLength };
  }

  /**
   * The batch a record holds. A CorruptRecordError says the record can never be read (its bytes
   * are wrong, or not a batch); any other error is passing (a file that cannot be opened now).
   */
  async load(record: WalRecord): Promise<Batch> {
    const payload = await this.wal.read(record);
    const h = readHeader(payload);
    if (!h) throw new CorruptRecordError('unknown record format');
    try {
      return makeBatch(h.signal, decodeExportRequest(h.signal, payload.subarray(HEADER_BYTES)));
    } catch (err) {
      throw new CorruptRecordError(`the record is not a valid batch: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  ack(record: WalRecord): void {
    this.wal.ack(record);
  }

  get diskBytes(): number {
    return this.wal.diskBytes;
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}
