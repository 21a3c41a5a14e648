// The receivers' connection guards: at most max_connections open at once (net.Server's own
// cap; the ones closed at it are counted), and for HTTP/2 a handshake deadline, so idle or
// preface-less sockets cannot pile up to the fd limit (issue 14: 1,000 raw TCP connections
// stayed open forever and /metrics stopped answering).
import type { Server as NetServer, Socket } from 'node:net';
import type { Http2Session } from 'node:http2';
import type { ConnectionMetrics } from '../../telemetry/self.js';

/** Count open connections and cap them; `server` is any net.Server (http, https, http2). */
export function capConnections(server: NetServer, max: number, metrics: ConnectionMetrics): void {
  server.maxConnections = max;
  metrics.limit(max);
  server.on('drop', () => metrics.refused());
  server.on('connection', (socket: Socket) => {
    metrics.opened();
    socket.once('close', () => metrics.closed());
  });
}

/**
 * Close a connection whose client has not sent the HTTP/2 preface and SETTINGS within
 * `timeoutMs` (grpc-go's ConnectionTimeout), TLS handshake included. The session's socket is
 * not ours to touch: the raw socket of the 'connection' event is, found again by the peer's
 * address and port.
 */
export function reapSilentSessions(server: NetServer, timeoutMs: number, metrics: ConnectionMetrics): void {
  if (timeoutMs <= 0) return;
  const waiting = new Map<string, NodeJS.Timeout>();
  const key = (address: string | undefined, port: number | undefined) => `${address ?? ''}|${port ?? ''}`;
  server.on('connection', (socket: Socket) => {
    const k = key(socket.remoteAddress, socket.remotePort);
    const timer = setTimeout(() => {
      waiting.delete(k);
      metrics.reaped();
      // Node 20: neither session.destroy() nor socket.destroy() closes a socket whose HTTP/2
      // session never got a preface (the session holds its handle); a reset does.
      socket.resetAndDestroy();
    }, timeoutMs);
    timer.unref();
    waiting.set(k, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      if (waiting.get(k) === timer) waiting.delete(k);
    });
  });
  server.on('session', (session: Http2Session) => {
    const k = key(session.socket.remoteAddress, session.socket.remotePort);
    session.once('remoteSettings', () => {
      clearTimeout(waiting.get(k));
      waiting.delete(k);
    });
  });
}
