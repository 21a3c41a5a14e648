// Ferry's self-metrics: one prom-client registry, with the OpenTelemetry Collector's
// metric names as its Prometheus endpoint shows them since v0.120 (counters end in _total).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Signal } from '../pdata/types.js';
import { ITEM_NOUN } from '../pdata/batch.js';

export interface ReceiverMetrics {
  accepted(signal: Signal, items: number): void;
  refused(signal: Signal, items: number): void;
}

/** A server's connections: open now, its cap, and the ones refused at the cap or reaped. */
export interface ConnectionMetrics {
  opened(): void;
  closed(): void;
  refused(): void;
  /** A connection closed by the server for sending nothing useful in time (no HTTP/2 preface). */
  reaped(): void;
  limit(max: number): void;
}

export interface ExporterMetrics {
  sent(signal: Signal, items: number): void;
  sendFailed(signal: Signal, items: number): void;
  enqueueFailed(signal: Signal, items: number): void;
}

type Labels = readonly string[];

export class SelfTelemetry {
  readonly registry = new Registry();
  private readonly startedAt = process.hrtime.bigint();
  private readonly counters = new Map<string, Counter<string>>();
  private readonly gauges = new Map<string, Gauge<string>>();
  private readonly histograms = new Map<string, Histogram<string>>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const startedAt = this.startedAt;
    new Counter({
      name: 'otelcol_process_uptime_seconds_total',
      help: 'Uptime of the process.',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(Number(process.hrtime.bigint() - startedAt) / 1e9);
      },
    });
    new Gauge({
      name: 'otelcol_process_memory_rss_bytes',
      help: 'Total physical memory (resident set size).',
      registers: [this.registry],
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Gauge({
      name: 'otelcol_process_runtime_heap_alloc_bytes',
      help: 'Bytes of allocated heap objects (V8 heap used).',
      registers: [this.registry],
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    new Counter({
      name: 'otelcol_process_cpu_seconds_total',
      help: 'Total CPU user and system time in seconds.',
      registers: [this.registry],
      collect() {
        const u = process.cpuUsage();
        this.reset();
        this.inc((u.user + u.system) / 1e6);
      },
    });
  }

  /** Get or create a counter; names and label sets are fixed by the first caller. */
  counter(name: string, help: string, labelNames: Labels): Counter<string> {
    let c = this.counters.get(name);
    if (!c) {
      c = new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
      this.counters.set(name, c);
    }
    return c;
  }

  gauge(name: string, help: string, labelNames: Labels): Gauge<string> {
    let g = this.gauges.get(name);
    if (!g) {
      g = new Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });
      this.gauges.set(name, g);
    }
    return g;
  }

  histogram(name: string, help: string, labelNames: Labels, buckets: number[]): Histogram<string> {
    let h = this.histograms.get(name);
    if (!h) {
      h = new Histogram({ name, help, labelNames: [...labelNames], buckets, registers: [this.registry] });
      this.histograms.set(name, h);
    }
    return h;
  }

  /** `otelcol_receiver_{accepted,refused}_<items>_total{receiver, transport}`. */
  forReceiver(id: string, transport: string): ReceiverMetrics {
    const labels = { receiver: id, transport };
    const accepted = (s: Signal) =>
      this.counter(`otelcol_receiver_accepted_${ITEM_NOUN[s]}_total`, `Number of ${ITEM_NOUN[s]} successfully pushed into the pipeline.`, ['receiver', 'transport']);
    const refused = (s: Signal) =>
      this.counter(`otelcol_receiver_refused_${ITEM_NOUN[s]}_total`, `Number of ${ITEM_NOUN[s]} that could not be pushed into the pipeline.`, ['receiver', 'transport']);
    return {
      accepted: (s, n) => accepted(s).inc(labels, n),
      refused: (s, n) => refused(s).inc(labels, n),
    };
  }

  /**
   * `ferry_receiver_open_connections`, `ferry_receiver_max_connections`,
   * `ferry_receiver_refused_connections_total` and `ferry_receiver_reaped_connections_total`,
   * labelled `{receiver, transport}`.
   */
  forConnections(id: string, transport: string): ConnectionMetrics {
    const labels = { receiver: id, transport };
    const names = ['receiver', 'transport'];
    const open = this.gauge('ferry_receiver_open_connections', 'Client connections open now.', names);
    const max = this.gauge('ferry_receiver_max_connections', 'The most client connections a receiver keeps open at once (max_connections).', names);
    const refused = this.counter('ferry_receiver_refused_connections_total', 'Connections closed at once because max_connections were open.', names);
    const reaped = this.counter('ferry_receiver_reaped_connections_total', 'Connections closed for not starting HTTP/2 within handshake_timeout.', names);
    open.set(labels, 0);
    refused.inc(labels, 0);
    reaped.inc(labels, 0);
    return {
      opened: () => open.inc(labels),
      closed: () => open.dec(labels),
      refused: () => refused.inc(labels),
      reaped: () => reaped.inc(labels),
      limit: (n) => max.set(labels, n),
    };
  }

  /** `otelcol_exporter_{sent,send_failed,enqueue_failed}_<items>_total{exporter}`. */
  forExporter(id: string): ExporterMetrics {
    const labels = { exporter: id };
    const metric = (what: string, help: string) => (s: Signal) =>
      this.counter(`otelcol_exporter_${what}_${ITEM_NOUN[s]}_total`, help.replace('ITEMS', ITEM_NOUN[s]), ['exporter']);
    const sent = metric('sent', 'Number of ITEMS successfully sent to destination.');
    const failed = metric('send_failed', 'Number of ITEMS in failed attempts to send to destination.');
    const enqueue = metric('enqueue_failed', 'Number of ITEMS failed to be added to the sending queue.');
    return {
      sent: (s, n) => sent(s).inc(labels, n),
      sendFailed: (s, n) => failed(s).inc(labels, n),
      enqueueFailed: (s, n) => enqueue(s).inc(labels, n),
    };
  }
}
