// A minimal OTLP/gRPC peer for exporter tests: a grpc-js server whose handlers get the raw
// request bytes, record them with their metadata, and answer from a script of replies.
import * as grpc from '@grpc/grpc-js';
import { decodeExportRequest, encodeExportResponse, type PartialSuccess } from '../../../src/pdata/proto.js';
import { SIGNALS, type Signal } from '../../../src/pdata/types.js';
import { EXPORT_METHOD } from '../../../src/exporters/otlp/index.js';

export interface ReceivedCall {
  readonly signal: Signal;
  readonly metadata: Record<string, string[]>;
  readonly body: Buffer;
  readonly at: number;
}

export type CallReply =
  | { ok: true; partialSuccess?: PartialSuccess; delayMs?: number }
  | { ok: false; code: grpc.status; details?: string; metadata?: grpc.Metadata; delayMs?: number };

const identity = (b: Buffer): Buffer => b;

export class OtlpGrpcPeer {
  readonly calls: ReceivedCall[] = [];
  /** Replies used in order, one per call; when empty, success with an empty response. */
  readonly replies: CallReply[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly server = new grpc.Server();
  /** Set once bound. */
  port = 0;

  private constructor() {
    for (const signal of SIGNALS) {
      const definition: grpc.ServiceDefinition = {
        Export: {
          path: EXPORT_METHOD[signal],
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      };
      this.server.addService(definition, {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => this.handle(signal, call, callback),
      });
    }
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(tls?: { cert: string; key: string }): Promise<OtlpGrpcPeer> {
    const peer = new OtlpGrpcPeer();
    const credentials = tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }]) : grpc.ServerCredentials.createInsecure();
    peer.port = await new Promise<number>((resolve, reject) => peer.server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
    return peer;
  }

  private handle(signal: Signal, call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void {
    const metadata: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = [Buffer.isBuffer(v) ? v.toString('base64') : String(v)];
    this.calls.push({ signal, metadata, body: call.request, at: Date.now() });
    const reply = this.replies.shift() ?? { ok: true };
    const respond = (): void => {
      if (reply.ok) callback(null, Buffer.from(encodeExportResponse(signal, reply.partialSuccess)));
      else callback({ code: reply.code, details: reply.details ?? '', metadata: reply.metadata ?? new grpc.Metadata() });
    };
    if (reply.delayMs) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        respond();
      }, reply.delayMs);
      this.timers.add(t);
    } else respond();
  }

  decode<S extends Signal>(signal: S, i: number): unknown {
    const c = this.calls[i];
    if (!c) throw new Error(`no call ${i}`);
    return decodeExportRequest(signal, c.body);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.forceShutdown();
  }
}
