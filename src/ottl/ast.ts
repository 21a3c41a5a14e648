// The OTTL syntax tree, as the parser produces it from one statement or condition. Every
// node keeps its column (1-based) in the statement text, so that errors can point at it.

export type Pos = number;

/** One field of a path with the keys that follow it: `attributes["a"]["b"]`. */
export interface PathField {
  readonly name: string;
  readonly keys: readonly Expr[];
  readonly pos: Pos;
}

export type Literal = null | string | boolean | bigint | number | Uint8Array;

export type Expr =
  | { readonly k: 'lit'; readonly value: Literal; readonly pos: Pos }
  | { readonly k: 'path'; readonly fields: readonly PathField[]; readonly pos: Pos }
  | { readonly k: 'enum'; readonly name: string; readonly pos: Pos }
  | { readonly k: 'call'; readonly call: Call; readonly keys: readonly Expr[]; readonly pos: Pos }
  | { readonly k: 'list'; readonly items: readonly Expr[]; readonly pos: Pos }
  | { readonly k: 'map'; readonly entries: readonly { readonly key: string; readonly value: Expr }[]; readonly pos: Pos }
  | { readonly k: 'math'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr; readonly pos: Pos };

export interface Arg {
  /** `name = value`, the Collector's named arguments. */
  readonly name?: string;
  readonly value: Expr;
  readonly pos: Pos;
}

export interface Call {
  readonly name: string;
  readonly args: readonly Arg[];
  readonly pos: Pos;
}

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type BoolExpr =
  | { readonly k: 'or'; readonly terms: readonly BoolExpr[]; readonly pos: Pos }
  | { readonly k: 'and'; readonly terms: readonly BoolExpr[]; readonly pos: Pos }
  | { readonly k: 'not'; readonly term: BoolExpr; readonly pos: Pos }
  | { readonly k: 'cmp'; readonly op: CompareOp; readonly left: Expr; readonly right: Expr; readonly pos: Pos }
  /** A bool literal, or a converter or path that yields a bool. */
  | { readonly k: 'value'; readonly value: Expr; readonly pos: Pos };

export interface Statement {
  readonly editor: Call;
  readonly where: BoolExpr | undefined;
}
