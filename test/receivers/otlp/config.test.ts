// The otlp receiver's configuration: the schema as the loader applies it (strict ajv,
// defaults, null protocols), the factory's own checks, and the resolved settings.
import { describe, expect, it } from 'vitest';
import type { SchemaObject } from 'ajv';
import { compileConfigSchema, fillNullMaps } from '../../../src/config/validate.js';
import { otlpReceiver } from '../../../src/receivers/otlp/index.js';
import type { OtlpReceiverConfig } from '../../../src/receivers/otlp/index.js';
import { resolveGrpc, resolveHttp } from '../../../src/receivers/otlp/config.js';

/** What the loader does to a component's YAML: nulls to maps, then ajv with defaults. */
function load(raw: unknown): { valid: boolean; config: OtlpReceiverConfig; errors: string[] } {
  const data = structuredClone(raw) as Record<string, unknown>;
  fillNullMaps(otlpReceiver.configSchema, data);
  const validate = compileConfigSchema(otlpReceiver.configSchema);
  const valid = validate(data);
  return { valid, config: data as OtlpReceiverConfig, errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`) };
}

function walk(schema: SchemaObject, path: string, visit: (s: SchemaObject, path: string) => void): void {
  visit(schema, path);
  const props = (schema.properties ?? {}) as Record<string, SchemaObject>;
  for (const [k, v] of Object.entries(props)) walk(v, `${path}.${k}`, visit);
}

describe('otlp receiver config', () => {
  it('is the Collector factory shape: type otlp, all three signals', () => {
    expect(otlpReceiver.type).toBe('otlp');
    expect(otlpReceiver.kind).toBe('receiver');
    expect([...otlpReceiver.signals].sort()).toEqual(['logs', 'metrics', 'traces']);
  });

  it('describes every property and closes every object', () => {
    walk(otlpReceiver.configSchema, 'otlp', (s, path) => {
      if (path !== 'otlp') expect(s.description, path).toBeTruthy();
      if (s.type === 'object') expect(s.additionalProperties, path).toBe(false);
    });
  });

  it('fills the Collector defaults for empty (null) protocol keys', () => {
    const { valid, config } = load({ protocols: { grpc: null, http: null } });
    expect(valid).toBe(true);
    expect(config.protocols?.grpc).toMatchObject({ endpoint: '127.0.0.1:4317', max_recv_msg_size_mib: 4, include_metadata: false });
    expect(config.protocols?.http).toMatchObject({
      endpoint: '127.0.0.1:4318',
      max_request_body_size: 20 * 1024 * 1024,
      include_metadata: false,
      traces_url_path: '/v1/traces',
      metrics_url_path: '/v1/metrics',
      logs_url_path: '/v1/logs',
    });
    expect(otlpReceiver.validate?.(config)).toEqual([]);
  });

  it('leaves an absent protocol disabled', () => {
    const { config } = load({ protocols: { http: null } });
    expect(config.protocols?.grpc).toBeUndefined();
  });

  it('accepts a full Collector configuration', () => {
    const { valid, errors } = load({
      protocols: {
        grpc: {
          endpoint: '0.0.0.0:4317',
          max_recv_msg_size_mib: 16,
          max_concurrent_streams: 100,
          include_metadata: true,
          keepalive: {
            server_parameters: { max_connection_idle: '11s', max_connection_age: '12s', max_connection_age_grace: '13s', time: '30s', timeout: '5s' },
            enforcement_policy: { min_time: '10s', permit_without_stream: true },
          },
          tls: { cert_file: '/etc/cert.pem', key_file: '/etc/key.pem', client_ca_file: '/etc/ca.pem' },
        },
        http: {
          endpoint: '0.0.0.0:4318',
          max_request_body_size: 1048576,
          include_metadata: true,
          traces_url_path: '/traces',
          cors: { allowed_origins: ['https://*.test.com'], allowed_headers: ['ExampleHeader'], max_age: 7200 },
        },
      },
    });
    expect(errors).toEqual([]);
    expect(valid).toBe(true);
  });

  it('rejects unknown keys and malformed durations', () => {
    expect(load({ protocols: { grpc: { endpoit: 'x:1' } } }).valid).toBe(false);
    expect(load({ protocols: { thrift: {} } }).valid).toBe(false);
    expect(load({ protocols: { grpc: { keepalive: { server_parameters: { time: '30 seconds' } } } } }).valid).toBe(false);
  });

  it('requires at least one protocol, with a fix', () => {
    const { config } = load({});
    const problems = otlpReceiver.validate?.(config) ?? [];
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('protocols');
    expect(problems[0]?.message).toContain('at least one protocol');
    expect(problems[0]?.fix).toContain('grpc');
  });

  it('reports bad endpoints, half a TLS pair and clashing URL paths', () => {
    const problems =
      otlpReceiver.validate?.({
        protocols: {
          grpc: { endpoint: 'no-port-here:abc', tls: { cert_file: '/c.pem' } },
          http: { logs_url_path: '/v1/traces' },
        },
      }) ?? [];
    const paths = problems.map((p) => p.path);
    expect(paths).toContain('protocols.grpc.endpoint');
    expect(paths).toContain('protocols.grpc.tls');
    expect(paths).toContain('protocols.http.logs_url_path');
  });

  it('resolves durations to milliseconds and normalizes URL paths', () => {
    const grpc = resolveGrpc({ endpoint: 'localhost:5317', max_recv_msg_size_mib: 2, keepalive: { server_parameters: { time: '1m30s', timeout: '500ms' } } });
    expect(grpc).toMatchObject({ host: '127.0.0.1', port: 5317, maxRecvMsgSizeBytes: 2 * 1024 * 1024 });
    expect(grpc.keepalive).toMatchObject({ timeMs: 90_000, timeoutMs: 500 });
    const http = resolveHttp({ endpoint: ':4318', metrics_url_path: 'custom/metrics' });
    expect(http.host).toBe('0.0.0.0');
    expect(http.paths.metrics).toBe('/custom/metrics');
    expect(http.paths.logs).toBe('/v1/logs');
    expect(http.cors).toBeUndefined();
    expect(resolveHttp({ cors: { allowed_origins: ['*'] } }).cors?.allowedOrigins).toEqual(['*']);
  });
});
