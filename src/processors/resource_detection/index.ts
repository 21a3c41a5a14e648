// The resource_detection processor (the Collector's resourcedetectionprocessor) with the
// detectors that make sense without a cloud: env (OTEL_RESOURCE_ATTRIBUTES), system (host and
// OS), docker (the daemon's host name and OS, when its socket is there), k8snode (the node name
// the downward API puts in an environment variable). Detected once at start; each resource gets
// the attributes (override: true replaces those it has). Log records, spans and metrics are not
// read, so they stay undecoded.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { arch, hostname, platform } from 'node:os';
import type { SchemaObject } from 'ajv';
import type { Processor, ProcessorFactory } from '../../component.js';
import type { Batch } from '../../pdata/batch.js';
import type { KeyValue } from '../../pdata/types.js';
import { mapGet, mapPut } from '../../ottl/values.js';
import { ownArray } from '../../ottl/values.js';

export interface ResourceDetectionConfig {
  detectors: ('env' | 'system' | 'docker' | 'k8snode')[];
  override: boolean;
  timeout: string;
  system: { hostname_sources: ('os' | 'dns')[] };
  k8snode: { node_from_env_var: string };
  docker: { endpoint: string };
}

export const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  description: 'Adds resource attributes detected at start: env (OTEL_RESOURCE_ATTRIBUTES), system (host.name, os.type, host.arch, host.id), docker, k8snode.',
  properties: {
    detectors: { type: 'array', items: { type: 'string', enum: ['env', 'system', 'docker', 'k8snode'] }, default: ['env'], description: 'Detectors, in order: a later one does not replace what an earlier one found.' },
    override: { type: 'boolean', default: true, description: 'Replace attributes a resource already has.' },
    timeout: { type: 'string', default: '2s', description: 'Time allowed to a detector (docker).' },
    system: { type: 'object', additionalProperties: true, default: {}, description: 'system detector settings.', properties: { hostname_sources: { type: 'array', items: { type: 'string', enum: ['os', 'dns'] }, default: ['dns', 'os'], description: 'Where host.name comes from (both read the OS host name in Ferry).' } } },
    k8snode: { type: 'object', additionalProperties: true, default: {}, description: 'k8snode detector settings.', properties: { node_from_env_var: { type: 'string', default: 'K8S_NODE_NAME', description: 'The environment variable holding the node name (downward API spec.nodeName).' } } },
    docker: { type: 'object', additionalProperties: true, default: {}, description: 'docker detector settings.', properties: { endpoint: { type: 'string', default: '/var/run/docker.sock', description: 'The Docker daemon socket.' } } },
  },
};

/** OTEL_RESOURCE_ATTRIBUTES: `k=v,k2=v2`, percent-decoded. */
export function parseResourceAttributes(text: string): [string, string][] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.includes('='))
    .map((p) => {
      const i = p.indexOf('=');
      return [decodeURIComponent(p.slice(0, i).trim()), decodeURIComponent(p.slice(i + 1).trim())];
    });
}

function dockerInfo(socketPath: string, timeoutMs: number): Promise<{ Name?: string; OSType?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/info', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as { Name?: string; OSType?: string });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function detect(config: ResourceDetectionConfig, env: NodeJS.ProcessEnv, log: (msg: string) => void): Promise<[string, string][]> {
  const found = new Map<string, string>();
  const add = (k: string, v: string | undefined): void => {
    if (v !== undefined && v !== '' && !found.has(k)) found.set(k, v);
  };
  for (const d of config.detectors) {
    if (d === 'env') for (const [k, v] of parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES ?? '')) add(k, v);
    if (d === 'system') {
      add('host.name', hostname());
      add('os.type', platform() === 'win32' ? 'windows' : platform());
      add('host.arch', arch() === 'x64' ? 'amd64' : arch());
      for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
        if (existsSync(f)) {
          add('host.id', readFileSync(f, 'utf8').trim());
          break;
        }
      }
    }
    if (d === 'k8snode') add('k8s.node.name', env[config.k8snode.node_from_env_var]);
    if (d === 'docker') {
      const socket = config.docker.endpoint.replace(/^unix:\/\//, '');
      if (!existsSync(socket)) {
        log(`docker detector: no socket at ${socket}; skipped`);
        continue;
      }
      try {
        const info = await dockerInfo(socket, Number.parseInt(config.timeout, 10) * (config.timeout.endsWith('ms') ? 1 : 1000) || 2000);
        add('host.name', info.Name);
        add('os.type', info.OSType);
      } catch (err) {
        log(`docker detector: ${(err as Error).message}`);
      }
    }
  }
  return [...found];
}

export const resourceDetectionProcessor: ProcessorFactory<ResourceDetectionConfig> = {
  kind: 'processor',
  type: 'resource_detection',
  deprecatedTypes: ['resourcedetection'],
  description: 'Adds resource attributes detected at start (env, system, docker, k8snode) to every resource.',
  signals: ['logs', 'traces', 'metrics'],
  configSchema,
  create(config, ctx, next): Processor {
    let attrs: [string, string][] = [];
    return {
      mutatesData: true,
      async start() {
        attrs = await detect(config, process.env, (m) => ctx.logger.warn(m));
        ctx.logger.info('resource detected', { attributes: Object.fromEntries(attrs) });
      },
      async shutdown() {},
      async consume(batch: Batch): Promise<void> {
        for (const r of batch.resources) {
          r.resource ??= { attributes: [] };
          const kvs = ownArray<KeyValue>(r.resource, 'attributes');
          for (const [k, v] of attrs) if (config.override || mapGet(kvs, k) === undefined) mapPut(kvs, k, { stringValue: v });
        }
        return next.consume(batch);
      },
    };
  },
};
