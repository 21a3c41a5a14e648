// The gRPC transport of the otlp exporter: a generic grpc-js client that sends bytes we
// encoded ourselves and hands back the raw response, its callback API wrapped once.
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsClientOptions } from '../../config/tls-client.js';

export interface GrpcClientOptions {
  readonly target: string;
  /** undefined = plaintext. */
  readonly tls: TlsClientOptions | undefined;
  readonly compression: 'gzip' | 'deflate' | 'none';
  readonly userAgent: string;
  readonly balancerName: 'pick_first' | 'round_robin' | '';
  readonly keepalive?: { timeMs: number; timeoutMs: number; permitWithoutStream: boolean };
  readonly authority?: string;
  readonly waitForReady: boolean;
  readonly headers: ReadonlyArray<[string, string]>;
}

export interface GrpcClient {
  /** Resolves with the response bytes; rejects with grpc-js's ServiceError (code, details, metadata). */
  unary(path: string, request: Uint8Array, signal: AbortSignal): Promise<Buffer>;
  close(): void;
}

const identity = (b: Buffer): Buffer => b;

function credentials(tls: TlsClientOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key, minVersion: tls.minVersion, maxVersion: tls.maxVersion });
  return grpc.credentials.createFromSecureContext(context, { rejectUnauthorized: tls.rejectUnauthorized });
}

function metadataFor(options: GrpcClientOptions): grpc.Metadata {
  const metadata = new grpc.Metadata({ waitForReady: options.waitForReady });
  for (const [name, value] of options.headers) {
    // grpc-js requires binary values for `-bin` keys; YAML can only carry them base64-encoded.
    if (name.toLowerCase().endsWith('-bin')) metadata.add(name, Buffer.from(value, 'base64'));
    else metadata.add(name, value);
  }
  return metadata;
}

export function createGrpcClient(options: GrpcClientOptions): GrpcClient {
  const channelOptions: grpc.ChannelOptions = {
    'grpc.primary_user_agent': options.userAgent,
    // Responses are a few bytes; requests are bounded by what the sender batched.
    'grpc.max_send_message_length': -1,
  };
  if (options.compression !== 'none') channelOptions['grpc.default_compression_algorithm'] = grpc.compressionAlgorithms[options.compression];
  if (options.balancerName !== '') {
    channelOptions['grpc.service_config'] = JSON.stringify({ loadBalancingConfig: [{ [options.balancerName]: {} }] });
  }
  if (options.keepalive) {
    channelOptions['grpc.keepalive_time_ms'] = options.keepalive.timeMs;
    channelOptions['grpc.keepalive_timeout_ms'] = options.keepalive.timeoutMs;
    channelOptions['grpc.keepalive_permit_without_calls'] = options.keepalive.permitWithoutStream ? 1 : 0;
  }
  if (options.authority) channelOptions['grpc.default_authority'] = options.authority;
  if (options.tls?.servername) channelOptions['grpc.ssl_target_name_override'] = options.tls.servername;

  const client = new grpc.Client(options.target, credentials(options.tls), channelOptions);
  const metadata = metadataFor(options);

  return {
    unary(path, request, signal) {
      const bytes = Buffer.isBuffer(request) ? request : Buffer.from(request.buffer, request.byteOffset, request.byteLength);
      return new Promise((resolve, reject) => {
        const call = client.makeUnaryRequest<Buffer, Buffer>(path, identity, identity, bytes, metadata.clone(), {}, (err, response) => {
          signal.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve(response ?? Buffer.alloc(0));
        });
        const onAbort = (): void => call.cancel();
        if (signal.aborted) call.cancel();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    close() {
      client.close();
    },
  };
}
