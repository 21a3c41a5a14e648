// Component validation: ids, unknown types and keys with suggestions, null as
// "enabled with defaults", schema errors (types, enums, durations, required,
// bounds), factory checks, and every error reported at once with file/path/fix.
import { describe, expect, it } from 'vitest';
import type { Components, ExporterFactory } from '../../src/component.js';
import { ConfigLoadError, formatConfigErrors, loadConfig } from '../../src/config/index.js';
import { fakeComponents } from './fake-components.js';
import { byType } from '../../src/components.js';

const PIPELINE = `
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
`;

/** `text` plus the minimal receiver, exporter and pipeline unless it defines its own. */
async function load(text: string, components: Components = fakeComponents) {
  const parts = [text];
  if (!/^receivers:/m.test(text)) parts.push('receivers:\n  otlp:\n    protocols:\n      http:\n');
  if (!/^exporters:/m.test(text)) parts.push('exporters:\n  debug:\n');
  if (!/^service:/m.test(text)) parts.push(PIPELINE);
  return loadConfig({ sources: [{ name: 'c.yaml', text: parts.join('\n') }], env: {}, components });
}

describe('components', () => {
  it('fills defaults for a component written with nothing under it, then runs its own check', async () => {
    const r = await load('receivers:\n  otlp:\n');
    expect(r.errors).toEqual([{ file: 'c.yaml', path: 'receivers.otlp.protocols', message: 'must enable at least one protocol', fix: 'add grpc: or http: under protocols' }]);
  });

  it('treats empty protocol entries as enabled with defaults', async () => {
    const r = await load('receivers:\n  otlp:\n    protocols:\n      grpc:\n      http:\n');
    expect(r.errors).toEqual([]);
    expect(r.config?.receivers.get('otlp')?.config).toEqual({
      protocols: { grpc: { endpoint: '127.0.0.1:4317', max_recv_msg_size_mib: 4 }, http: { endpoint: '127.0.0.1:4318', max_recv_msg_size_mib: 4 } },
    });
  });

  it('reports an unknown key with the nearest known key and the known keys', async () => {
    const r = await load('exporters:\n  otlphttp/backend:\n    endpont: https://x\n' + PIPELINE.replace('[debug]', '[otlphttp/backend]'));
    expect(r.errors).toContainEqual({
      file: 'c.yaml',
      path: 'exporters.otlphttp/backend.endpont',
      message: 'unknown key "endpont"',
      fix: 'did you mean "endpoint"? known keys: compression, endpoint, headers, sending_queue, timeout, tls',
    });
    // …and the key it meant is then missing.
    expect(r.errors).toContainEqual({ file: 'c.yaml', path: 'exporters.otlphttp/backend.endpoint', message: 'missing required key "endpoint"', fix: 'add endpoint (Base URL of the backend)' });
  });

  it('reports an unknown nested key, and lists known keys when nothing is close', async () => {
    const r = await load('receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpiont: x\n        zzzzzz: 1\n');
    expect(r.errors).toEqual([
      { file: 'c.yaml', path: 'receivers.otlp.protocols.grpc.endpiont', message: 'unknown key "endpiont"', fix: 'did you mean "endpoint"? known keys: endpoint, max_recv_msg_size_mib' },
      { file: 'c.yaml', path: 'receivers.otlp.protocols.grpc.zzzzzz', message: 'unknown key "zzzzzz"', fix: 'known keys: endpoint, max_recv_msg_size_mib' },
    ]);
  });

  it('reports an unknown type with the nearest one and the known types', async () => {
    const r = await load('exporters:\n  debug:\n  otlp_http:\n    endpoint: x\n  kafka:\n');
    expect(r.errors).toEqual([
      { file: 'c.yaml', path: 'exporters.otlp_http', message: 'unknown exporter type "otlp_http"', fix: 'did you mean "otlphttp"? known exporter types: debug, otlphttp, prometheus' },
      { file: 'c.yaml', path: 'exporters.kafka', message: 'unknown exporter type "kafka"', fix: 'known exporter types: debug, otlphttp, prometheus' },
    ]);
  });

  it('accepts a deprecated type name with a warning that names the current one', async () => {
    const renamed = { ...(fakeComponents.exporters.get('otlphttp') as ExporterFactory), type: 'otlp_http', deprecatedTypes: ['otlphttp'] };
    const components: Components = { ...fakeComponents, exporters: byType([renamed, fakeComponents.exporters.get('debug') as ExporterFactory]) };
    const r = await load('exporters:\n  otlphttp/old:\n    endpoint: http://a\n  otlp_http/new:\n    endpoint: http://b\n' + PIPELINE.replace('[debug]', '[otlphttp/old, otlp_http/new]'), components);
    expect(r.errors).toEqual([]);
    expect(r.config?.exporters.get('otlphttp/old')?.config).toMatchObject({ endpoint: 'http://a' });
    expect(r.config?.exporters.get('otlp_http/new')?.config).toMatchObject({ endpoint: 'http://b' });
    expect(r.warnings).toEqual(['c.yaml: exporters.otlphttp/old: exporter type "otlphttp" is deprecated; its current name is "otlp_http" (write otlp_http/old:)']);
  });

  it('refuses a registry that gives two factories one name', () => {
    const a = fakeComponents.exporters.get('debug') as ExporterFactory;
    expect(() => byType([a, { ...a, type: 'other', deprecatedTypes: ['debug'] }])).toThrow('component type "debug" is registered twice');
  });

  it.each([
    ['otlp/', 'receivers.otlp/', 'the name after / must not be empty'],
    ['9otlp', 'receivers.9otlp', 'invalid type "9otlp": a type is a letter followed by up to 62 letters, digits or _'],
    // A key with a space is quoted in the path so the path stays unambiguous.
    ['otlp/my backend', 'receivers["otlp/my backend"]', 'invalid name "my backend": no spaces, control characters or symbols'],
    ['otlp/a+b', 'receivers.otlp/a+b', 'invalid name "a+b": no spaces, control characters or symbols'],
    ['/x', 'receivers./x', 'the type before / must not be empty'],
  ])('rejects the id %j', async (id, path, why) => {
    const r = await load(`receivers:\n  otlp:\n    protocols:\n      http:\n  "${id}":\n`);
    expect(r.errors).toEqual([{ file: 'c.yaml', path, message: `invalid receiver id "${id}": ${why}`, fix: 'ids are type or type/name, e.g. otlp or otlp/backend' }]);
  });

  it('accepts names with dots, dashes and slashes, as the Collector does', async () => {
    const r = await load('exporters:\n  debug/a.b-c/d:\n' + PIPELINE.replace('[debug]', '[debug/a.b-c/d]'));
    expect(r.errors).toEqual([]);
    expect(r.config?.exporters.get('debug/a.b-c/d')?.type).toBe('debug');
  });

  it('does not coerce types', async () => {
    const r = await load('processors:\n  batch:\n    send_batch_size: "10"\n');
    expect(r.errors).toEqual([{ file: 'c.yaml', path: 'processors.batch.send_batch_size', message: 'must be an integer, got the string "10"', fix: 'set it to an integer (Items that trigger a send)' }]);
  });

  it('suggests the nearest enum value', async () => {
    const r = await load('exporters:\n  debug:\n    verbosity: detaild\n');
    expect(r.errors).toEqual([{ file: 'c.yaml', path: 'exporters.debug.verbosity', message: '"detaild" is not one of basic, normal, detailed', fix: 'did you mean "detailed"? use one of: basic, normal, detailed' }]);
  });

  it('explains a bad duration and a value out of bounds', async () => {
    const r = await load('processors:\n  batch:\n    timeout: 5 seconds\n    send_batch_size: -1\n');
    expect(r.errors).toEqual([
      { file: 'c.yaml', path: 'processors.batch.timeout', message: '"5 seconds" is not a duration', fix: 'use a number with a unit, such as 200ms, 5s or 1m30s' },
      { file: 'c.yaml', path: 'processors.batch.send_batch_size', message: 'must be >= 0, got the number -1', fix: 'Items that trigger a send.' },
    ]);
  });

  it('reports a factory check with a list index in its path', async () => {
    const r = await load('processors:\n  attributes:\n    actions:\n      - {key: a, action: delete}\n      - {key: b, action: insert}\n' + PIPELINE.replace('receivers: [otlp]', 'receivers: [otlp]\n      processors: [attributes]'));
    expect(r.errors).toEqual([{ file: 'c.yaml', path: 'processors.attributes.actions[1].value', message: 'insert needs a value', fix: 'add value:' }]);
  });

  it('reports schema errors inside list items with the index', async () => {
    const r = await load('processors:\n  attributes:\n    actions:\n      - {key: a, action: remove}\n      - {action: delete}\n');
    expect(r.errors).toEqual([
      { file: 'c.yaml', path: 'processors.attributes.actions[0].action', message: '"remove" is not one of insert, update, upsert, delete', fix: 'use one of: insert, update, upsert, delete' },
      { file: 'c.yaml', path: 'processors.attributes.actions[1].key', message: 'missing required key "key"', fix: 'add key (Attribute key)' },
    ]);
  });

  it('requires component settings and sections to be maps', async () => {
    const r = await load('exporters:\n  debug: 5\nprocessors: [batch]\n');
    expect(r.errors).toEqual([
      { file: 'c.yaml', path: 'processors', message: 'must be a map of processor id to its settings, got a list', fix: 'under processors: put one indented key per processor, such as otlp: or otlp/backend:, with its settings below it' },
      { file: 'c.yaml', path: 'exporters.debug', message: 'the settings of exporter "debug" must be a map, got the number 5', fix: 'write "debug:" followed by its settings indented below, or nothing for the defaults' },
    ]);
  });

  it('reports unknown top-level keys and unknown connector types', async () => {
    const r = await load('exporter:\n  debug:\nconnectors:\n  count:\n');
    expect(r.errors).toEqual([
      { file: 'c.yaml', path: 'exporter', message: 'unknown top-level key "exporter"', fix: 'did you mean "exporters"? known keys: connectors, exporters, extensions, processors, receivers, service' },
      { file: 'c.yaml', path: 'connectors.count', message: 'unknown connector type "count"', fix: 'known connector types: (none)' },
    ]);
  });

  it('reports one error for a value that matches none of a union, not one per branch', async () => {
    const union: ExporterFactory = {
      kind: 'exporter',
      type: 'union',
      description: 'x',
      signals: ['logs'],
      configSchema: {
        type: 'object',
        additionalProperties: false,
        properties: { limit: { description: 'A size or "unlimited".', anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', enum: ['unlimited'] }] } },
      },
      create: () => {
        throw new Error('unused');
      },
    };
    const components: Components = { ...fakeComponents, exporters: new Map([...fakeComponents.exporters, ['union', union]]) };
    const ok = await load('exporters:\n  union:\n    limit: unlimited\n' + PIPELINE.replace('[debug]', '[union]'), components);
    expect(ok.errors).toEqual([]);
    const r = await load('exporters:\n  union:\n    limit: true\n' + PIPELINE.replace('[debug]', '[union]'), components);
    expect(r.errors).toEqual([{ file: 'c.yaml', path: 'exporters.union.limit', message: 'the boolean true does not match any allowed form', fix: 'A size or "unlimited".' }]);
  });

  it('reports a component schema that ajv refuses as a bug, not a user error', async () => {
    const broken: ExporterFactory = { kind: 'exporter', type: 'broken', description: 'x', signals: ['logs'], configSchema: { type: 'object', propertees: {} }, create: () => { throw new Error('unused'); } };
    const components: Components = { ...fakeComponents, exporters: new Map([...fakeComponents.exporters, ['broken', broken]]) };
    const r = await load('exporters:\n  broken:\n' + PIPELINE.replace('[debug]', '[broken]'), components);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: 'c.yaml', path: 'exporters.broken', fix: 'this is a bug in Ferry; please report it' });
    expect(r.errors[0]?.message).toMatch(/^the configuration schema of exporter "broken" is invalid: strict mode: unknown keyword: "propertees"/);
  });
});

