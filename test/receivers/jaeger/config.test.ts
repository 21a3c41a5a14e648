// The jaeger and zipkin receivers' configuration through the real loader: the Helm chart's
// default receiver section (env-expanded endpoints, empty protocol keys) validates with the
// Collector's defaults filled in, and mistakes are reported with their path.
import { describe, expect, it } from 'vitest';
import type { SchemaObject } from 'ajv';
import { components } from '../../../src/components.js';
import { formatConfigErrors, loadConfig } from '../../../src/config/index.js';
import { jaegerReceiver } from '../../../src/receivers/jaeger/index.js';
import { resolveJaegerGrpc, resolveThriftHttp, resolveUdp } from '../../../src/receivers/jaeger/config.js';
import { zipkinReceiver } from '../../../src/receivers/zipkin/index.js';
import { resolveZipkin } from '../../../src/receivers/zipkin/config.js';

async function load(receivers: string, env: NodeJS.ProcessEnv = {}) {
  const text = `receivers:\n${receivers}\nexporters:\n  debug:\nservice:\n  pipelines:\n    traces:\n      receivers: [${receivers.includes('jaeger') ? 'jaeger' : ''}${receivers.includes('jaeger') && receivers.includes('zipkin') ? ', ' : ''}${receivers.includes('zipkin') ? 'zipkin' : ''}]\n      exporters: [debug]\n`;
  const { config, errors } = await loadConfig({ sources: [{ name: 'test.yaml', text }], env, components });
  return { config, errors: formatConfigErrors(errors) };
}

function walk(schema: SchemaObject, path: string, visit: (s: SchemaObject, path: string) => void): void {
  visit(schema, path);
  for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, SchemaObject>)) walk(v, `${path}.${k}`, visit);
}

describe('jaeger and zipkin receiver configuration', () => {
  it('registers both under their Collector type names, for traces only', () => {
    expect(components.receivers.get('jaeger')).toBe(jaegerReceiver);
    expect(components.receivers.get('zipkin')).toBe(zipkinReceiver);
    expect(jaegerReceiver.signals).toEqual(['traces']);
    expect(zipkinReceiver.signals).toEqual(['traces']);
  });

  it('describes every property and closes every object', () => {
    for (const f of [jaegerReceiver, zipkinReceiver]) {
      walk(f.configSchema, f.type, (s, path) => {
        if (path !== f.type) expect(s.description, path).toBeTruthy();
        if (s.type === 'object') expect(s.additionalProperties, path).toBe(false);
      });
    }
  });

  it("validates the Helm chart's default receivers, with the Collector's defaults filled in", async () => {
    const { config, errors } = await load(
      [
        '  jaeger:',
        '    protocols:',
        '      grpc:',
        '        endpoint: ${env:MY_POD_IP}:14250',
        '      thrift_http:',
        '        endpoint: ${env:MY_POD_IP}:14268',
        '      thrift_compact:',
        '        endpoint: ${env:MY_POD_IP}:6831',
        '  zipkin:',
        '    endpoint: ${env:MY_POD_IP}:9411',
      ].join('\n'),
      { MY_POD_IP: '10.0.0.7' },
    );
    expect(errors).toBe('');
    const jaeger = config?.receivers.get('jaeger')?.config as { protocols: Record<string, Record<string, unknown>> };
    expect(jaeger.protocols.grpc?.endpoint).toBe('10.0.0.7:14250');
    expect(jaeger.protocols.thrift_compact).toEqual({ endpoint: '10.0.0.7:6831', queue_size: 1000, max_packet_size: 65000, workers: 10, socket_buffer_size: 0 });
    expect(jaeger.protocols.thrift_binary).toBeUndefined();
    expect(jaeger.protocols.thrift_http?.max_request_body_size).toBe(20 * 1024 * 1024);
    const zipkin = config?.receivers.get('zipkin')?.config as Record<string, unknown>;
    expect(zipkin).toMatchObject({ endpoint: '10.0.0.7:9411', parse_string_tags: false });
  });

  it('empty protocol keys take the default endpoints (localhost, as the Collector)', async () => {
    const { config, errors } = await load(['  jaeger:', '    protocols:', '      grpc:', '      thrift_http:', '      thrift_binary:', '      thrift_compact:', '  zipkin:'].join('\n'));
    expect(errors).toBe('');
    const p = (config?.receivers.get('jaeger')?.config as { protocols: Record<string, never> }).protocols;
    expect([resolveJaegerGrpc(p.grpc), resolveThriftHttp(p.thrift_http)].map((r) => `${r.host}:${r.port}`)).toEqual(['127.0.0.1:14250', '127.0.0.1:14268']);
    expect([resolveUdp(p.thrift_compact, 'thrift_compact'), resolveUdp(p.thrift_binary, 'thrift_binary')].map((r) => `${r.host}:${r.port}`)).toEqual(['127.0.0.1:6831', '127.0.0.1:6832']);
    const z = resolveZipkin(config?.receivers.get('zipkin')?.config as never);
    expect(`${z.host}:${z.port}`).toBe('127.0.0.1:9411');
  });

  it('reports mistakes with their path', async () => {
    expect((await load('  jaeger:\n    protocols: {}')).errors).toMatch(/receivers\.jaeger\.protocols.*at least one protocol/s);
    expect((await load('  jaeger:\n    protocols:\n      thrift_udp:')).errors).toMatch(/thrift_udp/);
    expect((await load('  jaeger:\n    protocols:\n      grpc:\n        endpoint: "nope:xx"')).errors).toMatch(/protocols\.grpc\.endpoint/);
    expect((await load('  jaeger:\n    protocols:\n      thrift_compact:\n        endpoint: ":7000"\n      thrift_binary:\n        endpoint: ":7000"')).errors).toMatch(/cannot share one endpoint/);
    expect((await load('  zipkin:\n    parse_string_tags: "yes"')).errors).toMatch(/receivers\.zipkin\.parse_string_tags/);
    expect((await load('  zipkin:\n    tls:\n      cert_file: /x.pem')).errors).toMatch(/receivers\.zipkin\.tls/);
  });
});
