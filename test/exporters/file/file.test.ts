// The file exporter: writes OTLP/JSON lines or length-prefixed protobuf that decode
// back to the data sent, serializes concurrent writes, truncates or appends, rotates.
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exporter } from '../../../src/component.js';
import { RetryableError } from '../../../src/consumer.js';
import { compileConfigSchema } from '../../../src/config/validate.js';
import { createFileExporter, fileExporter } from '../../../src/exporters/file/index.js';
import type { FileConfig } from '../../../src/exporters/file/index.js';
import type { Batch, LogsBatch } from '../../../src/pdata/batch.js';
import { countItems, makeBatch } from '../../../src/pdata/batch.js';
import { decodeJsonExportRequest } from '../../../src/pdata/json.js';
import { decodeExportRequest } from '../../../src/pdata/proto.js';
import type { ResourceLogs, ResourceMetrics, ResourceSpans } from '../../../src/pdata/types.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testContext, testHost } from '../../helpers/index.js';

let dir: string;
let exporters: Exporter[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-file-'));
});

afterEach(async () => {
  await Promise.all(exporters.map((e) => e.shutdown()));
  exporters = [];
  await rm(dir, { recursive: true, force: true });
});

async function started(config: { path: string } & Record<string, unknown>, options: { now?: () => Date; telemetry?: SelfTelemetry } = {}): Promise<Exporter> {
  const validate = compileConfigSchema(fileExporter.configSchema);
  const filled: Record<string, unknown> = structuredClone(config);
  if (!validate(filled)) throw new Error(JSON.stringify(validate.errors));
  const e = createFileExporter(filled as unknown as FileConfig, testContext('file', 'exporter', options.telemetry), { now: options.now });
  exporters.push(e);
  await e.start(testHost);
  return e;
}

function logs(tag: string, n: number, bodySize = 8): LogsBatch {
  return makeBatch('logs', [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: tag } }] },
      scopeLogs: [
        {
          scope: { name: 'app', attributes: [] },
          logRecords: Array.from({ length: n }, (_, i) => ({
            timeUnixNano: '1700000000000000001',
            severityNumber: 9,
            body: { stringValue: `${tag}-${i}-`.padEnd(bodySize, 'x') },
            attributes: [{ key: 'i', value: { intValue: i } }],
            traceId: Uint8Array.from({ length: 16 }, (_, k) => k + 1),
            spanId: Uint8Array.from({ length: 8 }, (_, k) => k + 1),
          })),
        },
      ],
    },
  ]);
}

const traces = (): Batch =>
  makeBatch('traces', [
    {
      resource: { attributes: [] },
      scopeSpans: [{ scope: null, spans: [{ traceId: new Uint8Array(16).fill(7), spanId: new Uint8Array(8).fill(9), name: 'GET /', attributes: [], events: [], links: [] }] }],
    },
  ]);

const metrics = (): Batch =>
  makeBatch('metrics', [
    { resource: { attributes: [] }, scopeMetrics: [{ scope: null, metrics: [{ name: 'up', gauge: { dataPoints: [{ attributes: [], asDouble: 1.5, exemplars: [] }] } }] }] },
  ]);

function logBodies(resources: ResourceLogs[]): string[] {
  return resources.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => String(l.body?.stringValue))));
}

