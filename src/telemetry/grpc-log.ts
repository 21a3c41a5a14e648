// grpc-js, loaded only when a gRPC component starts (it costs ~13 MiB of RSS), with its own
// diagnostics routed through Ferry's structured log once it is.
import { format } from 'node:util';
import type * as Grpc from '@grpc/grpc-js';
import type { Logger } from './logger.js';

type GrpcLib = typeof Grpc;

let lib: Promise<GrpcLib> | undefined;
let route: ((grpc: GrpcLib) => void) | undefined;
let loaded: GrpcLib | undefined;

/**
 * Send grpc-js's diagnostics to `logger` at debug (the errors that matter reach the user
 * through the component that failed); `verbose` lets grpc-js log at its DEBUG verbosity.
 */
export function routeGrpcLogs(logger: Logger, verbose: boolean): void {
  const log = logger.child({ library: 'grpc-js' });
  route = (grpc) => {
    const write = (...a: unknown[]): void => log.debug(format(...a));
    grpc.setLogger({ error: write, info: write, debug: write });
    grpc.setLogVerbosity(verbose ? grpc.logVerbosity.DEBUG : grpc.logVerbosity.ERROR);
  };
  if (loaded) route(loaded);
}

/** grpc-js, loaded on first call, with the log routing applied. */
export function loadGrpc(): Promise<GrpcLib> {
  lib ??= import('@grpc/grpc-js').then((grpc) => {
    loaded = grpc;
    route?.(grpc);
    return grpc;
  });
  return lib;
}
