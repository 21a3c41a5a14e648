// host_metrics against the machine it runs on: each scraper's values are compared with what
// /proc, `df` and `free` say at the same moment (within what changes in between), then the
// metrics switches, the filters, root_path over a fixture tree, and a real Ferry process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { components } from '../../../src/components.js';
import { loadConfig } from '../../../src/config/index.js';
import type { MetricsBatch } from '../../../src/pdata/batch.js';
import type { Metric, NumberDataPoint } from '../../../src/pdata/types.js';
import type { HostMetricsConfig } from '../../../src/receivers/host_metrics/index.js';
import { HostMetricsReceiver } from '../../../src/receivers/host_metrics/index.js';
import { METRICS } from '../../../src/receivers/host_metrics/metadata.js';
import { CollectingConsumer, freePort, testContext, testHost, waitFor } from '../../helpers/index.js';
import { startFerry, tempDir, writeConfig } from '../../helpers/ferry.js';
import type { FerryProcess } from '../../helpers/ferry.js';
import { attrs } from '../../helpers/values.js';
import { completeJsonLines } from '../../helpers/index.js';

const MiB = 1024 * 1024;

async function scrape(config: Partial<HostMetricsConfig>): Promise<MetricsBatch> {
  return new HostMetricsReceiver(config, testContext('host_metrics'), {}).scrape();
}

/** Every metric of the host resource, by name. */
function hostMetrics(batch: MetricsBatch): Map<string, Metric> {
  const out = new Map<string, Metric>();
  for (const sm of batch.resources[0]?.scopeMetrics ?? []) for (const m of sm.metrics) out.set(m.name, m);
  return out;
}

const points = (m: Metric | undefined): NumberDataPoint[] => m?.sum?.dataPoints ?? m?.gauge?.dataPoints ?? [];
const value = (p: NumberDataPoint): number => (p.asInt !== undefined && p.asInt !== null ? Number(p.asInt) : Number(p.asDouble));
const find = (m: Metric | undefined, want: Record<string, unknown>): number => {
  const p = points(m).find((x) => Object.entries(want).every(([k, v]) => attrs(x.attributes)[k] === v));
  if (p === undefined) throw new Error(`no point ${JSON.stringify(want)} in ${m?.name}`);
  return value(p);
};

