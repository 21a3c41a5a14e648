// Regular expressions written for the Collector (Go's RE2 syntax) compiled as JavaScript
// RegExps: the RE2 spellings JavaScript lacks are translated, the rest is the same language.

/** A pattern the configuration gave, and why it does not compile. */
export class RegexpError extends Error {
  override readonly name = 'RegexpError';
}

// RE2's POSIX classes, valid only inside a bracket expression: [[:alpha:]_].
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const escapeLiteral = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/**
 * RE2 → JavaScript: `(?P<name>` named groups, a leading `(?i)`/`(?s)`/`(?m)` flag group
 * (JavaScript has no inline flags), `\A` and `\z`, `\Q…\E` literals, and `[[:alpha:]]`.
 * Everything else is passed through for the JavaScript engine to accept or reject.
 */
export function translateGoRegexp(pattern: string): { source: string; flags: string } {
  let flags = '';
  let rest = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(rest);
  if (lead) {
    const f = lead[1] as string;
    if (f.includes('U')) throw new RegexpError('the (?U) flag (ungreedy by default) is not supported: write lazy quantifiers such as *? instead');
    flags = [...new Set(f)].join('');
    rest = rest.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i] as string;
    if (c === '\\') {
      const n = rest[i + 1];
      if (n === undefined) {
        out += c;
        continue;
      }
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (n === 'Q') {
        const end = rest.indexOf('\\E', i + 2);
        const literal = end < 0 ? rest.slice(i + 2) : rest.slice(i + 2, end);
        out += escapeLiteral(literal);
        i = end < 0 ? rest.length : end + 1;
        continue;
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && rest[i + 1] === ':') {
        const close = rest.indexOf(':]', i + 2);
        const name = close < 0 ? undefined : rest.slice(i + 2, close);
        const negated = name?.startsWith('^') ?? false;
        const cls = name === undefined ? undefined : POSIX_CLASSES[negated ? name.slice(1) : name];
        if (cls !== undefined && !negated) {
          out += cls;
          i = close + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal in RE2; JavaScript needs it escaped.
      if (rest[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (rest[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && rest.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    out += c;
  }
  return { source: out, flags };
}

/**
 * Compile a Collector (RE2) pattern. Unicode mode first, so `.` is a code point as in RE2;
 * without it when the pattern uses escapes that only non-Unicode JavaScript allows (`\-`).
 * Throws a RegexpError carrying the JavaScript engine's own message.
 */
export function compileGoRegexp(pattern: string, extraFlags = ''): RegExp {
  let translated: { source: string; flags: string };
  try {
    translated = translateGoRegexp(pattern);
  } catch (err) {
    throw new RegexpError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  const flags = [...new Set(translated.flags + extraFlags)].join('');
  try {
    return new RegExp(translated.source, `${flags}u`);
  } catch {
    try {
      return new RegExp(translated.source, flags);
    } catch (err) {
      throw new RegexpError(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
    }
  }
}

/** Why `pattern` does not compile, or undefined when it does (for validate()). */
export function regexpProblem(pattern: string): string | undefined {
  try {
    compileGoRegexp(pattern);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Names of the capturing groups in order, undefined for an unnamed one (RE2's SubexpNames without the whole match). */
export function groupNames(re: RegExp): (string | undefined)[] {
  const names: (string | undefined)[] = [];
  const src = re.source;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      if (src[i + 1] !== '?') names.push(undefined);
      else if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') names.push(src.slice(i + 3, src.indexOf('>', i + 3)));
    }
  }
  return names;
}
