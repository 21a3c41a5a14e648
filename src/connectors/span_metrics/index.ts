// The span_metrics connector (the Collector's spanmetricsconnector): turns spans into RED metrics,
// `{namespace}.calls` (a monotonic Sum) and `{namespace}.duration` (a Histogram) per service,
// span name, kind, status code and configured dimensions, with exemplars. Spans are aggregated
// as they arrive (consume() settles at once: the counts are held here) and the metrics are
// sent every metrics_flush_interval, and once more at shutdown.
import type { SchemaObject } from 'ajv';
import type { Connector, ConnectorFactory } from '../../component.js';
import { durationSchema, parseDuration } from '../../config/units.js';
import type { Batch } from '../../pdata/batch.js';
import { makeBatch } from '../../pdata/batch.js';
import type { AnyValue, Exemplar, KeyValue, Metric, ResourceMetrics } from '../../pdata/types.js';
import { int64BigInt, kvlistJson } from '../../pdata/value.js';
import { bigIntToUint64, copyAny, mapGet } from '../../ottl/values.js';
import { errorMessage } from '../../consumer.js';

export interface SpanMetricsConfig {
  namespace: string;
  metrics_flush_interval: string;
  aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE' | 'AGGREGATION_TEMPORALITY_DELTA';
  dimensions: { name: string; default?: string }[];
  exclude_dimensions: string[];
  histogram: { unit: 'ms' | 's'; disable: boolean; explicit?: { buckets?: (string | number)[] } };
  exemplars: { enabled: boolean; max_per_data_point: number };
}

const DEFAULT_BUCKETS_MS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000];
const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'Turns spans into calls and duration metrics (RED) per service, span name, kind, status code and dimensions.',
  properties: {
    namespace: { type: 'string', default: 'traces.span.metrics', description: 'Prefix of the metric names: {namespace}.calls and {namespace}.duration.' },
    metrics_flush_interval: durationSchema('How often the metrics are sent.', '60s'),
    aggregation_temporality: { type: 'string', enum: ['AGGREGATION_TEMPORALITY_CUMULATIVE', 'AGGREGATION_TEMPORALITY_DELTA'], default: 'AGGREGATION_TEMPORALITY_CUMULATIVE', description: 'Cumulative (since start) or delta (since the last flush) metrics.' },
    dimensions: {
      type: 'array',
      default: [],
      description: 'Extra attributes to group by, looked up on the span, then its resource; `default` when missing (else the dimension is left out).',
      items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', description: 'Attribute key.' }, default: { type: 'string', description: 'Value when the attribute is missing.' } } },
    },
    exclude_dimensions: { type: 'array', items: { type: 'string' }, default: [], description: 'Default dimensions to leave out (service.name, span.name, span.kind, status.code).' },
    histogram: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The duration histogram.',
      properties: {
        unit: { type: 'string', enum: ['ms', 's'], default: 'ms', description: 'Unit of the durations.' },
        disable: { type: 'boolean', default: false, description: 'Leave out the duration histogram.' },
        explicit: { type: 'object', additionalProperties: false, description: 'Explicit bucket bounds.', properties: { buckets: { type: 'array', items: { type: ['string', 'number'] }, description: 'Bucket upper bounds as durations (2ms, 1s).' } } },
        exponential: { not: {}, description: 'Exponential histograms are not supported by Ferry; use explicit buckets.' },
      },
    },
    exemplars: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Exemplars (trace and span ids) on the histogram points.',
      properties: {
        enabled: { type: 'boolean', default: false, description: 'Attach exemplars.' },
        max_per_data_point: { type: 'integer', minimum: 1, default: 5, description: 'Most exemplars kept per point between flushes.' },
      },
    },
    dimensions_cache_size: { type: 'integer', description: 'Accepted for compatibility; Ferry keeps every series (bounded by what its pipelines see).' },
    resource_metrics_cache_size: { type: 'integer', description: 'Accepted for compatibility.' },
  },
};

interface Series {
  readonly attributes: KeyValue[];
  calls: number;
  sum: number;
  readonly buckets: number[];
  exemplars: Exemplar[];
}
interface ResourceState {
  readonly attributes: KeyValue[];
  readonly series: Map<string, Series>;
}