describe('host_metrics scrapers against /proc, df and free', () => {
  it('memory: used, free and buffered+cached as `free -b` reports them (read before and after); the states add up to MemTotal', async () => {
    const freeNow = () => {
      const row = execFileSync('free', ['-b'], { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('Mem:')) as string;
      const [total, , free, , buffCache] = row.split(/\s+/).slice(1).map(Number) as number[];
      // procps 4 prints used = total - available; the Collector's (and procps 3's) used is total - free - buff/cache.
      return { total: total as number, used: (total as number) - (free as number) - (buffCache as number), free: free as number, buffCache: buffCache as number };
    };
    const before = freeNow();
    const m = hostMetrics(await scrape({ scrapers: { memory: { metrics: { 'system.memory.limit': { enabled: true } } } } }));
    const after = freeNow();
    const within = (v: number, a: number, b: number) => {
      expect(v).toBeGreaterThanOrEqual(Math.min(a, b) - 32 * MiB);
      expect(v).toBeLessThanOrEqual(Math.max(a, b) + 32 * MiB);
    };
    const usage = m.get('system.memory.usage');
    expect(usage?.unit).toBe('By');
    expect(usage?.sum?.isMonotonic).toBe(false);
    expect(find(m.get('system.memory.limit'), {})).toBe(before.total);
    within(find(usage, { state: 'used' }), before.used, after.used);
    within(find(usage, { state: 'free' }), before.free, after.free);
    within(find(usage, { state: 'buffered' }) + find(usage, { state: 'cached' }) + find(usage, { state: 'slab_reclaimable' }), before.buffCache, after.buffCache);
    const sum = ['used', 'free', 'buffered', 'cached', 'slab_reclaimable'].reduce((s, state) => s + find(usage, { state }), 0);
    expect(sum).toBe(before.total);
    expect(m.has('system.memory.utilization')).toBe(false);
  });

  it('filesystem: used, free and reserved of each real mount as `df -B1` reports them (read before and after)', async () => {
    const df = (mounts: string[]) =>
      new Map(
        execFileSync('df', ['-B1', '--output=size,used,avail,target', ...mounts], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.trim().split(/\s+/))
          .map((f) => [f[3] as string, { size: Number(f[0]), used: Number(f[1]), avail: Number(f[2]) }]),
      );
    const first = hostMetrics(await scrape({ scrapers: { filesystem: {} } }));
    const mounts = [...new Set(points(first.get('system.filesystem.usage')).map((p) => String(attrs(p.attributes).mountpoint)))];
    expect(mounts).toContain('/');
    const before = df(mounts);
    const m = hostMetrics(await scrape({ scrapers: { filesystem: {} } }));
    const after = df(mounts);
    const usage = m.get('system.filesystem.usage');
    const within = (v: number, a: number, b: number) => {
      expect(v).toBeGreaterThanOrEqual(Math.min(a, b) - 16 * MiB);
      expect(v).toBeLessThanOrEqual(Math.max(a, b) + 16 * MiB);
    };
    for (const [target, b] of before) {
      const a = after.get(target) as typeof b;
      const u = find(usage, { mountpoint: target, state: 'used' });
      const f = find(usage, { mountpoint: target, state: 'free' });
      const r = find(usage, { mountpoint: target, state: 'reserved' });
      within(u, b.used, a.used);
      within(f, b.avail, a.avail);
      expect(u + f + r).toBe(b.size);
    }
    const root = points(usage).find((p) => attrs(p.attributes).mountpoint === '/');
    expect(Object.keys(attrs(root?.attributes)).sort()).toEqual(['device', 'mode', 'mountpoint', 'state', 'type']);
    const inodes = execFileSync('df', ['--output=iused,iavail', '/'], { encoding: 'utf8' }).trim().split('\n')[1]?.trim().split(/\s+/).map(Number) as number[];
    expect(Math.abs(find(m.get('system.filesystem.inodes.usage'), { mountpoint: '/', state: 'used' }) - (inodes[0] as number))).toBeLessThan(10_000);
    // Virtual filesystems are left out by default, as the Collector does.
    expect(points(usage).some((p) => ['proc', 'sysfs', 'tmpfs', 'devtmpfs'].includes(String(attrs(p.attributes).type)))).toBe(false);
  });

  it('cpu: system.cpu.time per logical CPU and state, between two reads of /proc/stat', async () => {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
    const read = () => new Map(readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).map((l) => { const f = l.split(/\s+/); return [f[0] as string, f.slice(1).map((x) => Number(x) / ticks)]; }));
    const before = read();
    const m = hostMetrics(await scrape({ scrapers: { cpu: {} } }));
    const after = read();
    const time = m.get('system.cpu.time');
    expect(time?.unit).toBe('s');
    expect(time?.sum?.isMonotonic).toBe(true);
    expect(points(time)).toHaveLength(before.size * 8);
    const states = ['user', 'nice', 'system', 'idle', 'wait', 'interrupt', 'softirq', 'steal'];
    for (const [cpu, b] of before) {
      states.forEach((state, i) => {
        const v = find(time, { cpu, state });
        expect(v).toBeGreaterThanOrEqual((b[i] as number) - 1e-9);
        expect(v).toBeLessThanOrEqual((after.get(cpu)?.[i] as number) + 1e-9);
      });
    }
    // Cumulative from boot.
    const btime = Number(/^btime (\d+)/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    expect(String(points(time)[0]?.startTimeUnixNano)).toBe(`${btime}000000000`);
  });

  it('load: the three averages of /proc/loadavg', async () => {
    const m = hostMetrics(await scrape({ scrapers: { load: {} } }));
    const [l1, l5, l15] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number) as number[];
    expect(m.get('system.cpu.load_average.1m')?.unit).toBe('{thread}');
    expect(Math.abs(find(m.get('system.cpu.load_average.1m'), {}) - (l1 as number))).toBeLessThan(2);
    expect(Math.abs(find(m.get('system.cpu.load_average.5m'), {}) - (l5 as number))).toBeLessThan(1);
    expect(Math.abs(find(m.get('system.cpu.load_average.15m'), {}) - (l15 as number))).toBeLessThan(0.5);
  });

  it('network: bytes and packets per interface and direction as /proc/net/dev counts them; TCP connections by state', async () => {
    const read = () => Object.fromEntries(readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).filter((l) => l.includes(':')).map((l) => { const [n, r] = l.split(':'); return [n?.trim(), r?.trim().split(/\s+/).map(Number)]; }));
    const before = read();
    const m = hostMetrics(await scrape({ scrapers: { network: {} } }));
    const after = read();
    for (const [dev, b] of Object.entries(before) as [string, number[]][]) {
      const rx = find(m.get('system.network.io'), { device: dev, direction: 'receive' });
      const tx = find(m.get('system.network.packets'), { device: dev, direction: 'transmit' });
      expect(rx).toBeGreaterThanOrEqual(b[0] as number);
      expect(rx).toBeLessThanOrEqual(after[dev]?.[0] as number);
      expect(tx).toBeGreaterThanOrEqual(b[9] as number);
      expect(tx).toBeLessThanOrEqual(after[dev]?.[9] as number);
    }
    const conns = m.get('system.network.connections');
    expect(points(conns).every((p) => attrs(p.attributes).protocol === 'tcp')).toBe(true);
    const listening = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).filter((l) => l.trim().split(/\s+/)[3] === '0A').length
      + (() => { try { return readFileSync('/proc/net/tcp6', 'utf8').split('\n').slice(1).filter((l) => l.trim().split(/\s+/)[3] === '0A').length; } catch { return 0; } })();
    expect(Math.abs(find(conns, { state: 'LISTEN' }) - listening)).toBeLessThanOrEqual(5);
  });

  it('disk: bytes (512-byte sectors), operations and times per device from /proc/diskstats', async () => {
    const read = () => new Map(readFileSync('/proc/diskstats', 'utf8').trim().split('\n').map((l) => { const f = l.trim().split(/\s+/); return [f[2] as string, f.slice(3).map(Number)]; }));
    const before = read();
    const m = hostMetrics(await scrape({ scrapers: { disk: {} } }));
    const after = read();
    expect(before.size).toBeGreaterThan(0);
    for (const [dev, b] of before) {
      const readBytes = find(m.get('system.disk.io'), { device: dev, direction: 'read' });
      expect(readBytes).toBeGreaterThanOrEqual((b[2] as number) * 512);
      expect(readBytes).toBeLessThanOrEqual((after.get(dev)?.[2] as number) * 512);
      const writes = find(m.get('system.disk.operations'), { device: dev, direction: 'write' });
      expect(writes).toBeGreaterThanOrEqual(b[4] as number);
      expect(writes).toBeLessThanOrEqual(after.get(dev)?.[4] as number);
    }
    expect([...m.keys()].sort()).toEqual(Object.entries(METRICS.disk).filter(([, d]) => d.enabled).map(([n]) => n).sort());
  });

  it('paging and processes: /proc/vmstat counters, and process counts by state from /proc', async () => {
    const vm = () => new Map(readFileSync('/proc/vmstat', 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]).map(([k, v]) => [k, Number(v)]));
    const before = vm();
    const pidsBefore = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
    const m = hostMetrics(await scrape({ scrapers: { paging: {}, processes: {} } }));
    const after = vm();
    const majorIn = find(m.get('system.paging.operations'), { direction: 'page_in', type: 'major' });
    expect(majorIn).toBeGreaterThanOrEqual(before.get('pswpin') as number);
    expect(majorIn).toBeLessThanOrEqual(after.get('pswpin') as number);
    const faults = find(m.get('system.paging.faults'), { type: 'major' });
    expect(faults).toBeGreaterThanOrEqual(before.get('pgmajfault') as number);
    expect(faults).toBeLessThanOrEqual(after.get('pgmajfault') as number);
    const counted = points(m.get('system.processes.count')).reduce((s, p) => s + value(p), 0);
    expect(Math.abs(counted - pidsBefore)).toBeLessThan(Math.max(20, pidsBefore * 0.2));
    // Sleeping processes are always there; a running one only when another core is busy at that instant.
    expect(find(m.get('system.processes.count'), { status: 'sleeping' })).toBeGreaterThanOrEqual(1);
    expect(find(m.get('system.processes.created'), {})).toBeGreaterThan(0);
  });

  it('process: one resource per process with its pid, executable and command line; this test process has its RSS and CPU time', async () => {
    const batch = await scrape({ scrapers: { process: { include: { names: ['node'], match_type: 'strict' } } } });
    const mine = batch.resources.find((r) => attrs(r.resource?.attributes)['process.pid'] === process.pid);
    expect(mine).toBeDefined();
    const res = attrs(mine?.resource?.attributes);
    const cmdline = readFileSync('/proc/self/cmdline', 'utf8').split('\0').filter((x) => x !== '');
    expect(res).toMatchObject({
      'process.parent_pid': process.ppid,
      'process.executable.name': 'node',
      'process.executable.path': realpathSync(process.execPath),
      'process.command': cmdline[0],
      'process.command_line': cmdline.join(' '),
    });
    expect(res['process.owner']).toBe(execFileSync('id', ['-un'], { encoding: 'utf8' }).trim());
    const metrics = new Map(mine?.scopeMetrics[0]?.metrics.map((m) => [m.name, m]));
    expect([...metrics.keys()].sort()).toEqual(['process.cpu.time', 'process.disk.io', 'process.memory.usage', 'process.memory.virtual']);
    const rss = find(metrics.get('process.memory.usage'), {});
    expect(Math.abs(rss - process.memoryUsage().rss)).toBeLessThan(64 * MiB);
    const cpu = process.cpuUsage();
    expect(Math.abs(find(metrics.get('process.cpu.time'), { state: 'user' }) - cpu.user / 1e6)).toBeLessThan(1);
    // Only processes named node: the filter applies.
    expect(batch.resources.every((r) => attrs(r.resource?.attributes)['process.executable.name'] === 'node')).toBe(true);
  });
});

