// The routing connector's configuration (the Collector's routingconnector): a table of routes,
// each an OTTL condition (or `route() where …` statement) in a context, and the pipelines
// it sends to; default_pipelines for what no route matches.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../../component.js';
import type { CompiledCondition } from '../../ottl/compile.js';
import { compileCondition } from '../../ottl/compile.js';
import { statementProblem, errorModeSchema } from '../../ottl/config.js';
import type { ContextName } from '../../ottl/contexts.js';
import type { ErrorMode } from '../../ottl/run.js';
import type { Signal } from '../../pdata/types.js';

export type RouteContext = 'resource' | 'log' | 'span' | 'metric' | 'datapoint' | 'request';

export interface Route {
  context: RouteContext;
  condition?: string;
  statement?: string;
  pipelines: string[];
}

export interface RoutingConfig {
  default_pipelines: string[];
  error_mode: ErrorMode;
  match_once?: boolean;
  table: Route[];
}

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['table'],
  description: 'Routes logs, spans and metrics to pipelines by OTTL conditions (per resource, item or request metadata); the rest to default_pipelines.',
  properties: {
    default_pipelines: { type: 'array', items: { type: 'string' }, default: [], description: 'Pipelines for data no route matches. Without them, such data is dropped and counted.' },
    error_mode: errorModeSchema('propagate', 'a route condition'),
    match_once: { type: 'boolean', description: 'Deprecated in the Collector and ignored: the first matching route always wins.' },
    table: {
      type: 'array',
      minItems: 1,
      description: 'The routes, in order; the first whose condition matches takes the data.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['pipelines'],
        properties: {
          context: { type: 'string', enum: ['resource', 'log', 'span', 'metric', 'datapoint', 'request'], default: 'resource', description: 'What the condition looks at: the resource (whole resource groups move), one log record / span / metric / data point, or the request metadata (request["X-Tenant"]).' },
          condition: { type: 'string', description: 'An OTTL condition, e.g. attributes["tenant"] == "acme".' },
          statement: { type: 'string', description: 'The older form: route() where <condition>.' },
          pipelines: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Pipeline ids (of the signal this connector feeds) that get the matching data.' },
        },
      },
    },
  },
};

const ITEM_CONTEXT: Readonly<Record<Signal, readonly RouteContext[]>> = { logs: ['log'], traces: ['span'], metrics: ['metric', 'datapoint'] };

/** The condition of a route (from `condition` or `route() where …`), compiled; or the problem. */
export function routeCondition(route: Route, i: number): { test?: CompiledCondition; text: string; problem?: ConfigProblem } {
  let text = route.condition;
  if (text === undefined && route.statement !== undefined) {
    const m = /^\s*route\(\)\s+where\s+([\s\S]+)$/.exec(route.statement);
    if (!m) return { text: route.statement, problem: { path: `table.${i}.statement`, message: `a routing statement is route() where <condition>, got ${JSON.stringify(route.statement)}`, fix: 'write route() where attributes["tenant"] == "acme", or use condition:' } };
    text = m[1] as string;
  }
  if (text === undefined) return { text: '', problem: { path: `table.${i}`, message: 'a route needs a condition (or a statement)', fix: 'add condition: attributes["tenant"] == "acme"' } };
  try {
    return { text, test: compileCondition(text, route.context as ContextName) };
  } catch (err) {
    return { text, problem: statementProblem(`table.${i}.${route.condition !== undefined ? 'condition' : 'statement'}`, text, err) };
  }
}

export function validate(config: RoutingConfig): ConfigProblem[] {
  return config.table.flatMap((r, i) => routeCondition(r, i).problem ?? []);
}

export function validateForPipelines(config: RoutingConfig, to: ReadonlyMap<Signal, readonly string[]>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = [...to.values()].flat();
  const check = (ids: readonly string[], path: string): void => {
    ids.forEach((id, j) => {
      if (!known.includes(id)) problems.push({ path: `${path}.${j}`, message: `pipeline "${id}" does not receive from this connector`, fix: `list the connector under receivers: of "${id}", or use one of: ${known.join(', ')}` });
    });
  };
  check(config.default_pipelines, 'default_pipelines');
  config.table.forEach((r, i) => {
    check(r.pipelines, `table.${i}.pipelines`);
    for (const signal of to.keys()) {
      if (r.context !== 'resource' && r.context !== 'request' && !ITEM_CONTEXT[signal].includes(r.context)) {
        problems.push({ path: `table.${i}.context`, message: `the ${r.context} context does not apply to ${signal}`, fix: `use resource, request or ${ITEM_CONTEXT[signal].join('/')}` });
      }
    }
  });
  return problems;
}
