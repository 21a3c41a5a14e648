// The bench measures the built Ferry (dist/), the same JavaScript the Ferry process runs:
// this finds the repository and loads Ferry's codecs from dist/ at run time, typed from src/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as ProtoModule from '../src/pdata/proto.js';
import type * as JsonModule from '../src/pdata/json.js';
import type * as HttpClientModule from '../src/exporters/helper/http-client.js';

/** The repository root: the nearest directory above this file whose package.json is Ferry's. */
export const REPO_ROOT: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ferry') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('bench: cannot find the ferry repository above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
})();

/** dist/cli.js: what `ferry` runs. */
export const FERRY_CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/**
 * How `ferry` starts: the environment assignments and node flags of dist/cli.js's
 * `#!/usr/bin/env -S [NAME=VALUE…] node [flags…]` line (`${VAR}` expanded as env does), so
 * that the bench measures the process users start.
 */
export function ferryLaunch(): { env: Record<string, string>; nodeArgs: string[] } {
  const first = readFileSync(FERRY_CLI, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env -S (.*)$/.exec(first);
  const words = m ? (m[1] ?? '').trim().split(/\s+/) : [];
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(words[i] as string);
    if (!assign) break;
    env[assign[1] as string] = (assign[2] as string).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => process.env[name] ?? '');
  }
  if (words[i] === 'node') i++;
  return { env, nodeArgs: words.slice(i) };
}

export interface FerryCodecs {
  readonly proto: typeof ProtoModule;
  readonly json: typeof JsonModule;
  /** The otlphttp exporter's default gzip level. */
  readonly gzipLevel: number;
}

async function distModule<T>(relative: string): Promise<T> {
  const file = path.join(REPO_ROOT, 'dist', relative);
  if (!existsSync(file)) throw new Error(`bench: ${file} is missing; run \`npm run build\` first`);
  return (await import(pathToFileURL(file).href)) as T;
}

let codecs: Promise<FerryCodecs> | undefined;

/** Ferry's protobuf and OTLP/JSON codecs, as built in dist/. */
export function loadCodecs(): Promise<FerryCodecs> {
  codecs ??= (async () => ({
    proto: await distModule<typeof ProtoModule>('pdata/proto.js'),
    json: await distModule<typeof JsonModule>('pdata/json.js'),
    gzipLevel: (await distModule<typeof HttpClientModule>('exporters/helper/http-client.js')).DEFAULT_GZIP_LEVEL,
  }))();
  return codecs;
}
