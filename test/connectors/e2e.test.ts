// Connectors through a running Ferry: `forward` fans one pipeline out to two (one of which
// changes the data, the other must not see it), and `routing` sends each tenant's logs to its own
// backend (by resource, by log record, by request header) and the rest to the default pipeline.
// A tenant's backend down refuses only the requests carrying that tenant's data.
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExportRequest } from '../../src/pdata/proto.js';
import type { LogRecord, ResourceLogs } from '../../src/pdata/types.js';
import { freePort, waitFor } from '../helpers/index.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { metricValue, startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { backend, close, fileBatches, listen, logsIn } from '../processors/e2e-helpers.js';
import { kvs } from '../processors/helpers.js';

const logs = (resource: Record<string, string>, records: Partial<LogRecord>[]): ResourceLogs[] => [
  { resource: { attributes: kvs(resource) }, scopeLogs: [{ scope: { name: 'e2e', attributes: [] }, logRecords: records.map((r) => ({ attributes: [], ...r })) }] },
];
const line = (body: string, attrs: Record<string, string> = {}): Partial<LogRecord> => ({ body: { stringValue: body }, attributes: kvs(attrs) });

describe('connectors through a running Ferry', () => {
  const dir = tempDir('ferry-connectors-e2e-');
  const files = { all: join(dir, 'all.jsonl'), copy: join(dir, 'copy.jsonl'), rest: join(dir, 'default.jsonl') };
  const ok = (_r: unknown, res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  const tenantA = backend(ok);
  const tenantB = backend((_r, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('down'));
  let ferry: FerryProcess;
  let port = 0;
  let metricsPort = 0;

  const send = (resources: ResourceLogs[], headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', ...headers }, body: encodeExportRequest('logs', resources) }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });

  beforeAll(async () => {
    const [a, b] = [await freePort(), await freePort()];
    port = await freePort();
    metricsPort = await freePort();
    await Promise.all([listen(tenantA.server, a), listen(tenantB.server, b)]);
    const exporterTo = (p: number) => `    endpoint: http://127.0.0.1:${p}\n    retry_on_failure:\n      enabled: false\n    sending_queue:\n      enabled: false\n`;
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
        include_metadata: true
processors:
  transform/stamp:
    log_statements:
      - set(log.attributes["stamped"], true)
connectors:
  forward:
  routing:
    default_pipelines: [logs/default]
    table:
      - condition: attributes["tenant"] == "a"
        pipelines: [logs/a]
      - context: request
        condition: request["X-Tenant"] == "b"
        pipelines: [logs/b]
      - context: log
        statement: route() where attributes["tenant"] == "b"
        pipelines: [logs/b]
exporters:
  file/all:
    path: ${files.all}
  file/copy:
    path: ${files.copy}
  file/default:
    path: ${files.rest}
  otlphttp/a:
${exporterTo(a)}  otlphttp/b:
${exporterTo(b)}service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs/in:
      receivers: [otlp]
      exporters: [forward, routing]
    logs/all:
      receivers: [forward]
      exporters: [file/all]
    logs/copy:
      receivers: [forward]
      processors: [transform/stamp]
      exporters: [file/copy]
    logs/a:
      receivers: [routing]
      exporters: [otlphttp/a]
    logs/b:
      receivers: [routing]
      exporters: [otlphttp/b]
    logs/default:
      receivers: [routing]
      exporters: [file/default]
`);
    ferry = await startFerry(['--config', config]);
  }, 30_000);
  afterAll(async () => {
    await ferry?.stop();
    await Promise.all([close(tenantA.server), close(tenantB.server)]);
  });

  it('forward: both pipelines get every record; only the one that changes data sees the change', async () => {
    expect(await send(logs({ tenant: 'c' }, [line('one'), line('two')]))).toBe(200);
    await waitFor(() => fileBatches(files.all, 'logs').flatMap(logsIn).length >= 2 && fileBatches(files.copy, 'logs').flatMap(logsIn).length >= 2, 'forwarded records');
    expect(fileBatches(files.all, 'logs').flatMap(logsIn).map((l) => l.a)).toEqual([{}, {}]);
    expect(fileBatches(files.copy, 'logs').flatMap(logsIn).map((l) => l.a)).toEqual([{ stamped: true }, { stamped: true }]);
    // Not matched by any route: the default pipeline.
    await waitFor(() => fileBatches(files.rest, 'logs').flatMap(logsIn).length === 2, 'default pipeline');
  });

  it('routing: tenant a by resource to its backend; a record of tenant b refused with b down, its neighbours not lost', async () => {
    expect(await send(logs({ tenant: 'a' }, [line('a1'), line('a2')]))).toBe(200);
    expect(tenantA.requests.flatMap(logsIn).map((l) => l.lr.body?.stringValue)).toEqual(['a1', 'a2']);

    // One request mixing a record of tenant b (backend down) with one of nobody: refused as a whole (retryable).
    const mixed = await send(logs({ tenant: 'c' }, [line('for b', { tenant: 'b' }), line('for nobody')]));
    expect(mixed).toBe(503);
    expect(tenantB.requests.flatMap(logsIn).map((l) => l.lr.body?.stringValue)).toEqual(['for b']);

    // By request header: tenant b again, refused; tenant a's sender is still served.
    expect(await send(logs({ tenant: 'z' }, [line('header b')]), { 'X-Tenant': 'b' })).toBe(503);
    expect(await send(logs({ tenant: 'a' }, [line('a3')]))).toBe(200);
    expect(tenantA.requests.flatMap(logsIn).map((l) => l.lr.body?.stringValue)).toEqual(['a1', 'a2', 'a3']);
    expect(tenantB.requests.flatMap(logsIn).map((l) => l.lr.body?.stringValue)).toEqual(['for b', 'header b']);
    // Nothing of tenant a or b reached the default pipeline; the record of nobody did.
    const rest = fileBatches(files.rest, 'logs').flatMap(logsIn).map((l) => l.lr.body?.stringValue);
    expect(rest.filter((b) => b !== 'one' && b !== 'two')).toEqual(['for nobody']);
    expect(await metricValue(`http://127.0.0.1:${metricsPort}/metrics`, 'otelcol_exporter_sent_log_records_total', { exporter: 'otlphttp/a' })).toBe(3);
  });
});
