// configs/sidecar-run-step.yaml as shipped, in a real Ferry: an SDK client's records reach the
// backend stamped with the service, version, environment, run and step from the environment.
import { afterAll, describe, expect, it } from 'vitest';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { freePort, waitFor } from '../helpers/index.js';
import type { FerryProcess } from '../helpers/ferry.js';
import { startFerry } from '../helpers/ferry.js';
import { plain } from './helpers.js';
import { backend, close, listen, logsIn, sdkExport } from './e2e-helpers.js';

describe('configs/sidecar-run-step.yaml', () => {
  let sidecar: FerryProcess | undefined;
  let sink: ReturnType<typeof backend> | undefined;
  afterAll(async () => {
    await sidecar?.stop();
    await close(sink?.server);
  });

  it('stamps the run and step from the environment on everything a step sends', async () => {
    const [grpc, http, metricsPort, sinkPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    sink = backend((_r, res) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    await listen(sink.server, sinkPort);
    const config = new URL('../../configs/sidecar-run-step.yaml', import.meta.url).pathname;
    sidecar = await startFerry(
      [
        '--config',
        config,
        '--set',
        `receivers::otlp::protocols::grpc::endpoint=127.0.0.1:${grpc}`,
        '--set',
        `receivers::otlp::protocols::http::endpoint=127.0.0.1:${http}`,
        '--set',
        `service::telemetry::metrics::address=127.0.0.1:${metricsPort}`,
      ],
      {
        env: {
          FERRY_SERVICE_NAME: 'build',
          FERRY_SERVICE_VERSION: '1.4.2',
          FERRY_ENVIRONMENT: 'ci',
          FERRY_PIPELINE_RUN_ID: '12345',
          FERRY_STEP_ID: 'compile',
          FERRY_BACKEND_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
        },
      },
    );
    const exporter = new OTLPLogExporter({ url: `http://127.0.0.1:${http}/v1/logs` });
    const result = await sdkExport(exporter, resourceFromAttributes({ 'service.name': 'unknown_service:node', 'host.name': 'runner-3' }), (l) => l.emit({ body: 'compiling 42 files' }));
    expect(result.code).toBe(0);
    await exporter.shutdown();
    await waitFor(() => sink!.requests.length > 0, 'the stamped record at the backend');
    const [record] = logsIn(sink.requests.flat());
    expect(plain(record!.lr.body)).toBe('compiling 42 files');
    expect(record!.resource).toMatchObject({
      'service.name': 'build',
      'service.version': '1.4.2',
      'deployment.environment': 'ci',
      pipeline_run_id: '12345', // a string, although the variable reads as a number
      step_id: 'compile',
      'host.name': 'runner-3',
    });
  });
});
