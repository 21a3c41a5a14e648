// The ready-made vendor configurations in configs/vendors/: each validates as shipped, and a
// real `ferry` running it (endpoint variable pointed at a local server) posts each signal to
// the vendor's documented path with the vendor's documented auth header, the OTLP payload
// intact. References, one per vendor (also at the top of each file):
//   https://docs.newrelic.com/docs/opentelemetry/best-practices/opentelemetry-otlp/
//   https://docs.honeycomb.io/send-data/opentelemetry/collector/
//   https://betterstack.com/docs/logs/open-telemetry/
//   https://grafana.com/docs/grafana-cloud/send-data/otlp/send-data-otlp/
//   https://docs.datadoghq.com/opentelemetry/setup/otlp_ingest/ (logs/, traces/, metrics/)
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { components } from '../src/components.js';
import { formatConfigErrors, loadConfig } from '../src/config/index.js';
import { decodeExportRequest, encodeExportRequest } from '../src/pdata/proto.js';
import type { Signal } from '../src/pdata/types.js';
import { batchOf, normalize } from './exporters/helper/fixtures.js';
import { freePort, waitFor } from './helpers/index.js';
import { runFerryToEnd, startFerry, writeConfig } from './helpers/ferry.js';

const dir = new URL('../configs/vendors/', import.meta.url);
const SIGNALS: readonly Signal[] = ['logs', 'traces', 'metrics'];

interface Vendor {
  readonly file: string;
  /** The variable that overrides the vendor's endpoint, and the path prefix the vendor's URL has. */
  readonly endpointVar: string;
  readonly basePath: string;
  /** Credentials (and other settings) as a user would export them. */
  readonly env: Readonly<Record<string, string>>;
  /** Headers the vendor's docs require on each signal's request, exactly. */
  readonly headers: (signal: Signal) => Readonly<Record<string, string>>;
  /** Headers that must not be sent for a signal. */
  readonly absent?: (signal: Signal) => readonly string[];
  /** The vendor's success status for a signal. */
  readonly status?: (signal: Signal) => number;
}

const GRAFANA_INSTANCE = '1234567';
const GRAFANA_TOKEN = 'glc_eyJvIjoiMTIzNCIsIm4iOiJmZXJyeSJ9';

const VENDORS: readonly Vendor[] = [
  {
    file: 'newrelic.yaml',
    endpointVar: 'NEW_RELIC_OTLP_ENDPOINT',
    basePath: '',
    env: { NEW_RELIC_LICENSE_KEY: 'eu01xx0123456789abcdef0123456789NRAL' },
    headers: () => ({ 'api-key': 'eu01xx0123456789abcdef0123456789NRAL' }),
  },
  {
    file: 'honeycomb.yaml',
    endpointVar: 'HONEYCOMB_API_ENDPOINT',
    basePath: '',
    env: { HONEYCOMB_API_KEY: 'hcaik_01hqferrytestkey' },
    headers: (signal): Record<string, string> =>
      signal === 'metrics' ? { 'x-honeycomb-team': 'hcaik_01hqferrytestkey', 'x-honeycomb-dataset': 'metrics' } : { 'x-honeycomb-team': 'hcaik_01hqferrytestkey' },
    // Outside Honeycomb Classic, traces and logs go to their service.name dataset.
    absent: (signal) => (signal === 'metrics' ? [] : ['x-honeycomb-dataset']),
  },
  {
    file: 'betterstack.yaml',
    endpointVar: 'BETTER_STACK_ENDPOINT',
    basePath: '',
    env: { BETTER_STACK_SOURCE_TOKEN: 'bs_src_9Xy7FerryToken' },
    headers: () => ({ authorization: 'Bearer bs_src_9Xy7FerryToken' }),
  },
  {
    file: 'grafana-cloud.yaml',
    endpointVar: 'GRAFANA_CLOUD_OTLP_ENDPOINT',
    basePath: '/otlp',
    // Built the way the file's header says: base64 of instanceID:token.
    env: { GRAFANA_CLOUD_BASIC_AUTH: Buffer.from(`${GRAFANA_INSTANCE}:${GRAFANA_TOKEN}`).toString('base64') },
    headers: () => ({ authorization: `Basic ${Buffer.from(`${GRAFANA_INSTANCE}:${GRAFANA_TOKEN}`).toString('base64')}` }),
  },
  {
    file: 'datadog-otlp.yaml',
    endpointVar: 'DD_OTLP_ENDPOINT',
    basePath: '',
    env: { DD_API_KEY: '0123456789abcdef0123456789abcdef' },
    headers: (signal) => ({
      'dd-api-key': '0123456789abcdef0123456789abcdef',
      ...(signal === 'traces' ? { 'dd-otel-span-mapping': '{span_name_as_resource_name: false}', compute_stats: 'true' } : {}),
      ...(signal === 'metrics' ? { 'dd-otel-metric-config': '{"resource_attributes_as_tags": true}' } : {}),
    }),
    // The traces intake answers 202 Accepted.
    status: (signal) => (signal === 'traces' ? 202 : 200),
  },
];

