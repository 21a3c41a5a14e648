// One scrape over HTTP: the headers Prometheus sends (Accept, timeout), basic auth and
// authorization (files read per scrape), gzip bodies, and the body cap on the uncompressed size.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScrapeClient } from '../../../src/receivers/prometheus/scrape.js';
import { tempDir } from '../../helpers/ferry.js';
import { selfSignedCert } from '../../exporters/helper/tls.js';

describe('ScrapeClient', () => {
  let server: Server;
  let base = '';
  const seen: IncomingHttpHeaders[] = [];
  const body = 'some_metric{a="b"} 1\n'.repeat(1000);

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/old') {
        res.writeHead(302, { location: '/metrics' });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip' });
      res.end(gzipSync(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends Accept, the timeout header and basic auth, and reads a gzip body', async () => {
    const client = await ScrapeClient.create({ job_name: 'j', basic_auth: { username: 'u', password: 'p' } }, ['OpenMetricsText1.0.0', 'PrometheusText0.0.4']);
    const res = await client.scrape(new URL(`${base}/metrics`), 1 << 20, 2000);
    client.close();
    expect(res.body).toBe(body);
    expect(res.contentType).toBe('text/plain; version=0.0.4');
    const h = seen.at(-1) ?? {};
    expect(h.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(h.accept).toBe('application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1');
    expect(h['x-prometheus-scrape-timeout-seconds']).toBe('2');
    expect(h['accept-encoding']).toBe('gzip');
  });

  it('reads the bearer token from credentials_file at each scrape', async () => {
    const file = join(tempDir(), 'token');
    writeFileSync(file, 'first\n');
    const client = await ScrapeClient.create({ job_name: 'j', authorization: { credentials_file: file } }, ['PrometheusText0.0.4']);
    await client.scrape(new URL(`${base}/metrics`), 1 << 20, 2000);
    writeFileSync(file, 'second');
    await client.scrape(new URL(`${base}/metrics`), 1 << 20, 2000);
    client.close();
    expect(seen.slice(-2).map((h) => h.authorization)).toEqual(['Bearer first', 'Bearer second']);
  });

  it('refuses a body whose uncompressed size passes the limit, though the gzip is small', async () => {
    const client = await ScrapeClient.create({ job_name: 'j' }, ['PrometheusText0.0.4']);
    await expect(client.scrape(new URL(`${base}/metrics`), 1000, 2000)).rejects.toThrow(/body size limit exceeded/);
    client.close();
  });

  it('follows a redirect unless follow_redirects is off, and can ask for an uncompressed body', async () => {
    const client = await ScrapeClient.create({ job_name: 'j', enable_compression: false }, ['PrometheusText0.0.4']);
    const res = await client.scrape(new URL(`${base}/old`), 1 << 20, 2000);
    expect(res.body).toBe(body);
    expect(seen.at(-1)?.['accept-encoding']).toBe('identity');
    client.close();
    const strict = await ScrapeClient.create({ job_name: 'j', follow_redirects: false }, ['PrometheusText0.0.4']);
    await expect(strict.scrape(new URL(`${base}/old`), 1 << 20, 2000)).rejects.toThrow(/HTTP status 302 \(follow_redirects is off\)/);
    strict.close();
  });

  it('scrapes an https target: verified with tls_config.ca_file, refused with an unknown CA, or with insecure_skip_verify', async () => {
    const cert = selfSignedCert();
    const tlsServer = createHttpsServer({ cert: cert.cert, key: cert.key }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('secure_metric 1\n');
    });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    const url = new URL(`https://127.0.0.1:${(tlsServer.address() as { port: number }).port}/metrics`);
    try {
      const verified = await ScrapeClient.create({ job_name: 'j', scheme: 'https', tls_config: { ca_file: cert.certFile } }, ['PrometheusText0.0.4']);
      expect((await verified.scrape(url, 1 << 20, 2000)).body).toBe('secure_metric 1\n');
      verified.close();
      const unknown = await ScrapeClient.create({ job_name: 'j', scheme: 'https' }, ['PrometheusText0.0.4']);
      await expect(unknown.scrape(url, 1 << 20, 2000)).rejects.toThrow(/self.signed|certificate/i);
      unknown.close();
      const skip = await ScrapeClient.create({ job_name: 'j', scheme: 'https', tls_config: { insecure_skip_verify: true } }, ['PrometheusText0.0.4']);
      expect((await skip.scrape(url, 1 << 20, 2000)).body).toBe('secure_metric 1\n');
      skip.close();
    } finally {
      tlsServer.closeAllConnections();
      await new Promise((r) => tlsServer.close(r));
      cert.remove();
    }
  });
});
