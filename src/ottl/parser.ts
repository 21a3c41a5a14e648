// OTTL's grammar (the Collector's pkg/ottl/grammar.go) by recursive descent: a statement is an
// editor call with an optional `where` condition; a condition is `or`/`and`/`not` over comparisons.
import type { Arg, BoolExpr, Call, CompareOp, Expr, PathField, Statement } from './ast.js';
import { OttlSyntaxError } from './errors.js';

type TokKind = 'ident' | 'string' | 'int' | 'float' | 'bytes' | 'punct' | 'eof';
interface Token {
  readonly kind: TokKind;
  readonly text: string;
  /** Decoded value for strings and numbers. */
  readonly value?: string | bigint | number | Uint8Array;
  readonly pos: number;
}

const PUNCT = ['==', '!=', '<=', '>=', '(', ')', '[', ']', '{', '}', ',', '.', ':', '=', '<', '>', '+', '-', '*', '/'];

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v', '/': '/' };

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    const pos = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new OttlSyntaxError('unterminated string', pos, 'close the string with "');
        const d = text[j] as string;
        if (d === '"') break;
        if (d === '\\') {
          const e = text[j + 1];
          if (e === 'u' || e === 'x') {
            const len = e === 'u' ? 4 : 2;
            const hex = text.slice(j + 2, j + 2 + len);
            if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new OttlSyntaxError(`invalid escape \\${e}${hex}`, j + 1);
            s += String.fromCharCode(parseInt(hex, 16));
            j += 2 + len;
            continue;
          }
          const mapped = e === undefined ? undefined : ESCAPES[e];
          if (mapped === undefined) throw new OttlSyntaxError(`invalid escape \\${e ?? ''} in a string`, j + 1, 'write a backslash as \\\\ (in YAML double quotes: \\\\\\\\)');
          s += mapped;
          j += 2;
          continue;
        }
        s += d;
        j++;
      }
      tokens.push({ kind: 'string', text: text.slice(i, j + 1), value: s, pos });
      i = j + 1;
      continue;
    }
    const bytes = /^0x([0-9a-fA-F]+)/.exec(text.slice(i));
    if (bytes) {
      const hex = bytes[1] as string;
      if (hex.length % 2 !== 0) throw new OttlSyntaxError(`bytes literal ${bytes[0]} has an odd number of hex digits`, pos);
      tokens.push({ kind: 'bytes', text: bytes[0], value: new Uint8Array(Buffer.from(hex, 'hex')), pos });
      i += bytes[0].length;
      continue;
    }
    const num = /^(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
    if (num) {
      const isFloat = num[0].includes('.') || num[2] !== undefined;
      tokens.push({ kind: isFloat ? 'float' : 'int', text: num[0], value: isFloat ? Number(num[0]) : BigInt(num[0]), pos });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], pos });
      i += ident[0].length;
      continue;
    }
    const p = PUNCT.find((x) => text.startsWith(x, i));
    if (p === undefined) throw new OttlSyntaxError(`unexpected character ${JSON.stringify(c)}`, pos);
    tokens.push({ kind: 'punct', text: p, pos });
    i += p.length;
  }
  tokens.push({ kind: 'eof', text: '', pos: text.length + 1 });
  return tokens;
}

