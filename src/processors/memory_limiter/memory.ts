// How much memory the process uses and may use: RSS or heap, the machine's or the container's
// total, and a way to force a garbage collection: the pieces the memory limiter measures with.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MemoryMeasure } from './config.js';

/**
 * RSS is the default because it is what a container's memory limit and the OOM killer count:
 * it includes Buffers (request bodies, and the decoded telemetry that still points into them),
 * gRPC and HTTP socket buffers and native allocations, none of which the V8 heap shows. Its
 * weakness is that it falls slowly after a collection (freed pages are returned lazily), so
 * `heap` (V8 heap in use + external memory, close to what Go's Alloc is for the Collector)
 * is offered for a limiter that should recover as soon as garbage is collected.
 */
export function readMemory(measure: MemoryMeasure): number {
  if (measure === 'rss') return process.memoryUsage.rss();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function readNumber(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === '' || text === 'max') return undefined;
    const n = Number(text);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The memory this process may use: the cgroup limit when one is set (v2 memory.max, or v1
 * memory.limit_in_bytes, which reads as a huge number when unlimited), else the machine's total.
 */
export function availableMemory(): number {
  const total = totalmem();
  const cgroup = readNumber('/sys/fs/cgroup/memory.max') ?? readNumber('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  return cgroup !== undefined && cgroup < total ? cgroup : total;
}

let cachedGc: (() => void) | null | undefined;

/**
 * A function that runs a full garbage collection. `global.gc` when Node runs with --expose-gc;
 * otherwise the same function obtained at run time (setting the flag, then reading `gc` from a
 * fresh context: the technique jest's leak detector uses). Node cannot be asked to collect any
 * other way, and an idle process that refuses all data allocates too little to trigger a
 * collection itself, so without this the limiter could stay above its limit indefinitely.
 * Null if neither works.
 */
export function fullGc(): (() => void) | null {
  if (cachedGc !== undefined) return cachedGc;
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return (cachedGc = exposed as () => void);
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    cachedGc = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    cachedGc = null;
  }
  return cachedGc;
}
