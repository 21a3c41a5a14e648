// Starting and stopping the otlp receiver: clear errors for a taken port, nothing left
// bound after a failed start, TLS and mutual TLS on both protocols, and the factory.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import type { Receiver } from '../../../src/component.js';
import { otlpReceiver } from '../../../src/receivers/otlp/index.js';
import { GRPC_SERVICE } from '../../../src/receivers/otlp/grpc.js';
import { CollectingConsumer, freePort, testContext, testHost } from '../../helpers/index.js';
import { tempDir } from '../../helpers/ferry.js';
import { post, protobufRequest } from './fixtures.js';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function occupy(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(port, '127.0.0.1', () => resolve(srv));
    stops.push(() => new Promise<void>((r) => srv.close(() => r())));
  });
}

function create(protocols: Record<string, unknown>, consumer = new CollectingConsumer()): Receiver {
  const receiver = otlpReceiver.create({ protocols }, testContext('otlp/test'), { logs: consumer, traces: consumer, metrics: consumer });
  stops.push(() => receiver.shutdown());
  return receiver;
}

interface Pem {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

function selfSigned(dir: string, name: string): Pem {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

function httpsPost(port: number, options: https.RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', servername: 'localhost', port, path: '/v1/logs', method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, agent: false, ...options },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(protobufRequest('logs'));
  });
}

describe('otlp receiver lifecycle', () => {
  it('rejects start with a clear message when the gRPC port is taken', async () => {
    const port = await freePort();
    await occupy(port);
    const receiver = create({ grpc: { endpoint: `127.0.0.1:${port}` } });
    await expect(receiver.start(testHost)).rejects.toThrow(`otlp receiver: cannot listen on 127.0.0.1:${port}: address already in use`);
  });

  it('rejects start when the HTTP port is taken, and releases the gRPC port it had bound', async () => {
    const grpcPort = await freePort();
    const httpPort = await freePort();
    await occupy(httpPort);
    const receiver = create({ grpc: { endpoint: `127.0.0.1:${grpcPort}` }, http: { endpoint: `127.0.0.1:${httpPort}` } });
    await expect(receiver.start(testHost)).rejects.toThrow(`otlp receiver: cannot listen on 127.0.0.1:${httpPort}: address already in use`);
    // The gRPC port is free again: something else can bind it.
    await occupy(grpcPort);
  });

  it('serves through the factory, and shutdown is idempotent', async () => {
    const port = await freePort();
    const consumer = new CollectingConsumer();
    const receiver = create({ http: { endpoint: `127.0.0.1:${port}` } }, consumer);
    await receiver.start(testHost);
    expect((await post(`http://127.0.0.1:${port}/v1/logs`, protobufRequest('logs', 2), 'application/x-protobuf')).status).toBe(200);
    expect(consumer.items()).toBe(2);
    await receiver.shutdown();
    await receiver.shutdown();
    await expect(post(`http://127.0.0.1:${port}/v1/logs`, protobufRequest('logs'), 'application/x-protobuf')).rejects.toThrow();
  });

  describe('with TLS', () => {
    let dir: string;
    let server: Pem;
    let client: Pem;
    beforeAll(() => {
      dir = tempDir('ferry-otlp-tls-');
      server = selfSigned(dir, 'server');
      client = selfSigned(dir, 'client');
    });

    it('serves OTLP/HTTP over TLS, and with client_ca_file requires a client certificate', async () => {
      const port = await freePort();
      const mtlsPort = await freePort();
      const consumer = new CollectingConsumer();
      await create({ http: { endpoint: `127.0.0.1:${port}`, tls: { cert_file: server.certFile, key_file: server.keyFile } } }, consumer).start(testHost);
      expect(await httpsPost(port, { ca: server.cert })).toBe(200);

      const tls = { cert_pem: server.cert, key_pem: server.key, client_ca_file: client.certFile };
      await create({ http: { endpoint: `127.0.0.1:${mtlsPort}`, tls } }, consumer).start(testHost);
      expect(await httpsPost(mtlsPort, { ca: server.cert, cert: client.cert, key: client.key })).toBe(200);
      await expect(httpsPost(mtlsPort, { ca: server.cert })).rejects.toThrow();
      expect(consumer.items()).toBe(2);
    });

    it('serves OTLP/gRPC over TLS', async () => {
      const port = await freePort();
      const consumer = new CollectingConsumer();
      await create({ grpc: { endpoint: `127.0.0.1:${port}`, tls: { cert_file: server.certFile, key_file: server.keyFile } } }, consumer).start(testHost);
      const c = new Client(`127.0.0.1:${port}`, credentials.createSsl(Buffer.from(server.cert)), { 'grpc.ssl_target_name_override': 'localhost' });
      stops.push(() => c.close());
      const identity = (b: Buffer): Buffer => b;
      const err = await new Promise<Error | null>((resolve) =>
        c.makeUnaryRequest(`/${GRPC_SERVICE.traces}/Export`, identity, identity, protobufRequest('traces'), new Metadata(), {}, (e) => resolve(e)),
      );
      expect(err).toBeNull();
      expect(consumer.items()).toBe(1);
    });

    it('fails to start with the key and path of an unreadable certificate', async () => {
      const receiver = create({ http: { endpoint: `127.0.0.1:${await freePort()}`, tls: { cert_file: join(dir, 'missing.crt'), key_file: server.keyFile } } });
      await expect(receiver.start(testHost)).rejects.toThrow(/tls\.cert_file ".*missing\.crt": ENOENT/);
    });
  });
});
