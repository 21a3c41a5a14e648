// The otlphttp exporter's gzip level: 1 by default (a quarter of the CPU of level 6, measured by
// the bench), the Collector's `compression_params.level` to choose another, large bodies too.
import { afterEach, describe, expect, it } from 'vitest';
import type { Exporter } from '../../../src/component.js';
import { configSchema } from '../../../src/exporters/otlphttp/config.js';
import { gunzipSync } from 'node:zlib';
import { Gzipper, gzipBody } from '../../../src/exporters/helper/http-client.js';
import { decodeExportRequest, encodeExportRequest } from '../../../src/pdata/proto.js';
import { makeBatch } from '../../../src/pdata/batch.js';
import { otlphttpExporter, type OtlpHttpConfig } from '../../../src/exporters/otlphttp/index.js';
import { compileConfigSchema } from '../../../src/config/validate.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { batchOf, normalize, recordingLogger, withDefaults } from '../helper/fixtures.js';
import { OtlpHttpPeer } from './server.js';

let peer: OtlpHttpPeer | undefined;
let exporter: Exporter | undefined;

afterEach(async () => {
  await exporter?.shutdown();
  await peer?.close();
  exporter = undefined;
  peer = undefined;
});

/** A started exporter (no sending queue) posting to a new peer. */
async function startWith(config: Record<string, unknown>): Promise<{ peer: OtlpHttpPeer; exporter: Exporter }> {
  peer = await OtlpHttpPeer.start();
  const cfg = withDefaults<OtlpHttpConfig>(configSchema, { endpoint: peer.url, sending_queue: { enabled: false }, ...config });
  expect(otlphttpExporter.validate?.(cfg)).toEqual([]);
  exporter = otlphttpExporter.create(cfg, { id: 'otlphttp/gzip', kind: 'exporter', logger: recordingLogger(), telemetry: new SelfTelemetry({ defaultMetrics: false }) });
  await exporter.start(testHost);
  return { peer, exporter };
}

/** The fixture's log resources, `n` times over: a larger batch. */
const logResources = (n: number) => Array.from({ length: n }, () => batchOf('logs').resources).flat();

async function sendWith(config: Record<string, unknown>): Promise<OtlpHttpPeer> {
  const started = await startWith(config);
  await started.exporter.consume(batchOf('logs'));
  return started.peer;
}

// Byte 8 of a gzip header (XFL) says how zlib compressed: 4 for its fastest level, 0 for the default.
const XFL = 8;

describe('otlphttp exporter gzip level', () => {
  it('compresses at level 1 unless told otherwise, and the data arrives intact', async () => {
    const p = await sendWith({});
    expect(p.requests[0]?.headers['content-encoding']).toBe('gzip');
    expect(p.requests[0]?.raw[XFL]).toBe(4);
    expect(normalize(p.decode('logs', 0))).toEqual(normalize(batchOf('logs').resources));
  });

  it('takes the Collector\'s compression_params.level', async () => {
    const p = await sendWith({ compression_params: { level: 6 } });
    expect(p.requests[0]?.raw[XFL]).toBe(0);
    expect(normalize(p.decode('logs', 0))).toEqual(normalize(batchOf('logs').resources));
  });

  it('refuses a level zlib does not have', () => {
    const validate = compileConfigSchema(configSchema);
    expect(validate({ endpoint: 'http://127.0.0.1:1', compression_params: { level: 12 } })).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/compression_params/level');
    expect(validate({ endpoint: 'http://127.0.0.1:1', compression_params: { level: 9 } })).toBe(true);
  });

  it('gzips bodies past the event-loop limit on the thread pool, to the same bytes', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 'otlp ');
    const out = await gzipBody(big, 1);
    expect(gunzipSync(out).equals(big)).toBe(true);
    expect(out[XFL]).toBe(4);
  });

  it('reuses one buffer for the encoded bodies it gzips, and each body comes out whole: larger, smaller, larger again', async () => {
    // Requests as received (items still undecoded bytes), of 40, 3 and 25 copies of the fixture's resources.
    const received = [40, 3, 25].map((n) => {
      return decodeExportRequest('logs', encodeExportRequest('logs', makeBatch('logs', logResources(n) as never).resources as never));
    });
    const gzipper = new Gzipper(1);
    const sizes: number[] = [];
    for (const resources of received) {
      const plain = Buffer.from(encodeExportRequest('logs', resources));
      const out = await gzipper.gzip((alloc) =>
        encodeExportRequest('logs', resources, (size) => {
          const buf = alloc(size);
          sizes.push(buf.buffer.byteLength);
          return buf;
        }),
      );
      expect(gunzipSync(out).equals(plain)).toBe(true);
    }
    // One allocation (with room to spare) served all three.
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBeGreaterThan(Buffer.from(encodeExportRequest('logs', received[0] as never)).length);
  });

  it('sends consecutive batches of different sizes intact through the reused buffer', async () => {
    const started = await startWith({});
    const batches = [30, 2, 12].map((n) => makeBatch('logs', logResources(n) as never));
    for (const b of batches) await started.exporter.consume(b);
    expect(started.peer.requests).toHaveLength(3);
    batches.forEach((b, i) => expect(normalize(started.peer.decode('logs', i))).toEqual(normalize(b.resources)));
  });
});
