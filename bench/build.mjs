// Transpiles bench/*.ts to dist/bench/*.js (types are checked by `npm run typecheck`): Node 20
// cannot run TypeScript, and the bench loads Ferry itself from dist/, so only bench/ is built here.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(benchDir, '..', 'dist', 'bench');
mkdirSync(outDir, { recursive: true });

for (const name of readdirSync(benchDir)) {
  if (!name.endsWith('.ts') || name.endsWith('.d.ts')) continue;
  const source = readFileSync(path.join(benchDir, name), 'utf8');
  const { outputText, diagnostics } = ts.transpileModule(source, {
    fileName: name,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false },
  });
  if (diagnostics?.length) {
    console.error(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => benchDir, getNewLine: () => '\n' }));
    process.exit(1);
  }
  // Only type imports may reach into ../src: at run time the bench uses dist/ through ferry.ts.
  if (/from\s+['"]\.\.\/src\//.test(outputText)) {
    console.error(`bench/${name}: imports a value from ../src; load it from dist/ through ferry.ts instead`);
    process.exit(1);
  }
  writeFileSync(path.join(outDir, name.replace(/\.ts$/, '.js')), outputText);
}
