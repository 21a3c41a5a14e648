// Turns parsed lines into OTLP: plain lines and marker logs into LogRecords, marker
// metrics into delta Sums, Gauges and second-Histograms, all under the configured resource.
import type { LogsBatch, MetricsBatch } from '../../pdata/batch.js';
import { makeBatch } from '../../pdata/batch.js';
import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Metric, Resource } from '../../pdata/types.js';
import type { Line } from './lines.js';
import type { JsonValue, Level, Marker, MarkerMetric, MetricType } from './markers.js';
import { SEVERITY_NUMBER, parseLine } from './markers.js';
import type { TraceContext } from './traceparent.js';

/** Where a line came from: a child's stdout or stderr (stdin counts as stdout), or a file. */
export type Origin = 'stdout' | 'stderr' | 'file';

export const ATTR = {
  iostream: 'log.iostream',
  fileName: 'log.file.name',
  markerError: 'ferry.marker.error',
  truncated: 'ferry.line.truncated',
  exitCode: 'process.exit.code',
  duration: 'ferry.process.duration',
  signal: 'ferry.process.signal',
  pid: 'process.pid',
  commandArgs: 'process.command_args',
  stacktrace: 'code.stacktrace',
} as const;

const TRACE_PREFIX = 'Trace: ::{';

/** A line `console.trace()` printed with a marker as its message: the marker, and the stack after it. */
function consoleTrace(text: string): { marker: string; stack: string } | undefined {
  if (!text.startsWith(TRACE_PREFIX)) return undefined;
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  return { marker: first.slice('Trace: '.length), stack: nl < 0 ? '' : text.slice(nl + 1) };
}

export const SCOPE: InstrumentationScope = { name: 'ferry/stdout_markers', attributes: [] };

/**
 * Bucket bounds of timer histograms, in seconds: the OpenTelemetry semantic conventions'
 * advice for duration histograms (0.005 … 10 s, as the SDKs apply to http.*.duration),
 * extended to an hour because pipeline steps often run for minutes.
 */
export const TIMER_BOUNDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Distinct counter/timer series remembered for their start time; beyond it the oldest are forgotten. */
const MAX_SERIES = 10_000;
const MAX_DEPTH = 64;

const str = (stringValue: string): AnyValue => ({ stringValue });

/** A JSON or scalar value as an OTLP AnyValue: integers as int, objects as kvlists. */
export function toAnyValue(v: JsonValue | undefined, depth = 0): AnyValue {
  if (v === null || v === undefined) return {};
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'boolean':
      return { boolValue: v };
    case 'number':
      return Number.isSafeInteger(v) ? { intValue: v } : { doubleValue: v };
  }
  if (depth >= MAX_DEPTH) return str(JSON.stringify(v).slice(0, 1024));
  if (Array.isArray(v)) return { arrayValue: { values: v.map((x) => toAnyValue(x, depth + 1)) } };
  return { kvlistValue: { values: Object.entries(v).map(([key, x]) => ({ key, value: toAnyValue(x, depth + 1) })) } };
}

export function toKeyValues(map: Readonly<Record<string, JsonValue>>): KeyValue[] {
  return Object.entries(map).map(([key, v]) => ({ key, value: toAnyValue(v) }));
}

/** A marker metric ready to group into a batch: times as decimal nanoseconds. */
export interface MetricPoint {
  readonly name: string;
  readonly type: MetricType;
  readonly value: number;
  readonly attributes: KeyValue[];
  readonly startTimeUnixNano: string | undefined;
  readonly timeUnixNano: string;
}

export interface ExitInfo {
  /** The exit code, or 128 + the signal number when a signal ended the process (as shells report it). */
  readonly code: number;
  readonly signal: NodeJS.Signals | undefined;
  readonly durationMs: number;
  readonly pid: number | undefined;
  readonly argv: readonly string[];
}

export interface ConverterOptions {
  readonly plainLevel: Readonly<{ stdout: Level; stderr: Level }>;
  /** Added to every log record (config `attributes`, `log.file.name`). */
  readonly attributes: readonly KeyValue[];
  readonly trace: TraceContext | undefined;
  /** Start of the first interval of a counter or timer: when the process (or reading) started. */
  readonly startTimeNs: bigint;
  readonly maxLineBytes: number;
}

