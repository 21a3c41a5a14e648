// The awss3 exporter against s3rver, an S3-compatible server from npm that checks each request's
// SigV4 signature (test/helpers/s3.ts): objects are read back with the AWS SDK and decoded, and
// must hold exactly the records sent. Keys and defaults follow the contrib awss3exporter README.
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsS3Exporter, objectKey, type AwsS3Config } from '../../../src/exporters/awss3/index.js';
import { configSchema } from '../../../src/exporters/awss3/config.js';
import type { QueuedExporter } from '../../../src/exporters/helper/exporter.js';
import { decodeExportRequest } from '../../../src/pdata/proto.js';
import { decodeJsonExportRequest } from '../../../src/pdata/json.js';
import { SelfTelemetry } from '../../../src/telemetry/self.js';
import { testHost } from '../../helpers/index.js';
import { S3RVER_CREDENTIALS, startS3, type LocalS3 } from '../../helpers/s3.js';
import { logsBatch, metricValue, normalize, recordingLogger, tracesBatch, withDefaults } from '../helper/fixtures.js';

let s3: LocalS3;
const saved = { ...process.env };
beforeAll(async () => {
  s3 = await startS3(['telemetry']);
  // The SDK's default credential chain reads them from the environment.
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
});
afterAll(async () => {
  await s3.close();
  process.env = saved;
});

let exporter: QueuedExporter | undefined;
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
});

async function start(uploader: Record<string, unknown>, rest: Record<string, unknown> = {}) {
  const telemetry = new SelfTelemetry({ defaultMetrics: false });
  const logger = recordingLogger();
  const cfg = withDefaults<AwsS3Config>(configSchema, {
    s3uploader: { s3_bucket: 'telemetry', endpoint: s3.endpoint, s3_force_path_style: true, ...uploader },
    sending_queue: { enabled: false },
    retry_on_failure: { enabled: false },
    ...rest,
  });
  expect(awsS3Exporter.validate?.(cfg)).toEqual([]);
  exporter = awsS3Exporter.create(cfg, { id: 'awss3', kind: 'exporter', logger, telemetry }) as QueuedExporter;
  await exporter.start(testHost);
  return { exporter, logger, metric: (what: 'sent' | 'send_failed', noun = 'log_records') => metricValue(telemetry, `otelcol_exporter_${what}_${noun}_total`, { exporter: 'awss3' }) };
}

describe('awss3 exporter → s3rver', () => {
  it('writes an OTLP/JSON object per batch under prefix/partition/file_prefix, decoding to exactly the records sent', async () => {
    const { exporter, metric } = await start({ s3_prefix: 'json', file_prefix: 'app-' });
    const before = new Date();
    await exporter.consume(logsBatch());
    const objects = (await s3.objects('telemetry')).filter((o) => o.key.startsWith('json/'));
    expect(objects).toHaveLength(1);
    const [o] = objects;
    const y = before.getUTCFullYear();
    expect(o?.key).toMatch(new RegExp(`^json/year=${y}/month=\\d{2}/day=\\d{2}/hour=\\d{2}/minute=\\d{2}/app-logs_[0-9a-f-]{36}\\.json$`));
    expect(o?.contentType).toBe('application/json');
    const decoded = decodeJsonExportRequest('logs', (JSON.parse(o?.body.toString('utf8') ?? '') as { resourceLogs: unknown }));
    expect(normalize(decoded)).toEqual(normalize(logsBatch().resources));
    expect(await metric('sent')).toBe(2);
    expect(s3.verified.filter((r) => r.startsWith("PUT /telemetry/json/"))).toHaveLength(1);
  });

  it('otlp_proto with gzip, a custom partition; traces too', async () => {
    const { exporter, metric } = await start({ s3_prefix: 'proto', s3_base_prefix: 'env/prod', s3_partition_format: '%Y/%m/%d', compression: 'gzip' }, { marshaler: 'otlp_proto' });
    await exporter.consume(tracesBatch());
    const objects = (await s3.objects('telemetry')).filter((o) => o.key.startsWith('env/prod/proto/'));
    expect(objects).toHaveLength(1);
    expect(objects[0]?.key).toMatch(/^env\/prod\/proto\/\d{4}\/\d{2}\/\d{2}\/traces_[0-9a-f-]{36}\.binpb\.gz$/);
    expect(objects[0]?.contentEncoding).toBe('gzip');
    const decoded = decodeExportRequest('traces', gunzipSync(objects[0]?.body ?? Buffer.alloc(0)));
    expect(normalize(decoded)).toEqual(normalize(tracesBatch().resources));
    expect(await metric('sent', 'spans')).toBe(1);
  });

  it('the body marshaler writes each log body as a line', async () => {
    const { exporter } = await start({ s3_prefix: 'body' }, { marshaler: 'body' });
    await exporter.consume(logsBatch());
    const objects = (await s3.objects('telemetry')).filter((o) => o.key.startsWith('body/'));
    expect(objects[0]?.key).toMatch(/\/logs_[0-9a-f-]{36}\.log$/);
    expect(objects[0]?.body.toString('utf8')).toBe('order placed\n{"msg":"payment failed"}\n');
  });

  it('a wrong secret is refused by the signature check: permanent, and the secret is in no message', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret-value';
    try {
      const { exporter, metric, logger } = await start({ s3_prefix: 'denied' });
      const err = await exporter.consume(logsBatch()).catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ retryable: false });
      expect((err as Error).message).toMatch(/SignatureDoesNotMatch \(HTTP 403\)/);
      expect((err as Error).message).not.toContain('wrong-secret-value');
      expect(JSON.stringify(logger.lines)).not.toContain('wrong-secret-value');
      expect(await metric('send_failed')).toBe(2);
      expect((await s3.objects('telemetry')).filter((o) => o.key.startsWith('denied/'))).toEqual([]);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    }
  });

  it('a missing bucket is permanent; an unreachable endpoint is retryable', async () => {
    const missing = await start({ s3_bucket: 'no-such-bucket' });
    await expect(missing.exporter.consume(logsBatch())).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/NoSuchBucket/) });
    await missing.exporter.shutdown();
    const down = await start({ endpoint: 'http://127.0.0.1:1' });
    await expect(down.exporter.consume(logsBatch())).rejects.toMatchObject({ retryable: true });
  });

  it('keys: partition from the upload time, empty prefixes left out', () => {
    const cfg = withDefaults<AwsS3Config>(configSchema, { s3uploader: { s3_bucket: 'b', s3_partition_format: '%Y-%j/%H%M%S' } });
    expect(objectKey(cfg, 'metrics', new Date(Date.UTC(2024, 1, 3, 4, 5, 6)), 'u1')).toBe('2024-034/040506/metrics_u1.json');
  });
});
