// The attributes processor: applies attribute actions to log records, spans and metric
// data points, to those selected by include/exclude when given (the Collector's semantics).
import type { Processor, ProcessorContext, ProcessorFactory } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { compileActions } from '../internal/actions.js';
import { IncludeExclude } from '../internal/match.js';
import { dataPoints } from '../internal/metrics.js';
import { ownAttributes } from '../internal/values.js';
import type { AttributesConfig } from './config.js';
import { configSchema, validate, validateForSignal } from './config.js';

export type { AttributesConfig } from './config.js';

export function createAttributesProcessor(config: AttributesConfig, ctx: ProcessorContext, next: Consumer): Processor {
  const signalProblems = validateForSignal(config, ctx.signal);
  if (signalProblems.length > 0) {
    throw new Error(signalProblems.map((p) => `${p.path}: ${p.message} (fix: ${p.fix})`).join('; '));
  }
  const actions = compileActions(config.actions ?? []);
  const select = new IncludeExclude(config);
  const all = select.empty;

  const process = (batch: Batch): void => {
    const context = batch.context;
    switch (batch.signal) {
      case 'logs':
        for (const r of batch.resources) {
          for (const s of r.scopeLogs) {
            for (const lr of s.logRecords) if (all || select.log(lr, r.resource, s.scope)) actions.apply(ownAttributes(lr), context);
          }
        }
        return;
      case 'traces':
        for (const r of batch.resources) {
          for (const s of r.scopeSpans) {
            for (const span of s.spans) if (all || select.span(span, r.resource, s.scope)) actions.apply(ownAttributes(span), context);
          }
        }
        return;
      case 'metrics':
        for (const r of batch.resources) {
          for (const s of r.scopeMetrics) {
            for (const m of s.metrics) {
              const which = all ? 'all' : select.metric(m, r.resource, s.scope);
              if (which === 'none') continue;
              for (const dp of dataPoints(m)) if (which === 'all' || which(dp.attributes ?? [])) actions.apply(ownAttributes(dp), context);
            }
          }
        }
        return;
    }
  };

  return {
    mutatesData: true,
    async start() {},
    async shutdown() {},
    async consume(batch: Batch): Promise<void> {
      process(batch);
      return next.consume(batch);
    },
  };
}

export const attributesProcessor: ProcessorFactory<AttributesConfig> = {
  kind: 'processor',
  type: 'attributes',
  description: 'Changes log record, span and data point attributes (insert, update, upsert, delete, hash, extract, convert), with include/exclude.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  validateForSignal,
  create: (config, ctx, next) => createAttributesProcessor(config, ctx, next),
};
