// The routing connector: each resource (or log record, span, metric, data point, or the whole
// request) goes to the pipelines of the first route whose condition matches, the rest to
// default_pipelines. A batch is split per route and each part sent only where it belongs, so a
// failing backend refuses only the senders whose data was routed to it.
import type { Connector, ConnectorFactory } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { PermanentError, combineErrors } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { countItems, makeBatch } from '../../pdata/batch.js';
import type { Metric } from '../../pdata/types.js';
import { SIGNALS } from '../../pdata/types.js';
import type { TCtx } from '../../ottl/contexts.js';
import { StatementFailed, pointsOf, testCondition } from '../../ottl/run.js';
import { ottlErrorHandler } from '../../ottl/telemetry.js';
import { fanout } from '../../service/fanout.js';
import type { RouteContext, RoutingConfig } from './config.js';
import { configSchema, routeCondition, validate, validateForPipelines } from './config.js';

export type { RoutingConfig } from './config.js';

interface CompiledRoute {
  readonly context: RouteContext;
  readonly text: string;
  readonly test: (c: TCtx) => boolean;
  readonly consumer: Consumer;
}

type AnyResource = { resource?: unknown; [k: string]: unknown };
type AnyScope = { scope?: unknown; [k: string]: unknown };

const SCOPES = { logs: 'scopeLogs', traces: 'scopeSpans', metrics: 'scopeMetrics' } as const;
const ITEMS = { logs: 'logRecords', traces: 'spans', metrics: 'metrics' } as const;

/** Collects, per destination, the resources → scopes → items routed to it, in input order. */
class Buckets {
  private readonly parts = new Map<Consumer, AnyResource[]>();
  constructor(private readonly signal: Batch['signal']) {}

  resource(to: Consumer, r: AnyResource): void {
    this.list(to).push(r);
  }
  item(to: Consumer, r: AnyResource, s: AnyScope, item: unknown): void {
    const list = this.list(to);
    let rr = list[list.length - 1];
    if (rr === undefined || rr.__from !== r) {
      rr = { ...r, [SCOPES[this.signal]]: [] };
      Object.defineProperty(rr, '__from', { value: r, enumerable: false });
      list.push(rr);
    }
    const scopes = rr[SCOPES[this.signal]] as AnyScope[];
    let ss = scopes[scopes.length - 1];
    if (ss === undefined || ss.__from !== s) {
      ss = { ...s, [ITEMS[this.signal]]: [] };
      Object.defineProperty(ss, '__from', { value: s, enumerable: false });
      scopes.push(ss);
    }
    (ss[ITEMS[this.signal]] as unknown[]).push(item);
  }
  batches(context: Batch['context']): [Consumer, Batch][] {
    return [...this.parts].map(([to, resources]) => [to, makeBatch(this.signal, resources as never, context)]);
  }
  private list(to: Consumer): AnyResource[] {
    let l = this.parts.get(to);
    if (!l) this.parts.set(to, (l = []));
    return l;
  }
}

