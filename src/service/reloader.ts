// What SIGHUP and --watch-config trigger: re-read the configuration; an invalid one is
// logged and the running graph stays; a valid one replaces it. Triggers coalesce.
import type { ConfigError, ResolvedConfig } from '../config/types.js';
import { formatConfigErrors } from '../config/errors.js';
import { errorMessage } from '../consumer.js';
import type { Logger } from '../telemetry/logger.js';
import type { Service } from './service.js';

export interface ReloaderOptions {
  readonly service: Service;
  readonly logger: Logger;
  /** Read and validate the configuration sources again. */
  load(): Promise<{ config?: ResolvedConfig; errors: ConfigError[]; warnings: string[] }>;
  /** Budget for draining what the old graph holds (the shutdown timeout). */
  readonly timeoutMs: number;
  /** Neither the new nor the old configuration runs any more: the process should exit. */
  onFatal(): void;
}

/** Returns `trigger(why)`: a reload now, or one more right after the one in progress. */
export function createReloader(options: ReloaderOptions): (why: string) => Promise<void> {
  const { service, logger } = options;
  let running: Promise<void> | undefined;
  let again = false;

  const once = async (why: string): Promise<void> => {
    logger.info('reloading the configuration', { trigger: why });
    let loaded;
    try {
      loaded = await options.load();
    } catch (err) {
      logger.error('cannot read the configuration: keeping the running one', { error: errorMessage(err) });
      return;
    }
    for (const w of loaded.warnings) logger.warn(w);
    if (loaded.errors.length > 0 || !loaded.config) {
      logger.error(`invalid configuration (${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}): keeping the running one`);
      // One line per problem, as `ferry validate` prints them: file, path, what is wrong, the fix.
      for (const line of formatConfigErrors(loaded.errors).split('\n')) logger.error(line);
      return;
    }
    const outcome = await service.reload(loaded.config, options.timeoutMs);
    if (outcome.ok) return;
    if (outcome.fatal) {
      options.onFatal();
      return;
    }
    logger.error('reload failed: the previous configuration keeps running', { error: outcome.error });
  };

  return async (why: string): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        let reason = why;
        for (;;) {
          again = false;
          await once(reason);
          if (!again || service.state !== 'running') break;
          reason = 'another change during the reload';
        }
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}
