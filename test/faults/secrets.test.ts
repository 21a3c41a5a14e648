// Secrets never printed, through the real `ferry` command: a password written as digits in a
// config file, header values and --set / yaml: values stay out of `ferry validate`'s errors,
// the `starting ferry` line and the errors a SIGHUP reload logs.
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runFerryToEnd, startFerry, writeConfig } from '../helpers/ferry.js';
import { freePort, waitFor } from '../helpers/index.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const PASSWORD = '98765432109';
const HEADER = 'Bearer s3cr3t-t0ken-value';
const SET_TOKEN = 'set-token-4242';

async function config(password: string, count = '12345678'): Promise<string> {
  const [httpPort, metricsPort] = [await freePort(), await freePort()];
  return `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  elasticsearch:
    endpoint: http://127.0.0.1:9
    user: ferry
    password: ${password}
  otlphttp:
    endpoint: http://127.0.0.1:9
    headers:
      authorization: ${JSON.stringify(HEADER)}
      x-count: ${count}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [elasticsearch, otlphttp]
`;
}

describe('secrets never printed', () => {
  it('ferry validate: a password written as digits and a header value are not echoed', async () => {
    const path = writeConfig(await config(PASSWORD));
    const r = await runFerryToEnd(['validate', '--config', path, '--set', `exporters::otlphttp::headers::x-token=${SET_TOKEN}`, '--set', 'exporters::otlphttp::timeout=87654321ab']);
    const out = r.stdout + r.stderr;
    expect(r.code).not.toBe(0);
    // The errors are there, naming the paths, with the values hidden.
    expect(out).toContain('exporters.elasticsearch.password');
    expect(out).toContain('exporters.otlphttp.timeout');
    expect(out).toContain('***');
    for (const secret of [PASSWORD, HEADER, 's3cr3t-t0ken-value', '12345678', SET_TOKEN, '87654321']) expect(out, secret).not.toContain(secret);
  });

  it('the starting line and the errors of a SIGHUP reload do not show them', async () => {
    const path = writeConfig(await config(`"${PASSWORD}"`, '"12345678"'));
    const ferry = await startFerry(['--config', path, '--set', `exporters::otlphttp::headers::x-token=${SET_TOKEN}`]);
    cleanups.push(() => ferry.stop(2_000));
    expect(ferry.stderr()).toContain('starting ferry');
    writeFileSync(path, await config(PASSWORD));
    ferry.child.kill('SIGHUP');
    await waitFor(() => ferry.stderr().includes('keeping the running one'), 'the reload to be refused');
    expect(ferry.stderr()).toContain('exporters.elasticsearch.password');
    for (const secret of [PASSWORD, HEADER, SET_TOKEN]) expect(ferry.stderr(), secret).not.toContain(secret);
  });
});
