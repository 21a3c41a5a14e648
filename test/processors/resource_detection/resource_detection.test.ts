// resource_detection: env (OTEL_RESOURCE_ATTRIBUTES), system (host and OS), k8snode (node name
// from the downward-API variable), override or not; docker skipped without a socket.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { detect, parseResourceAttributes } from '../../../src/processors/resource_detection/index.js';
import type { ResourceDetectionConfig } from '../../../src/processors/resource_detection/index.js';
import { attrsOf, logsBatch, makeProcessor, receivedLogs } from '../helpers.js';

const base: ResourceDetectionConfig = { detectors: [], override: true, timeout: '2s', system: { hostname_sources: ['os'] }, k8snode: { node_from_env_var: 'K8S_NODE_NAME' }, docker: { endpoint: '/nonexistent/docker.sock' } };

describe('resource_detection processor', () => {
  it('parses OTEL_RESOURCE_ATTRIBUTES with percent-encoding', () => {
    expect(parseResourceAttributes('service.name=api, deployment.environment=prod,team=a%2Cb,broken')).toEqual([
      ['service.name', 'api'],
      ['deployment.environment', 'prod'],
      ['team', 'a,b'],
    ]);
  });

  it('detects env, system, k8snode in order; docker without a socket is skipped and logged', async () => {
    const logged: string[] = [];
    const found = Object.fromEntries(await detect({ ...base, detectors: ['env', 'system', 'k8snode', 'docker'] }, { OTEL_RESOURCE_ATTRIBUTES: 'host.name=from-env,team=core', K8S_NODE_NAME: 'node-7' }, (m) => logged.push(m)));
    expect(found).toMatchObject({ 'host.name': 'from-env', team: 'core', 'os.type': 'linux', 'k8s.node.name': 'node-7' });
    expect(found['host.arch']).toBeDefined();
    expect(logged).toEqual(['docker detector: no socket at /nonexistent/docker.sock; skipped']);
    expect(Object.fromEntries(await detect({ ...base, detectors: ['system'] }, {}, () => undefined))['host.name']).toBe(hostname());
  });

  it('adds what it detected to every resource; override: false keeps what a resource has', async () => {
    for (const [override, want] of [[true, hostname()], [false, 'mine']] as const) {
      const { processor, next } = await makeProcessor('resourcedetection', `detectors: [system]\noverride: ${override}`);
      await processor.consume(logsBatch([{ resource: { 'host.name': 'mine' }, records: [{}] }, { records: [{}] }]));
      const resources = receivedLogs(next).map((l) => l.resource);
      expect(resources[0]!['host.name']).toBe(want);
      expect(resources[1]!['host.name']).toBe(hostname());
      expect(resources[1]!['os.type']).toBe('linux');
    }
    void attrsOf;
  });
});
