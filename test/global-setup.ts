// Builds dist/ once before the suite, so tests that start `ferry` as a real
// process run the same JavaScript that `npm start` and the `ferry` bin run.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  // As `npm run build`: the bin is executable, run through its #! line.
  chmodSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)), 0o755);
}
