// Endpoint parsing and listening shared by every server Ferry runs
// (receivers, self-metrics, health check), with errors a user can act on.
import type { Server } from 'node:net';

/** `host:port`, `[::1]:port`, or `:port` (all interfaces, as the Collector reads it). */
export function splitHostPort(endpoint: string, defaultPort: number): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(endpoint.trim());
  if (!m) throw new Error(`invalid endpoint "${endpoint}": expected host:port, such as 127.0.0.1:${defaultPort}`);
  const host = m[1] ?? m[2] ?? '';
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port in endpoint "${endpoint}"`);
  return { host: host === '' ? '0.0.0.0' : host === 'localhost' ? '127.0.0.1' : host, port };
}

/** True when the endpoint names its port (`host:port`, `[::1]:port`, `:port`). */
export function hasPort(endpoint: string): boolean {
  return /:\d+$/.test(endpoint.trim());
}

/** What to append to "address already in use": the setting that picks the port, and an example. */
export function portInUseFix(setting: string, host: string, port: number): string {
  return `; another process holds that port: stop it, or set ${setting} to a free port, e.g. ${formatHostPort(host, port + 1)}`;
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Listen, resolving to the bound `host:port`; a taken port becomes a one-line error naming the address. */
export function listen(server: Server, host: string, port: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? 'address already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new Error(`${what}: cannot listen on ${formatHostPort(host, port)}: ${reason}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(addr !== null && typeof addr === 'object' ? formatHostPort(addr.address, addr.port) : `${host}:${port}`);
    });
  });
}
