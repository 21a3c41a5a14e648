// A backend that takes OTLP over HTTP (protobuf or JSON, gzip) and gRPC and records every log
// record by its body and every span by its name: what arrived, and how often (duplicates).
import * as grpc from '@grpc/grpc-js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { EXPORT_METHOD } from '../../src/exporters/otlp/index.js';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import { decodeExportRequest, encodeExportResponse } from '../../src/pdata/proto.js';
import type { ResourceLogs, ResourceSpans, Signal } from '../../src/pdata/types.js';

const identity = (b: Buffer): Buffer => b;

export class OtlpSink {
  /** Log record bodies and span names, with how many times each arrived. */
  readonly logs = new Map<string, number>();
  readonly spans = new Map<string, number>();
  requests = 0;
  private http: Server | undefined;
  private grpcServer: grpc.Server | undefined;
  httpPort = 0;
  grpcPort = 0;

  static async start(): Promise<OtlpSink> {
    const sink = new OtlpSink();
    await sink.listen();
    return sink;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** Distinct items that arrived. */
  count(signal: 'logs' | 'traces'): number {
    return (signal === 'logs' ? this.logs : this.spans).size;
  }

  /** Arrivals beyond the first of each item. */
  duplicates(signal: 'logs' | 'traces'): number {
    let n = 0;
    for (const c of (signal === 'logs' ? this.logs : this.spans).values()) n += c - 1;
    return n;
  }

  private record(signal: Signal, body: Buffer, json: boolean): void {
    this.requests++;
    if (signal === 'logs') {
      const resources = (json ? decodeJsonExportRequest('logs', JSON.parse(body.toString('utf8'))) : decodeExportRequest('logs', body)) as ResourceLogs[];
      for (const r of resources) for (const s of r.scopeLogs) for (const l of s.logRecords) bump(this.logs, String(l.body?.stringValue));
    } else if (signal === 'traces') {
      const resources = (json ? decodeJsonExportRequest('traces', JSON.parse(body.toString('utf8'))) : decodeExportRequest('traces', body)) as ResourceSpans[];
      for (const r of resources) for (const s of r.scopeSpans) for (const sp of s.spans) bump(this.spans, sp.name);
    }
  }

  private async listen(): Promise<void> {
    this.http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const signal: Signal | undefined = req.url?.endsWith('/v1/logs') ? 'logs' : req.url?.endsWith('/v1/traces') ? 'traces' : req.url?.endsWith('/v1/metrics') ? 'metrics' : undefined;
        if (!signal) {
          res.writeHead(404).end();
          return;
        }
        let body = Buffer.concat(chunks);
        if ((req.headers['content-encoding'] ?? '') === 'gzip') body = gunzipSync(body);
        const json = (req.headers['content-type'] ?? '').startsWith('application/json');
        try {
          this.record(signal, body, json);
        } catch (err) {
          res.writeHead(400).end(String(err));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(encodeExportResponse(signal));
      });
    });
    await new Promise<void>((resolve) => this.http?.listen(0, '127.0.0.1', resolve));
    this.httpPort = (this.http.address() as AddressInfo).port;

    const server = new grpc.Server();
    for (const signal of ['logs', 'traces', 'metrics'] as const) {
      const definition: grpc.ServiceDefinition = {
        Export: { path: EXPORT_METHOD[signal], requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
      };
      server.addService(definition, {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          try {
            this.record(signal, call.request, false);
            callback(null, Buffer.from(encodeExportResponse(signal)));
          } catch (err) {
            callback({ code: grpc.status.INVALID_ARGUMENT, details: String(err) });
          }
        },
      });
    }
    this.grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    this.grpcServer = server;
  }

  async stop(): Promise<void> {
    this.grpcServer?.forceShutdown();
    const http = this.http;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}
