// Ferry's version, from package.json: read once, for `ferry --version`, the start-up log line
// and the User-Agent / app-version headers exporters send.
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
