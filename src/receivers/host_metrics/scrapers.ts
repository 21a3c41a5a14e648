// The host_metrics scrapers on Linux: each reads /proc (and statfs) once per collection and
// adds points for its enabled metrics, with the attributes the Collector gives them.
import { readdir, statfs } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { KeyValue, Metric } from '../../pdata/types.js';
import type { MetricBuilder } from './metadata.js';
import type { Proc } from './proc.js';
import { CLK_TCK, PAGE_SIZE, TCP_STATE_NAMES } from './proc.js';

/** `{names|devices|…: [...], match_type: strict|regexp}` as the Collector's filters are written. */
export interface MatchConfig {
  match_type?: 'strict' | 'regexp';
  [list: string]: unknown;
}

export type Matcher = (value: string) => boolean;

/** Compile an include/exclude pair over one list key; no include means everything. */
export function makeFilter(include: MatchConfig | undefined, exclude: MatchConfig | undefined, key: string): Matcher {
  const compile = (m: MatchConfig | undefined): Matcher | undefined => {
    const list = m?.[key];
    if (!Array.isArray(list) || list.length === 0) return undefined;
    if (m?.match_type === 'regexp') {
      const res = list.map((s) => new RegExp(String(s)));
      return (v) => res.some((r) => r.test(v));
    }
    const set = new Set(list.map(String));
    return (v) => set.has(v);
  };
  const inc = compile(include);
  const exc = compile(exclude);
  return (v) => (inc === undefined || inc(v)) && (exc === undefined || !exc(v));
}

export interface ScrapeEnv {
  readonly proc: Proc;
  readonly bootNs: string;
  readonly nowMs: number;
}

const CPU_MODES = ['user', 'nice', 'system', 'idle', 'wait', 'interrupt', 'softirq', 'steal'] as const;

/** Kept between scrapes for system.cpu.utilization. */
export class CpuState {
  last: Map<string, number[]> | undefined;
}

export async function scrapeCpu(env: ScrapeEnv, b: MetricBuilder, state: CpuState): Promise<void> {
  const { cpus: perCpu } = await env.proc.stat();
  for (const [cpu, t] of perCpu) {
    // /proc/stat: user nice system idle iowait irq softirq steal (guest time is inside user).
    const byMode = [t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]];
    CPU_MODES.forEach((state, i) => b.add('system.cpu.time', byMode[i] ?? 0, { cpu, state }));
    const last = state.last?.get(cpu);
    if (last !== undefined && b.on('system.cpu.utilization')) {
      const total = byMode.reduce<number>((s, v, i) => s + (v ?? 0) - (last[i] ?? 0), 0);
      CPU_MODES.forEach((st, i) => b.add('system.cpu.utilization', total > 0 ? ((byMode[i] ?? 0) - (last[i] ?? 0)) / total : 0, { cpu, state: st }));
    }
  }
  state.last = new Map([...perCpu].map(([k, t]) => [k, t.slice(0, 8)]));
  b.add('system.cpu.logical.count', perCpu.size);
  if (b.on('system.cpu.frequency')) {
    cpus().forEach((c, i) => b.add('system.cpu.frequency', c.speed * 1e6, { cpu: `cpu${i}` }));
  }
  if (b.on('system.cpu.physical.count')) {
    const info = await env.proc.text('proc/cpuinfo').catch(() => '');
    const cores = new Set(info.split('\n\n').map((blk) => `${/physical id\s*:\s*(\d+)/.exec(blk)?.[1]}:${/core id\s*:\s*(\d+)/.exec(blk)?.[1]}`));
    b.add('system.cpu.physical.count', cores.size);
  }
}

/** Memory by state as the Collector reports it on Linux; used is what `free` calls used. */
export async function scrapeMemory(env: ScrapeEnv, b: MetricBuilder): Promise<void> {
  const m = await env.proc.meminfo();
  const g = (k: string): number => m.get(k) ?? 0;
  const total = g('MemTotal');
  const free = g('MemFree');
  const buffered = g('Buffers');
  const cached = g('Cached');
  const slabReclaimable = g('SReclaimable');
  const slabUnreclaimable = g('SUnreclaim');
  const used = total - free - buffered - cached - slabReclaimable;
  const states: [string, number][] = [
    ['used', used],
    ['free', free],
    ['buffered', buffered],
    ['cached', cached],
    ['slab_reclaimable', slabReclaimable],
    ['slab_unreclaimable', slabUnreclaimable],
  ];
  for (const [state, v] of states) b.add('system.memory.usage', v, { state });
  for (const [state, v] of states) b.add('system.memory.utilization', total > 0 ? v / total : 0, { state });
  b.add('system.memory.limit', total);
  b.add('system.linux.memory.available', g('MemAvailable'));
  b.add('system.linux.memory.dirty', g('Dirty'));
}

