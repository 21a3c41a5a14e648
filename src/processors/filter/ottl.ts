// The filter processor's OTTL conditions: an item matching any condition of its context is
// dropped. New containers are built where something changed; the caller's data is never changed.
import type { Batch } from '../../pdata/batch.js';
import type { Metric, ResourceLogs, ResourceMetrics, ResourceSpans, Span } from '../../pdata/types.js';
import type { CompiledCondition } from '../../ottl/compile.js';
import type { DataPoint, TCtx } from '../../ottl/contexts.js';
import type { ErrorMode, OnError } from '../../ottl/run.js';
import { testCondition } from '../../ottl/run.js';

export interface Conditions {
  readonly log: readonly { text: string; test: CompiledCondition }[];
  readonly span: readonly { text: string; test: CompiledCondition }[];
  readonly spanevent: readonly { text: string; test: CompiledCondition }[];
  readonly metric: readonly { text: string; test: CompiledCondition }[];
  readonly datapoint: readonly { text: string; test: CompiledCondition }[];
}

type Holder = { resource?: unknown; scope?: unknown };

/** Keep, drop (undefined) or replace each item of every scope; containers rebuilt only where needed. */
function rewrite<R extends Holder, S extends Holder, I>(
  resources: readonly R[],
  scopesOf: (r: R) => S[],
  withScopes: (r: R, scopes: S[]) => R,
  itemsOf: (s: S) => I[],
  withItems: (s: S, items: I[]) => S,
  each: (item: I, r: R, s: S) => I | undefined,
): R[] {
  let changed = false;
  const out: R[] = [];
  for (const r of resources) {
    let rChanged = false;
    const scopes: S[] = [];
    for (const s of scopesOf(r)) {
      const items = itemsOf(s);
      let kept: I[] | undefined;
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as I;
        const next = each(item, r, s);
        if (next === item) kept?.push(item);
        else {
          kept ??= items.slice(0, i);
          if (next !== undefined) kept.push(next);
        }
      }
      if (kept === undefined) scopes.push(s);
      else {
        rChanged = true;
        if (kept.length > 0) scopes.push(withItems(s, kept));
      }
    }
    if (rChanged) {
      changed = true;
      if (scopes.length > 0) out.push(withScopes(r, scopes));
    } else out.push(r);
  }
  return changed ? out : (resources as R[]);
}

/**
 * Apply the conditions; returns the new resources and how many items (log records, spans, data
 * points) were dropped. Throws StatementFailed under error_mode propagate.
 */
export function applyConditions(batch: Batch, conds: Conditions, mode: ErrorMode, onError: OnError): { resources: Batch['resources']; dropped: number } {
  let dropped = 0;
  const any = (list: Conditions['log'], c: TCtx): boolean => list.some((x) => testCondition(x.test, x.text, c, mode, onError));
  // Read-only views of the levels above: a path that would create a missing resource creates it here.
  const view = (r: Holder, s: Holder): Pick<TCtx, 'resources' | 'scopes'> => ({ resources: { resource: r.resource as never }, scopes: { scope: s.scope as never } });
  switch (batch.signal) {
    case 'logs': {
      if (conds.log.length === 0) return { resources: batch.resources, dropped };
      const resources = rewrite(batch.resources, (r: ResourceLogs) => r.scopeLogs, (r, scopeLogs) => ({ ...r, scopeLogs }), (s) => s.logRecords, (s, logRecords) => ({ ...s, logRecords }), (log, r, s) => {
        if (!any(conds.log, { ...view(r, s), log })) return log;
        dropped++;
        return undefined;
      });
      return { resources, dropped };
    }
    case 'traces': {
      if (conds.span.length === 0 && conds.spanevent.length === 0) return { resources: batch.resources, dropped };
      const resources = rewrite(batch.resources, (r: ResourceSpans) => r.scopeSpans, (r, scopeSpans) => ({ ...r, scopeSpans }), (s) => s.spans, (s, spans) => ({ ...s, spans }), (span: Span, r, s) => {
        const c = view(r, s);
        if (conds.span.length > 0 && any(conds.span, { ...c, span })) {
          dropped++;
          return undefined;
        }
        if (conds.spanevent.length === 0 || span.events.length === 0) return span;
        const events = span.events.filter((event, eventIndex) => !any(conds.spanevent, { ...c, span, event, eventIndex }));
        return events.length === span.events.length ? span : { ...span, events };
      });
      return { resources, dropped };
    }
    case 'metrics': {
      if (conds.metric.length === 0 && conds.datapoint.length === 0) return { resources: batch.resources, dropped };
      const resources = rewrite(batch.resources, (r: ResourceMetrics) => r.scopeMetrics, (r, scopeMetrics) => ({ ...r, scopeMetrics }), (s) => s.metrics, (s, metrics) => ({ ...s, metrics }), (metric: Metric, r, s) => {
        const c = view(r, s);
        const data = (metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary) as { dataPoints: DataPoint[] } | null | undefined;
        const points = data?.dataPoints ?? [];
        if (conds.metric.length > 0 && any(conds.metric, { ...c, metric })) {
          dropped += points.length;
          return undefined;
        }
        if (conds.datapoint.length === 0 || !data) return metric;
        const kept = points.filter((point) => !any(conds.datapoint, { ...c, metric, point }));
        if (kept.length === points.length) return metric;
        dropped += points.length - kept.length;
        if (kept.length === 0) return undefined;
        const field = metric.gauge ? 'gauge' : metric.sum ? 'sum' : metric.histogram ? 'histogram' : metric.exponentialHistogram ? 'exponentialHistogram' : 'summary';
        return { ...metric, [field]: { ...data, dataPoints: kept } } as Metric;
      });
      return { resources, dropped };
    }
  }
}
