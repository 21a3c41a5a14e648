// Collector configuration forms Ferry reads as the Collector does: `enabled` on an optional
// section, a bare integer duration (nanoseconds, as Go reads it), with the real registry.
import { describe, expect, it } from 'vitest';
import { components } from '../../src/components.js';
import { loadConfig, parseDuration } from '../../src/config/index.js';

const load = (text: string) => loadConfig({ sources: [{ name: 'c.yaml', text }], env: {}, components });
const PIPELINE = `
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
`;

describe('Collector configuration forms', () => {
  it('reads enabled: false on an optional section as the section switched off, enabled: true as on', async () => {
    const r = await load(`
receivers:
  otlp:
    protocols:
      grpc:
        enabled: false
        endpoint: 0.0.0.0:4317
      http:
        enabled: true
        endpoint: 127.0.0.1:4318
${PIPELINE}`);
    expect(r.errors).toEqual([]);
    expect(r.config?.receivers.get('otlp')?.config).toEqual({ protocols: { http: expect.objectContaining({ endpoint: '127.0.0.1:4318' }) } });
  });

  it('keeps enabled where a section has its own (sending_queue), and reports both protocols off', async () => {
    const queue = await load(`
receivers:
  otlp:
    protocols:
      http:
exporters:
  otlp_http:
    endpoint: http://127.0.0.1:1
    sending_queue:
      enabled: false
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlp_http]
`);
    expect(queue.errors).toEqual([]);
    expect(queue.config?.exporters.get('otlp_http')?.config).toMatchObject({ sending_queue: { enabled: false } });
    const none = await load(`
receivers:
  otlp:
    protocols:
      grpc: {enabled: false}
      http: {enabled: false}
${PIPELINE}`);
    expect(none.errors.map((e) => e.path)).toEqual(['receivers.otlp.protocols']);
  });

  it('reads a bare integer duration as nanoseconds, as Go does', async () => {
    const r = await load(`
receivers:
  otlp:
    protocols:
      http:
processors:
  batch:
    timeout: 200000000
exporters:
  file:
    path: /tmp/ferry-compat-test.jsonl
    flush_interval: 5
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [file]
`);
    expect(r.errors).toEqual([]);
    const batch = r.config?.processors.get('batch')?.config as { timeout: number };
    expect(parseDuration(batch.timeout)).toBe(200);
    expect(parseDuration((r.config?.exporters.get('file')?.config as { flush_interval: number }).flush_interval)).toBe(5e-6);
  });

  it('refuses a negative integer duration with a message that says so', async () => {
    const r = await load(`
receivers:
  otlp:
    protocols:
      http:
processors:
  batch:
    timeout: -5
${PIPELINE.replace('      exporters', '      processors: [batch]\n      exporters')}`);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ path: 'processors.batch.timeout', message: 'must be >= 0, got the number -5' });
  });

  it('accepts documented keys Ferry cannot honour, with a warning that says so (not "unknown key")', async () => {
    const r = await load(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
        read_buffer_size: 524288
exporters:
  prometheus_remote_write:
    endpoint: http://127.0.0.1:9090/api/v1/write
    protobuf_message: io.prometheus.write.v2.Request
    wal:
      directory: /var/lib/otelcol/prw
    remote_write_queue:
      include_metadata_keys: [tenant]
  otlp_grpc:
    endpoint: 127.0.0.1:4317
    compression: zstd
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus_remote_write, otlp_grpc]
`);
    expect(r.errors).toEqual([]);
    const warned = r.warnings.map((w) => w.split(': ')[1]);
    expect(warned).toEqual(
      expect.arrayContaining([
        'receivers.otlp.protocols.grpc.read_buffer_size',
        'exporters.prometheus_remote_write.protobuf_message',
        'exporters.prometheus_remote_write.wal',
        'exporters.prometheus_remote_write.remote_write_queue.include_metadata_keys',
        'exporters.otlp_grpc.compression',
      ]),
    );
    expect(r.warnings.join('\n')).toContain('grpc-js compresses gRPC messages with gzip or deflate only, so Ferry sends gzip instead of zstd');
  });
});