const KEYWORDS = new Set(['where', 'and', 'or', 'not', 'nil', 'true', 'false']);
const isEnumName = (s: string): boolean => /^[A-Z][A-Z0-9_]*$/.test(s) && s.length > 1;
const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private get t(): Token {
    return this.tokens[this.i] as Token;
  }
  private peek(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)] as Token;
  }
  private is(text: string): boolean {
    const t = this.t;
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }
  private next(): Token {
    const t = this.t;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private expect(text: string, what?: string): Token {
    if (!this.is(text)) throw this.unexpected(what ?? `"${text}"`);
    return this.next();
  }
  unexpected(expected: string): OttlSyntaxError {
    const t = this.t;
    const got = t.kind === 'eof' ? 'the end of the statement' : `"${t.text}"`;
    return new OttlSyntaxError(`expected ${expected} but found ${got}`, t.pos);
  }
  atEnd(): void {
    if (this.t.kind === 'punct' && this.t.text === '=') throw new OttlSyntaxError('expected the end of the statement but found "="', this.t.pos, 'compare with == (a single = only names an argument)');
    if (this.t.kind !== 'eof') throw this.unexpected(this.t.kind === 'ident' && this.t.text !== 'where' ? '"where" or the end of the statement' : 'the end of the statement');
  }

  statement(): Statement {
    const t = this.t;
    if (t.kind !== 'ident' || this.peek().text !== '(') throw new OttlSyntaxError('a statement starts with an editor call such as set(...)', t.pos, 'write an editor (lower-case function) such as set(attributes["key"], "value")');
    if (!/^[a-z]/.test(t.text)) {
      throw new OttlSyntaxError(`${t.text} is a converter (it returns a value); a statement must start with an editor`, t.pos, `use it inside an editor, e.g. set(attributes["x"], ${t.text}(...))`);
    }
    const editor = this.call();
    let where: BoolExpr | undefined;
    if (this.is('where')) {
      this.next();
      where = this.boolExpr();
    }
    this.atEnd();
    return { editor, where };
  }

  boolExpr(): BoolExpr {
    const pos = this.t.pos;
    const terms = [this.andExpr()];
    while (this.is('or')) {
      this.next();
      terms.push(this.andExpr());
    }
    return terms.length === 1 ? (terms[0] as BoolExpr) : { k: 'or', terms, pos };
  }
  private andExpr(): BoolExpr {
    const pos = this.t.pos;
    const terms = [this.notExpr()];
    while (this.is('and')) {
      this.next();
      terms.push(this.notExpr());
    }
    return terms.length === 1 ? (terms[0] as BoolExpr) : { k: 'and', terms, pos };
  }
  private notExpr(): BoolExpr {
    const pos = this.t.pos;
    if (this.is('not')) {
      this.next();
      return { k: 'not', term: this.notExpr(), pos };
    }
    // `(` opens either a sub-condition or a math expression: try the condition first.
    if (this.is('(')) {
      const save = this.i;
      try {
        this.next();
        const inner = this.boolExpr();
        this.expect(')');
        if (!COMPARE_OPS.has(this.t.text) && !['+', '-', '*', '/'].includes(this.t.text)) return inner;
      } catch {
        // not a parenthesised condition
      }
      this.i = save;
    }
    const left = this.value();
    if (this.t.kind === 'punct' && COMPARE_OPS.has(this.t.text)) {
      const op = this.next().text as CompareOp;
      const right = this.value();
      return { k: 'cmp', op, left, right, pos };
    }
    return { k: 'value', value: left, pos };
  }

  /** A value, with + - * / between terms (Go's precedence: * and / bind tighter). */
  value(): Expr {
    let left = this.term();
    while (this.is('+') || this.is('-')) {
      const op = this.next();
      left = { k: 'math', op: op.text as '+' | '-', left, right: this.term(), pos: op.pos };
    }
    return left;
  }
  private term(): Expr {
    let left = this.factor();
    while (this.is('*') || this.is('/')) {
      const op = this.next();
      left = { k: 'math', op: op.text as '*' | '/', left, right: this.factor(), pos: op.pos };
    }
    return left;
  }
  private factor(): Expr {
    const t = this.t;
    if (this.is('(')) {
      this.next();
      const inner = this.value();
      this.expect(')');
      return inner;
    }
    if (this.is('-') && (this.peek().kind === 'int' || this.peek().kind === 'float')) {
      this.next();
      const n = this.next();
      return { k: 'lit', value: typeof n.value === 'bigint' ? -n.value : -(n.value as number), pos: t.pos };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.t;
    switch (t.kind) {
      case 'string':
      case 'int':
      case 'float':
      case 'bytes':
        this.next();
        return { k: 'lit', value: t.value as string | bigint | number | Uint8Array, pos: t.pos };
      case 'punct':
        if (t.text === '[') return this.list();
        if (t.text === '{') return this.map();
        throw this.unexpected('a value (a literal, a path, a converter, a list or a map)');
      case 'eof':
        throw this.unexpected('a value');
      case 'ident':
        break;
    }
    if (t.text === 'nil') return this.next(), { k: 'lit', value: null, pos: t.pos };
    if (t.text === 'true' || t.text === 'false') return this.next(), { k: 'lit', value: t.text === 'true', pos: t.pos };
    if (KEYWORDS.has(t.text)) throw this.unexpected('a value');
    if (this.peek().text === '(') {
      if (/^[a-z]/.test(t.text)) {
        throw new OttlSyntaxError(`${t.text} is an editor (it changes data and returns nothing); only converters can be used as values`, t.pos, 'use a converter (Upper-case name) here, or make the editor its own statement');
      }
      const call = this.call();
      return { k: 'call', call, keys: this.keys(), pos: t.pos };
    }
    if (isEnumName(t.text) && this.peek().text !== '.' && this.peek().text !== '[') return this.next(), { k: 'enum', name: t.text, pos: t.pos };
    return this.path();
  }

  private path(): Expr {
    const pos = this.t.pos;
    const fields: PathField[] = [];
    for (;;) {
      const t = this.t;
      if (t.kind !== 'ident' || KEYWORDS.has(t.text)) throw this.unexpected('a path field name');
      this.next();
      fields.push({ name: t.text, keys: this.keys(), pos: t.pos });
      if (!this.is('.')) break;
      this.next();
    }
    return { k: 'path', fields, pos };
  }

  private keys(): Expr[] {
    const keys: Expr[] = [];
    while (this.is('[')) {
      this.next();
      keys.push(this.value());
      this.expect(']');
    }
    return keys;
  }

  private list(): Expr {
    const pos = this.expect('[').pos;
    const items: Expr[] = [];
    while (!this.is(']')) {
      items.push(this.value());
      if (!this.is(',')) break;
      this.next();
    }
    this.expect(']', '"," or "]"');
    return { k: 'list', items, pos };
  }

  private map(): Expr {
    const pos = this.expect('{').pos;
    const entries: { key: string; value: Expr }[] = [];
    while (!this.is('}')) {
      const key = this.t;
      if (key.kind !== 'string') throw this.unexpected('a map key (a string)');
      this.next();
      this.expect(':');
      entries.push({ key: key.value as string, value: this.value() });
      if (!this.is(',')) break;
      this.next();
    }
    this.expect('}', '"," or "}"');
    return { k: 'map', entries, pos };
  }

  private call(): Call {
    const name = this.next();
    this.expect('(');
    const args: Arg[] = [];
    while (!this.is(')')) {
      const pos = this.t.pos;
      if (this.t.kind === 'ident' && this.peek().text === '=' ) {
        const argName = this.next().text;
        this.next();
        args.push({ name: argName, value: this.value(), pos });
      } else {
        args.push({ value: this.value(), pos });
      }
      if (!this.is(',')) break;
      this.next();
    }
    this.expect(')', '"," or ")"');
    return { name: name.text, args, pos: name.pos };
  }
}

/** Parse one statement: `editor(args) [where condition]`. */
export function parseStatement(text: string): Statement {
  return new Parser(lex(text)).statement();
}

/** Parse one condition (filter, routing, the transform's `conditions`). */
export function parseCondition(text: string): BoolExpr {
  const p = new Parser(lex(text));
  const c = p.boolExpr();
  p.atEnd();
  return c;
}

/** Parse one value expression (the `count` connector's attribute values, Format's arguments…). */
export function parseValueExpression(text: string): Expr {
  const p = new Parser(lex(text));
  const v = p.value();
  p.atEnd();
  return v;
}
