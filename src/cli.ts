#!/usr/bin/env -S FERRY_USER_MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX} MALLOC_ARENA_MAX=2 node --max-semi-space-size=1
// The #! line tunes the process for a sidecar (bench/, 10,000 log records/s): V8's young
// generation capped at 1 MiB per semi-space (Node's default grows it to 16 MiB and never
// shrinks it): RSS 99 instead of 135 MiB and 6.8 % of a core instead of 8.1 %, for 8 % fewer
// records per CPU-second at saturation; and glibc's malloc held to 2 arenas instead of one
// per thread (zlib and file work run on libuv's pool): 4–5 MiB less RSS, CPU unchanged.
// Commands that `ferry exec` runs get the user's own MALLOC_ARENA_MAX back (see below).
// `ferry`: run the collector, validate a configuration, or list the components.
// Exit codes: 0 ok, 1 invalid configuration or failed start, 2 bad usage.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { components } from './components.js';
import { formatConfigErrors, loadConfig } from './config/index.js';
import { setFlagSource } from './config/load.js';
import type { ResolvedConfig } from './config/types.js';
import { errorMessage } from './consumer.js';
import { nearest } from './config/suggest.js';
import { parseDuration } from './config/units.js';
import { createReloader } from './service/reloader.js';
import { Service } from './service/service.js';
import { watchFiles } from './service/watch.js';
import { createLogger } from './telemetry/logger.js';
import { printComponents } from './cli/components.js';
import { runExec } from './cli/exec.js';
import { runTop } from './cli/top.js';
import { routeGrpcLogs } from './telemetry/grpc-log.js';
import { VERSION } from './version.js';

// The #! line set MALLOC_ARENA_MAX=2 for Ferry's own heap (glibc read it at start-up); child
// processes (ferry exec's command) get the value the user had, or none.
{
  const userArenas = process.env.FERRY_USER_MALLOC_ARENA_MAX;
  if (userArenas !== undefined) {
    if (userArenas === '') delete process.env.MALLOC_ARENA_MAX;
    else process.env.MALLOC_ARENA_MAX = userArenas;
    delete process.env.FERRY_USER_MALLOC_ARENA_MAX;
  }
}

const DEFAULT_CONFIG = new URL('../configs/default.yaml', import.meta.url);

const HELP = `ferry ${VERSION} — an OpenTelemetry Collector in TypeScript

Usage:
  ferry [--config FILE]... [--set KEY=VALUE]...   run the collector
  ferry validate [--config FILE]...                check a configuration and exit
  ferry components [--json | --schema]             list receivers, processors, exporters, extensions
                                                   (current and deprecated type names); --schema:
                                                   a JSON Schema of a whole config file, for editors
  ferry exec [OPTIONS] -- CMD [ARGS]...            run CMD, ship its output (::{json}:: markers) as
                                                   logs and metrics, exit with its code (ferry exec --help)
  ferry top [--metrics-url URL] [--once --json]    live view of a running Ferry: items in/out per second,
                                                   refused, dropped, queue fill per component (ferry top --help)

Options:
  -c, --config SOURCE      a configuration file, or file:PATH, env:VAR, yaml:KEY::SUB: VALUE;
                           repeat to merge several in order (later wins). With none, the
                           embedded sidecar default (configs/default.yaml) is used.
      --set KEY=VALUE      override one value, e.g. --set=processors.batch.timeout=2s
                           (. or :: between levels)
      --shutdown-timeout D how long SIGTERM/SIGINT may take to drain (default 10s); also
                           what a reload gives the replaced components to drain
      --watch-config       reload when a --config file changes (as on SIGHUP)
  -h, --help               this help
  -v, --version            the version

Signals: SIGTERM or SIGINT stop receivers, flush processors and drain exporters.
         SIGHUP reloads the configuration: an invalid one is logged and the running
         one kept; a valid one replaces it without dropping data in flight.
Docs: README.md, and configs/ for ready-made configurations.
`;

interface CliArgs {
  command: 'run' | 'validate' | 'components';
  sources: (string | { name: string; text: string })[];
  json: boolean;
  schema: boolean;
  shutdownTimeoutMs: number;
  watchConfig: boolean;
}

class UsageError extends Error {}

const CLI_OPTIONS = ['config', 'set', 'json', 'shutdown-timeout', 'watch-config', 'help', 'version'];

