// The `nats` receiver: subscribes per signal to a subject (queue group optional) or pulls
// from a JetStream durable consumer, acking each message only once the pipeline accepted it.
import type { JetStreamManager, JsMsg, Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import type { ComponentContext, Host, Receiver, ReceiverFactory, SignalConsumers } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { PermanentError, RetryableError, errorMessage } from '../../consumer.js';
import { parseDuration } from '../../config/units.js';
import { SIGNAL_HEADER, connectNats, natsLib } from '../../nats/connection.js';
import type { Signal } from '../../pdata/types.js';
import { SIGNALS } from '../../pdata/types.js';
import type { ReceiverMetrics } from '../../telemetry/self.js';
import { InFlight, consumeCounted } from '../helper.js';
import type { JetStreamReceiverConfig, NatsReceiverConfig } from './config.js';
import { configSchema, subscriptionFor, validate } from './config.js';
import { decodeMessage } from './decode.js';

export type { NatsReceiverConfig } from './config.js';

/** Messages handled at once per subscription: enough to keep a batch processor fed, bounded so memory is. */
const MAX_CONCURRENT = 256;
const DRAIN_TIMEOUT_MS = 10_000;

type Outcome = 'accepted' | 'retry' | 'rejected' | 'other-signal';
interface Settled {
  readonly outcome: Outcome;
  readonly retryAfterMs?: number;
}

class NatsReceiver implements Receiver {
  private nc: NatsConnection | undefined;
  private readonly inFlight = new InFlight();
  private readonly subs: Subscription[] = [];
  private readonly stops: (() => Promise<void>)[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly config: NatsReceiverConfig,
    private readonly ctx: ComponentContext,
    private readonly next: SignalConsumers,
  ) {}

  async start(_host: Host): Promise<void> {
    const nc = await connectNats(this.config, this.ctx.id, this.ctx.logger);
    this.nc = nc;
    const signals = SIGNALS.filter((s) => this.next[s] !== undefined);
    try {
      for (const signal of signals) {
        const consumer = this.next[signal] as Consumer;
        const js = this.config.jetstream;
        if (js) await this.startJetStream(nc, signal, consumer, js, signals.length > 1);
        else this.startCore(nc, signal, consumer);
      }
      // Make sure the server registered the subscriptions before start() reports ready.
      await nc.flush();
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** Decode and hand one message to the pipeline; never throws. */
  private async handle(signal: Signal, consumer: Consumer, m: { data: Uint8Array; subject: string; headers?: MsgHdrs }, metrics: ReceiverMetrics): Promise<Settled> {
    const { data, subject } = m;
    const sub = subscriptionFor(this.config, signal);
    if (isOtlp(sub.encoding)) {
      const carried = messageSignal(m.headers, subject);
      // Several signals may share one subject (otlp.>): each subscription takes only its own.
      if (carried !== undefined && carried !== signal) return { outcome: 'other-signal' };
    }
    let batch;
    try {
      batch = decodeMessage(signal, sub.encoding, data, subject, { subjectAttributes: this.config.subject_attributes, json: this.config.json });
    } catch (err) {
      this.ctx.logger.warn('Dropping a message that does not decode', { signal, subject, encoding: sub.encoding, error: errorMessage(err) });
      return { outcome: 'rejected' };
    }
    const err = await consumeCounted(consumer, batch, metrics, this.ctx.logger);
    if (err === undefined) return { outcome: 'accepted' };
    if (err instanceof PermanentError || !err.retryable) return { outcome: 'rejected' };
    return { outcome: 'retry', retryAfterMs: err instanceof RetryableError ? err.retryAfterMs : undefined };
  }

  /** Core NATS: at-most-once, so a refused message is logged and counted, and gone. */
  private startCore(nc: NatsConnection, signal: Signal, consumer: Consumer): void {
    const { subject, queue } = subscriptionFor(this.config, signal);
    const metrics = this.ctx.telemetry.forReceiver(this.ctx.id, 'nats');
    const sub = nc.subscribe(subject, queue === undefined ? {} : { queue });
    this.subs.push(sub);
    this.loops.push(
      this.pump(sub, async (m: Msg) => {
        const settled = await this.handle(signal, consumer, m, metrics);
        if (settled.outcome === 'retry') this.ctx.logger.warn('Core NATS message refused by the pipeline and lost (use jetstream for at-least-once)', { signal, subject: m.subject });
      }),
    );
    this.ctx.logger.info('Subscribed', { signal, subject, queue });
  }

  private async startJetStream(nc: NatsConnection, signal: Signal, consumer: Consumer, c: JetStreamReceiverConfig, several: boolean): Promise<void> {
    const { subject } = subscriptionFor(this.config, signal);
    const durable = several ? `${c.durable}_${signal}` : c.durable;
    const ackWaitMs = parseDuration(c.ack_wait);
    const nakDelayMs = parseDuration(c.nak_delay);
    if (c.create) await ensureConsumer(await nc.jetstreamManager(), c, subject, durable, ackWaitMs);
    const jsConsumer = await nc.jetstream().consumers.get(c.stream, durable);
    const messages = await jsConsumer.consume({ max_messages: Math.min(c.max_ack_pending, MAX_CONCURRENT) });
    this.stops.push(async () => {
      await messages.close();
    });
    const metrics = this.ctx.telemetry.forReceiver(this.ctx.id, 'jetstream');
    this.loops.push(
      this.pump(messages, async (m: JsMsg) => {
        // A slow pipeline must not make the server redeliver: say we are still working on it.
        const keepAlive = setInterval(() => m.working(), Math.max(500, ackWaitMs / 2));
        try {
          const settled = await this.handle(signal, consumer, m, metrics);
          if (settled.outcome === 'accepted' || settled.outcome === 'other-signal') await m.ackAck().catch(() => m.ack());
          else if (settled.outcome === 'retry') m.nak(settled.retryAfterMs ?? nakDelayMs);
          else m.term();
        } finally {
          clearInterval(keepAlive);
        }
      }),
    );
    this.ctx.logger.info('Consuming from JetStream', { signal, stream: c.stream, durable, subject });
  }

  /** Run `work` for each message, at most MAX_CONCURRENT at a time (waiting for a slot pauses reading). */
  private async pump<M>(source: AsyncIterable<M>, work: (m: M) => Promise<void>): Promise<void> {
    let running = 0;
    let slot: (() => void) | undefined;
    for await (const m of source) {
      if (running >= MAX_CONCURRENT) await new Promise<void>((r) => (slot = r));
      running++;
      void this.inFlight
        .run(() => work(m))
        .catch((err: unknown) => this.ctx.logger.warn('Handling a NATS message failed', { error: errorMessage(err) }))
        .finally(() => {
          running--;
          const s = slot;
          slot = undefined;
          s?.();
        });
    }
  }

  async shutdown(): Promise<void> {
    const nc = this.nc;
    if (!nc) return;
    this.nc = undefined;
    await Promise.all(this.subs.map((s) => s.drain().catch(() => undefined)));
    await Promise.all(this.stops.map((stop) => stop().catch(() => undefined)));
    const idle = await this.inFlight.idle(DRAIN_TIMEOUT_MS);
    if (!idle) this.ctx.logger.warn('Shutting down with NATS messages still in the pipeline; JetStream redelivers them, core NATS loses them');
    await nc.drain().catch(() => nc.close());
  }
}

function isOtlp(encoding: string): boolean {
  return encoding === 'otlp_proto' || encoding === 'otlp_json';
}

/** The signal a message says it carries: the exporter's header, else a subject token named logs, traces or metrics. */
function messageSignal(headers: MsgHdrs | undefined, subject: string): Signal | undefined {
  const header = headers?.get(SIGNAL_HEADER);
  if (header !== undefined && (SIGNALS as readonly string[]).includes(header)) return header as Signal;
  return subject.split('.').find((t): t is Signal => (SIGNALS as readonly string[]).includes(t));
}

/** Create the stream (capturing the subject) and the durable pull consumer when missing. */
async function ensureConsumer(jsm: JetStreamManager, c: JetStreamReceiverConfig, subject: string, durable: string, ackWaitMs: number): Promise<void> {
  try {
    await jsm.streams.info(c.stream);
  } catch {
    try {
      await jsm.streams.add({ name: c.stream, subjects: [subject] });
    } catch (err) {
      // Another gateway may have created it at the same moment.
      await jsm.streams.info(c.stream).catch(() => Promise.reject(err));
    }
  }
  const { AckPolicy, nanos } = await natsLib();
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: c.max_ack_pending,
    filter_subject: subject,
  };
  try {
    await jsm.consumers.info(c.stream, durable);
  } catch {
    try {
      await jsm.consumers.add(c.stream, config);
    } catch (err) {
      await jsm.consumers.info(c.stream, durable).catch(() => Promise.reject(err));
    }
  }
}

export const natsReceiver: ReceiverFactory<NatsReceiverConfig> = {
  kind: 'receiver',
  type: 'nats',
  description: 'Receives logs, traces and metrics from NATS subjects (queue groups, wildcards) or a JetStream durable consumer.',
  signals: SIGNALS,
  configSchema,
  validate,
  create: (config, ctx, next) => new NatsReceiver(config, ctx, next),
};
