// What a component using OTTL does with a statement that fails on an item: count it (always),
// and under error_mode ignore log it, at most once per statement every 10 s (a bad statement
// on a busy pipeline must not flood the log).
import type { ComponentContext } from '../component.js';
import type { ErrorMode, OnError } from './run.js';

const LOG_EVERY_MS = 10_000;

export function ottlErrorHandler(ctx: ComponentContext): OnError {
  const errors = ctx.telemetry.counter('ferry_ottl_errors_total', 'OTTL statements and conditions that failed on an item at run time (handled by error_mode)', ['component', 'error_mode']);
  const lastLogged = new Map<string, number>();
  return (err: Error, text: string, mode: ErrorMode) => {
    errors.inc({ component: ctx.id, error_mode: mode });
    if (mode !== 'ignore') return;
    const now = Date.now();
    if (now - (lastLogged.get(text) ?? -Infinity) < LOG_EVERY_MS) return;
    lastLogged.set(text, now);
    ctx.logger.warn('failed to execute statement', { component: ctx.id, statement: text, error: err.message });
  };
}
