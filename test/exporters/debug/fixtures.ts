// Batches for the debug exporter's tests: one of each signal, with every field the
// text formats show (timestamps, ids, enums, nested values, all five metric types).
import Long from 'long';
import type { Batch } from '../../../src/pdata/batch.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import type { Metric } from '../../../src/pdata/types.js';

// A fixed64 as protobufjs decodes it (Long, from protobufjs's own dependency): 2020-02-11 20:26:13.000000789 UTC.
const T1 = Long.fromString('1581452773000000789', true);
const T0 = '1581452772000000321'; // 2020-02-11 20:26:12.000000321 UTC
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

export const logsBatch = (): Batch =>
  makeBatch('logs', [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      schemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
      scopeLogs: [
        {
          scope: { name: 'app', version: '1.2', attributes: [] },
          logRecords: [
            {
              timeUnixNano: T1,
              severityText: 'Info',
              severityNumber: 9,
              body: { stringValue: 'order placed' },
              attributes: [
                { key: 'order.id', value: { intValue: 42 } },
                { key: 'paid', value: { boolValue: true } },
              ],
              traceId: hex('0102030405060708090a0b0c0d0e0f10'),
              spanId: hex('1112131415161718'),
              flags: 1,
            },
            {
              observedTimeUnixNano: T1,
              severityNumber: 17,
              eventName: 'app.crash',
              body: { kvlistValue: { values: [{ key: 'z', value: { doubleValue: 1.5 } }, { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x<y' }, { bytesValue: hex('ff00') }] } } }] } },
              attributes: [],
            },
          ],
        },
      ],
    },
  ]);

export const tracesBatch = (): Batch =>
  makeBatch('traces', [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeSpans: [
        {
          scope: { name: 'http', attributes: [] },
          spans: [
            {
              traceId: hex('0102030405060708090a0b0c0d0e0f10'),
              spanId: hex('1112131415161718'),
              parentSpanId: new Uint8Array(8),
              name: 'GET /cart',
              kind: 2,
              traceState: 'ot=th:0',
              startTimeUnixNano: T0,
              endTimeUnixNano: T1,
              status: { code: 2, message: 'boom' },
              droppedAttributesCount: 1,
              attributes: [{ key: 'http.status_code', value: { intValue: 500 } }],
              events: [{ name: 'retry', timeUnixNano: T1, droppedAttributesCount: 2, attributes: [{ key: 'attempt', value: { intValue: 2 } }] }],
              links: [{ traceId: hex('0102030405060708090a0b0c0d0e0f10'), spanId: hex('2122232425262728'), traceState: '', attributes: [], droppedAttributesCount: 0 }],
            },
          ],
        },
      ],
    },
  ]);

export const metricsBatch = (): Batch => {
  const attrs = [{ key: 'host', value: { stringValue: 'a' } }];
  const metrics: Metric[] = [
    { name: 'queue.size', unit: '1', gauge: { dataPoints: [{ attributes: attrs, startTimeUnixNano: T0, timeUnixNano: T1, asInt: 123, exemplars: [] }] } },
    {
      name: 'requests',
      description: 'served',
      unit: '{request}',
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ attributes: [], timeUnixNano: T1, asDouble: 4.56, exemplars: [] }] },
    },
    {
      name: 'latency',
      unit: 'ms',
      histogram: {
        aggregationTemporality: 1,
        dataPoints: [
          {
            attributes: attrs,
            timeUnixNano: T1,
            count: 3,
            sum: 15,
            min: 1,
            max: 10,
            explicitBounds: [5],
            bucketCounts: [2, 1],
            exemplars: [{ filteredAttributes: [{ key: 'user', value: { stringValue: 'u1' } }], timeUnixNano: T1, asDouble: 10, traceId: hex('0102030405060708090a0b0c0d0e0f10'), spanId: hex('1112131415161718') }],
          },
        ],
      },
    },
    {
      name: 'size',
      exponentialHistogram: {
        aggregationTemporality: 1,
        dataPoints: [{ attributes: [], count: 3, sum: 1.25, scale: 1, zeroCount: 1, positive: { offset: -2, bucketCounts: [1, 1] }, negative: { offset: 0, bucketCounts: [1] }, exemplars: [] }],
      },
    },
    { name: 'rtt', summary: { dataPoints: [{ attributes: [], count: 1, sum: 15, quantileValues: [{ quantile: 0.5, value: 15 }] }] } },
  ];
  return makeBatch('metrics', [{ resource: { attributes: [] }, scopeMetrics: [{ scope: { name: 'meter', version: '0.1', attributes: [] }, metrics }] }]);
};
