// Test fixtures for exporters: one batch per signal that exercises every field kind
// (ids, 64-bit timestamps, nested attributes, all metric types), and a normaliser to compare them.
import * as grpc from '@grpc/grpc-js';
import type { SchemaObject } from 'ajv';
import protobuf from 'protobufjs';
import { compileConfigSchema } from '../../../src/config/validate.js';
import type { LogsBatch, MetricsBatch, TracesBatch, Batch } from '../../../src/pdata/batch.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import type { KeyValue } from '../../../src/pdata/types.js';
import type { SelfTelemetry } from '../../../src/telemetry/self.js';
import type { LogFields, Logger } from '../../../src/telemetry/logger.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const SPAN_ID = 'eee19b7ec3c1b174';
export const PARENT_SPAN_ID = 'eee19b7ec3c1b173';
// Above 2^53: a double would lose the last digits.
export const T1 = '1700000000123456789';
export const T2 = '1700000001987654321';

const resourceAttributes = (): KeyValue[] => [
  { key: 'service.name', value: { stringValue: 'checkout' } },
  { key: 'host.cpus', value: { intValue: '-9007199254740993' } },
  { key: 'ratio', value: { doubleValue: 0.25 } },
  { key: 'ready', value: { boolValue: true } },
  { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 7 }] } } },
  { key: 'nested', value: { kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'x' } }] } } },
  { key: 'blob', value: { bytesValue: bytes('00ff10') } },
];

const scope = { name: 'ferry-test', version: '1.2.3', attributes: [{ key: 'scope.attr', value: { stringValue: 's' } }] };

export function logsBatch(): LogsBatch {
  return makeBatch('logs', [
    {
      resource: { attributes: resourceAttributes() },
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      scopeLogs: [
        {
          scope,
          logRecords: [
            {
              timeUnixNano: T1,
              observedTimeUnixNano: T2,
              severityNumber: 9,
              severityText: 'INFO',
              body: { stringValue: 'order placed' },
              attributes: [{ key: 'order.id', value: { intValue: 42 } }],
              traceId: bytes(TRACE_ID),
              spanId: bytes(SPAN_ID),
              flags: 1,
              eventName: 'order.placed',
            },
            {
              timeUnixNano: T2,
              severityNumber: 17,
              severityText: 'ERROR',
              body: { kvlistValue: { values: [{ key: 'msg', value: { stringValue: 'payment failed' } }] } },
              attributes: [{ key: 'retry', value: { boolValue: true } }],
              droppedAttributesCount: 2,
            },
          ],
        },
      ],
    },
  ]);
}

export function tracesBatch(): TracesBatch {
  return makeBatch('traces', [
    {
      resource: { attributes: resourceAttributes() },
      scopeSpans: [
        {
          scope,
          spans: [
            {
              traceId: bytes(TRACE_ID),
              spanId: bytes(SPAN_ID),
              parentSpanId: bytes(PARENT_SPAN_ID),
              traceState: 'vendor=1',
              name: 'POST /orders',
              kind: 2,
              startTimeUnixNano: T1,
              endTimeUnixNano: T2,
              attributes: [{ key: 'http.status_code', value: { intValue: 201 } }],
              events: [{ timeUnixNano: T1, name: 'validated', attributes: [{ key: 'ok', value: { boolValue: true } }] }],
              links: [{ traceId: bytes(TRACE_ID), spanId: bytes(PARENT_SPAN_ID), attributes: [{ key: 'link', value: { stringValue: 'l' } }] }],
              status: { code: 2, message: 'boom' },
            },
          ],
        },
      ],
    },
  ]);
}

