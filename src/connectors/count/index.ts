// The count connector (the Collector's countconnector): counts spans, span events, metrics, data
// points and log records, optionally only those matching OTTL conditions and per attribute
// values, and sends the counts as delta Sums, one resource per input resource.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem, Connector, ConnectorFactory } from '../../component.js';
import { PermanentError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { makeBatch } from '../../pdata/batch.js';
import type { AnyValue, KeyValue, Metric, ResourceMetrics, Signal } from '../../pdata/types.js';
import { compileConditions, errorModeSchema } from '../../ottl/config.js';
import type { ContextName, TCtx } from '../../ottl/contexts.js';
import type { ErrorMode } from '../../ottl/run.js';
import { StatementFailed, forEachItem, testCondition } from '../../ottl/run.js';
import { ottlErrorHandler } from '../../ottl/telemetry.js';
import { bigIntToUint64, copyAny, mapGet } from '../../ottl/values.js';
import { rawJson } from '../../pdata/value.js';

interface MetricInfo {
  description?: string;
  conditions?: string[];
  attributes?: { key: string; default_value?: string | number | boolean }[];
}
type Kind = 'spans' | 'spanevents' | 'metrics' | 'datapoints' | 'logs';
export type CountConfig = Partial<Record<Kind, Record<string, MetricInfo>>> & { error_mode: ErrorMode };

const KINDS: readonly { kind: Kind; signal: Signal; context: ContextName; name: string; description: string }[] = [
  { kind: 'spans', signal: 'traces', context: 'span', name: 'trace.span.count', description: 'The number of spans observed.' },
  { kind: 'spanevents', signal: 'traces', context: 'spanevent', name: 'trace.span.event.count', description: 'The number of span events observed.' },
  { kind: 'metrics', signal: 'metrics', context: 'metric', name: 'metric.count', description: 'The number of metrics observed.' },
  { kind: 'datapoints', signal: 'metrics', context: 'datapoint', name: 'metric.datapoint.count', description: 'The number of data points observed.' },
  { kind: 'logs', signal: 'logs', context: 'log', name: 'log.record.count', description: 'The number of log records observed.' },
];

const metricInfoSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description: { type: 'string', description: 'The metric description.' },
    conditions: { type: 'array', items: { type: 'string' }, description: 'OTTL conditions, ORed: only matching items are counted (all when empty).' },
    attributes: {
      type: 'array',
      description: 'Count per value of these attributes (of the item, else its scope, else its resource); an item without one and no default_value is not counted.',
      items: { type: 'object', additionalProperties: false, required: ['key'], properties: { key: { type: 'string', description: 'Attribute key.' }, default_value: { type: ['string', 'number', 'boolean'], description: 'Value when the item has none.' } } },
    },
  },
};

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'Counts spans, span events, metrics, data points and log records into delta Sum metrics.',
  properties: {
    ...Object.fromEntries(KINDS.map((k) => [k.kind, { type: 'object', additionalProperties: metricInfoSchema, description: `Metrics counting ${k.kind} by name (default: ${k.name}).` }])),
    error_mode: errorModeSchema('propagate', 'a condition'),
  },
};

function validate(config: CountConfig): ConfigProblem[] {
  return KINDS.flatMap((k) => Object.entries(config[k.kind] ?? {}).flatMap(([name, info]) => compileConditions(info.conditions ?? [], k.context, `${k.kind}.${name}.conditions`).problems));
}

const SCOPE_NAME = 'github.com/open-telemetry/opentelemetry-collector-contrib/connector/countconnector';

export const countConnector: ConnectorFactory<CountConfig> = {
  kind: 'connector',
  type: 'count',
  description: 'Counts spans, span events, metrics, data points and log records (optionally by OTTL conditions and attributes) into metrics.',
  pairs: [['traces', 'metrics'], ['metrics', 'metrics'], ['logs', 'metrics']],
  configSchema,
  validate,
  create(config, ctx, from, next): Connector {
    const onError = ottlErrorHandler(ctx);
    const defs = KINDS.filter((k) => k.signal === from).flatMap((k) => {
      const configured = Object.entries(config[k.kind] ?? {});
      const list: [string, MetricInfo][] = configured.length > 0 ? configured : [[k.name, { description: k.description }]];
      return list.map(([name, info]) => ({ name, context: k.context, description: info.description ?? '', attributes: info.attributes ?? [], conditions: compileConditions(info.conditions ?? [], k.context, name).conditions }));
    });
    const count = (batch: Batch): ResourceMetrics[] => {
      const now = bigIntToUint64(BigInt(Date.now()) * 1_000_000n);
      const out: ResourceMetrics[] = [];
      for (const res of batch.resources) {
        const metrics: Metric[] = [];
        const one = makeBatch(batch.signal, [res] as never, batch.context);
        for (const d of defs) {
          const groups = new Map<string, { attrs: KeyValue[]; n: number }>();
          forEachItem(one, d.context, (c: TCtx) => {
            if (d.conditions.length > 0 && !d.conditions.some((x) => testCondition(x.test, x.text, c, config.error_mode, onError))) return;
            const attrs: KeyValue[] = [];
            for (const a of d.attributes) {
              const holder = (c.event ?? c.point ?? c.log ?? c.span ?? c.metric) as { attributes?: KeyValue[] } | undefined;
              const v: AnyValue | undefined = mapGet(holder?.attributes ?? [], a.key) ?? mapGet(c.scopes?.scope?.attributes ?? [], a.key) ?? mapGet(c.resources.resource?.attributes ?? [], a.key);
              if (v !== undefined) attrs.push({ key: a.key, value: copyAny(v) });
              else if (a.default_value !== undefined) attrs.push({ key: a.key, value: typeof a.default_value === 'string' ? { stringValue: a.default_value } : typeof a.default_value === 'boolean' ? { boolValue: a.default_value } : Number.isInteger(a.default_value) ? { intValue: a.default_value } : { doubleValue: a.default_value } });
              else return;
            }
            const key = rawJson({ kvlistValue: { values: attrs } });
            const g = groups.get(key);
            if (g) g.n++;
            else groups.set(key, { attrs, n: 1 });
          });
          if (groups.size === 0) continue;
          metrics.push({
            name: d.name,
            description: d.description,
            unit: '1',
            sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [...groups.values()].map((g) => ({ attributes: g.attrs, asInt: g.n, timeUnixNano: now, startTimeUnixNano: now, exemplars: [] })) },
          });
        }
        if (metrics.length > 0) out.push({ resource: { attributes: (res.resource?.attributes ?? []).map((kv) => ({ key: kv.key, value: copyAny(kv.value) })) }, scopeMetrics: [{ scope: { name: SCOPE_NAME, attributes: [] }, metrics }] });
      }
      return out;
    };
    return {
      mutatesData: false,
      async start() {},
      async shutdown() {},
      async consume(batch: Batch): Promise<void> {
        let resources: ResourceMetrics[];
        try {
          resources = count(batch);
        } catch (err) {
          if (err instanceof StatementFailed) throw new PermanentError(err.message, { cause: err });
          throw err;
        }
        if (resources.length > 0) await next.all.consume(makeBatch('metrics', resources, batch.context));
      },
    };
  },
};
