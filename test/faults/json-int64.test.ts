// OTLP/JSON int64 fields sent as JSON numbers above 2^53 (proto3 JSON allows numbers), through
// a real Ferry: the backend receives the exact value, not the nearest double.
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeJsonExportRequest, quoteLargeIntegers } from '../../src/pdata/json.js';
import { decodeExportRequest } from '../../src/pdata/proto.js';
import { startFerry, writeConfig } from '../helpers/ferry.js';
import { faultConfig } from '../helpers/faults.js';
import { freePort, waitFor } from '../helpers/index.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const body = (time: string, observed: string, intValue: string) =>
  `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":${time},"observedTimeUnixNano":${observed},"body":{"stringValue":"id:1234567890123456789 \\" [,1234567890123456789"},` +
  `"attributes":[{"key":"n","value":{"intValue":${intValue}}},{"key":"d","value":{"doubleValue":12345678901234567890.5}}]}]}]}]}`;

describe('OTLP/JSON 64-bit integers sent as numbers', () => {
  it('are decoded exactly, whatever digits strings around them hold', () => {
    const [r] = decodeJsonExportRequest('logs', body('1700000000123456789', '"1700000000123456790"', '-9223372036854775807'));
    const lr = r?.scopeLogs[0]?.logRecords[0];
    expect(String(lr?.timeUnixNano)).toBe('1700000000123456789');
    expect(String(lr?.observedTimeUnixNano)).toBe('1700000000123456790');
    expect(String(lr?.attributes[0]?.value?.intValue)).toBe('-9223372036854775807');
    expect(lr?.attributes[1]?.value?.doubleValue).toBe(Number('12345678901234567890.5'));
    expect(lr?.body?.stringValue).toBe('id:1234567890123456789 " [,1234567890123456789');
    // Only number tokens outside strings are quoted.
    expect(quoteLargeIntegers('{"a":"x:12345678901234567","b":[12345678901234567,1.5e300,42]}')).toBe('{"a":"x:12345678901234567","b":["12345678901234567",1.5e300,42]}');
  });

  it('reach the backend exactly through a real Ferry', async () => {
    const [httpPort, metricsPort, backendPort] = [await freePort(), await freePort(), await freePort()];
    const received: Buffer[] = [];
    const backend = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => backend.listen(backendPort, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => backend.close(r)));
    const ferry = await startFerry(['--config', writeConfig(faultConfig({ httpPort, metricsPort, backendUrl: `http://127.0.0.1:${backendPort}` }))]);
    cleanups.push(() => ferry.stop(2_000));
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body('1700000000123456789', '1700000000123456790', '9007199254740993'),
    });
    expect(res.status).toBe(200);
    await waitFor(() => received.length > 0, 'the batch at the backend');
    const lr = decodeExportRequest('logs', received[0] as Buffer)[0]?.scopeLogs[0]?.logRecords[0];
    expect(String(lr?.timeUnixNano)).toBe('1700000000123456789');
    expect(String(lr?.observedTimeUnixNano)).toBe('1700000000123456790');
    expect(String(lr?.attributes[0]?.value?.intValue)).toBe('9007199254740993');
  });
});
