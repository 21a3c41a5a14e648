// The zipkin and jaeger receivers in the built binary, configured as the Helm chart's default
// configuration has them (plus thrift_binary), fed by Zipkin's and Jaeger's own npm clients;
// the file exporter's output must hold every span, and self-metrics count them per transport.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJsonExportRequest } from '../../src/pdata/json.js';
import type { ResourceSpans } from '../../src/pdata/types.js';
import { completeJsonLines, freePort, waitFor } from '../helpers/index.js';
import { attrs } from '../helpers/values.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { metricValue, startFerry, tempDir, writeConfig } from '../helpers/ferry.js';
import { jaegerClient, recordCheckout as recordJaeger } from '../receivers/jaeger/client.js';
import { flush, recordCheckout as recordZipkin, zipkinClient } from '../receivers/zipkin/client.js';

function spansIn(path: string): { service: unknown; name: string; traceId: string }[] {
  const out: { service: unknown; name: string; traceId: string }[] = [];
  for (const line of completeJsonLines(path)) {
    for (const r of decodeJsonExportRequest('traces', line) as ResourceSpans[]) {
      for (const s of r.scopeSpans.flatMap((x) => x.spans)) out.push({ service: attrs(r.resource?.attributes)['service.name'], name: s.name, traceId: Buffer.from(s.traceId).toString('hex') });
    }
  }
  return out;
}

describe('Helm-style jaeger + zipkin receivers in ferry → file', () => {
  let ferry: FerryProcess | undefined;
  const ports: Record<string, number> = {};
  const out = join(tempDir(), 'spans.jsonl');

  beforeAll(async () => {
    for (const k of ['grpc', 'http', 'compact', 'binary', 'zipkin', 'metrics']) ports[k] = await freePort();
    const config = writeConfig(`
receivers:
  jaeger:
    protocols:
      grpc:
        endpoint: \${env:MY_POD_IP}:${ports.grpc}
      thrift_http:
        endpoint: \${env:MY_POD_IP}:${ports.http}
      thrift_compact:
        endpoint: \${env:MY_POD_IP}:${ports.compact}
      thrift_binary:
        endpoint: \${env:MY_POD_IP}:${ports.binary}
  zipkin:
    endpoint: \${env:MY_POD_IP}:${ports.zipkin}
exporters:
  file:
    path: ${out}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${ports.metrics}
  pipelines:
    traces:
      receivers: [jaeger, zipkin]
      exporters: [file]
`);
    ferry = await startFerry(['--config', config], { env: { MY_POD_IP: '127.0.0.1' } });
  });

  afterAll(async () => {
    await ferry?.stop(5000);
  });

  it('spans from zipkin-js, jaeger-client over HTTP and over UDP all reach the file, counted per transport', async () => {
    const zipkin = zipkinClient(`http://127.0.0.1:${ports.zipkin}/api/v2/spans`, 'zipkin-web');
    recordZipkin(zipkin.tracer, 'zipkin-web');
    expect(await flush(zipkin.http)).toBe(202);
    const overHttp = jaegerClient('jaeger-http', { http: `http://127.0.0.1:${ports.http}/api/traces` });
    recordJaeger(overHttp.tracer);
    await overHttp.close();
    const overUdp = jaegerClient('jaeger-udp', { udpPort: ports.binary as number });
    recordJaeger(overUdp.tracer);
    await overUdp.close();

    await waitFor(() => spansIn(out).length === 8, '8 spans in the file', 15_000);
    const got = spansIn(out);
    const traceOf = (service: string) => new Set(got.filter((s) => s.service === service).map((s) => s.traceId));
    expect(got.map((s) => `${String(s.service)} ${s.name}`).sort()).toEqual([
      'jaeger-http GET /checkout',
      'jaeger-http SELECT carts',
      'jaeger-http send-receipt',
      'jaeger-udp GET /checkout',
      'jaeger-udp SELECT carts',
      'jaeger-udp send-receipt',
      'zipkin-web get /checkout',
      'zipkin-web price-cart',
    ]);
    expect([...traceOf('zipkin-web')]).toEqual([zipkin.recorded[0]?.traceId]);
    const udpSpan = overUdp.recorded()[0];
    expect([...traceOf('jaeger-udp')]).toEqual([`${udpSpan?.traceIdHigh.toString('hex')}${udpSpan?.traceIdLow.toString('hex')}`]);

    const url = `http://127.0.0.1:${ports.metrics}/metrics`;
    expect(await metricValue(url, 'otelcol_receiver_accepted_spans_total', { receiver: 'zipkin', transport: 'http' })).toBe(2);
    expect(await metricValue(url, 'otelcol_receiver_accepted_spans_total', { receiver: 'jaeger', transport: 'collector_http' })).toBe(3);
    expect(await metricValue(url, 'otelcol_receiver_accepted_spans_total', { receiver: 'jaeger', transport: 'udp_thrift_binary' })).toBe(3);
  });
});