describe('host_metrics settings', () => {
  it('metrics switches turn a default metric off and an optional one on; cpu utilization needs two collections', async () => {
    const r = new HostMetricsReceiver({ scrapers: { cpu: { metrics: { 'system.cpu.time': { enabled: false }, 'system.cpu.utilization': { enabled: true }, 'system.cpu.logical.count': { enabled: true } } } } }, testContext('host_metrics'), {});
    const first = hostMetrics(await r.scrape());
    expect([...first.keys()]).toEqual(['system.cpu.logical.count']);
    await new Promise((res) => setTimeout(res, 50));
    const second = hostMetrics(await r.scrape());
    expect([...second.keys()].sort()).toEqual(['system.cpu.logical.count', 'system.cpu.utilization']);
    const util = points(second.get('system.cpu.utilization'));
    expect(util.every((p) => value(p) >= 0 && value(p) <= 1)).toBe(true);
    expect(find(second.get('system.cpu.logical.count'), {})).toBe(readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length);
  });

  it('filters: network interfaces, filesystem mount points and types, by strict name or regexp', async () => {
    const net = hostMetrics(await scrape({ scrapers: { network: { include: { interfaces: ['lo'], match_type: 'strict' } } } }));
    expect([...new Set(points(net.get('system.network.io')).map((p) => attrs(p.attributes).device))]).toEqual(['lo']);
    const noLo = hostMetrics(await scrape({ scrapers: { network: { exclude: { interfaces: ['^lo$'], match_type: 'regexp' } } } }));
    expect(points(noLo.get('system.network.io')).some((p) => attrs(p.attributes).device === 'lo')).toBe(false);
    const fs = hostMetrics(await scrape({ scrapers: { filesystem: { include_virtual_filesystems: true, include_fs_types: { fs_types: ['tmpfs'], match_type: 'strict' }, exclude_mount_points: { mount_points: ['^/dev'], match_type: 'regexp' } } } }));
    const got = points(fs.get('system.filesystem.usage')).map((p) => attrs(p.attributes));
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((a) => a.type === 'tmpfs' && !String(a.mountpoint).startsWith('/dev'))).toBe(true);
  });

  it('root_path: reads a host tree mounted elsewhere (a fixture standing in for /hostfs)', async () => {
    const root = tempDir('ferry-hostfs-');
    mkdirSync(join(root, 'proc', 'net'), { recursive: true });
    writeFileSync(join(root, 'proc', 'stat'), 'cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 100 200 300 400 500 600 700 800 0 0\nbtime 1700000000\nprocesses 4242\n');
    writeFileSync(join(root, 'proc', 'meminfo'), 'MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 300 kB\nSReclaimable: 50 kB\nSUnreclaim: 20 kB\nSwapCached: 8 kB\n');
    writeFileSync(join(root, 'proc', 'loadavg'), '1.50 0.75 0.25 1/100 999\n');
    writeFileSync(join(root, 'proc', 'net', 'dev'), 'Inter-|   Receive\n face |bytes\n  eth0: 1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0\n');
    writeFileSync(join(root, 'proc', 'swaps'), 'Filename Type Size Used Priority\n/swapfile file 2048 512 -2\n');
    writeFileSync(join(root, 'proc', 'vmstat'), 'pgpgin 11\npgpgout 12\npswpin 13\npswpout 14\npgfault 100\npgmajfault 7\n');
    const m = hostMetrics(await scrape({ root_path: root, scrapers: { cpu: {}, memory: {}, load: {}, network: {}, paging: {} } }));
    expect(find(m.get('system.cpu.time'), { cpu: 'cpu0', state: 'steal' })).toBe(8);
    expect(String(points(m.get('system.cpu.time'))[0]?.startTimeUnixNano)).toBe('1700000000000000000');
    expect(find(m.get('system.memory.usage'), { state: 'used' })).toBe(500 * 1024);
    expect(find(m.get('system.cpu.load_average.5m'), {})).toBe(0.75);
    expect(find(m.get('system.network.dropped'), { device: 'eth0', direction: 'transmit' })).toBe(4);
    expect(find(m.get('system.network.errors'), { device: 'eth0', direction: 'receive' })).toBe(1);
    expect(find(m.get('system.paging.usage'), { device: '/swapfile', state: 'used' })).toBe(512 * 1024);
    expect(find(m.get('system.paging.usage'), { device: '/swapfile', state: 'free' })).toBe(1536 * 1024);
    expect(find(m.get('system.paging.operations'), { direction: 'page_out', type: 'minor' })).toBe(12);
    expect(find(m.get('system.paging.faults'), { type: 'minor' })).toBe(93);
  });

  it('the Collector hostmetrics config validates under its old name (with a warning); unknown metrics are refused with their path', async () => {
    const load = (scrapers: string) =>
      loadConfig({
        sources: [{ name: 'c.yaml', text: `receivers:\n  hostmetrics:\n    collection_interval: 10s\n    root_path: /hostfs\n    scrapers:\n${scrapers}\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    metrics:\n      receivers: [hostmetrics]\n      exporters: [debug]\n` }],
        env: {},
        components,
      });
    const ok = await load('      cpu:\n      disk:\n      load:\n      filesystem:\n        exclude_mount_points:\n          mount_points: [/dev/*, /proc/*, /sys/*]\n          match_type: regexp\n      memory:\n      network:\n      paging:\n      processes:\n      process:\n        mute_process_exe_error: true\n        metrics:\n          process.threads:\n            enabled: true');
    expect(ok.errors).toEqual([]);
    expect(ok.warnings.join('\n')).toContain('"hostmetrics" is deprecated; its current name is "host_metrics"');
    const bad = await load('      cpu:\n        metrics:\n          system.cpu.nonsense:\n            enabled: true');
    expect(bad.errors[0]?.path).toContain('receivers.hostmetrics.scrapers.cpu.metrics');
  });
});

