// Serves the self-metrics registry as Prometheus text on GET /metrics
// (`service.telemetry.metrics.address`, 127.0.0.1:8888 by default).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { listen, portInUseFix, splitHostPort } from '../net.js';

export class MetricsServer {
  private server: Server | undefined;
  private bound: string | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly endpoint: string,
  ) {}

  get address(): string | undefined {
    return this.bound;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: self-metrics are on /metrics\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(err)}\n`),
      );
    });
    const { host, port } = splitHostPort(this.endpoint, 8888);
    try {
      this.bound = await listen(server, host, port, 'self-metrics');
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('address already in use')) throw err;
      throw new Error(err.message + portInUseFix('service.telemetry.metrics.address', host, port) + ' (or service.telemetry.metrics.level: none)', { cause: err });
    }
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
