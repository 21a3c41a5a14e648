// Jaeger agent UDP (thrift_compact :6831, thrift_binary :6832): one Agent.emitBatch message per
// datagram, decoded and consumed by a fixed number of workers from a bounded packet queue.
// UDP has no answer: packets the queue cannot hold, that do not decode, or that the pipeline
// refuses are dropped, counted (refused spans) and logged, never silently.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Consumer } from '../../consumer.js';
import { formatHostPort } from '../../net.js';
import { countItems, makeBatch } from '../../pdata/batch.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ReceiverMetrics } from '../../telemetry/self.js';
import type { InFlight } from '../helper.js';
import { clientAddress, consumeCounted } from '../helper.js';
import { SpanDecodeError } from '../span_http.js';
import type { ThriftProtocol } from '../thrift_reader.js';
import { decodeAgentMessage } from './thrift.js';
import { jaegerToOtlp } from './translate.js';

export interface ResolvedUdp {
  readonly host: string;
  readonly port: number;
  readonly queueSize: number;
  readonly maxPacketSize: number;
  readonly workers: number;
  readonly socketBufferSize: number;
}

export interface JaegerUdpOptions {
  readonly protocol: ThriftProtocol;
  readonly config: ResolvedUdp;
  readonly consumer: Consumer;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
  readonly inFlight: InFlight;
}

/** Log a kind of drop at most this often, with how many happened since the last line. */
const DROP_LOG_INTERVAL_MS = 10_000;

interface Packet {
  readonly data: Buffer;
  readonly from: string;
}

export class JaegerUdpServer {
  private socket: dgram.Socket | undefined;
  private readonly queue: Packet[] = [];
  private waiting: (() => void)[] = [];
  private workers: Promise<void>[] = [];
  private closed = false;
  private readonly drops = new Map<string, { count: number; lastLog: number }>();

  constructor(private readonly options: JaegerUdpOptions) {}

  /** Packets dropped so far, by reason (for tests and the log). */
  dropped(reason: string): number {
    return this.drops.get(reason)?.count ?? 0;
  }

  async start(): Promise<string> {
    const { config, protocol } = this.options;
    const socket = dgram.createSocket({ type: isIPv6(config.host) ? 'udp6' : 'udp4', ...(config.socketBufferSize > 0 ? { recvBufferSize: config.socketBufferSize } : {}) });
    const address = await new Promise<string>((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'address already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
        reject(new Error(`jaeger receiver (thrift_${protocol}): cannot listen on ${formatHostPort(config.host, config.port)}: ${why}`));
      });
      socket.bind(config.port, config.host, () => {
        const a = socket.address();
        resolve(formatHostPort(a.address, a.port));
      });
    });
    socket.on('error', (err) => this.options.logger.warn('UDP socket error', { protocol, error: err }));
    socket.on('message', (data, rinfo) => this.enqueue(data, rinfo.address));
    this.socket = socket;
    for (let i = 0; i < config.workers; i++) this.workers.push(this.work());
    return address;
  }

  private drop(reason: string, detail: Record<string, unknown>): void {
    const now = Date.now();
    const d = this.drops.get(reason) ?? { count: 0, lastLog: 0 };
    d.count++;
    this.drops.set(reason, d);
    if (now - d.lastLog >= DROP_LOG_INTERVAL_MS) {
      d.lastLog = now;
      this.options.logger.warn('dropped a Jaeger agent packet', { protocol: this.options.protocol, reason, droppedSoFar: d.count, ...detail });
    }
  }

  private enqueue(data: Buffer, from: string): void {
    const { config } = this.options;
    if (this.closed) return;
    if (data.length > config.maxPacketSize) {
      this.drop('packet larger than max_packet_size', { bytes: data.length, max_packet_size: config.maxPacketSize });
      return;
    }
    if (this.queue.length >= config.queueSize) {
      this.drop('queue full', { queue_size: config.queueSize });
      return;
    }
    this.queue.push({ data, from });
    this.waiting.shift()?.();
  }

  private async work(): Promise<void> {
    for (;;) {
      const packet = this.queue.shift();
      if (packet === undefined) {
        if (this.closed) return;
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      await this.options.inFlight.run(() => this.handle(packet));
    }
  }

  private async handle(packet: Packet): Promise<void> {
    const { protocol, logger } = this.options;
    let batch;
    try {
      const address = clientAddress(packet.from);
      batch = makeBatch('traces', jaegerToOtlp([decodeAgentMessage(packet.data, protocol)]), address === undefined ? {} : { clientAddress: address });
    } catch (err) {
      if (!(err instanceof SpanDecodeError)) throw err;
      this.drop('does not decode', { error: err.message, from: packet.from });
      return;
    }
    if (countItems(batch) === 0) return;
    const refused = await consumeCounted(this.options.consumer, batch, this.options.metrics, logger);
    if (refused !== undefined) this.drop('refused by the pipeline', { spans: countItems(batch), error: refused.message });
  }

  /** Stop receiving; the workers finish the packets already queued (shutdown waits via InFlight). */
  beginDrain(): void {
    this.closed = true;
    this.socket?.close();
    this.socket = undefined;
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** After beginDrain: resolves true once the queued packets were handled, false after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([Promise.all(this.workers).then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drop what is still queued (counted and logged); workers stop after their current packet. */
  close(): void {
    this.beginDrain();
    const left = this.queue.splice(0);
    for (const p of left) this.drop('receiver shut down', { from: p.from });
  }
}