export const routingConnector: ConnectorFactory<RoutingConfig> = {
  kind: 'connector',
  type: 'routing',
  description: 'Routes logs, spans and metrics to pipelines by OTTL conditions on the resource, each item, or the request metadata (e.g. one backend per tenant); the rest to default_pipelines.',
  pairs: SIGNALS.map((s) => [s, s] as const),
  configSchema,
  validate,
  validateForPipelines,
  create(config, ctx, from, next): Connector {
    const pick = (ids: readonly string[]): Consumer | undefined => {
      const cs = ids.flatMap((id) => next.pipelines.get(id) ?? []);
      return cs.length === 0 ? undefined : fanout(cs);
    };
    const routes: CompiledRoute[] = [];
    config.table.forEach((r, i) => {
      const { test, text, problem } = routeCondition(r, i);
      if (problem || !test) throw new Error(`table.${i}: ${problem?.message ?? 'no condition'}`);
      const consumer = pick(r.pipelines);
      if (consumer) routes.push({ context: r.context, text, test, consumer });
    });
    const fallback = pick(config.default_pipelines);
    const onError = ottlErrorHandler(ctx);
    const unrouted = ctx.telemetry.counter('ferry_routing_unrouted_items_total', 'Items no route matched and no default pipeline took (dropped)', ['connector']);
    unrouted.inc({ connector: ctx.id }, 0);
    const byContext = (c: RouteContext) => routes.filter((r) => r.context === c);
    const requestRoutes = byContext('request');
    const resourceRoutes = byContext('resource');
    const itemContext = from === 'logs' ? 'log' : from === 'traces' ? 'span' : 'metric';
    const itemRoutes = byContext(itemContext);
    const pointRoutes = from === 'metrics' ? byContext('datapoint') : [];
    const first = (list: readonly CompiledRoute[], c: TCtx): CompiledRoute | undefined => list.find((r) => testCondition(r.test, r.text, c, config.error_mode, onError));

    const split = (batch: Batch): [Consumer, Batch][] => {
      if (requestRoutes.length > 0) {
        const r = first(requestRoutes, { resources: {}, request: batch.context?.metadata ?? {} });
        if (r) return [[r.consumer, batch]];
      }
      const buckets = new Buckets(batch.signal);
      let dropped = 0;
      for (const res of batch.resources as unknown as AnyResource[]) {
        const holder = res as TCtx['resources'];
        const rr = first(resourceRoutes, { resources: holder });
        if (rr) {
          buckets.resource(rr.consumer, res);
          continue;
        }
        if (itemRoutes.length === 0 && pointRoutes.length === 0) {
          if (fallback) buckets.resource(fallback, res);
          else dropped += countItems(makeBatch(batch.signal, [res] as never));
          continue;
        }
        for (const s of res[SCOPES[batch.signal]] as AnyScope[]) {
          for (const item of s[ITEMS[batch.signal]] as unknown[]) {
            const c: TCtx = { resources: holder, scopes: s as TCtx['scopes'], [itemContext]: item };
            const ir = first(itemRoutes, c);
            if (ir) {
              buckets.item(ir.consumer, res, s, item);
              continue;
            }
            if (pointRoutes.length > 0) {
              // Data points: each goes its own way, in a copy of its metric.
              const metric = item as Metric;
              const perRoute = new Map<Consumer, unknown[]>();
              for (const point of pointsOf(metric)) {
                const pr = first(pointRoutes, { ...c, metric, point }) ?? (fallback ? { consumer: fallback } : undefined);
                if (!pr) {
                  dropped++;
                  continue;
                }
                let l = perRoute.get(pr.consumer);
                if (!l) perRoute.set(pr.consumer, (l = []));
                l.push(point);
              }
              const field = (['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const).find((f) => metric[f]);
              for (const [to, points] of perRoute) buckets.item(to, res, s, field ? { ...metric, [field]: { ...metric[field], dataPoints: points } } : metric);
              continue;
            }
            if (fallback) buckets.item(fallback, res, s, item);
            else dropped += batch.signal === 'metrics' ? pointsOf(item as Metric).length : 1;
          }
        }
      }
      if (dropped > 0) unrouted.inc({ connector: ctx.id }, dropped);
      return buckets.batches(batch.context);
    };

    return {
      // Parts are new containers around the caller's items, handed straight to the route's
      // pipelines: if any of those changes data, the caller must give this connector a copy.
      mutatesData: [...next.pipelines.values()].some((c) => c.mutatesData),
      async start() {},
      async shutdown() {},
      async consume(batch: Batch): Promise<void> {
        let parts: [Consumer, Batch][];
        try {
          parts = split(batch);
        } catch (err) {
          if (err instanceof StatementFailed) throw new PermanentError(err.message, { cause: err });
          throw err;
        }
        const results = await Promise.allSettled(parts.map(([to, b]) => to.consume(b)));
        const err = combineErrors(results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])));
        if (err) throw err;
      },
    };
  },
};
