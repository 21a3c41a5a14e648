// The transform processor: runs each signal's OTTL statement groups, in order, over every item of
// their context, in place. A batch a statement fails on under error_mode propagate is refused
// (permanently: the same data would fail again).
import type { Processor, ProcessorContext, ProcessorFactory } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import { PermanentError } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import { compileGroups } from '../../ottl/config.js';
import { StatementFailed, forEachItem, runGroup } from '../../ottl/run.js';
import { ottlErrorHandler } from '../../ottl/telemetry.js';
import type { TransformConfig } from './config.js';
import { KEYS, configSchema, validate } from './config.js';

export type { TransformConfig } from './config.js';

export function createTransformProcessor(config: TransformConfig, ctx: ProcessorContext, next: Consumer): Processor {
  const { groups, problems } = compileGroups(config[KEYS[ctx.signal]], ctx.signal, KEYS[ctx.signal], config.error_mode);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  const onError = ottlErrorHandler(ctx);
  return {
    mutatesData: groups.length > 0,
    async start() {},
    async shutdown() {},
    async consume(batch: Batch): Promise<void> {
      try {
        for (const group of groups) forEachItem(batch, group.context, (c) => runGroup(group, c, onError));
      } catch (err) {
        if (err instanceof StatementFailed) throw new PermanentError(err.message, { cause: err });
        throw err;
      }
      return next.consume(batch);
    },
  };
}

export const transformProcessor: ProcessorFactory<TransformConfig> = {
  kind: 'processor',
  type: 'transform',
  description: 'Changes logs, spans and metrics with OTTL statements (the Collector\'s transform processor); each statement is type-checked at load.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  create: (config, ctx, next) => createTransformProcessor(config, ctx, next),
};
