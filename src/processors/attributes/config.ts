// The attributes processor's configuration: the Collector's `actions` list, and the
// `include` / `exclude` blocks that choose which log records, spans and data points it changes.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { Signal } from '../../pdata/types.js';
import type { ActionConfig } from '../internal/actions.js';
import { actionsSchema, validateActions } from '../internal/actions.js';
import type { MatchProperties } from '../internal/match-config.js';
import { matchPropertiesSchema, matchSignalProblems, validateMatchProperties } from '../internal/match-config.js';

export interface AttributesConfig {
  actions: ActionConfig[];
  include?: MatchProperties;
  exclude?: MatchProperties;
}

export const configSchema: SchemaObject = {
  type: 'object',
  description: 'Changes the attributes of log records, spans and metric data points, optionally only those that match include and not exclude.',
  additionalProperties: false,
  properties: {
    actions: actionsSchema('The actions to apply, in order (key, action, value / from_attribute / from_context, pattern, converted_type).'),
    include: { ...matchPropertiesSchema, description: 'Only items matching this are changed (checked before exclude).' },
    exclude: { ...matchPropertiesSchema, description: 'Items matching this are left alone.' },
  },
};

export function validate(config: AttributesConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.actions.length === 0) {
    problems.push({ path: 'actions', message: 'missing required field "actions": the processor would do nothing', fix: 'add actions, e.g. actions: [{key: env, value: prod, action: upsert}]' });
  }
  problems.push(...validateActions(config.actions, 'actions'));
  if (config.include) problems.push(...validateMatchProperties(config.include, 'include'));
  if (config.exclude) problems.push(...validateMatchProperties(config.exclude, 'exclude'));
  return problems;
}

/** Match properties that do not apply to the signal of a pipeline this processor is in. */
export function validateForSignal(config: AttributesConfig, signal: Signal): ConfigProblem[] {
  return [
    ...(config.include ? matchSignalProblems(config.include, signal, 'include') : []),
    ...(config.exclude ? matchSignalProblems(config.exclude, signal, 'exclude') : []),
  ];
}