export function metricsBatch(): MetricsBatch {
  const attributes = [{ key: 'route', value: { stringValue: '/orders' } }];
  return makeBatch('metrics', [
    {
      resource: { attributes: resourceAttributes() },
      scopeMetrics: [
        {
          scope,
          metrics: [
            { name: 'queue.depth', unit: '1', description: 'depth', gauge: { dataPoints: [{ attributes, timeUnixNano: T1, asDouble: 3.5, exemplars: [] }] } },
            {
              name: 'requests',
              sum: {
                aggregationTemporality: 2,
                isMonotonic: true,
                dataPoints: [
                  {
                    attributes,
                    startTimeUnixNano: T1,
                    timeUnixNano: T2,
                    asInt: '9007199254740993',
                    exemplars: [{ filteredAttributes: [], timeUnixNano: T1, asDouble: 1.5, traceId: bytes(TRACE_ID), spanId: bytes(SPAN_ID) }],
                  },
                ],
              },
            },
            {
              name: 'latency',
              unit: 'ms',
              histogram: {
                aggregationTemporality: 1,
                dataPoints: [
                  { attributes, startTimeUnixNano: T1, timeUnixNano: T2, count: 6, sum: 120.5, bucketCounts: [1, 2, 3], explicitBounds: [10, 100], exemplars: [], min: 1, max: 90 },
                ],
              },
            },
            {
              name: 'latency.exp',
              exponentialHistogram: {
                aggregationTemporality: 2,
                dataPoints: [
                  {
                    attributes,
                    timeUnixNano: T2,
                    count: 5,
                    sum: 12,
                    scale: 3,
                    zeroCount: 1,
                    positive: { offset: 2, bucketCounts: [1, 3] },
                    negative: { offset: -1, bucketCounts: [0] },
                    exemplars: [],
                  },
                ],
              },
            },
            {
              name: 'sizes',
              summary: {
                dataPoints: [{ attributes, timeUnixNano: T2, count: 3, sum: 30, quantileValues: [{ quantile: 0.5, value: 9 }, { quantile: 0.99, value: 20 }] }],
              },
            },
          ],
        },
      ],
    },
  ]);
}

export function batchOf(signal: Batch['signal']): Batch {
  if (signal === 'logs') return logsBatch();
  if (signal === 'traces') return tracesBatch();
  return metricsBatch();
}

function isLong(v: object): v is { toString(): string; high: number; low: number } {
  return 'high' in v && 'low' in v && 'unsigned' in v;
}

/**
 * A comparable plain form of decoded or hand-built pdata: 64-bit values as decimal strings,
 * bytes as hex, and proto3 defaults (0, '', false, empty arrays, null) dropped on both sides.
 */
export function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Uint8Array) return value.byteLength === 0 ? undefined : Buffer.from(value).toString('hex');
  if (typeof value === 'number') return value === 0 ? undefined : String(value);
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'boolean') return value ? true : undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map((v) => normalize(v) ?? null);
  if (typeof value === 'object') {
    if (isLong(value)) return value.toString() === '0' ? undefined : value.toString();
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = normalize((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

/** The value of one self-metric series (0 when absent). */
export async function metricValue(telemetry: SelfTelemetry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = telemetry.registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  const series = data.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return series?.value ?? 0;
}

export interface LogLine {
  level: string;
  message: string;
  fields: LogFields;
}

/** A logger that records its lines, to assert on warnings. */
export function recordingLogger(lines: LogLine[] = [], base: LogFields = {}): Logger & { lines: LogLine[] } {
  const log = (level: string) => (message: string, fields?: LogFields) => void lines.push({ level, message, fields: { ...base, ...fields } });
  return {
    lines,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => recordingLogger(lines, { ...base, ...fields }),
  };
}

/** A component config as the loader hands it over: validated by the loader's ajv, defaults filled. */
export function withDefaults<C>(schema: SchemaObject, config: Record<string, unknown>): C {
  const data = structuredClone(config);
  const validateFn = compileConfigSchema(schema);
  if (!validateFn(data)) throw new Error(`invalid test config: ${JSON.stringify(validateFn.errors)}`);
  return data as C;
}

/** grpc-status-details-bin carrying a google.rpc.RetryInfo, written field by field as a Go server would. */
export function retryInfoMetadata(seconds: number, nanos = 0): grpc.Metadata {
  // Duration { seconds = 1; nanos = 2 }
  const duration = protobuf.Writer.create().uint32(8).int64(seconds).uint32(16).int32(nanos).finish();
  // RetryInfo { retry_delay = 1 }
  const retryInfo = protobuf.Writer.create().uint32(10).bytes(duration).finish();
  // Any { type_url = 1; value = 2 }
  const any = protobuf.Writer.create().uint32(10).string('type.googleapis.com/google.rpc.RetryInfo').uint32(18).bytes(retryInfo).finish();
  // Status { code = 1; message = 2; details = 3 }, with another detail type first.
  const other = protobuf.Writer.create().uint32(10).string('type.googleapis.com/google.rpc.DebugInfo').finish();
  const status = protobuf.Writer.create().uint32(8).int32(8).uint32(18).string('slow down').uint32(26).bytes(other).uint32(26).bytes(any).finish();
  const md = new grpc.Metadata();
  md.set('grpc-status-details-bin', Buffer.from(status));
  return md;
}
