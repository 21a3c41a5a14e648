// Every ready-made configuration in configs/ must validate as shipped.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { components } from '../src/components.js';
import { formatConfigErrors, loadConfig } from '../src/config/index.js';

const dir = new URL('../configs/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('configs/', () => {
  it('has the embedded default and ready-made configurations', () => {
    expect(files).toContain('default.yaml');
    expect(files.length).toBeGreaterThan(1);
  });
  for (const f of files) {
    it(`${f} is valid with no environment set`, async () => {
      const { config, errors } = await loadConfig({ sources: [{ name: f, text: readFileSync(new URL(f, dir), 'utf8') }], env: {}, components });
      expect(formatConfigErrors(errors)).toBe('');
      expect(config?.pipelines.length).toBeGreaterThan(0);
    });
  }
});