describe('reporting', () => {
  const text = `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 5
exporters:
  debug:
    verbosity: loud
  otlphttp:
    timeout: forever
processors:
  batch:
    send_batch_size: 10
    send_batch_max_size: 5
service:
  pipelines:
    logs:
      receivers: [otlp, filelog]
      processors: [batch]
      exporters: [debug, otlphttp]
`;

  it('reports every error, not only the first', async () => {
    const r = await load(text);
    expect(r.config).toBeUndefined();
    expect(r.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'receivers.otlp.protocols.grpc.endpoint: must be a string, got the number 5',
      'processors.batch.send_batch_max_size: must be at least send_batch_size',
      'exporters.debug.verbosity: "loud" is not one of basic, normal, detailed',
      'exporters.otlphttp.endpoint: missing required key "endpoint"',
      'exporters.otlphttp.timeout: "forever" is not a duration',
      'service.pipelines.logs.receivers[1]: receiver "filelog" is not defined',
    ]);
  });

  it('formats errors one per line as file: path: message (fix: …)', async () => {
    const r = await load(text);
    const lines = formatConfigErrors(r.errors).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('c.yaml: receivers.otlp.protocols.grpc.endpoint: must be a string, got the number 5 (fix: set it to a string (host:port to listen on))');
    expect(lines[5]).toBe('c.yaml: service.pipelines.logs.receivers[1]: receiver "filelog" is not defined (fix: define it under receivers:, or use one of: otlp)');
    expect(formatConfigErrors([{ file: 'x.yaml', path: '', message: 'broken' }])).toBe('x.yaml: broken');
  });

  it('carries every error in ConfigLoadError', async () => {
    const r = await load(text);
    const err = new ConfigLoadError(r.errors);
    expect(err.errors).toHaveLength(6);
    expect(err.message).toBe(`invalid configuration (6 errors):\n${formatConfigErrors(r.errors)}`);
  });
});
