// OTTL in component configs: statement groups (the flat list of strings with inferred context,
// and the grouped `context`/`conditions`/`statements` form), compiled once, with each problem
// located by its config path and its column in the statement.
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../component.js';
import type { Signal } from '../pdata/types.js';
import type { CompiledStatement } from './compile.js';
import { compileCondition, compileStatement, inferContext } from './compile.js';
import type { ContextName } from './contexts.js';
import { OttlSyntaxError } from './errors.js';
import type { ErrorMode, StatementGroup } from './run.js';
import { SIGNAL_CONTEXTS } from './run.js';

export interface GroupConfig {
  context?: ContextName;
  conditions?: string[];
  statements: string[];
  error_mode?: ErrorMode;
}
export type StatementsConfig = (string | GroupConfig)[];

export const errorModeSchema = (dflt: ErrorMode | undefined, what: string): SchemaObject => ({
  type: 'string',
  enum: ['ignore', 'silent', 'propagate'],
  ...(dflt === undefined ? {} : { default: dflt }),
  description: `What to do when ${what} fails on an item at run time: propagate (refuse the whole batch to the sender, a permanent error), ignore (log it and go on with the next statement), silent (go on without logging). Every failure is counted in ferry_ottl_errors_total.`,
});

export const statementsSchema = (signal: Signal): SchemaObject => ({
  type: 'array',
  default: [],
  description: `OTTL statements for ${signal}: plain strings (their context is inferred from their paths, e.g. ${signal === 'logs' ? 'log.attributes' : signal === 'traces' ? 'span.attributes' : 'datapoint.attributes'}), or groups of statements with a context. Groups run in order, each over every item of its context.`,
  items: {
    anyOf: [
      { type: 'string', description: 'One statement; its context is inferred from the context names its paths start with.' },
      {
        type: 'object',
        additionalProperties: false,
        required: ['statements'],
        properties: {
          context: { type: 'string', description: 'The level the statements run at; unprefixed paths are this context\'s. Inferred from the paths when left out.' },
          conditions: { type: 'array', items: { type: 'string' }, description: 'OTTL conditions, ORed: the statements run only on items matching one of them.' },
          statements: { type: 'array', items: { type: 'string' }, description: 'OTTL statements, run in order on each item.' },
          error_mode: errorModeSchema(undefined, 'a statement of this group (default: the processor\'s error_mode)'),
        },
      },
    ],
  },
});

/** A load-time problem of one statement, as a config problem: the path, the column and the statement. */
export function statementProblem(path: string, text: string, err: unknown): ConfigProblem {
  if (err instanceof OttlSyntaxError) {
    const pointer = `${text}\n${' '.repeat(Math.max(0, err.column - 1))}^`;
    return { path, message: `column ${err.column}: ${err.message}, in:\n${pointer}`, fix: err.fix };
  }
  return { path, message: `${(err as Error).message} in ${JSON.stringify(text)}` };
}

/** Compile the statement groups of one signal; problems carry paths under `key`. */
export function compileGroups(entries: StatementsConfig, signal: Signal, key: string, errorMode: ErrorMode): { groups: StatementGroup[]; problems: ConfigProblem[] } {
  const allowed = SIGNAL_CONTEXTS[signal] as readonly ContextName[];
  const groups: StatementGroup[] = [];
  const problems: ConfigProblem[] = [];
  entries.forEach((entry, i) => {
    if (typeof entry === 'string') {
      const inferred = inferContext([entry], allowed);
      if (inferred.context === undefined) {
        problems.push({ path: `${key}.${i}`, message: `cannot infer the context of ${JSON.stringify(entry)}: ${inferred.problem ?? ''}`, fix: `start paths with their context (${allowed.join(', ')}), e.g. ${allowed[2]}.attributes["key"], or write the group form with context:` });
        return;
      }
      let st: CompiledStatement;
      try {
        st = compileStatement(entry, inferred.context);
      } catch (err) {
        problems.push(statementProblem(`${key}.${i}`, entry, err));
        return;
      }
      // Consecutive strings of one context share a group (same order, one walk).
      const last = groups[groups.length - 1];
      if (last && last.context === inferred.context && last.conditions.length === 0 && last.errorMode === errorMode && typeof entries[i - 1] === 'string') {
        (last.statements as CompiledStatement[]).push(st);
      } else groups.push({ context: inferred.context, conditions: [], statements: [st], errorMode });
      return;
    }
    let context = entry.context;
    if (context !== undefined && !allowed.includes(context)) {
      problems.push({ path: `${key}.${i}.context`, message: `${JSON.stringify(context)} is not a context of ${signal} statements`, fix: `use one of ${allowed.join(', ')}` });
      return;
    }
    if (context === undefined) {
      const inferred = inferContext([...entry.statements, ...(entry.conditions ?? [])], allowed);
      if (inferred.context === undefined) {
        problems.push({ path: `${key}.${i}`, message: `cannot infer the context of this group: ${inferred.problem ?? ''}`, fix: `add context: (one of ${allowed.join(', ')})` });
        return;
      }
      context = inferred.context;
    }
    const statements: CompiledStatement[] = [];
    entry.statements.forEach((text, j) => {
      try {
        statements.push(compileStatement(text, context));
      } catch (err) {
        problems.push(statementProblem(`${key}.${i}.statements.${j}`, text, err));
      }
    });
    const conditions: StatementGroup['conditions'][number][] = [];
    (entry.conditions ?? []).forEach((text, j) => {
      try {
        conditions.push({ text, test: compileCondition(text, context) });
      } catch (err) {
        problems.push(statementProblem(`${key}.${i}.conditions.${j}`, text, err));
      }
    });
    groups.push({ context, conditions, statements, errorMode: entry.error_mode ?? errorMode });
  });
  return { groups, problems };
}

/** Compile a list of conditions for one context (filter, routing, count). */
export function compileConditions(texts: readonly string[], context: ContextName, key: string): { conditions: { text: string; test: ReturnType<typeof compileCondition> }[]; problems: ConfigProblem[] } {
  const conditions: { text: string; test: ReturnType<typeof compileCondition> }[] = [];
  const problems: ConfigProblem[] = [];
  texts.forEach((text, i) => {
    try {
      conditions.push({ text, test: compileCondition(text, context) });
    } catch (err) {
      problems.push(statementProblem(`${key}.${i}`, text, err));
    }
  });
  return { conditions, problems };
}