async function jsonLines(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

/** Which signal a parsed OTLP/JSON request carries, by its top-level field. */
function signalOf(request: unknown): 'logs' | 'traces' | 'metrics' {
  const keys = Object.keys(request as object);
  if (keys.includes('resourceLogs')) return 'logs';
  if (keys.includes('resourceSpans')) return 'traces';
  return 'metrics';
}

describe('file exporter config', () => {
  it('requires path and fills the Collector defaults', () => {
    const validate = compileConfigSchema(fileExporter.configSchema);
    expect(validate({})).toBe(false);
    const config: Record<string, unknown> = { path: 'out.json', rotation: {} };
    expect(validate(config)).toBe(true);
    expect(config).toEqual({
      path: 'out.json',
      format: 'json',
      append: false,
      compression: '',
      flush_interval: '1s',
      create_directory: false,
      rotation: { max_megabytes: 100, max_days: 0, max_backups: 100, localtime: false },
    });
    expect(validate({ path: 'x', format: 'yaml' })).toBe(false);
    expect(validate({ path: 'x', compression: 'gzip' })).toBe(false);
  });

  it('refuses zstd, append with rotation, and directory_permissions without create_directory, with fixes', () => {
    const base: FileConfig = { path: 'x', format: 'json', append: false, compression: '', flush_interval: '1s', create_directory: false };
    expect(fileExporter.validate?.(base)).toEqual([]);
    const zstd = fileExporter.validate?.({ ...base, compression: 'zstd' }) ?? [];
    expect(zstd.map((p) => p.path)).toEqual(['compression']);
    expect(zstd[0]?.message).toMatch(/zstd compression is not supported/);
    expect(zstd[0]?.fix).toMatch(/remove compression/);
    const both = fileExporter.validate?.({ ...base, append: true, rotation: { max_megabytes: 1, max_days: 0, max_backups: 1, localtime: false } }) ?? [];
    expect(both.map((p) => p.path)).toEqual(['append']);
    const perms = fileExporter.validate?.({ ...base, directory_permissions: '0700' }) ?? [];
    expect(perms.map((p) => p.path)).toEqual(['directory_permissions']);
  });
});

describe('file exporter', () => {
  it('writes one OTLP/JSON request per line, readable as soon as consume() resolves', async () => {
    const path = join(dir, 'out.json');
    const telemetry = new SelfTelemetry({ defaultMetrics: false });
    const e = await started({ path }, { telemetry });
    expect(e.mutatesData).toBe(false);
    await e.consume(logs('a', 3));
    // No flush needed: the data is in the file once consume() resolved.
    expect((await jsonLines(path)).length).toBe(1);
    await e.consume(traces());
    await e.consume(metrics());
    const lines = await jsonLines(path);
    expect(lines.map(signalOf)).toEqual(['logs', 'traces', 'metrics']);
    const decodedLogs = decodeJsonExportRequest('logs', lines[0]);
    expect(logBodies(decodedLogs)).toEqual(['a-0-xxxx', 'a-1-xxxx', 'a-2-xxxx']);
    expect(decodedLogs[0]?.resource?.attributes[0]?.value?.stringValue).toBe('a');
    expect(Buffer.from(decodedLogs[0]?.scopeLogs[0]?.logRecords[0]?.traceId ?? []).toString('hex')).toBe('0102030405060708090a0b0c0d0e0f10');
    const decodedSpans: ResourceSpans[] = decodeJsonExportRequest('traces', lines[1]);
    expect(decodedSpans[0]?.scopeSpans[0]?.spans[0]?.name).toBe('GET /');
    const decodedMetrics: ResourceMetrics[] = decodeJsonExportRequest('metrics', lines[2]);
    expect(decodedMetrics[0]?.scopeMetrics[0]?.metrics[0]?.gauge?.dataPoints[0]?.asDouble).toBe(1.5);
    const sent = await telemetry.registry.getSingleMetric('otelcol_exporter_sent_log_records_total')?.get();
    expect(sent?.values).toEqual([{ labels: { exporter: 'file' }, value: 3 }]);
  });

  it('format proto: each request preceded by its 4-byte big-endian length', async () => {
    const path = join(dir, 'out.bin');
    const e = await started({ path, format: 'proto' });
    await e.consume(logs('p', 2));
    await e.consume(traces());
    const bytes = await readFile(path);
    const records: Buffer[] = [];
    for (let off = 0; off < bytes.length; ) {
      const len = bytes.readUInt32BE(off);
      records.push(bytes.subarray(off + 4, off + 4 + len));
      off += 4 + len;
      expect(off).toBeLessThanOrEqual(bytes.length);
    }
    expect(records).toHaveLength(2);
    expect(logBodies(decodeExportRequest('logs', records[0] as Buffer))).toEqual(['p-0-xxxx', 'p-1-xxxx']);
    expect(decodeExportRequest('traces', records[1] as Buffer)[0]?.scopeSpans[0]?.spans[0]?.name).toBe('GET /');
  });

  it('serializes concurrent writes: every line whole, in call order', async () => {
    const path = join(dir, 'out.json');
    const e = await started({ path });
    const sizes = Array.from({ length: 120 }, (_, i) => 1 + ((i * 7) % 13));
    await Promise.all(sizes.map((n, i) => e.consume(logs(`c${i}`, n, 200 + ((i * 997) % 3000)))));
    const lines = await jsonLines(path);
    expect(lines).toHaveLength(120);
    lines.forEach((line, i) => {
      const bodies = logBodies(decodeJsonExportRequest('logs', line));
      expect(bodies).toHaveLength(sizes[i] as number);
      expect(bodies[0]?.startsWith(`c${i}-0-`)).toBe(true);
    });
  });

  it('truncates an existing file unless append is true', async () => {
    const path = join(dir, 'out.json');
    await writeFile(path, 'old line\n');
    const truncating = await started({ path });
    await truncating.consume(logs('new', 1));
    await truncating.shutdown();
    expect((await readFile(path, 'utf8')).startsWith('old line')).toBe(false);

    const appending = await started({ path, append: true });
    await appending.consume(logs('more', 1));
    await appending.shutdown();
    const lines = await jsonLines(path);
    expect(lines.map((l) => logBodies(decodeJsonExportRequest('logs', l))[0])).toEqual(['new-0-xx', 'more-0-x']);
  });

  it('rotates at max_megabytes: backups named <name>-<timestamp><ext>, nothing lost, each file within the limit', async () => {
    const path = join(dir, 'data.json');
    let clock = Date.UTC(2022, 8, 14, 5, 2, 14, 173);
    const e = await started({ path, rotation: { max_megabytes: 1 } }, { now: () => new Date((clock += 1000)) });
    // 30 requests of ~100 KB: about three files' worth.
    for (let i = 0; i < 30; i++) await e.consume(logs(`r${i}`, 10, 10_000));
    await e.shutdown();
    const names = (await readdir(dir)).sort();
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names).toContain('data.json');
    const backups = names.filter((n) => n !== 'data.json');
    for (const b of backups) expect(b).toMatch(/^data-2022-09-14T05-02-\d{2}\.173\.json$/);
    // Oldest backup first by name, then the current file: all 30 requests, in order, each whole.
    const seen: string[] = [];
    for (const name of [...backups, 'data.json']) {
      expect((await stat(join(dir, name))).size).toBeLessThanOrEqual(1024 * 1024);
      for (const line of await jsonLines(join(dir, name))) seen.push(String(logBodies(decodeJsonExportRequest('logs', line))[0]).split('-')[0]);
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`));
  });

  it('keeps at most max_backups rotated files, the newest', async () => {
    const path = join(dir, 'data.log');
    let clock = Date.UTC(2024, 0, 1);
    const e = await started({ path, rotation: { max_megabytes: 1, max_backups: 2 } }, { now: () => new Date((clock += 1000)) });
    for (let i = 0; i < 45; i++) await e.consume(logs(`k${i}`, 10, 10_000));
    await e.shutdown();
    const backups = (await readdir(dir)).filter((n) => n !== 'data.log').sort();
    expect(backups).toHaveLength(2);
    // The two newest survive: the last one ends right before what the current file starts with.
    const newest = (await jsonLines(join(dir, backups[1] as string))).at(-1);
    const current = (await jsonLines(path))[0];
    const index = (line: unknown) => Number(String(logBodies(decodeJsonExportRequest('logs', line))[0]).split('-')[0]?.slice(1));
    expect(index(current)).toBe(index(newest) + 1);
    expect(index((await jsonLines(path)).at(-1))).toBe(44);
  });

  it('removes rotated files older than max_days, by the timestamp in their name', async () => {
    const path = join(dir, 'data.log');
    await writeFile(join(dir, 'data-2023-11-01T00-00-00.000.log'), 'too old\n');
    await writeFile(join(dir, 'data-2023-12-15T00-00-00.000.log'), 'recent enough\n');
    await writeFile(join(dir, 'unrelated-2000-01-01T00-00-00.000.log'), 'not ours\n');
    let clock = Date.UTC(2024, 0, 1);
    const e = await started({ path, rotation: { max_megabytes: 1, max_backups: 0, max_days: 30 } }, { now: () => new Date((clock += 1000)) });
    for (let i = 0; i < 15; i++) await e.consume(logs(`m${i}`, 10, 10_000));
    await e.shutdown();
    const names = await readdir(dir);
    expect(names).not.toContain('data-2023-11-01T00-00-00.000.log');
    expect(names).toContain('data-2023-12-15T00-00-00.000.log');
    expect(names).toContain('unrelated-2000-01-01T00-00-00.000.log');
    expect(names.some((n) => n.startsWith('data-2024-01-01T'))).toBe(true);
  });

  it('with rotation, continues an existing file instead of truncating it', async () => {
    const path = join(dir, 'data.json');
    const first = await started({ path, rotation: {} });
    await first.consume(logs('one', 1));
    await first.shutdown();
    const second = await started({ path, rotation: {} });
    await second.consume(logs('two', 1));
    await second.shutdown();
    expect((await jsonLines(path)).map((l) => logBodies(decodeJsonExportRequest('logs', l))[0])).toEqual(['one-0-xx', 'two-0-xx']);
  });

  it('creates the directory with create_directory', async () => {
    const path = join(dir, 'a', 'b', 'out.json');
    const e = await started({ path, create_directory: true, directory_permissions: '0750' });
    await e.consume(logs('d', 1));
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o750 & ~process.umask());
    expect(await jsonLines(path)).toHaveLength(1);
  });

  it('fails to start when the directory is missing and not to be created', async () => {
    const e = createFileExporter({ path: join(dir, 'missing', 'out.json'), format: 'json', append: false, compression: '', flush_interval: '1s', create_directory: false }, testContext('file', 'exporter'));
    await expect(e.start(testHost)).rejects.toThrow(/ENOENT.*set create_directory: true/);
  });

  it('refuses data after shutdown with a retryable error, having written everything before', async () => {
    const path = join(dir, 'out.json');
    const e = await started({ path });
    const pending = [e.consume(logs('x', 1)), e.consume(logs('y', 1))];
    await e.shutdown();
    await Promise.all(pending);
    expect(await jsonLines(path)).toHaveLength(2);
    await expect(e.consume(logs('z', 1))).rejects.toBeInstanceOf(RetryableError);
    expect(countItems(logs('z', 1))).toBe(1);
  });
});