export const spanMetricsConnector: ConnectorFactory<SpanMetricsConfig> = {
  kind: 'connector',
  type: 'span_metrics',
  deprecatedTypes: ['spanmetrics'],
  description: 'Turns spans into calls and duration histogram metrics (RED) per service, span name, kind, status and dimensions, with exemplars.',
  pairs: [['traces', 'metrics']],
  configSchema,
  validate(config) {
    return (config.histogram.explicit?.buckets ?? []).flatMap((b, i) => {
      try {
        parseDuration(b);
        return [];
      } catch (err) {
        return [{ path: `histogram.explicit.buckets.${i}`, message: errorMessage(err), fix: 'write a duration such as 100ms or 1s' }];
      }
    });
  },
  create(config, ctx, _from, next): Connector {
    const perUnit = config.histogram.unit === 's' ? 1000 : 1;
    const bounds = (config.histogram.explicit?.buckets?.map((b) => parseDuration(b)) ?? DEFAULT_BUCKETS_MS).map((ms) => ms / perUnit);
    const delta = config.aggregation_temporality === 'AGGREGATION_TEMPORALITY_DELTA';
    const excluded = new Set(config.exclude_dimensions);
    const resources = new Map<string, ResourceState>();
    const start = bigIntToUint64(BigInt(Date.now()) * 1_000_000n);
    let lastFlush = start;
    let timer: NodeJS.Timeout | undefined;
    let flushing: Promise<void> = Promise.resolve();

    const add = (batch: Batch): void => {
      if (batch.signal !== 'traces') return;
      for (const r of batch.resources) {
        const rattrs = r.resource?.attributes ?? [];
        const rkey = kvlistJson(rattrs);
        let state = resources.get(rkey);
        if (!state) resources.set(rkey, (state = { attributes: rattrs.map((kv) => ({ key: kv.key, value: copyAny(kv.value) })), series: new Map() }));
        const service = mapGet(rattrs, 'service.name') ?? { stringValue: '' };
        for (const s of r.scopeSpans) {
          for (const span of s.spans) {
            const attrs: KeyValue[] = [];
            const put = (key: string, value: AnyValue): void => {
              if (!excluded.has(key)) attrs.push({ key, value });
            };
            put('service.name', copyAny(service));
            put('span.name', { stringValue: span.name });
            put('span.kind', { stringValue: SPAN_KINDS[span.kind ?? 0] ?? 'SPAN_KIND_UNSPECIFIED' });
            put('status.code', { stringValue: STATUS_CODES[span.status?.code ?? 0] ?? 'STATUS_CODE_UNSET' });
            for (const d of config.dimensions) {
              const v = mapGet(span.attributes, d.name) ?? mapGet(rattrs, d.name);
              if (v !== undefined) attrs.push({ key: d.name, value: copyAny(v) });
              else if (d.default !== undefined) attrs.push({ key: d.name, value: { stringValue: d.default } });
            }
            const key = kvlistJson(attrs);
            let series = state.series.get(key);
            if (!series) state.series.set(key, (series = { attributes: attrs, calls: 0, sum: 0, buckets: new Array<number>(bounds.length + 1).fill(0), exemplars: [] }));
            const ms = Number(int64BigInt(span.endTimeUnixNano) - int64BigInt(span.startTimeUnixNano)) / 1e6;
            const value = Math.max(0, ms) / perUnit;
            series.calls++;
            series.sum += value;
            let b = bounds.findIndex((x) => value <= x);
            if (b < 0) b = bounds.length;
            series.buckets[b] = (series.buckets[b] ?? 0) + 1;
            if (config.exemplars.enabled && series.exemplars.length < config.exemplars.max_per_data_point) {
              series.exemplars.push({ filteredAttributes: [], asDouble: value, timeUnixNano: span.endTimeUnixNano, traceId: span.traceId, spanId: span.spanId });
            }
          }
        }
      }
    };

    const build = (): ResourceMetrics[] => {
      const now = bigIntToUint64(BigInt(Date.now()) * 1_000_000n);
      const startTime = delta ? lastFlush : start;
      lastFlush = now;
      const temporality = delta ? 1 : 2;
      const out: ResourceMetrics[] = [];
      for (const state of resources.values()) {
        if (state.series.size === 0) continue;
        const all = [...state.series.values()];
        const metrics: Metric[] = [
          {
            name: `${config.namespace}.calls`,
            description: '',
            unit: '',
            sum: { aggregationTemporality: temporality, isMonotonic: true, dataPoints: all.map((s) => ({ attributes: s.attributes, asInt: s.calls, startTimeUnixNano: startTime, timeUnixNano: now, exemplars: [] })) },
          },
        ];
        if (!config.histogram.disable) {
          metrics.push({
            name: `${config.namespace}.duration`,
            description: '',
            unit: config.histogram.unit,
            histogram: {
              aggregationTemporality: temporality,
              dataPoints: all.map((s) => ({ attributes: s.attributes, startTimeUnixNano: startTime, timeUnixNano: now, count: s.calls, sum: s.sum, bucketCounts: [...s.buckets], explicitBounds: bounds, exemplars: s.exemplars })),
            },
          });
        }
        out.push({ resource: { attributes: state.attributes }, scopeMetrics: [{ scope: { name: 'spanmetricsconnector', attributes: [] }, metrics }] });
        // Each flush sends the exemplars seen since the last one; delta series start over.
        for (const s of all) s.exemplars = [];
        if (delta) state.series.clear();
      }
      return out;
    };

    const flush = (): Promise<void> => {
      flushing = flushing.then(async () => {
        const out = build();
        if (out.length === 0) return;
        try {
          await next.all.consume(makeBatch('metrics', out));
        } catch (err) {
          ctx.logger.warn('span metrics could not be sent', { error: errorMessage(err) });
        }
      });
      return flushing;
    };

    return {
      mutatesData: false,
      async start() {
        timer = setInterval(() => void flush(), parseDuration(config.metrics_flush_interval));
        timer.unref();
      },
      async shutdown() {
        if (timer) clearInterval(timer);
        await flush();
      },
      async consume(batch: Batch): Promise<void> {
        add(batch);
      },
    };
  },
};
