// The transform processor's configuration (the Collector's transformprocessor): OTTL statements
// per signal, in the flat or the grouped form, and error_mode.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { StatementsConfig } from '../../ottl/config.js';
import { compileGroups, errorModeSchema, statementsSchema } from '../../ottl/config.js';
import type { ErrorMode } from '../../ottl/run.js';

export interface TransformConfig {
  error_mode: ErrorMode;
  log_statements: StatementsConfig;
  trace_statements: StatementsConfig;
  metric_statements: StatementsConfig;
}

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'Changes logs, spans and metrics with OTTL statements (set, delete_key, replace_pattern, merge_maps(…, ParseJSON(body), …), …). Every statement is checked at load.',
  properties: {
    error_mode: errorModeSchema('propagate', 'a statement'),
    log_statements: statementsSchema('logs'),
    trace_statements: statementsSchema('traces'),
    metric_statements: statementsSchema('metrics'),
    flatten_data: { type: 'boolean', const: false, default: false, description: 'Not supported by Ferry (the Collector\'s logs flattening feature gate); must be false.' },
  },
};

export const KEYS = { logs: 'log_statements', traces: 'trace_statements', metrics: 'metric_statements' } as const;

export function validate(config: TransformConfig): ConfigProblem[] {
  return (['logs', 'traces', 'metrics'] as const).flatMap((signal) => compileGroups(config[KEYS[signal]], signal, KEYS[signal], config.error_mode).problems);
}
