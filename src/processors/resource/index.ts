// The resource processor: applies attribute actions to the resource of every batch
// (all three signals), e.g. stamping service.name and deployment.environment on everything.
import type { Processor, ProcessorContext, ProcessorFactory } from '../../component.js';
import type { Consumer } from '../../consumer.js';
import type { Batch } from '../../pdata/batch.js';
import type { Resource } from '../../pdata/types.js';
import { compileActions } from '../internal/actions.js';
import { ownAttributes } from '../internal/values.js';
import type { ResourceConfig } from './config.js';
import { configSchema, validate } from './config.js';

export type { ResourceConfig } from './config.js';

export function createResourceProcessor(config: ResourceConfig, _ctx: ProcessorContext, next: Consumer): Processor {
  const actions = compileActions(config.attributes ?? []);
  return {
    mutatesData: true,
    async start() {},
    async shutdown() {},
    async consume(batch: Batch): Promise<void> {
      for (const r of batch.resources as { resource?: Resource | null }[]) {
        // The Collector's pdata always has a resource; a request may leave it out.
        if (!r.resource) r.resource = { attributes: [] };
        actions.apply(ownAttributes(r.resource), batch.context);
      }
      return next.consume(batch);
    },
  };
}

export const resourceProcessor: ProcessorFactory<ResourceConfig> = {
  kind: 'processor',
  type: 'resource',
  description: 'Inserts, updates, deletes, hashes, extracts or converts resource attributes (the Collector\'s actions).',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  validate,
  create: (config, ctx, next) => createResourceProcessor(config, ctx, next),
};
