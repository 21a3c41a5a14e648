// health_check answers from the service's state: 200 running, 503 otherwise.
import { describe, expect, it } from 'vitest';
import type { Host, ServiceState } from '../../src/component.js';
import { healthCheckExtension } from '../../src/extensions/health_check/index.js';
import { freePort, testContext } from '../helpers/index.js';

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
});
