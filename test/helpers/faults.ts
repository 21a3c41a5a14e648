// Shared pieces of the fault tests: read back what a file exporter wrote (record ids and
// bodies), a seeded PRNG for reproducible random input, and a metrics URL reader.
import { existsSync, readFileSync } from 'node:fs';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import { logIds } from './backend.js';

/** Record bodies a file exporter (format json) wrote, with how often each appeared. */
export function fileLogIds(path: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(path)) return counts;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.includes('"resourceLogs"')) continue;
    for (const id of logIds(decodeJsonExportRequest('logs', line))) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** mulberry32: a tiny seeded PRNG, so a failing random case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(random: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(random() * 256);
  return b;
}

export interface FaultConfig {
  readonly httpPort: number;
  readonly metricsPort: number;
  readonly backendUrl: string;
  /** YAML lines under the otlphttp exporter (indented 4), e.g. a sending_queue. */
  readonly exporterExtra?: string;
  /** A file_storage directory: adds the extension `file_storage/q`. */
  readonly storageDir?: string;
  /** Put a batch processor in front (timeout 50ms). */
  readonly batch?: boolean;
  /** Extra lines under the otlp receiver's http protocol (indented 8). */
  readonly receiverExtra?: string;
}

/**
 * otlp (HTTP) → [batch] → otlphttp to a fake backend, with retries short enough for tests
 * (50 ms growing to 200 ms, forever) and JSON self-metrics on their own port.
 */
export function faultConfig(c: FaultConfig): string {
  return `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${c.httpPort}
${c.receiverExtra ?? ''}
${c.batch ? 'processors:\n  batch:\n    timeout: 50ms' : ''}
exporters:
  otlphttp:
    endpoint: ${c.backendUrl}
    compression: none
    timeout: 2s
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
${c.exporterExtra ?? ''}
${c.storageDir === undefined ? '' : `extensions:\n  file_storage/q:\n    directory: ${c.storageDir}\n    create_directory: true\n`}
service:
${c.storageDir === undefined ? '' : '  extensions: [file_storage/q]\n'}  telemetry:
    metrics:
      address: 127.0.0.1:${c.metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [${c.batch ? 'batch' : ''}]
      exporters: [otlphttp]
`;
}
