// Configuration sources: paths, file:/env:/yaml: URIs, embedded text, merging in
// order, `::` keys, YAML syntax errors with line and column, files in a temp dir.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/index.js';
import { setFlagSource } from '../../src/config/load.js';
import { fakeComponents, MINIMAL } from './fake-components.js';

let dir: string;
const file = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-config-'));
  await writeFile(file('base.yaml'), MINIMAL);
  await writeFile(
    file('override.yaml'),
    `
exporters:
  debug:
    verbosity: detailed
  otlphttp/backend:
    endpoint: https://backend.example:4318
processors:
  batch:
    timeout: 1s
service:
  pipelines:
    logs:
      processors: [batch]
      exporters: [debug, otlphttp/backend]
`,
  );
  await writeFile(file('broken.yaml'), 'receivers:\n  otlp:\n    protocols: [grpc\nexporters:\n  debug:\n');
  await writeFile(file('list.yaml'), '- receivers\n- exporters\n');
  await writeFile(file('empty.yaml'), '');
  await writeFile(file('bad-exporter.yaml'), 'exporters:\n  debug:\n    verbosity: loud\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const load = (sources: (string | { name: string; text: string })[], env: NodeJS.ProcessEnv = {}) => loadConfig({ sources, env, components: fakeComponents });

describe('sources', () => {
  it('loads a plain path and fills defaults', async () => {
    const r = await load([file('base.yaml')]);
    expect(r.errors).toEqual([]);
    expect(r.config?.sources).toEqual([file('base.yaml')]);
    expect(r.config?.receivers.get('otlp')?.config).toEqual({
      protocols: { grpc: { endpoint: '127.0.0.1:4317', max_recv_msg_size_mib: 4 } },
    });
    expect(r.config?.exporters.get('debug')).toEqual({ kind: 'exporter', id: 'debug', type: 'debug', config: { verbosity: 'basic', sampling_initial: 2 } });
  });

  it('loads file:PATH', async () => {
    const r = await load([`file:${file('base.yaml')}`]);
    expect(r.errors).toEqual([]);
    expect(r.config?.pipelines).toEqual([{ id: 'logs', signal: 'logs', receivers: ['otlp'], processors: [], exporters: ['debug'] }]);
  });

  it('loads env:VAR as YAML from the environment', async () => {
    const r = await load(['env:FERRY_CONFIG'], { FERRY_CONFIG: MINIMAL });
    expect(r.errors).toEqual([]);
    expect(r.config?.sources).toEqual(['env:FERRY_CONFIG']);
  });

  it('treats an unset env: source as empty, with a warning', async () => {
    const r = await load([file('base.yaml'), 'env:NOT_SET'], {});
    expect(r.errors).toEqual([]);
    expect(r.warnings).toContain('env:NOT_SET: environment variable NOT_SET is not set; this source is empty');
  });

  it('applies yaml: inline text with :: separating levels', async () => {
    const r = await load([file('base.yaml'), 'yaml:exporters::debug::verbosity: detailed']);
    expect(r.errors).toEqual([]);
    expect(r.config?.exporters.get('debug')?.config).toEqual({ verbosity: 'detailed', sampling_initial: 2 });
  });

  it('accepts a component id with / inside a yaml: key path', async () => {
    const r = await load([file('base.yaml'), 'yaml:processors::batch/fast::timeout: 3s', 'yaml:service::pipelines::logs::processors: [batch/fast]']);
    expect(r.errors).toEqual([]);
    expect(r.config?.processors.get('batch/fast')?.config).toEqual({ timeout: '3s', send_batch_size: 8192, send_batch_max_size: 0 });
  });

  it('loads embedded text and names it in errors', async () => {
    const r = await load([{ name: 'embedded:default.yaml', text: MINIMAL.replace('debug:\n', 'debug:\n    verbosity: loud\n') }]);
    expect(r.config).toBeUndefined();
    expect(r.errors).toEqual([
      { file: 'embedded:default.yaml', path: 'exporters.debug.verbosity', message: '"loud" is not one of basic, normal, detailed', fix: 'use one of: basic, normal, detailed' },
    ]);
  });

  it('reports every source that cannot be read, and nothing that follows from it', async () => {
    const r = await load([file('nope.yaml'), file('broken.yaml'), file('base.yaml')]);
    expect(r.errors[0]).toEqual({ file: file('nope.yaml'), path: '', message: 'cannot read the configuration: file not found', fix: 'check the path given to --config' });
    expect(r.errors.slice(1).every((e) => e.file === file('broken.yaml') && e.message.startsWith('YAML syntax error'))).toBe(true);
    expect(r.errors.length).toBeGreaterThan(1);
  });

  it('refuses unknown source schemes', async () => {
    const r = await load(['foo:bar', 'env:1BAD']);
    expect(r.errors).toContainEqual({ file: 'foo:bar', path: '', message: 'unknown configuration source scheme "foo"', fix: 'pass a file path, file:PATH, env:VAR, yaml:TEXT or an http(s):// URL' });
    expect(r.errors).toContainEqual(expect.objectContaining({ file: 'env:1BAD', message: '"1BAD" is not a valid environment variable name' }));
  });

  it('fetches an http:// source (the Collector\'s http provider), and names a failed one', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/base.yaml') res.end(MINIMAL);
      else if (req.url === '/override.yaml') res.end('exporters:\n  debug:\n    verbosity: detailed\n');
      else res.writeHead(404).end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await load([`${base}/base.yaml`, `${base}/override.yaml`]);
      expect(r.errors).toEqual([]);
      expect(r.config?.exporters.get('debug')?.config).toMatchObject({ verbosity: 'detailed' });
      expect(r.config?.sources).toEqual([`${base}/base.yaml`, `${base}/override.yaml`]);
      const missing = await load([`${base}/nope.yaml`]);
      expect(missing.errors).toEqual([
        { file: `${base}/nope.yaml`, path: '', message: 'cannot fetch the configuration: the server answered 404 Not Found', fix: 'check the URL (and any credentials it needs)' },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    // A port that was free a moment ago and has nobody listening.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const refused = await load([`http://127.0.0.1:${closedPort}/c.yaml`]);
    expect(refused.errors[0]?.message).toBe('cannot fetch the configuration: ECONNREFUSED');
  });

  it('turns --set flags into sources the Collector\'s way: . or :: between levels', () => {
    expect(setFlagSource('processors.batch.timeout=2s')).toBe('yaml:processors::batch::timeout: 2s');
    expect(setFlagSource('exporters::debug::verbosity=detailed')).toBe('yaml:exporters::debug::verbosity: detailed');
    expect(setFlagSource('exporters.otlp_http/backend.endpoint=http://a:1/x')).toBe('yaml:exporters::otlp_http/backend::endpoint: http://a:1/x');
    expect(setFlagSource('novalue')).toBeUndefined();
    expect(setFlagSource('=x')).toBeUndefined();
  });

  it('applies a dotted --set over a file', async () => {
    const r = await load([file('base.yaml'), file('override.yaml'), setFlagSource('processors.batch.timeout=2s') as string]);
    expect(r.errors).toEqual([]);
    expect(r.config?.processors.get('batch')?.config).toMatchObject({ timeout: '2s' });
  });

  it('reports no sources at all', async () => {
    const r = await load([]);
    expect(r.errors).toEqual([{ file: '', path: '', message: 'no configuration given', fix: 'pass --config with a file path' }]);
  });
});

describe('YAML', () => {
  it('names the file, line and column of a syntax error', async () => {
    const r = await load([file('broken.yaml')]);
    expect(r.config).toBeUndefined();
    expect(r.errors.length).toBeGreaterThan(0);
    const first = r.errors[0];
    expect(first?.file).toBe(file('broken.yaml'));
    expect(first?.message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
    expect(first?.fix).toMatch(/^correct the YAML at line \d+, column \d+/);
  });

  it('points at the line of a duplicate key', async () => {
    const r = await load([{ name: 'dup.yaml', text: 'exporters:\n  debug:\n  debug:\n' }]);
    expect(r.errors[0]).toMatchObject({ file: 'dup.yaml', path: '' });
    expect(r.errors[0]?.message).toMatch(/^YAML syntax error at line 3, column 3: Map keys must be unique/);
  });

  it('requires a map at the top level', async () => {
    const r = await load([file('list.yaml')]);
    expect(r.errors).toContainEqual({ file: file('list.yaml'), path: '', message: 'the top level must be a map, got a list', fix: 'start with keys such as receivers:, exporters: and service:' });
  });

  it('treats an empty file as an empty map', async () => {
    const r = await load([file('empty.yaml'), file('base.yaml')]);
    expect(r.errors).toEqual([]);
  });

  it('supports anchors and merge keys', async () => {
    const text = `${MINIMAL}
processors:
  batch: &fast
    timeout: 5s
    send_batch_size: 10
  batch/big:
    <<: *fast
    send_batch_size: 1000
`;
    const r = await load([{ name: 'anchors.yaml', text }, 'yaml:service::pipelines::logs::processors: [batch, batch/big]']);
    expect(r.errors).toEqual([]);
    expect(r.config?.processors.get('batch/big')?.config).toEqual({ timeout: '5s', send_batch_size: 1000, send_batch_max_size: 0 });
  });
});

describe('merging', () => {
  it('deep-merges maps in order, later wins, lists replaced', async () => {
    const r = await load([file('base.yaml'), file('override.yaml')]);
    expect(r.errors).toEqual([]);
    const c = r.config;
    expect(c?.exporters.get('debug')?.config).toEqual({ verbosity: 'detailed', sampling_initial: 2 });
    expect(c?.exporters.get('otlphttp/backend')?.config).toMatchObject({ endpoint: 'https://backend.example:4318', timeout: '30s', compression: 'gzip' });
    // receivers came only from the first file; the exporters list was replaced, not appended.
    expect(c?.pipelines).toEqual([{ id: 'logs', signal: 'logs', receivers: ['otlp'], processors: ['batch'], exporters: ['debug', 'otlphttp/backend'] }]);
    expect(c?.processors.get('batch')?.config).toEqual({ timeout: '1s', send_batch_size: 8192, send_batch_max_size: 0 });
    expect(c?.sources).toEqual([file('base.yaml'), file('override.yaml')]);
  });

  it('names the file each bad value came from', async () => {
    const second = { name: 'second.yaml', text: 'processors:\n  batch:\n    timeout: soon\nservice:\n  pipelines:\n    logs:\n      processors: [batch]\n' };
    const r = await load([file('base.yaml'), second]);
    expect(r.errors).toEqual([
      { file: 'second.yaml', path: 'processors.batch.timeout', message: '"soon" is not a duration', fix: 'use a number with a unit, such as 200ms, 5s or 1m30s' },
    ]);
  });

  it('lets a later empty value reset a component to its defaults', async () => {
    const r = await load([file('base.yaml'), file('override.yaml'), { name: 'reset.yaml', text: 'exporters:\n  debug:\n' }]);
    expect(r.errors).toEqual([]);
    expect(r.config?.exporters.get('debug')?.config).toEqual({ verbosity: 'basic', sampling_initial: 2 });
  });
});
