// The resource processor's configuration: the Collector's `attributes:` list of actions
// (insert, update, upsert, delete, hash, extract, convert) applied to each resource.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { ActionConfig } from '../internal/actions.js';
import { actionsSchema, validateActions } from '../internal/actions.js';

export interface ResourceConfig {
  /** The actions, in order; the Collector names this list `attributes`. */
  attributes: ActionConfig[];
}

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Changes resource attributes: the Collector\'s attribute actions applied to every resource.',
  additionalProperties: false,
  properties: {
    attributes: actionsSchema('The actions to apply to resource attributes, in order (key, action, value / from_attribute / from_context, pattern, converted_type).'),
  },
};

export function validate(config: ResourceConfig): ConfigProblem[] {
  if (config.attributes.length === 0) {
    return [{ path: 'attributes', message: 'missing required field "attributes": no actions, so the processor would do nothing', fix: 'add actions, e.g. attributes: [{key: deployment.environment, value: production, action: upsert}]' }];
  }
  return validateActions(config.attributes, 'attributes');
}