export interface Converted {
  readonly records: LogRecord[];
  readonly points: MetricPoint[];
  /** The line started like a marker but was not a valid one. */
  readonly malformed: boolean;
}

// Wall-clock nanoseconds that never go backwards within the process: Date.now() once,
// then the monotonic clock (and finer than milliseconds).
const ORIGIN_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
export const nowNs = (): bigint => ORIGIN_NS + process.hrtime.bigint();

export class Converter {
  private readonly lastEmission = new Map<string, string>();
  private readonly iostream: Readonly<Record<Origin, KeyValue | undefined>> = {
    stdout: { key: ATTR.iostream, value: str('stdout') },
    stderr: { key: ATTR.iostream, value: str('stderr') },
    file: undefined,
  };

  constructor(private readonly options: ConverterOptions) {}

  /** One line → its log records and metric points (the time is when it was read). */
  line(line: Line, origin: Origin, timeNs: bigint = nowNs()): Converted {
    const time = timeNs.toString();
    const traced = origin === 'stderr' ? consoleTrace(line.text) : undefined;
    if (traced !== undefined && !line.truncated) {
      // `console.trace(marker)` (Kestra's logger.trace in Node): the marker, with its stack.
      const parsed = parseLine(traced.marker);
      if (parsed.kind === 'marker') {
        const converted = this.marker(parsed.marker, origin, time);
        if (traced.stack !== '') for (const r of converted.records) r.attributes.push({ key: ATTR.stacktrace, value: str(traced.stack) });
        return { ...converted, malformed: false };
      }
      if (parsed.kind === 'malformed') return { records: [this.plain(line, origin, time, parsed.error)], points: [], malformed: true };
    }
    const parsed = parseLine(line.text);
    if (line.truncated) {
      const error = parsed.kind === 'plain' ? undefined : `a marker longer than max_line_bytes (${this.options.maxLineBytes}) was cut`;
      return { records: [this.plain(line, origin, time, error)], points: [], malformed: error !== undefined };
    }
    switch (parsed.kind) {
      case 'plain':
        return { records: [this.plain(line, origin, time, undefined)], points: [], malformed: false };
      case 'malformed':
        return { records: [this.plain(line, origin, time, parsed.error)], points: [], malformed: true };
      case 'marker':
        return { ...this.marker(parsed.marker, origin, time), malformed: false };
    }
  }

  /** The record that says how the command ended: its exit code and duration. */
  exit(exit: ExitInfo, timeNs: bigint = nowNs()): LogRecord {
    const { code, signal } = exit;
    const attributes: KeyValue[] = [
      ...this.options.attributes,
      { key: ATTR.exitCode, value: { intValue: code } },
      { key: ATTR.duration, value: { doubleValue: exit.durationMs / 1000 } },
      { key: ATTR.commandArgs, value: { arrayValue: { values: exit.argv.map(str) } } },
    ];
    if (exit.pid !== undefined) attributes.push({ key: ATTR.pid, value: { intValue: exit.pid } });
    if (signal !== undefined) attributes.push({ key: ATTR.signal, value: str(signal) });
    const level: Level = code === 0 ? 'INFO' : 'ERROR';
    const body = signal === undefined ? `process exited with code ${code}` : `process killed by ${signal} (exit code ${code})`;
    return this.record(level, str(body), attributes, timeNs.toString(), 'process.exit');
  }

  private plain(line: Line, origin: Origin, time: string, markerError: string | undefined): LogRecord {
    const attributes = this.baseAttributes(origin);
    if (line.truncated) attributes.push({ key: ATTR.truncated, value: { boolValue: true } });
    if (markerError !== undefined) attributes.push({ key: ATTR.markerError, value: str(markerError) });
    const level = markerError !== undefined ? 'WARN' : this.options.plainLevel[origin === 'stderr' ? 'stderr' : 'stdout'];
    return this.record(level, str(line.text), attributes, time);
  }

  private marker(marker: Marker, origin: Origin, time: string): { records: LogRecord[]; points: MetricPoint[] } {
    const records = marker.logs.map((l) => this.record(l.level, str(l.message), this.baseAttributes(origin), time));
    if (marker.outputs !== undefined) {
      const outputs = toKeyValues(marker.outputs);
      const own = new Set(outputs.map((kv) => kv.key));
      const attributes = [...outputs, ...this.baseAttributes(origin).filter((kv) => !own.has(kv.key))];
      records.push(this.record('INFO', str('outputs'), attributes, time, 'outputs'));
    }
    return { records, points: marker.metrics.map((m) => this.point(m, time)) };
  }

