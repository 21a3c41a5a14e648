// The metrics each host_metrics scraper emits, as the Collector's hostmetrics receiver
// documents them (documentation.md of each scraper): name, unit, kind, and whether it is on
// by default. `metrics: {name: {enabled}}` switches them; a builder makes OTLP metrics of them.
import type { KeyValue, Metric, NumberDataPoint } from '../../pdata/types.js';

export type ScraperName = 'cpu' | 'memory' | 'load' | 'disk' | 'filesystem' | 'network' | 'paging' | 'processes' | 'process';
export const SCRAPERS: readonly ScraperName[] = ['cpu', 'memory', 'load', 'disk', 'filesystem', 'network', 'paging', 'processes', 'process'];

export interface MetricDef {
  readonly unit: string;
  /** cumulative sum (monotonic or not), or gauge. */
  readonly kind: 'counter' | 'updown' | 'gauge';
  readonly int: boolean;
  readonly enabled: boolean;
  readonly description: string;
}

const d = (unit: string, kind: MetricDef['kind'], int: boolean, enabled: boolean, description: string): MetricDef => ({ unit, kind, int, enabled, description });

export const METRICS: Readonly<Record<ScraperName, Readonly<Record<string, MetricDef>>>> = {
  cpu: {
    'system.cpu.time': d('s', 'counter', false, true, 'Total seconds each logical CPU spent on each mode.'),
    'system.cpu.utilization': d('1', 'gauge', false, false, 'Difference in system.cpu.time since the last measurement per logical CPU, divided by the elapsed time (0–1).'),
    'system.cpu.logical.count': d('{cpu}', 'updown', true, false, 'Number of available logical CPUs.'),
    'system.cpu.physical.count': d('{cpu}', 'updown', true, false, 'Number of available physical CPUs.'),
    'system.cpu.frequency': d('Hz', 'gauge', false, false, 'Current frequency of the CPU core in Hz.'),
  },
  memory: {
    'system.memory.usage': d('By', 'updown', true, true, 'Bytes of memory in use.'),
    'system.memory.utilization': d('1', 'gauge', false, false, 'Percentage of memory bytes in use.'),
    'system.memory.limit': d('By', 'updown', true, false, 'Total bytes of memory available.'),
    'system.linux.memory.available': d('By', 'updown', true, false, 'An estimate of how much memory is available for starting new applications, without swapping.'),
    'system.linux.memory.dirty': d('By', 'updown', true, false, 'The amount of dirty memory according to /proc/meminfo.'),
  },
  load: {
    'system.cpu.load_average.1m': d('{thread}', 'gauge', false, true, 'Average CPU Load over 1 minute.'),
    'system.cpu.load_average.5m': d('{thread}', 'gauge', false, true, 'Average CPU Load over 5 minutes.'),
    'system.cpu.load_average.15m': d('{thread}', 'gauge', false, true, 'Average CPU Load over 15 minutes.'),
  },
  disk: {
    'system.disk.io': d('By', 'counter', true, true, 'Disk bytes transferred.'),
    'system.disk.operations': d('{operations}', 'counter', true, true, 'Disk operations count.'),
    'system.disk.io_time': d('s', 'counter', false, true, 'Time disk spent activated. On Windows, this is calculated as the inverse of disk idle time.'),
    'system.disk.operation_time': d('s', 'counter', false, true, 'Time spent in disk operations.'),
    'system.disk.weighted_io_time': d('s', 'counter', false, true, 'Time disk spent activated multiplied by the queue length.'),
    'system.disk.pending_operations': d('{operations}', 'updown', true, true, 'The queue size of pending I/O operations.'),
    'system.disk.merged': d('{operations}', 'counter', true, true, 'The number of disk reads/writes merged into single physical disk access operations.'),
  },
  filesystem: {
    'system.filesystem.usage': d('By', 'updown', true, true, 'Filesystem bytes used.'),
    'system.filesystem.inodes.usage': d('{inodes}', 'updown', true, true, 'FileSystem inodes used.'),
    'system.filesystem.utilization': d('1', 'gauge', false, false, 'Fraction of filesystem bytes used.'),
  },
  network: {
    'system.network.packets': d('{packets}', 'counter', true, true, 'The number of packets transferred.'),
    'system.network.dropped': d('{packets}', 'counter', true, true, 'The number of packets dropped.'),
    'system.network.errors': d('{errors}', 'counter', true, true, 'The number of errors encountered.'),
    'system.network.io': d('By', 'counter', true, true, 'The number of bytes transmitted and received.'),
    'system.network.connections': d('{connections}', 'updown', true, true, 'The number of connections.'),
    'system.network.conntrack.count': d('{entries}', 'updown', true, false, 'The count of entries in conntrack table.'),
    'system.network.conntrack.max': d('{entries}', 'updown', true, false, 'The limit for entries in the conntrack table.'),
  },
  paging: {
    'system.paging.usage': d('By', 'updown', true, true, 'Swap (unix) or pagefile (windows) usage.'),
    'system.paging.operations': d('{operations}', 'counter', true, true, 'The number of paging operations.'),
    'system.paging.faults': d('{faults}', 'counter', true, true, 'The number of page faults.'),
    'system.paging.utilization': d('1', 'gauge', false, false, 'Swap (unix) or pagefile (windows) utilization.'),
  },
  processes: {
    'system.processes.count': d('{processes}', 'updown', true, true, 'Total number of processes in each state.'),
    'system.processes.created': d('{processes}', 'counter', true, true, 'Total number of created processes.'),
  },
  process: {
    'process.cpu.time': d('s', 'counter', false, true, 'Total CPU seconds broken down by different states.'),
    'process.memory.usage': d('By', 'updown', true, true, 'The amount of physical memory in use.'),
    'process.memory.virtual': d('By', 'updown', true, true, 'Virtual memory size.'),
    'process.disk.io': d('By', 'counter', true, true, 'Disk bytes transferred.'),
    'process.disk.operations': d('{operations}', 'counter', true, false, 'Number of disk operations performed by the process.'),
    'process.threads': d('{threads}', 'updown', true, false, 'Process threads count.'),
    'process.open_file_descriptors': d('{count}', 'updown', true, false, 'Number of file descriptors in use by the process.'),
    'process.context_switches': d('{count}', 'counter', true, false, 'Number of times the process has been context switched.'),
    'process.paging.faults': d('{faults}', 'counter', true, false, 'Number of page faults the process has made.'),
    'process.memory.utilization': d('1', 'gauge', false, false, 'Percentage of total physical memory that is used by the process.'),
    'process.uptime': d('s', 'gauge', false, false, 'The time the process has been running.'),
  },
};

