// The README's components table is generated from the registry; this keeps it honest.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { components } from '../src/components.js';
import { componentsMarkdown, spliceComponentsTable } from '../src/cli/components.js';

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it('lists every component exactly as the registry does (run `npm run docs` to refresh)', () => {
    expect(spliceComponentsTable(readme, componentsMarkdown(components))).toBe(readme);
  });
  it('gives a newcomer the two commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
