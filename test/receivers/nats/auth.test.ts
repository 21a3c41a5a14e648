// The nats receiver authenticating to servers that require a user/password, a token or
// TLS with a private CA: the right credentials deliver, wrong ones fail start() instead of running deaf.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'nats';
import type { Receiver } from '../../../src/component.js';
import { natsReceiver } from '../../../src/receivers/nats/index.js';
import { CollectingConsumer, testContext, testHost, waitFor } from '../../helpers/index.js';
import { natsServerAvailable, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { loadReceiverConfig } from './load.js';

const available = natsServerAvailable();

describe.skipIf(!available)('nats receiver authentication', () => {
  let server: NatsServer | undefined;
  let receiver: Receiver | undefined;

  afterEach(async () => {
    await receiver?.shutdown();
    receiver = undefined;
    await server?.stop();
    server = undefined;
  });

  async function roundTrip(serverArgs: string[], auth: Record<string, string>, clientAuth: { user?: string; pass?: string; token?: string }): Promise<void> {
    server = await startNatsServer(serverArgs);
    const sink = new CollectingConsumer();
    receiver = natsReceiver.create(loadReceiverConfig({ url: server.url, subject: 'a.>', encoding: 'text', auth }), testContext('nats'), { logs: sink });
    await receiver.start(testHost);
    const nc = await connect({ servers: server.url, ...clientAuth });
    nc.publish('a.b', 'hello');
    await nc.flush();
    await nc.close();
    await waitFor(() => sink.items() === 1, 'the message');
  }

  it('user and password', async () => {
    await roundTrip(['--user', 'acme', '--pass', 's3cret'], { user: 'acme', password: 's3cret' }, { user: 'acme', pass: 's3cret' });
  });

  it('token', async () => {
    await roundTrip(['--auth', 'tok3n'], { token: 'tok3n' }, { token: 'tok3n' });
  });

  it('TLS with a private CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-nats-tls-'));
    const ssl = (...args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    };
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ferry-test-ca');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'req.pem', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('x509', '-req', '-in', 'req.pem', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '1', '-extfile', 'ext.cnf');
    try {
      server = await startNatsServer(['--tls', '--tlscert', join(dir, 'cert.pem'), '--tlskey', join(dir, 'key.pem')]);
      const sink = new CollectingConsumer();
      receiver = natsReceiver.create(
        loadReceiverConfig({ url: server.url, subject: 't.>', encoding: 'text', tls: { ca_file: join(dir, 'ca.pem') } }),
        testContext('nats'),
        { logs: sink },
      );
      await receiver.start(testHost);
      const nc = await connect({ servers: server.url, tls: { caFile: join(dir, 'ca.pem') } });
      nc.publish('t.x', 'over tls');
      await nc.flush();
      await nc.close();
      await waitFor(() => sink.items() === 1, 'the message');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with wrong credentials', async () => {
    server = await startNatsServer(['--user', 'acme', '--pass', 's3cret']);
    receiver = natsReceiver.create(loadReceiverConfig({ url: server.url, auth: { user: 'acme', password: 'wrong' } }), testContext('nats'), { logs: new CollectingConsumer() });
    await expect(receiver.start(testHost)).rejects.toThrow(/authorization/i);
    receiver = undefined;
  });
});