  private point(m: MarkerMetric, time: string): MetricPoint {
    const attributes = m.tags.map(([key, v]) => ({ key, value: toAnyValue(v) }));
    let startTimeUnixNano: string | undefined;
    if (m.type !== 'gauge') {
      // Delta: each marker reports what happened since the same series last reported,
      // or since the process started.
      const key = `${m.type}\u0000${m.name}\u0000${JSON.stringify(m.tags)}`;
      startTimeUnixNano = this.lastEmission.get(key) ?? this.options.startTimeNs.toString();
      this.lastEmission.delete(key);
      this.lastEmission.set(key, time);
      if (this.lastEmission.size > MAX_SERIES) this.lastEmission.delete(this.lastEmission.keys().next().value as string);
    }
    return { name: m.name, type: m.type, value: m.value, attributes, startTimeUnixNano, timeUnixNano: time };
  }

  private baseAttributes(origin: Origin): KeyValue[] {
    const io = this.iostream[origin];
    return io === undefined ? [...this.options.attributes] : [...this.options.attributes, io];
  }

  private record(level: Level, body: AnyValue, attributes: KeyValue[], time: string, eventName?: string): LogRecord {
    const r: LogRecord = {
      timeUnixNano: time,
      observedTimeUnixNano: time,
      severityNumber: SEVERITY_NUMBER[level],
      severityText: level,
      body,
      attributes,
    };
    const trace = this.options.trace;
    if (trace !== undefined) {
      r.traceId = trace.traceId;
      r.spanId = trace.spanId;
      r.flags = trace.flags;
    }
    if (eventName !== undefined) r.eventName = eventName;
    return r;
  }
}

/** The configured resource as OTLP. */
export function toResource(attributes: Readonly<Record<string, string | number | boolean>>): Resource {
  return { attributes: toKeyValues(attributes) };
}

export function logsBatch(resource: Resource, records: LogRecord[]): LogsBatch {
  return makeBatch('logs', [{ resource, scopeLogs: [{ scope: SCOPE, logRecords: records }] }]);
}

const DELTA = 1;

function numberValue(v: number): { asInt: number } | { asDouble: number } {
  return Number.isSafeInteger(v) ? { asInt: v } : { asDouble: v };
}

/** Points grouped into one Metric per name and type, in the order they were first seen. */
export function metricsBatch(resource: Resource, points: readonly MetricPoint[]): MetricsBatch {
  const byKey = new Map<string, Metric>();
  for (const p of points) {
    const key = `${p.type}\u0000${p.name}`;
    let metric = byKey.get(key);
    if (metric === undefined) {
      metric =
        p.type === 'counter'
          ? { name: p.name, sum: { dataPoints: [], aggregationTemporality: DELTA, isMonotonic: true } }
          : p.type === 'gauge'
            ? { name: p.name, gauge: { dataPoints: [] } }
            : { name: p.name, unit: 's', histogram: { dataPoints: [], aggregationTemporality: DELTA } };
      byKey.set(key, metric);
    }
    const base = { attributes: p.attributes, timeUnixNano: p.timeUnixNano, exemplars: [] };
    if (metric.sum) metric.sum.dataPoints.push({ ...base, startTimeUnixNano: p.startTimeUnixNano, ...numberValue(p.value) });
    else if (metric.gauge) metric.gauge.dataPoints.push({ ...base, ...numberValue(p.value) });
    else if (metric.histogram) {
      const bucket = TIMER_BOUNDS.findIndex((b) => p.value <= b);
      const bucketCounts = new Array<number>(TIMER_BOUNDS.length + 1).fill(0);
      bucketCounts[bucket < 0 ? TIMER_BOUNDS.length : bucket] = 1;
      metric.histogram.dataPoints.push({
        ...base,
        startTimeUnixNano: p.startTimeUnixNano,
        count: 1,
        sum: p.value,
        min: p.value,
        max: p.value,
        bucketCounts,
        explicitBounds: [...TIMER_BOUNDS],
      });
    }
  }
  return makeBatch('metrics', [{ resource, scopeMetrics: [{ scope: SCOPE, metrics: [...byKey.values()] }] }]);
}
