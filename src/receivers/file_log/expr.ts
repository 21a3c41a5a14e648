// The expressions stanza operators take in `if:` and a router's `expr:` (the expr language's
// common forms): `body matches "^{"`, `attributes.level == "error"`, and / or / not, parentheses,
// == != < <= > >=, matches, contains, startsWith, endsWith, over body, attributes, resource.
import type { Entry, Field } from './entry.js';
import { getField } from './entry.js';

export type Predicate = (entry: Entry) => boolean;

type Node =
  | { kind: 'lit'; value: unknown }
  | { kind: 'field'; field: Field }
  | { kind: 'not'; arg: Node }
  | { kind: 'bool'; op: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'cmp'; op: string; left: Node; right: Node; regex?: RegExp };

type Token = { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

const WORD_OPS = new Set(['and', 'or', 'not', 'matches', 'contains', 'startsWith', 'endsWith', 'in']);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && c !== '`' && j + 1 < src.length) {
          const n = src[j + 1] as string;
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
          j += 2;
        } else v += src[j++];
      }
      if (j >= src.length) throw new Error(`unclosed string at ${i}`);
      out.push({ t: 'str', v });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num && (c !== '-' || out.length === 0 || out[out.length - 1]?.t === 'op')) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(src.slice(i));
    if (id) {
      out.push(WORD_OPS.has(id[0]) ? { t: 'op', v: id[0] } : { t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = /^(==|!=|<=|>=|&&|\|\||[<>!()[\].])/.exec(src.slice(i));
    if (!op) throw new Error(`unexpected "${c}" at ${i}`);
    out.push({ t: 'op', v: op[0] });
    i += op[0].length;
  }
  return out;
}

/** A Go (RE2) regular expression as a JS RegExp: `(?P<name>` groups and a leading `(?i)` flag. */
export function goRegex(source: string, extraFlags = ''): RegExp {
  let flags = extraFlags;
  let s = source;
  const lead = /^\(\?([imsU]+)\)/.exec(s);
  if (lead) {
    for (const f of lead[1] as string) if (f !== 'U' && !flags.includes(f)) flags += f;
    s = s.slice(lead[0].length);
  }
  s = s.replace(/\(\?P</g, '(?<');
  return new RegExp(s, flags);
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const n = this.or();
    if (this.i < this.tokens.length) throw new Error(`unexpected "${String(this.tokens[this.i]?.v)}"`);
    return n;
  }

  private peek(v: string): boolean {
    const t = this.tokens[this.i];
    return t !== undefined && t.t === 'op' && t.v === v;
  }

  private or(): Node {
    let left = this.and();
    while (this.peek('or') || this.peek('||')) {
      this.i++;
      left = { kind: 'bool', op: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Node {
    let left = this.not();
    while (this.peek('and') || this.peek('&&')) {
      this.i++;
      left = { kind: 'bool', op: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): Node {
    if (this.peek('not') || this.peek('!')) {
      this.i++;
      return { kind: 'not', arg: this.not() };
    }
    return this.cmp();
  }

  private cmp(): Node {
    const left = this.primary();
    const t = this.tokens[this.i];
    if (t?.t === 'op' && ['==', '!=', '<', '<=', '>', '>=', 'matches', 'contains', 'startsWith', 'endsWith'].includes(t.v)) {
      this.i++;
      const right = this.primary();
      const node: Node = { kind: 'cmp', op: t.v, left, right };
      if (t.v === 'matches' && right.kind === 'lit' && typeof right.value === 'string') node.regex = goRegex(right.value);
      return node;
    }
    return left;
  }

  private primary(): Node {
    const t = this.tokens[this.i++];
    if (t === undefined) throw new Error('unexpected end of expression');
    if (t.t === 'str' || t.t === 'num') return { kind: 'lit', value: t.v };
    if (t.t === 'op' && t.v === '(') {
      const n = this.or();
      if (!this.peek(')')) throw new Error('missing ")"');
      this.i++;
      return n;
    }
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { kind: 'lit', value: t.v === 'true' };
      if (t.v === 'nil' || t.v === 'null') return { kind: 'lit', value: undefined };
      const root = t.v.replace(/^\$/, '');
      if (root !== 'body' && root !== 'attributes' && root !== 'resource') {
        throw new Error(`unknown name "${t.v}": use body, attributes or resource (e.g. attributes.level)`);
      }
      const keys: string[] = [];
      for (;;) {
        if (this.peek('.')) {
          this.i++;
          const k = this.tokens[this.i++];
          if (k?.t !== 'id' && !(k?.t === 'op' && WORD_OPS.has(k.v))) throw new Error('a name must follow "."');
          keys.push(String(k.v));
        } else if (this.peek('[')) {
          this.i++;
          const k = this.tokens[this.i++];
          if (k?.t !== 'str' || !this.peek(']')) throw new Error('a bracket must hold a quoted key, e.g. attributes["a.b"]');
          this.i++;
          keys.push(k.v);
        } else break;
      }
      return { kind: 'field', field: { root, keys, text: [root, ...keys].join('.') } };
    }
    throw new Error(`unexpected "${String(t.v)}"`);
  }
}

function evaluate(n: Node, e: Entry): unknown {
  switch (n.kind) {
    case 'lit':
      return n.value;
    case 'field':
      return getField(e, n.field);
    case 'not':
      return !truthy(evaluate(n.arg, e));
    case 'bool':
      return n.op === 'and' ? truthy(evaluate(n.left, e)) && truthy(evaluate(n.right, e)) : truthy(evaluate(n.left, e)) || truthy(evaluate(n.right, e));
    case 'cmp': {
      const l = evaluate(n.left, e);
      const r = evaluate(n.right, e);
      switch (n.op) {
        case '==':
          return l === r;
        case '!=':
          return l !== r;
        case '<':
          return typeof l === typeof r && (l as number) < (r as number);
        case '<=':
          return typeof l === typeof r && (l as number) <= (r as number);
        case '>':
          return typeof l === typeof r && (l as number) > (r as number);
        case '>=':
          return typeof l === typeof r && (l as number) >= (r as number);
        case 'matches':
          return typeof l === 'string' && typeof r === 'string' && (n.regex ?? goRegex(r)).test(l);
        case 'contains':
          return typeof l === 'string' && typeof r === 'string' && l.includes(r);
        case 'startsWith':
          return typeof l === 'string' && typeof r === 'string' && l.startsWith(r);
        case 'endsWith':
          return typeof l === 'string' && typeof r === 'string' && l.endsWith(r);
      }
      return false;
    }
  }
}

const truthy = (v: unknown): boolean => v === true;

/** Compile an expression; the error names what is wrong. */
export function compileExpr(src: string): Predicate {
  const node = new Parser(tokenize(src)).parse();
  return (entry) => truthy(evaluate(node, entry));
}