describe('host_metrics in a real Ferry', () => {
  let ferry: FerryProcess | undefined;
  afterEach(async () => {
    await ferry?.stop();
    ferry = undefined;
  });

  it('collects every collection_interval after initial_delay and exports the metrics', async () => {
    const dir = tempDir();
    const out = join(dir, 'm.jsonl');
    const port = await freePort();
    const config = writeConfig(
      `receivers:\n  host_metrics:\n    collection_interval: 200ms\n    initial_delay: 0s\n    scrapers:\n      memory:\n      load:\nexporters:\n  file:\n    path: ${out}\nservice:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:${port}\n  pipelines:\n    metrics:\n      receivers: [host_metrics]\n      exporters: [file]\n`,
      dir,
    );
    ferry = await startFerry(['--config', config]);
    await waitFor(() => completeJsonLines(out).length >= 2, 'two collections', 15_000);
    const names = (completeJsonLines(out)[0] as { resourceMetrics: { scopeMetrics: { scope: { name: string }; metrics: { name: string }[] }[] }[] }).resourceMetrics[0]?.scopeMetrics.map((s) => [s.scope.name.split('/').pop(), s.metrics.map((m) => m.name)]);
    expect(names).toEqual([
      ['memoryscraper', ['system.memory.usage']],
      ['loadscraper', ['system.cpu.load_average.1m', 'system.cpu.load_average.5m', 'system.cpu.load_average.15m']],
    ]);
  }, 30_000);
});

// The in-process receiver delivers through consume() too.
it('host_metrics: collect() hands one batch to the metrics consumer', async () => {
  const metrics = new CollectingConsumer();
  const r = new HostMetricsReceiver({ scrapers: { load: {} } }, testContext('host_metrics'), { metrics });
  await r.collect();
  expect(metrics.items()).toBe(3);
  await r.start(testHost);
  await r.shutdown();
});
