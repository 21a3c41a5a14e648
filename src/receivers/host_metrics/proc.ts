// Readers of Linux's /proc and /sys under a root path (a container with the host's / mounted
// at /hostfs reads /hostfs/proc/…), each returning plain numbers in the units of the kernel.
import { execFileSync } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

function getconf(name: string, fallback: number): number {
  try {
    return Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || fallback;
  } catch {
    return fallback;
  }
}

/** USER_HZ: clock ticks per second of /proc times. */
export const CLK_TCK = getconf('CLK_TCK', 100);
export const PAGE_SIZE = getconf('PAGESIZE', 4096);

export class Proc {
  constructor(readonly root: string) {}

  path(...parts: string[]): string {
    return join(this.root === '' ? '/' : this.root, ...parts);
  }

  async text(...parts: string[]): Promise<string> {
    return readFile(this.path(...parts), 'utf8');
  }

  /** /proc/stat: per-CPU times (seconds) by mode, boot time, running/blocked, processes created. */
  async stat(): Promise<{ cpus: Map<string, number[]>; bootTime: number; processesCreated: number }> {
    const cpus = new Map<string, number[]>();
    let bootTime = 0;
    let processesCreated = 0;
    for (const line of (await this.text('proc/stat')).split('\n')) {
      const f = line.trim().split(/\s+/);
      const key = f[0] ?? '';
      if (/^cpu\d+$/.test(key)) cpus.set(key, f.slice(1).map((x) => Number(x) / CLK_TCK));
      else if (key === 'btime') bootTime = Number(f[1]);
      else if (key === 'processes') processesCreated = Number(f[1]);
    }
    return { cpus, bootTime, processesCreated };
  }

  /** /proc/meminfo in bytes, by key. */
  async meminfo(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const line of (await this.text('proc/meminfo')).split('\n')) {
      const m = /^(\S+):\s+(\d+)(?:\s+kB)?/.exec(line);
      if (m) out.set(m[1] as string, Number(m[2]) * (line.endsWith('kB') ? 1024 : 1));
    }
    return out;
  }

  async loadavg(): Promise<[number, number, number]> {
    const f = (await this.text('proc/loadavg')).trim().split(/\s+/).map(Number);
    return [f[0] ?? 0, f[1] ?? 0, f[2] ?? 0];
  }

  /** /proc/diskstats: per device, the kernel's counters (see Documentation/admin-guide/iostats.rst). */
  async diskstats(): Promise<{ name: string; f: number[] }[]> {
    return (await this.text('proc/diskstats'))
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 14)
      .map((f) => ({ name: f[2] as string, f: f.slice(3).map(Number) }));
  }

  /** /proc/net/dev: per interface, receive and transmit counters. */
  async netdev(): Promise<{ name: string; rx: number[]; tx: number[] }[]> {
    const out: { name: string; rx: number[]; tx: number[] }[] = [];
    for (const line of (await this.text('proc/net/dev')).split('\n').slice(2)) {
      const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      const f = (m[2] as string).trim().split(/\s+/).map(Number);
      out.push({ name: (m[1] as string).trim(), rx: f.slice(0, 8), tx: f.slice(8, 16) });
    }
    return out;
  }

  /** TCP connections by state, from /proc/net/tcp and tcp6. */
  async tcpStates(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const file of ['proc/net/tcp', 'proc/net/tcp6']) {
      let text: string;
      try {
        text = await this.text(file);
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        const st = TCP_STATES[(f[3] ?? '').toUpperCase()];
        if (st !== undefined) counts.set(st, (counts.get(st) ?? 0) + 1);
      }
    }
    return counts;
  }

  /** /proc/vmstat by key. */
  async vmstat(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const line of (await this.text('proc/vmstat')).split('\n')) {
      const [k, v] = line.split(' ');
      if (k && v) out.set(k, Number(v));
    }
    return out;
  }

  /** /proc/swaps: device, size and used in bytes. */
  async swaps(): Promise<{ device: string; size: number; used: number }[]> {
    return (await this.text('proc/swaps'))
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 4)
      .map((f) => ({ device: f[0] as string, size: Number(f[2]) * 1024, used: Number(f[3]) * 1024 }));
  }

  /** Mounted filesystems (of PID 1 when a root path is set: the host's, not the container's). */
  async mounts(): Promise<{ device: string; mountpoint: string; type: string; options: string }[]> {
    const text = await this.text(this.root === '' ? 'proc/self/mounts' : 'proc/1/mounts').catch(() => this.text('proc/mounts'));
    return text
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length >= 4)
      .map((f) => ({ device: unescapeMount(f[0] as string), mountpoint: unescapeMount(f[1] as string), type: f[2] as string, options: f[3] as string }));
  }

  /** Filesystem types the kernel marks nodev (virtual: proc, sysfs, tmpfs, overlay, …). */
  async virtualFsTypes(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const line of (await this.text('proc/filesystems').catch(() => '')).split('\n')) {
      const f = line.split('\t');
      if (f[0] === 'nodev' && f[1]) out.add(f[1].trim());
    }
    return out;
  }

  async pids(): Promise<number[]> {
    return (await readdir(this.path('proc'))).filter((n) => /^\d+$/.test(n)).map(Number);
  }

  /** /proc/<pid>/stat fields after the command name (field 3 = index 0), and the name. */
  async pidStat(pid: number): Promise<{ comm: string; f: string[] }> {
    const s = await this.text('proc', String(pid), 'stat');
    return { comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), f: s.slice(s.lastIndexOf(')') + 2).trim().split(' ') };
  }

  async pidExe(pid: number): Promise<string> {
    return readlink(this.path('proc', String(pid), 'exe'));
  }
}

/** /proc/net/tcp state codes, named as gopsutil (and so the Collector) names them. */
const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};
export const TCP_STATE_NAMES: readonly string[] = [...Object.values(TCP_STATES), 'DELETE'];

/** Mount table fields escape space, tab, newline and backslash as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
