// Running compiled statements over a batch: one walk per context level, one TCtx per item,
// and error_mode as the Collector defines it (propagate fails the batch; ignore logs and goes
// on; silent goes on). Items of contexts no statement uses are never decoded.
import type { Batch } from '../pdata/batch.js';
import type { Metric, ResourceLogs, ResourceMetrics, ResourceSpans } from '../pdata/types.js';
import type { CompiledCondition, CompiledStatement } from './compile.js';
import type { ContextName, DataPoint, TCtx } from './contexts.js';

export type ErrorMode = 'ignore' | 'silent' | 'propagate';

/** Called for each failure of a statement or condition on one item, before error_mode applies. */
export type OnError = (err: Error, text: string, mode: ErrorMode) => void;

/** A statement failed under error_mode: propagate. */
export class StatementFailed extends Error {
  override readonly name = 'StatementFailed';
}

export interface StatementGroup {
  readonly context: ContextName;
  /** ORed; when given, statements run only on items matching one of them. */
  readonly conditions: readonly { readonly text: string; readonly test: CompiledCondition }[];
  readonly statements: readonly CompiledStatement[];
  readonly errorMode: ErrorMode;
}

function failed(err: unknown, text: string, mode: ErrorMode, onError: OnError): void {
  const e = err instanceof Error ? err : new Error(String(err));
  onError(e, text, mode);
  if (mode === 'propagate') throw new StatementFailed(`failed to execute statement: ${text}, ${e.message}`, { cause: e });
}

/** A condition's answer for one item; a failure follows error_mode and counts as false. */
export function testCondition(test: CompiledCondition, text: string, c: TCtx, mode: ErrorMode, onError: OnError): boolean {
  try {
    return test(c);
  } catch (err) {
    failed(err, text, mode, onError);
    return false;
  }
}

export function runGroup(group: StatementGroup, c: TCtx, onError: OnError): void {
  if (group.conditions.length > 0 && !group.conditions.some((cond) => testCondition(cond.test, cond.text, c, group.errorMode, onError))) return;
  for (const st of group.statements) {
    try {
      st.run(c);
    } catch (err) {
      failed(err, st.text, group.errorMode, onError);
    }
  }
}

/** The data points of a metric, whatever its type. */
export function pointsOf(m: Metric): DataPoint[] {
  return (m.gauge?.dataPoints ?? m.sum?.dataPoints ?? m.histogram?.dataPoints ?? m.exponentialHistogram?.dataPoints ?? m.summary?.dataPoints ?? []) as DataPoint[];
}

/** Visit every item of `context` in the batch with its TCtx (resources and scopes without decoding items). */
export function forEachItem(batch: Batch, context: ContextName, visit: (c: TCtx) => void): void {
  switch (batch.signal) {
    case 'logs':
      return forLogs(batch.resources, context, visit);
    case 'traces':
      return forSpans(batch.resources, context, visit);
    case 'metrics':
      return forMetrics(batch.resources, context, visit);
  }
}

function forLogs(resources: ResourceLogs[], context: ContextName, visit: (c: TCtx) => void): void {
  for (const r of resources) {
    if (context === 'resource') {
      visit({ resources: r });
      continue;
    }
    for (const s of r.scopeLogs) {
      if (context === 'scope') visit({ resources: r, scopes: s });
      else for (const log of s.logRecords) visit({ resources: r, scopes: s, log });
    }
  }
}

function forSpans(resources: ResourceSpans[], context: ContextName, visit: (c: TCtx) => void): void {
  for (const r of resources) {
    if (context === 'resource') {
      visit({ resources: r });
      continue;
    }
    for (const s of r.scopeSpans) {
      if (context === 'scope') {
        visit({ resources: r, scopes: s });
        continue;
      }
      for (const span of s.spans) {
        if (context === 'span') visit({ resources: r, scopes: s, span });
        else span.events.forEach((event, eventIndex) => visit({ resources: r, scopes: s, span, event, eventIndex }));
      }
    }
  }
}

function forMetrics(resources: ResourceMetrics[], context: ContextName, visit: (c: TCtx) => void): void {
  for (const r of resources) {
    if (context === 'resource') {
      visit({ resources: r });
      continue;
    }
    for (const s of r.scopeMetrics) {
      if (context === 'scope') {
        visit({ resources: r, scopes: s });
        continue;
      }
      for (const metric of s.metrics) {
        if (context === 'metric') visit({ resources: r, scopes: s, metric });
        else for (const point of pointsOf(metric)) visit({ resources: r, scopes: s, metric, point });
      }
    }
  }
}

/** The contexts each signal's statements may use. */
export const SIGNAL_CONTEXTS = {
  logs: ['resource', 'scope', 'log'],
  traces: ['resource', 'scope', 'span', 'spanevent'],
  metrics: ['resource', 'scope', 'metric', 'datapoint'],
} as const satisfies Record<string, readonly ContextName[]>;
