// The forward connector: passes each batch unchanged from the pipelines that export to it to
// the pipelines that receive from it; consume() settles when all of those settle.
import type { Connector, ConnectorFactory } from '../../component.js';
import { SIGNALS } from '../../pdata/types.js';

export type ForwardConfig = Record<string, never>;

export const forwardConnector: ConnectorFactory<ForwardConfig> = {
  kind: 'connector',
  type: 'forward',
  description: 'Passes data unchanged from one pipeline to others of the same signal (e.g. to merge pipelines or give one set of receivers two processing paths).',
  pairs: SIGNALS.map((s) => [s, s] as const),
  configSchema: { type: 'object', additionalProperties: false, description: 'The forward connector has no settings.', properties: {} },
  create(_config, _ctx, _from, next): Connector {
    return {
      mutatesData: next.all.mutatesData,
      async start() {},
      async shutdown() {},
      consume: (batch) => next.all.consume(batch),
    };
  },
};