export async function scrapeLoad(env: ScrapeEnv, b: MetricBuilder, cpuAverage: boolean): Promise<void> {
  const [l1, l5, l15] = await env.proc.loadavg();
  const n = cpuAverage ? Math.max(1, (await env.proc.stat()).cpus.size) : 1;
  b.add('system.cpu.load_average.1m', l1 / n);
  b.add('system.cpu.load_average.5m', l5 / n);
  b.add('system.cpu.load_average.15m', l15 / n);
}

const SECTOR = 512;

export async function scrapeDisk(env: ScrapeEnv, b: MetricBuilder, keep: Matcher): Promise<void> {
  for (const { name: device, f } of await env.proc.diskstats()) {
    if (!keep(device)) continue;
    // reads, reads merged, sectors read, ms reading, writes, writes merged, sectors written, ms writing, in flight, ms doing I/O, weighted ms
    const [reads, readsMerged, sectorsRead, msRead, writes, writesMerged, sectorsWritten, msWrite, inFlight, msIo, weightedMs] = f as number[];
    b.add('system.disk.io', (sectorsRead ?? 0) * SECTOR, { device, direction: 'read' });
    b.add('system.disk.io', (sectorsWritten ?? 0) * SECTOR, { device, direction: 'write' });
    b.add('system.disk.operations', reads ?? 0, { device, direction: 'read' });
    b.add('system.disk.operations', writes ?? 0, { device, direction: 'write' });
    b.add('system.disk.io_time', (msIo ?? 0) / 1000, { device });
    b.add('system.disk.operation_time', (msRead ?? 0) / 1000, { device, direction: 'read' });
    b.add('system.disk.operation_time', (msWrite ?? 0) / 1000, { device, direction: 'write' });
    b.add('system.disk.weighted_io_time', (weightedMs ?? 0) / 1000, { device });
    b.add('system.disk.pending_operations', inFlight ?? 0, { device });
    b.add('system.disk.merged', readsMerged ?? 0, { device, direction: 'read' });
    b.add('system.disk.merged', writesMerged ?? 0, { device, direction: 'write' });
  }
}

export interface FilesystemFilters {
  readonly device: Matcher;
  readonly fsType: Matcher;
  readonly mountPoint: Matcher;
  readonly includeVirtual: boolean;
}

