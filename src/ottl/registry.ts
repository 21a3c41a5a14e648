// How an OTTL function declares itself: editor or converter, typed parameters checked at load
// (the Collector's reflection over Arguments structs), and a build step that returns the closure.
import type { PathAccess, TCtx } from './contexts.js';
import type { Ty, Value } from './values.js';

export type Eval = (c: TCtx) => Value;

/** A settable path (the Collector's GetSetter). */
export interface Target {
  readonly ty: Ty;
  readonly get: Eval;
  readonly set: (c: TCtx, v: Value) => void;
}

export type Param =
  /** Any expression; `types` lists the static types accepted (undefined: any). */
  | { readonly name: string; readonly kind: 'getter'; readonly types?: readonly Ty[]; readonly optional?: boolean }
  /** A path that can be set. */
  | { readonly name: string; readonly kind: 'target'; readonly types?: readonly Ty[]; readonly optional?: boolean }
  /** A literal of Go type string / int64 / bool, known at load. */
  | { readonly name: string; readonly kind: 'string' | 'int' | 'bool'; readonly optional?: boolean }
  /** A list literal of strings ([]string). */
  | { readonly name: string; readonly kind: 'strings'; readonly optional?: boolean }
  /** A list literal of expressions ([]Getter). */
  | { readonly name: string; readonly kind: 'getters'; readonly optional?: boolean }
  /** A converter named without a call (`SHA256` in replace_pattern). */
  | { readonly name: string; readonly kind: 'function'; readonly optional?: boolean };

export type ArgValue = Eval | Target | string | bigint | boolean | string[] | Eval[] | ((s: string) => string) | undefined;

export interface BuildHelpers {
  /** Refuse the statement at load, pointing at argument `index`. */
  fail(index: number, message: string, fix?: string): never;
}

export interface FunctionDef {
  readonly name: string;
  readonly editor: boolean;
  readonly params: readonly Param[];
  /** Static result type of a converter. */
  readonly returns: Ty;
  build(args: readonly ArgValue[], h: BuildHelpers): Eval;
}

export type { PathAccess };
