// The filter processor: drops log records below a severity, logs, spans and metrics by
// include/exclude match and by OTTL conditions; counts every drop, and acknowledges a batch it
// empties entirely.
import type { Processor, ProcessorContext, ProcessorFactory } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import type { Batch, BatchOf } from '../../pdata/batch.js';
import { makeBatch, metricPointCount } from '../../pdata/batch.js';
import type { InstrumentationScope, LogRecord, Metric, Resource, Signal, Span } from '../../pdata/types.js';
import { IncludeExclude } from '../internal/match.js';
import { parseSeverity } from '../internal/severity.js';
import type { FilterConfig, LogMatchProperties } from './config.js';
import { OTTL_CONDITIONS, configSchema, logMatchProperties, metricMatchProperties, validate } from './config.js';
import { PermanentError } from '../../consumer.js';
import { compileConditions } from '../../ottl/config.js';
import { StatementFailed } from '../../ottl/run.js';
import { ottlErrorHandler } from '../../ottl/telemetry.js';
import type { Conditions } from './ottl.js';
import { applyConditions } from './ottl.js';

export type { FilterConfig } from './config.js';

/** The Collector's names: `otelcol_processor_filter_{logs,spans,datapoints}.filtered`, as Prometheus shows them. */
const FILTERED_METRIC: Readonly<Record<Signal, { name: string; help: string }>> = {
  logs: { name: 'otelcol_processor_filter_logs_filtered_total', help: 'Number of logs dropped by the filter processor' },
  traces: { name: 'otelcol_processor_filter_spans_filtered_total', help: 'Number of spans dropped by the filter processor' },
  metrics: { name: 'otelcol_processor_filter_datapoints_filtered_total', help: 'Number of metric data points dropped by the filter processor' },
};

type Keep<T> = (item: T, resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined) => boolean;

interface Scoped {
  scope?: InstrumentationScope | null;
}

/**
 * Keep what `keep` accepts, building new resource and scope containers only where something
 * was dropped (the input is never changed: the processor does not mutate data). Scopes and
 * resources left empty are removed, as the Collector does. Returns the resources and how many
 * items were dropped.
 */
function filterTwoLevel<R extends { resource?: Resource | null }, S extends Scoped, I>(
  resources: readonly R[],
  scopesOf: (r: R) => S[],
  withScopes: (r: R, scopes: S[]) => R,
  itemsOf: (s: S) => I[],
  withItems: (s: S, items: I[]) => S,
  keep: Keep<I>,
): { resources: R[]; dropped: number } {
  let dropped = 0;
  let changed = false;
  const out: R[] = [];
  for (const r of resources) {
    const scopes = scopesOf(r);
    let scopesChanged = false;
    const keptScopes: S[] = [];
    for (const s of scopes) {
      const items = itemsOf(s);
      let kept: I[] | undefined;
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as I;
        if (keep(item, r.resource, s.scope)) {
          kept?.push(item);
        } else {
          // Copy the survivors so far only at the first drop: a batch that loses nothing costs nothing.
          kept ??= items.slice(0, i);
          dropped++;
        }
      }
      const result = kept ?? items;
      if (result.length === 0) {
        scopesChanged = true;
        continue;
      }
      if (kept) scopesChanged = true;
      keptScopes.push(kept ? withItems(s, kept) : s);
    }
    if (keptScopes.length === 0) {
      changed = true;
      continue;
    }
    if (scopesChanged) changed = true;
    out.push(scopesChanged ? withScopes(r, keptScopes) : r);
  }
  return { resources: changed ? out : (resources as R[]), dropped };
}

