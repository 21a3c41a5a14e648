// docs/install.md's step, as written there: `npm install -g .` from the repository (after
// `npm ci`), here into a temporary prefix and offline; then `ferry` from another directory.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/ferry.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const CONFIGS = readdirSync(join(REPO, 'configs')).filter((f) => f.endsWith('.yaml'));

describe('install as a command (docs/install.md)', () => {
  const prefix = join(tempDir('ferry-install-'), 'prefix');
  const elsewhere = tempDir('ferry-elsewhere-');
  const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };

  beforeAll(async () => {
    // --ignore-scripts: dist/ is already built (test/global-setup.ts); rebuilding it here would
    // race the other test files that run dist/cli.js. --offline: nothing is downloaded.
    await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', REPO], { cwd: elsewhere });
  }, 120_000);

  it('puts ferry on the PATH: --version works from any directory', async () => {
    const { stdout } = await run('ferry', ['--version'], { cwd: elsewhere, env });
    expect(stdout).toMatch(/^ferry \d+\.\d+\.\d+\n$/);
    const direct = await run(join(prefix, 'bin', 'ferry'), ['--version'], { cwd: '/' });
    expect(direct.stdout).toBe(stdout);
  }, 60_000);

  it('validates the shipped configs with the installed command', async () => {
    const { stdout } = await run('ferry', ['validate', '--config', join(prefix, 'lib', 'node_modules', 'ferry', 'configs', 'default.yaml')], { cwd: elsewhere, env });
    expect(stdout).toMatch(/^configuration is valid: \d+ pipeline\(s\)/);
    expect(CONFIGS).toContain('default.yaml');
  }, 60_000);
});
