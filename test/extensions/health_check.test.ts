// health_check answers from the service's state: 200 running, 503 otherwise.
import { describe, expect, it } from 'vitest';
import type { Host, ServiceState } from '../../src/component.js';
import { healthCheckExtension } from '../../src/extensions/health_check/index.js';
import { freePort, testContext } from '../helpers/index.js';
import { request as httpsRequest } from 'node:https';
import { selfSignedCert } from '../exporters/helper/tls.js';

describe('health_check extension', () => {
  it('answers 200 while running and 503 while starting or stopping, on its path only', async () => {
    const port = await freePort();
    let state: ServiceState = 'starting';
    const host: Host = { getExtension: () => undefined, get state() { return state; } };
    const ext = healthCheckExtension.create({ endpoint: `127.0.0.1:${port}`, path: '/health' }, testContext('health_check', 'extension'));
    await ext.start(host);
    try {
      const url = `http://127.0.0.1:${port}/health`;
      const starting = await fetch(url);
      expect(starting.status).toBe(503);
      expect(((await starting.json()) as { status: string }).status).toBe('Server not available');
      state = 'running';
      const running = await fetch(url);
      expect(running.status).toBe(200);
      expect(await running.json()).toMatchObject({ status: 'Server available', state: 'running' });
      state = 'stopping';
      expect((await fetch(url)).status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    } finally {
      await ext.shutdown();
    }
  });

  it('uses the configured response bodies', async () => {
    const port = await freePort();
    const host: Host = { getExtension: () => undefined, state: 'running' };
    const ext = healthCheckExtension.create({ endpoint: `127.0.0.1:${port}`, path: '/', response_body: { healthy: 'OK', unhealthy: 'NOPE' } }, testContext('health_check', 'extension'));
    await ext.start(host);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe('OK');
    } finally {
      await ext.shutdown();
    }
  });

  it('serves over tls and answers browsers with cors, as the Collector\'s keys say', async () => {
    const cert = selfSignedCert();
    const port = await freePort();
    const host: Host = { getExtension: () => undefined, state: 'running' };
    const config = { endpoint: `127.0.0.1:${port}`, path: '/', tls: { cert_file: cert.certFile, key_file: cert.keyFile }, cors: { allowed_origins: ['https://status.example.com'] } };
    expect(healthCheckExtension.validate?.(config)).toEqual([]);
    const ext = healthCheckExtension.create(config, testContext('health_check', 'extension'));
    await ext.start(host);
    try {
      const answer = await new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = httpsRequest(`https://127.0.0.1:${port}/`, { ca: cert.cert, headers: { origin: 'https://status.example.com' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['access-control-allow-origin']).toBe('https://status.example.com');
      expect(answer.headers['access-control-allow-credentials']).toBe('true');
    } finally {
      await ext.shutdown();
      cert.remove();
    }
  });

  it('accepts check_collector_pipeline with a warning that it has no effect', () => {
    const problems = healthCheckExtension.validate?.({ endpoint: '127.0.0.1:1', path: '/', check_collector_pipeline: { enabled: true, interval: '5m', exporter_failure_threshold: 5 } });
    expect(problems?.map((p) => [p.path, p.severity])).toEqual([['check_collector_pipeline.enabled', 'warning']]);
  });
});
