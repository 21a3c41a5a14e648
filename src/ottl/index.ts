// The OpenTelemetry Transformation Language: parse, check, compile, run (see docs/ottl.md).
export { compileCondition, compileStatement, compare, inferContext, FUNCTIONS } from './compile.js';
export type { CompiledCondition, CompiledStatement } from './compile.js';
export { CONTEXT_NAMES } from './contexts.js';
export type { ContextName, TCtx } from './contexts.js';
export { OttlRuntimeError, OttlSyntaxError } from './errors.js';
export { SIGNAL_CONTEXTS, StatementFailed, forEachItem, pointsOf, runGroup, testCondition } from './run.js';
export type { ErrorMode, OnError, StatementGroup } from './run.js';
