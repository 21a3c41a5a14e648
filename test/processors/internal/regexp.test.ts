// Collector (RE2) patterns as JavaScript RegExps: the translated spellings behave as in Go,
// and a pattern neither engine accepts is reported with the JavaScript engine's message.
import { describe, expect, it } from 'vitest';
import { compileGoRegexp, groupNames, regexpProblem } from '../../../src/processors/internal/regexp.js';

describe('compileGoRegexp', () => {
  it('accepts (?P<name>…) groups and reports their names in order', () => {
    const re = compileGoRegexp('^(?P<method>[A-Z]+) (?P<path>/\\S*)');
    expect(re.exec('GET /items')?.groups).toEqual({ method: 'GET', path: '/items' });
    expect(groupNames(re)).toEqual(['method', 'path']);
    expect(groupNames(compileGoRegexp('(a)(?:b)(?<c>c)[(](?=d)'))).toEqual([undefined, 'c']);
  });

  it('turns a leading (?i) / (?s) into flags', () => {
    expect(compileGoRegexp('(?i)^error').test('ERROR: x')).toBe(true);
    expect(compileGoRegexp('(?s)a.b').test('a\nb')).toBe(true);
    expect(compileGoRegexp('a.b').test('a\nb')).toBe(false);
  });

  it('translates \\A, \\z, \\Q…\\E and POSIX classes', () => {
    expect(compileGoRegexp('\\Afoo\\z').test('foo')).toBe(true);
    expect(compileGoRegexp('\\Afoo\\z').test('foo\n')).toBe(false);
    expect(compileGoRegexp('\\Qa.b*\\E$').test('xa.b*')).toBe(true);
    expect(compileGoRegexp('\\Qa.b*\\E$').test('xaxb')).toBe(false);
    expect(compileGoRegexp('^[[:alpha:]_]+$').test('snake_case')).toBe(true);
    expect(compileGoRegexp('^[[:digit:]]+$').test('12a')).toBe(false);
  });

  it('matches anywhere unless anchored, as Go\'s MatchString does', () => {
    expect(compileGoRegexp('timeout').test('db timeout after 5s')).toBe(true);
  });

  it('accepts escapes only non-Unicode JavaScript allows, and code points with Unicode', () => {
    expect(compileGoRegexp('a\\-b').test('a-b')).toBe(true);
    expect(compileGoRegexp('^.$').test('😀')).toBe(true);
  });

  it('reports what the engine says about a broken pattern', () => {
    expect(regexpProblem('(a')).toMatch(/^invalid regular expression "\(a": Invalid regular expression: .*Unterminated group$/);
    expect(regexpProblem('(?U)a*')).toMatch(/\(\?U\) flag/);
    expect(regexpProblem('a+')).toBeUndefined();
  });
});