/** The Collector's instrumentation scope name of each scraper. */
export const scopeName = (s: ScraperName): string => `github.com/open-telemetry/opentelemetry-collector-contrib/receiver/hostmetricsreceiver/internal/scraper/${s}scraper`;

export type Attrs = Readonly<Record<string, string | number>>;

const kv = (attrs: Attrs): KeyValue[] => Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : { stringValue: v } }));

/** Collects the points of one scrape, only for enabled metrics, in a stable order. */
export class MetricBuilder {
  private readonly metrics = new Map<string, Metric>();

  constructor(
    private readonly scraper: ScraperName,
    private readonly enabled: ReadonlySet<string>,
    private readonly timeNs: string,
    private readonly startNs: string,
  ) {}

  on(name: string): boolean {
    return this.enabled.has(name);
  }

  add(name: string, value: number, attrs: Attrs = {}, startNs?: string): void {
    if (!this.enabled.has(name)) return;
    const def = METRICS[this.scraper][name];
    if (def === undefined) throw new Error(`unknown metric ${name}`);
    let m = this.metrics.get(name);
    if (m === undefined) {
      m = { name, description: def.description, unit: def.unit };
      if (def.kind === 'gauge') m.gauge = { dataPoints: [] };
      else m.sum = { dataPoints: [], aggregationTemporality: 2, isMonotonic: def.kind === 'counter' };
      this.metrics.set(name, m);
    }
    const p: NumberDataPoint = { attributes: kv(attrs), timeUnixNano: this.timeNs, exemplars: [] };
    if (def.kind !== 'gauge') p.startTimeUnixNano = startNs ?? this.startNs;
    if (def.int) p.asInt = Math.round(value);
    else p.asDouble = value;
    (m.gauge ?? m.sum)?.dataPoints.push(p);
  }

  build(): Metric[] {
    return [...this.metrics.values()];
  }
}