export function createFilterProcessor(config: FilterConfig, ctx: ProcessorContext, next: Consumer): Processor {
  const metric = FILTERED_METRIC[ctx.signal];
  const filtered = ctx.telemetry.counter(metric.name, metric.help, ['filter', 'processor']);
  // The Collector labels this counter `filter` with the processor id; Ferry's other processor metrics use `processor`.
  const labels = { filter: ctx.id, processor: ctx.id };
  filtered.inc(labels, 0);

  // ---- logs: severity first (cheapest), then include/exclude
  const logs = config.logs;
  const minSeverity = logs?.min_severity === undefined ? undefined : parseSeverity(logs.min_severity);
  const keepUnspecified = logs?.keep_unspecified_severity ?? true;
  // The Collector ignores a logs include/exclude block with nothing to match on.
  const isEmptyLogBlock = (b: LogMatchProperties): boolean =>
    !b.severity_number && [b.resource_attributes, b.record_attributes, b.severity_texts, b.bodies].every((l) => (l?.length ?? 0) === 0);
  const logSelect = new IncludeExclude({
    include: logs?.include && !isEmptyLogBlock(logs.include) ? logMatchProperties(logs.include) : undefined,
    exclude: logs?.exclude && !isEmptyLogBlock(logs.exclude) ? logMatchProperties(logs.exclude) : undefined,
  });
  const keepLog: Keep<LogRecord> = (lr, resource, scope) => {
    if (minSeverity !== undefined) {
      const n = lr.severityNumber ?? 0;
      if (n === 0 ? !keepUnspecified : n < minSeverity) return false;
    }
    return logSelect.empty || logSelect.log(lr, resource, scope);
  };

  const spanSelect = new IncludeExclude({ include: config.spans?.include, exclude: config.spans?.exclude });
  const keepSpan: Keep<Span> = (span, resource, scope) => spanSelect.span(span, resource, scope);

  const m = config.metrics;
  const metricSelect = new IncludeExclude({
    include: m?.include ? metricMatchProperties(m.include, m.regexp) : undefined,
    exclude: m?.exclude ? metricMatchProperties(m.exclude, m.regexp) : undefined,
  });
  const keepMetric: Keep<Metric> = (metric, resource, scope) => metricSelect.metric(metric, resource, scope) !== 'none';

  const compiled = Object.fromEntries(
    OTTL_CONDITIONS.map((c) => {
      const { conditions, problems } = compileConditions(c.get(config) ?? [], c.context, c.path);
      if (problems.length > 0) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
      return [c.context, conditions];
    }),
  ) as unknown as Conditions;
  const onError = ottlErrorHandler(ctx);

  const filter = (batch: Batch): { batch: Batch; dropped: number } => {
    const first = matchFilter(batch);
    const second = applyConditions(first.batch, compiled, config.error_mode, onError);
    return { batch: rebuilt(first.batch, second.resources as typeof first.batch.resources), dropped: first.dropped + second.dropped };
  };

  const matchFilter = (batch: Batch): { batch: Batch; dropped: number } => {
    switch (batch.signal) {
      case 'logs': {
        if (minSeverity === undefined && logSelect.empty) return { batch, dropped: 0 };
        const r = filterTwoLevel(batch.resources, (x) => x.scopeLogs, (x, scopeLogs) => ({ ...x, scopeLogs }), (s) => s.logRecords, (s, logRecords) => ({ ...s, logRecords }), keepLog);
        return { batch: rebuilt(batch, r.resources), dropped: r.dropped };
      }
      case 'traces': {
        if (spanSelect.empty) return { batch, dropped: 0 };
        const r = filterTwoLevel(batch.resources, (x) => x.scopeSpans, (x, scopeSpans) => ({ ...x, scopeSpans }), (s) => s.spans, (s, spans) => ({ ...s, spans }), keepSpan);
        return { batch: rebuilt(batch, r.resources), dropped: r.dropped };
      }
      case 'metrics': {
        if (metricSelect.empty) return { batch, dropped: 0 };
        // Metrics are kept or dropped whole; what is counted is their data points.
        let points = 0;
        const r = filterTwoLevel(batch.resources, (x) => x.scopeMetrics, (x, scopeMetrics) => ({ ...x, scopeMetrics }), (s) => s.metrics, (s, metrics) => ({ ...s, metrics }), (metric, resource, scope) => {
          const kept = keepMetric(metric, resource, scope);
          if (!kept) points += metricPointCount(metric);
          return kept;
        });
        return { batch: rebuilt(batch, r.resources), dropped: points };
      }
    }
  };

  return {
    // New containers only; the records, spans and metrics it passes on are the caller's, untouched.
    mutatesData: false,
    async start() {},
    async shutdown() {},
    async consume(batch: Batch): Promise<void> {
      let result: { batch: Batch; dropped: number };
      try {
        result = filter(batch);
      } catch (err) {
        if (err instanceof StatementFailed) throw new PermanentError(err.message, { cause: err });
        throw err;
      }
      const { batch: out, dropped } = result;
      if (dropped > 0) filtered.inc(labels, dropped);
      // Everything dropped: acknowledged, as the Collector skips the rest of the pipeline.
      if (out.resources.length === 0) return;
      return next.consume(out);
    },
  };
}

function rebuilt<B extends Batch>(batch: B, resources: B['resources']): B {
  if (resources === batch.resources) return batch;
  return makeBatch(batch.signal, resources as BatchOf<typeof batch.signal>['resources'], batch.context) as B;
}

export const filterProcessor: ProcessorFactory<FilterConfig> = {
  kind: 'processor',
  type: 'filter',
  description: 'Drops log records below a severity (min_severity), and logs, spans, span events, metrics or data points by include/exclude match or OTTL conditions; counts every drop.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  create: (config, ctx, next) => createFilterProcessor(config, ctx, next),
};
