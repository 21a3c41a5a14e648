// health_check: answers 200 while every pipeline is running and 503 while the
// collector starts or stops, for load balancers and orchestrators' probes.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { httpsServerOptions, loadTlsServer } from '../../config/tls-server.js';
import { Cors } from '../../receivers/otlp/cors.js';
import type { Extension, ExtensionFactory, Host } from '../../component.js';
import { listen, splitHostPort } from '../../net.js';
import type { HealthCheckConfig } from './config.js';
import { configSchema, validate } from './config.js';

export const healthCheckExtension: ExtensionFactory<HealthCheckConfig> = {
  kind: 'extension',
  type: 'health_check',
  description: 'HTTP health check: 200 when all pipelines are running, 503 while starting or stopping.',
  configSchema,
  validate,
  create(config, ctx): Extension {
    let server: Server | undefined;
    const upSince = new Date();
    return {
      async start(host: Host) {
        const origins = config.cors?.allowed_origins ?? [];
        const cors =
          origins.length === 0
            ? undefined
            : new Cors({ allowedOrigins: origins, allowedHeaders: config.cors?.allowed_headers ?? [], exposedHeaders: config.cors?.exposed_headers ?? [], maxAge: config.cors?.max_age });
        const handler = (req: IncomingMessage, res: ServerResponse): void => {
          if (cors !== undefined) {
            cors.decorate(req, res);
            if (req.method === 'OPTIONS') {
              cors.preflight(req, res, 'GET');
              return;
            }
          }
          const path = (req.url ?? '/').split('?')[0];
          if (path !== config.path) {
            res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the health check is on ${config.path}\n`);
            return;
          }
          const healthy = host.state === 'running';
          const custom = healthy ? config.response_body?.healthy : config.response_body?.unhealthy;
          const body =
            custom ??
            JSON.stringify({
              status: healthy ? 'Server available' : 'Server not available',
              state: host.state,
              upSince: upSince.toISOString(),
              uptime: `${((Date.now() - upSince.getTime()) / 1000).toFixed(3)}s`,
            });
          res.writeHead(healthy ? 200 : 503, { 'content-type': custom === undefined ? 'application/json' : 'text/plain' }).end(body);
        };
        const s = config.tls === undefined ? createServer(handler) : createHttpsServer(httpsServerOptions(await loadTlsServer(config.tls)), handler);
        const { host: h, port } = splitHostPort(config.endpoint, 13133);
        const bound = await listen(s, h, port, `extension ${ctx.id}`);
        server = s;
        ctx.logger.info('health check served', { endpoint: bound, path: config.path });
      },
      async shutdown() {
        const s = server;
        server = undefined;
        if (!s) return;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      },
    };
  },
};