export async function scrapeFilesystem(env: ScrapeEnv, b: MetricBuilder, filters: FilesystemFilters): Promise<string[]> {
  const virtual = filters.includeVirtual ? new Set<string>() : await env.proc.virtualFsTypes();
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const m of await env.proc.mounts()) {
    if (virtual.has(m.type) || !filters.device(m.device) || !filters.fsType(m.type) || !filters.mountPoint(m.mountpoint)) continue;
    const key = `${m.device}\u0000${m.mountpoint}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let s;
    try {
      s = await statfs(env.proc.path(m.mountpoint));
    } catch (err) {
      errors.push(`${m.mountpoint}: ${(err as Error).message}`);
      continue;
    }
    const mode = m.options.split(',').includes('ro') ? 'ro' : 'rw';
    const attrs = { device: m.device, mode, mountpoint: m.mountpoint, type: m.type };
    const used = (s.blocks - s.bfree) * s.bsize;
    const free = s.bavail * s.bsize;
    const reserved = (s.bfree - s.bavail) * s.bsize;
    b.add('system.filesystem.usage', used, { ...attrs, state: 'used' });
    b.add('system.filesystem.usage', free, { ...attrs, state: 'free' });
    b.add('system.filesystem.usage', reserved, { ...attrs, state: 'reserved' });
    b.add('system.filesystem.inodes.usage', s.files - s.ffree, { ...attrs, state: 'used' });
    b.add('system.filesystem.inodes.usage', s.ffree, { ...attrs, state: 'free' });
    if (used + free > 0) b.add('system.filesystem.utilization', used / (used + free), attrs);
  }
  return errors;
}

export async function scrapeNetwork(env: ScrapeEnv, b: MetricBuilder, keep: Matcher): Promise<void> {
  for (const { name: device, rx, tx } of await env.proc.netdev()) {
    if (!keep(device)) continue;
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop …
    const both = (metric: string, i: number): void => {
      b.add(metric, rx[i] ?? 0, { device, direction: 'receive' });
      b.add(metric, tx[i] ?? 0, { device, direction: 'transmit' });
    };
    both('system.network.io', 0);
    both('system.network.packets', 1);
    both('system.network.errors', 2);
    both('system.network.dropped', 3);
  }
  if (b.on('system.network.connections')) {
    const counts = await env.proc.tcpStates();
    for (const state of TCP_STATE_NAMES) b.add('system.network.connections', counts.get(state) ?? 0, { protocol: 'tcp', state });
  }
  if (b.on('system.network.conntrack.count') || b.on('system.network.conntrack.max')) {
    const read = async (f: string): Promise<number | undefined> => {
      const t = await env.proc.text('proc/sys/net/netfilter', f).catch(() => undefined);
      return t === undefined ? undefined : Number(t.trim());
    };
    const count = await read('nf_conntrack_count');
    const max = await read('nf_conntrack_max');
    if (count !== undefined) b.add('system.network.conntrack.count', count);
    if (max !== undefined) b.add('system.network.conntrack.max', max);
  }
}

export async function scrapePaging(env: ScrapeEnv, b: MetricBuilder): Promise<void> {
  const swaps = await env.proc.swaps();
  const mem = await env.proc.meminfo();
  const cached = mem.get('SwapCached') ?? 0;
  for (const s of swaps) {
    b.add('system.paging.usage', s.used, { device: s.device, state: 'used' });
    b.add('system.paging.usage', s.size - s.used, { device: s.device, state: 'free' });
    if (s.size > 0) {
      b.add('system.paging.utilization', s.used / s.size, { device: s.device, state: 'used' });
      b.add('system.paging.utilization', (s.size - s.used) / s.size, { device: s.device, state: 'free' });
    }
  }
  if (swaps.length > 0) b.add('system.paging.usage', cached, { device: '', state: 'cached' });
  const v = await env.proc.vmstat();
  const g = (k: string): number => v.get(k) ?? 0;
  b.add('system.paging.operations', g('pswpin'), { direction: 'page_in', type: 'major' });
  b.add('system.paging.operations', g('pswpout'), { direction: 'page_out', type: 'major' });
  b.add('system.paging.operations', g('pgpgin'), { direction: 'page_in', type: 'minor' });
  b.add('system.paging.operations', g('pgpgout'), { direction: 'page_out', type: 'minor' });
  b.add('system.paging.faults', g('pgmajfault'), { type: 'major' });
  b.add('system.paging.faults', g('pgfault') - g('pgmajfault'), { type: 'minor' });
}

/** /proc/<pid>/stat state letters, named as the Collector's processes scraper names them. */
const PROCESS_STATUS: Record<string, string> = { R: 'running', S: 'sleeping', D: 'blocked', Z: 'zombies', T: 'stopped', t: 'stopped', I: 'idle', W: 'paging', X: 'unknown', L: 'locked' };

export async function scrapeProcesses(env: ScrapeEnv, b: MetricBuilder): Promise<void> {
  const counts = new Map<string, number>();
  for (const pid of await env.proc.pids()) {
    const st = await env.proc.pidStat(pid).catch(() => undefined);
    if (st === undefined) continue;
    const status = PROCESS_STATUS[st.f[0] ?? ''] ?? 'unknown';
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  for (const [status, n] of counts) b.add('system.processes.count', n, { status });
  b.add('system.processes.created', (await env.proc.stat()).processesCreated);
}

export interface ProcessOptions {
  readonly keep: Matcher;
  readonly users: Map<number, string>;
  readonly memTotal: number;
}

export interface ProcessMetrics {
  readonly resource: KeyValue[];
  readonly metrics: Metric[];
}

/** One resource per process (pid, parent, executable, command line, owner) with its metrics. */
export async function scrapeProcess(env: ScrapeEnv, newBuilder: () => MetricBuilder, o: ProcessOptions): Promise<{ out: ProcessMetrics[]; skipped: number }> {
  const out: ProcessMetrics[] = [];
  let skipped = 0;
  const bootMs = Number(BigInt(env.bootNs) / 1_000_000n);
  for (const pid of await env.proc.pids()) {
    try {
      const { comm, f } = await env.proc.pidStat(pid);
      // Kernel threads have no executable: the Collector skips them too (with an error it can mute).
      const exe = await env.proc.pidExe(pid).catch(() => undefined);
      if (exe === undefined) {
        skipped++;
        continue;
      }
      const name = comm;
      if (!o.keep(name)) continue;
      const cmdline = (await env.proc.text('proc', String(pid), 'cmdline').catch(() => '')).split('\0').filter((s) => s !== '');
      const status = await env.proc.text('proc', String(pid), 'status').catch(() => '');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
      const startMs = bootMs + (Number(f[19]) / CLK_TCK) * 1000;
      const startNs = (BigInt(Math.round(startMs)) * 1_000_000n).toString();
      const b = newBuilder();
      // stat fields (1-based): 14 utime, 15 stime, 23 vsize, 24 rss, 42 delayacct_blkio_ticks; here index = field - 3.
      b.add('process.cpu.time', Number(f[11]) / CLK_TCK, { state: 'user' }, startNs);
      b.add('process.cpu.time', Number(f[12]) / CLK_TCK, { state: 'system' }, startNs);
      b.add('process.cpu.time', Number(f[39] ?? 0) / CLK_TCK, { state: 'wait' }, startNs);
      const rss = Number(f[21]) * PAGE_SIZE;
      b.add('process.memory.usage', rss, {}, startNs);
      b.add('process.memory.virtual', Number(f[20]), {}, startNs);
      if (o.memTotal > 0) b.add('process.memory.utilization', rss / o.memTotal);
      if (b.on('process.disk.io') || b.on('process.disk.operations')) {
        const io = await env.proc.text('proc', String(pid), 'io').catch(() => '');
        const g = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(io)?.[1] ?? 0);
        b.add('process.disk.io', g('read_bytes'), { direction: 'read' }, startNs);
        b.add('process.disk.io', g('write_bytes'), { direction: 'write' }, startNs);
        b.add('process.disk.operations', g('syscr'), { direction: 'read' }, startNs);
        b.add('process.disk.operations', g('syscw'), { direction: 'write' }, startNs);
      }
      b.add('process.threads', Number(f[17]));
      if (b.on('process.open_file_descriptors')) {
        const fds = await readdir(env.proc.path('proc', String(pid), 'fd')).catch(() => []);
        b.add('process.open_file_descriptors', fds.length);
      }
      if (b.on('process.context_switches')) {
        const g = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
        b.add('process.context_switches', g('voluntary_ctxt_switches'), { context_switch_type: 'voluntary' }, startNs);
        b.add('process.context_switches', g('nonvoluntary_ctxt_switches'), { context_switch_type: 'involuntary' }, startNs);
      }
      b.add('process.paging.faults', Number(f[9]), { type: 'major' }, startNs);
      b.add('process.paging.faults', Number(f[7]), { type: 'minor' }, startNs);
      b.add('process.uptime', (env.nowMs - startMs) / 1000);
      const attrs: [string, string | number][] = [
        ['process.pid', pid],
        ['process.parent_pid', Number(f[1])],
        ['process.executable.name', name],
        ['process.executable.path', exe],
        ['process.command', cmdline[0] ?? ''],
        ['process.command_line', cmdline.join(' ')],
      ];
      const owner = o.users.get(uid);
      if (owner !== undefined) attrs.push(['process.owner', owner]);
      out.push({ resource: attrs.map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : { stringValue: v } })), metrics: b.build() });
    } catch {
      // The process ended while it was read.
    }
  }
  return { out, skipped };
}

/** uid → user name from <root>/etc/passwd. */
export async function readUsers(proc: Proc): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const line of (await proc.text('etc/passwd').catch(() => '')).split('\n')) {
    const f = line.split(':');
    if (f.length >= 3) out.set(Number(f[2]), f[0] as string);
  }
  return out;
}
