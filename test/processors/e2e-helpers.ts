// Helpers for end-to-end processor tests: read what a file exporter wrote, flatten OTLP into
// records with plain attributes, export through the OpenTelemetry SDK, and a test OTLP backend.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Logger } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import { decodeExportRequest, encodeExportRequest } from '../../src/pdata/proto.js';
import { makeLogs } from '../pdata/fixtures.js';
import type { ResourceLogs, ResourceMetrics, ResourceSpans, ResourcesOf, Signal } from '../../src/pdata/types.js';
import { completeJsonLines } from '../helpers/index.js';
import { attrsOf } from './helpers.js';

/** Each line the file exporter wrote, decoded: one line per batch it was given. */
export function fileBatches<S extends Signal>(path: string, signal: S): ResourcesOf[S][] {
  const key = signal === 'logs' ? 'resourceLogs' : signal === 'traces' ? 'resourceSpans' : 'resourceMetrics';
  return completeJsonLines(path)
    .filter((o) => key in o)
    .map((o) => decodeJsonExportRequest(signal, o));
}
export const logsIn = (rs: ResourceLogs[]) => rs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((lr) => ({ resource: attrsOf(r.resource?.attributes), lr, a: attrsOf(lr.attributes) }))));
export const spansIn = (rs: ResourceSpans[]) => rs.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((sp) => ({ resource: attrsOf(r.resource?.attributes), sp, a: attrsOf(sp.attributes) }))));
export const pointsIn = (rs: ResourceMetrics[]) =>
  rs.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => (m.sum?.dataPoints ?? m.gauge?.dataPoints ?? []).map((p) => ({ name: m.name, resource: attrsOf(r.resource?.attributes), a: attrsOf(p.attributes) })))));

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface Result {
  code: number;
  error?: Error;
}

/** Emit log records through the SDK and export them with `exporter`, returning the SDK's export result. */
export async function sdkExport(exporter: LogRecordExporter, resource: Resource, emit: (logger: Logger) => void): Promise<Result> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  emit(provider.getLogger('e2e-processors', '1.0.0'));
  await provider.forceFlush();
  const records = memory.getFinishedLogRecords();
  await provider.shutdown();
  return new Promise((resolve) => exporter.export(records, (r) => resolve(r as Result)));
}

/** A test backend for OTLP/HTTP protobuf: decodes every request (gzip or not) and answers by `answer`. */
export function backend(answer: (resources: ResourceLogs[], res: ServerResponse) => void): { server: Server; requests: ResourceLogs[][] } {
  const requests: ResourceLogs[][] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const resources = decodeExportRequest('logs', body);
      requests.push(resources);
      answer(resources, res);
    });
  });
  return { server, requests };
}
export const listen = (s: Server, port: number) => new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
export const close = (s: Server | undefined) => new Promise((r) => (s ? (s.closeAllConnections(), s.close(r)) : r(undefined)));


/** One OTLP logs request of 4000 records with 1 KB random bodies (~4 MB decoded): memory pressure. */
export function bigLogsRequest(): Uint8Array {
  return encodeExportRequest(
    'logs',
    makeLogs(1).map((r) => ({ ...r, scopeLogs: r.scopeLogs.map((s) => ({ ...s, logRecords: Array.from({ length: 4000 }, () => ({ ...s.logRecords[0]!, body: { stringValue: randomBytes(750).toString('base64') } })) })) })),
  );
}

/** POST an OTLP/HTTP protobuf body; the status, or -1 when the connection failed (Ferry stopped under it). */
export function postProtobuf(url: string, body: Uint8Array): Promise<number> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body }).then(
    async (r) => {
      await r.arrayBuffer();
      return r.status;
    },
    () => -1,
  );
}

/**
 * Send `body` until a memory limiter refuses three times with no acceptance between (it
 * collects every 100ms while refusing, so it refuses for what it holds, not for garbage).
 * Returns the run of refusals reached and every request sent, some still in flight.
 */
export async function pressUntilRefused(url: string, body: Uint8Array): Promise<{ refusals: number; inflight: Promise<number>[] }> {
  const inflight: Promise<number>[] = [];
  let refusals = 0;
  for (let i = 0; i < 80 && refusals < 3; i++) {
    const p = postProtobuf(url, body);
    inflight.push(p);
    // Accepted requests may be answered at once (queued) or held (no queue); a refusal is quick,
    // though slower on a loaded machine, so only an answer of 200 breaks a run of refusals.
    const status = await Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), 300))]);
    if (status === 503) refusals++;
    else if (status === 200) refusals = 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { refusals, inflight };
}
