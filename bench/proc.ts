// What a process costs, read from Linux's /proc: CPU time (user + system, every thread)
// and resident memory (now and peak), plus the child processes the bench drives over IPC.
import { execFileSync, fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 almost everywhere). */
const CLK_TCK: number = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface CpuSample {
  /** user + system CPU seconds since the process started. */
  readonly cpuSeconds: number;
  /** Of which in the kernel (system calls: sockets, memory). */
  readonly systemSeconds: number;
  /** When it was read (monotonic seconds). */
  readonly at: number;
}

const nowSeconds = (): number => Number(process.hrtime.bigint()) / 1e9;

/** CPU seconds used by `pid` so far: utime + stime, fields 14 and 15 of /proc/<pid>/stat. */
export function cpuSample(pid: number): CpuSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { cpuSeconds: (utime + stime) / CLK_TCK, systemSeconds: stime / CLK_TCK, at: nowSeconds() };
}

/** CPU seconds per thread name (main thread "node", "V8 DefaultWorke"r: GC and compiler, "libuv-worker": zlib…). */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
      // The main thread is named after the executable; give it a name that says so.
      const key = tid === String(pid) ? 'main (JS)' : name.replace(/\d+$/, '').trim();
      out.set(key, (out.get(key) ?? 0) + seconds);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Per-thread CPU between two samples, % of one core, largest first. */
export function threadCpuPercent(a: Map<string, number>, b: Map<string, number>, seconds: number): Record<string, number> {
  const out: [string, number][] = [];
  for (const [name, s] of b) out.push([name, Math.round(((s - (a.get(name) ?? 0)) / seconds) * 1000) / 10]);
  return Object.fromEntries(out.filter(([, p]) => p > 0).sort((x, y) => y[1] - x[1]));
}

/** CPU between two samples as a percentage of one core. */
export function cpuPercent(a: CpuSample, b: CpuSample): number {
  return ((b.cpuSeconds - a.cpuSeconds) / (b.at - a.at)) * 100;
}

export interface MemorySample {
  /** VmRSS in bytes. */
  readonly rss: number;
  /** VmHWM: the peak RSS since the process started, in bytes. */
  readonly peakRss: number;
}

export function memorySample(pid: number): MemorySample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
}

/** The machine the figures were measured on. */
export function machine(): { cores: number; cpuModel: string; node: string; platform: string } {
  let cpuModel = 'unknown';
  let cores = 0;
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpuModel;
    cores = cpuinfo.split('\n').filter((l) => l.startsWith('processor')).length;
  } catch {
    // Not Linux: the bench needs /proc anyway, so this only fills the report.
  }
  return { cores, cpuModel, node: process.version, platform: `${process.platform} ${process.arch}` };
}

/** A child process spoken to over IPC: `request()` sends a command and awaits the reply with its id. */
export class IpcChild<Command extends { type: string }, Message extends { type: string }> {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Message) => void>();
  private readonly firstOf = new Map<string, ((m: Message) => void)[]>();
  readonly exited: Promise<number | string>;

  constructor(script: string, args: string[] = [], env?: NodeJS.ProcessEnv) {
    this.child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [], ...(env ? { env } : {}) });
    this.child.on('message', (m: Message & { id?: number }) => {
      const byId = m.id !== undefined ? this.waiting.get(m.id) : undefined;
      if (byId) {
        this.waiting.delete(m.id as number);
        byId(m);
        return;
      }
      for (const w of this.firstOf.get(m.type)?.splice(0) ?? []) w(m);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** The next message of `type` (e.g. 'ready'), or an error if the child exits or `timeoutMs` passes. */
  next(type: Message['type'], timeoutMs = 30_000): Promise<Message> {
    return this.guard(new Promise((resolve) => this.firstOf.set(type, [...(this.firstOf.get(type) ?? []), resolve])), `${type}`, timeoutMs);
  }

  send(command: Command): void {
    this.child.send(command);
  }

  /** Send a command carrying a fresh id and await the message answering it. */
  request(command: Omit<Command, 'id'> & { type: Command['type'] }, timeoutMs = 30_000): Promise<Message> {
    const id = this.nextId++;
    const reply = new Promise<Message>((resolve) => this.waiting.set(id, resolve));
    this.child.send({ ...command, id });
    return this.guard(reply, command.type, timeoutMs);
  }

  private guard(p: Promise<Message>, what: string, timeoutMs: number): Promise<Message> {
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench: no ${what} answer from ${this.child.spawnfile} within ${timeoutMs} ms`)), timeoutMs);
      void this.exited.then((code) => reject(new Error(`bench: child ${this.child.spawnargs.join(' ')} exited (${code}) while waiting for ${what}`)));
    });
    return Promise.race([p, failed]).finally(() => clearTimeout(timer));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