/** Every variable the vendor files read, so "no environment" really is none. */
const VENDOR_VARS = ['NEW_RELIC_OTLP_ENDPOINT', 'NEW_RELIC_LICENSE_KEY', 'HONEYCOMB_API_ENDPOINT', 'HONEYCOMB_API_KEY', 'HONEYCOMB_METRICS_DATASET', 'HONEYCOMB_DATASET', 'BETTER_STACK_ENDPOINT', 'BETTER_STACK_SOURCE_TOKEN', 'GRAFANA_CLOUD_OTLP_ENDPOINT', 'GRAFANA_CLOUD_BASIC_AUTH', 'DD_OTLP_ENDPOINT', 'DD_API_KEY'];

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A vendor's OTLP/HTTP intake, reduced to what the tests check: it records each request and answers `status`. */
async function intake(status: (path: string) => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(status(req.url ?? ''), { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { server, url: `http://127.0.0.1:${addr.port}`, received };
}

beforeAll(() => {
  for (const v of VENDOR_VARS) delete process.env[v];
});

describe('configs/vendors/', () => {
  it('has one file per documented vendor', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()).toEqual(VENDORS.map((v) => v.file).sort());
  });

  for (const vendor of VENDORS) {
    describe(vendor.file, () => {
      it('is valid with no environment set, and cites the vendor\'s documentation', async () => {
        const text = readFileSync(new URL(vendor.file, dir), 'utf8');
        expect(text).toMatch(/^# [\s\S]*Reference[s]?:\s*(#\s*)?https:\/\//m);
        const { config, errors } = await loadConfig({ sources: [{ name: vendor.file, text }], env: {}, components });
        expect(formatConfigErrors(errors)).toBe('');
        expect(config?.pipelines.map((p) => p.id).sort()).toEqual(['logs', 'metrics', 'traces']);
      });

      it('passes ferry validate', async () => {
        const { code, stdout, stderr } = await runFerryToEnd(['validate', '--config', fileURLToPath(new URL(vendor.file, dir))], { env: vendor.env });
        expect(stderr).not.toMatch(/error/i);
        expect(code).toBe(0);
        expect(stdout + stderr).toContain('configuration is valid: 3 pipeline(s)');
      });

      it('posts each signal to the documented path with the documented auth header, the payload intact', async () => {
        const backend = await intake((path) => (vendor.status ? vendor.status(path.endsWith('/v1/traces') ? 'traces' : path.endsWith('/v1/metrics') ? 'metrics' : 'logs') : 200));
        const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort() };
        // A second --config moves the listeners off the vendor file's fixed ports, and shortens
        // the batch timeout so each request leaves at once (the receiver answers once it has).
        const listeners = writeConfig(`
processors:
  batch:
    timeout: 50ms
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${ports.grpc}
      http:
        endpoint: 127.0.0.1:${ports.http}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${ports.metrics}
`);
        const ferry = await startFerry(['--config', fileURLToPath(new URL(vendor.file, dir)), '--config', listeners], {
          env: { ...vendor.env, [vendor.endpointVar]: `${backend.url}${vendor.basePath}` },
        });
        try {
          // The app's OTLP/HTTP client, one request per signal.
          const statuses = await Promise.all(
            SIGNALS.map(async (signal) => {
              const batch = batchOf(signal);
              const res = await fetch(`http://127.0.0.1:${ports.http}/v1/${signal}`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-protobuf' },
                body: encodeExportRequest(batch.signal, batch.resources),
              });
              return res.status;
            }),
          );
          expect(statuses).toEqual([200, 200, 200]);
          await waitFor(() => backend.received.length >= 3, 'three requests at the vendor');
          for (const signal of SIGNALS) {
            const path = `${vendor.basePath}/v1/${signal}`;
            const got = backend.received.filter((r) => r.path === path);
            expect(got, `${vendor.file}: ${path}`).toHaveLength(1);
            const req = got[0] as Received;
            expect(req.method).toBe('POST');
            expect(req.headers['content-type']).toBe('application/x-protobuf');
            expect(req.headers['content-encoding']).toBe('gzip');
            for (const [name, value] of Object.entries(vendor.headers(signal))) expect(req.headers[name], `${signal} ${name}`).toBe(value);
            for (const name of vendor.absent?.(signal) ?? []) expect(req.headers[name], `${signal} ${name}`).toBeUndefined();
            expect(normalize(decodeExportRequest(signal, gunzipSync(req.body)))).toEqual(normalize(batchOf(signal).resources));
          }
          expect(backend.received).toHaveLength(3);
        } finally {
          await ferry.stop();
          await new Promise<void>((resolve) => backend.server.close(() => resolve()));
        }
      });
    });
  }
});

afterAll(() => {
  for (const v of VENDOR_VARS) delete process.env[v];
});