function parseCli(argv: string[]): CliArgs | 'help' | 'version' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c', multiple: true },
        set: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        schema: { type: 'boolean' },
        'shutdown-timeout': { type: 'string' },
        'watch-config': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    // "Unknown option '--confg'": say which one was meant.
    const unknown = /Unknown option '(--?[^']+)'/.exec(errorMessage(err))?.[1];
    const near = unknown?.startsWith('--') ? nearest(unknown.slice(2).split('=')[0] ?? '', CLI_OPTIONS) : undefined;
    throw new UsageError(near === undefined ? errorMessage(err) : `unknown option "${unknown}": did you mean --${near}?`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  const [command = 'run', ...rest] = positionals;
  if (command !== 'run' && command !== 'validate' && command !== 'components') {
    throw new UsageError(`unknown command "${command}": expected validate, components, or none to run`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const sources: CliArgs['sources'] = [...(values.config ?? [])];
  if (sources.length === 0) sources.push({ name: 'embedded:default.yaml', text: readFileSync(DEFAULT_CONFIG, 'utf8') });
  for (const s of values.set ?? []) {
    const source = setFlagSource(s);
    if (source === undefined) throw new UsageError(`--set "${s}": no "=": write --set KEY=VALUE, with . or :: between the levels of KEY, such as --set processors.batch.timeout=2s or --set exporters::debug::verbosity=detailed`);
    sources.push(source);
  }
  let shutdownTimeoutMs = 10_000;
  if (values['shutdown-timeout'] !== undefined) {
    try {
      shutdownTimeoutMs = parseDuration(values['shutdown-timeout']);
    } catch (err) {
      throw new UsageError(`--shutdown-timeout: ${errorMessage(err)}`);
    }
  }
  return { command, sources, json: values.json ?? false, schema: values.schema ?? false, shutdownTimeoutMs, watchConfig: values['watch-config'] ?? false };
}

async function resolve(args: CliArgs): Promise<ResolvedConfig | undefined> {
  const { config, errors, warnings } = await loadConfig({ sources: args.sources, env: process.env, components });
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (errors.length > 0 || !config) {
    process.stderr.write(`ferry: invalid configuration (${errors.length} error${errors.length === 1 ? '' : 's'}):\n${formatConfigErrors(errors)}\n`);
    return undefined;
  }
  return config;
}

async function run(args: CliArgs): Promise<number> {
  const config = await resolve(args);
  if (!config) return 1;
  const logger = createLogger({ level: config.telemetry.logs.level, encoding: config.telemetry.logs.encoding });
  routeGrpcLogs(logger, config.telemetry.logs.level === 'debug');
  const service = new Service(config, { components, logger });
  logger.info('starting ferry', { version: VERSION, config: config.sources });
  try {
    await service.start();
  } catch (err) {
    logger.error('failed to start', { error: errorMessage(err) });
    return 1;
  }
  return new Promise<number>((done) => {
    let stopping = false;
    const reload = createReloader({
      service,
      logger,
      load: () => loadConfig({ sources: args.sources, env: process.env, components }),
      timeoutMs: args.shutdownTimeoutMs,
      onFatal: () => done(1),
    });
    process.on('SIGHUP', () => void reload('SIGHUP'));
    const files = args.sources.flatMap((s) => (typeof s === 'string' ? configFilePath(s) : []));
    const stopWatching = args.watchConfig
      ? watchFiles(files, 300, (changed) => void reload(`changed: ${changed.join(', ')}`), (err) => logger.warn('cannot watch the configuration', { error: err.message }))
      : () => undefined;
    if (args.watchConfig) logger.info('watching the configuration for changes', { files });
    const stop = (signal: NodeJS.Signals) => {
      stopWatching();
      if (stopping) {
        logger.warn('second signal: exiting without waiting for the drain', { signal });
        done(1);
        return;
      }
      stopping = true;
      logger.info('received signal, shutting down', { signal });
      service.shutdown(args.shutdownTimeoutMs).then(
        () => done(0),
        (err: unknown) => {
          logger.error('shutdown failed', { error: errorMessage(err) });
          done(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** The file behind a --config source (a path or file:PATH); env: and yaml: sources have none. */
function configFilePath(source: string): string[] {
  if (source.startsWith('file:')) return [source.slice(5)];
  return /^(env|yaml|http|https):/.test(source) ? [] : [source];
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'exec') return runExec(argv.slice(1));
  if (argv[0] === 'top') return runTop(argv.slice(1));
  let args;
  try {
    args = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ferry: ${err.message}\nRun "ferry --help" for usage.\n`);
      return 2;
    }
    throw err;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (args === 'version') {
    process.stdout.write(`ferry ${VERSION}\n`);
    return 0;
  }
  switch (args.command) {
    case 'components':
      printComponents(components, args.json, (s) => process.stdout.write(s), args.schema);
      return 0;
    case 'validate': {
      const config = await resolve(args);
      if (!config) return 1;
      process.stdout.write(`configuration is valid: ${config.pipelines.length} pipeline(s): ${config.pipelines.map((p) => p.id).join(', ')}\n`);
      return 0;
    }
    case 'run':
      return run(args);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Servers are closed by now; anything left (a stuck socket) must not keep us alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    process.stderr.write(`ferry: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
