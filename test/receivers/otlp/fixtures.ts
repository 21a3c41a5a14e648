// Shared pieces of the otlp receiver tests: start a receiver on free ports, sample
// requests for each signal, and a raw HTTP client that returns status, headers and body.
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { SignalConsumers } from '../../../src/component.js';
import type { Consumer } from '../../../src/consumer.js';
import type { Batch } from '../../../src/pdata/batch.js';
import type { ResourcesOf, Signal } from '../../../src/pdata/types.js';
import { encodeExportRequest } from '../../../src/pdata/proto.js';
import { encodeJsonExportRequest } from '../../../src/pdata/json.js';
import { OtlpReceiver } from '../../../src/receivers/otlp/index.js';
import type { OtlpReceiverConfig, OtlpReceiverOptions } from '../../../src/receivers/otlp/index.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { CollectingConsumer, freePort, testContext, testHost } from '../../helpers/index.js';

export interface Running {
  readonly receiver: OtlpReceiver;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly telemetry: SelfTelemetry;
  readonly consumers: Record<Signal, CollectingConsumer>;
  readonly httpUrl: string;
}

/** Start an otlp receiver with both protocols on free ports; `protocols` entries are merged over that. */
export async function startReceiver(
  protocols: { grpc?: Record<string, unknown> | null; http?: Record<string, unknown> | null } = {},
  options: { signals?: readonly Signal[]; receiver?: OtlpReceiverOptions; next?: SignalConsumers } = {},
): Promise<Running> {
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const consumers = { logs: new CollectingConsumer(), traces: new CollectingConsumer(), metrics: new CollectingConsumer() };
  const next: SignalConsumers = {};
  for (const s of options.signals ?? (['logs', 'traces', 'metrics'] as const)) next[s] = consumers[s];
  Object.assign(next, options.next);
  const p: Record<string, unknown> = {};
  if (protocols.grpc !== null) p.grpc = { endpoint: `127.0.0.1:${grpcPort}`, ...protocols.grpc };
  if (protocols.http !== null) p.http = { endpoint: `127.0.0.1:${httpPort}`, ...protocols.http };
  const config = { protocols: p } as OtlpReceiverConfig;
  const receiver = new OtlpReceiver(config, testContext('otlp', 'receiver', telemetry), next, options.receiver);
  await receiver.start(testHost);
  return { receiver, grpcPort, httpPort, telemetry, consumers, httpUrl: `http://127.0.0.1:${httpPort}` };
}

/** A consumer that holds every batch until opened: requests stay in flight as long as a test needs. */
export class GateConsumer implements Consumer {
  readonly mutatesData = false;
  readonly batches: Batch[] = [];
  started = 0;
  private release: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  async consume(batch: Batch): Promise<void> {
    this.started++;
    await this.gate;
    this.batches.push(batch);
  }

  open(): void {
    this.release();
  }
}

export const TRACE_ID = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex');
export const SPAN_ID = Buffer.from('eee19b7ec3c1b174', 'hex');
const TS = '1700000000123456789';

const attrs = [{ key: 'k', value: { stringValue: 'v' } }];
const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'test-svc' } }] };

const builders: { [S in Signal]: (n: number) => ResourcesOf[S] } = {
  logs: (n) => [
    {
      resource,
      scopeLogs: [
        {
          scope: { name: 'test', attributes: [] },
          logRecords: range(n).map((i) => ({ timeUnixNano: TS, body: { stringValue: `line ${i}` }, attributes: attrs, traceId: TRACE_ID, spanId: SPAN_ID })),
        },
      ],
    },
  ],
  traces: (n) => [
    {
      resource,
      scopeSpans: [
        {
          scope: { name: 'test', attributes: [] },
          spans: range(n).map((i) => ({
            traceId: TRACE_ID,
            spanId: SPAN_ID,
            name: `span ${i}`,
            startTimeUnixNano: TS,
            endTimeUnixNano: TS,
            attributes: attrs,
            events: [],
            links: [],
          })),
        },
      ],
    },
  ],
  metrics: (n) => [
    {
      resource,
      scopeMetrics: [
        {
          scope: { name: 'test', attributes: [] },
          metrics: [{ name: 'm', gauge: { dataPoints: range(n).map((i) => ({ attributes: attrs, timeUnixNano: TS, asDouble: i, exemplars: [] })) } }],
        },
      ],
    },
  ],
};

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** One small request per signal, as the pdata model holds it (n items). */
export function sampleResources<S extends Signal>(signal: S, n = 1): ResourcesOf[S] {
  return builders[signal](n);
}

export function protobufRequest(signal: Signal, n = 1): Buffer {
  return Buffer.from(encodeExportRequest(signal, sampleResources(signal, n)));
}

export function jsonRequest(signal: Signal, n = 1): Buffer {
  return Buffer.from(encodeJsonExportRequest(signal, sampleResources(signal, n)));
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One HTTP request on a fresh connection; resolves with whatever the server answered. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST an OTLP body with the given content type. */
export function post(url: string, body: Buffer | string, contentType: string, headers: Record<string, string | number> = {}): Promise<RawResponse> {
  return rawRequest(url, { headers: { 'content-type': contentType, ...headers }, body });
}

/** The value of a counter in the self-metrics registry, 0 when never incremented. */
export async function counterValue(telemetry: SelfTelemetry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await telemetry.registry.getSingleMetric(name)?.get();
  const point = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return point?.value ?? 0;
}
