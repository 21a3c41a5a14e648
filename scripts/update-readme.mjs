// Regenerates the README's components table from the registry (run `npm run docs`).
import { readFileSync, writeFileSync } from 'node:fs';
import { components } from '../dist/components.js';
import { componentsMarkdown, spliceComponentsTable } from '../dist/cli/components.js';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, spliceComponentsTable(readFileSync(path, 'utf8'), componentsMarkdown(components)));
console.log('README.md components table updated');
