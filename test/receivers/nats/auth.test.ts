// The nats receiver authenticating to servers that require a user/password, a token, an
// NKey, a creds file (decentralized JWT auth, operator mode) or TLS with a private CA: the
// right credentials deliver, wrong ones fail start() instead of running deaf.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, credsAuthenticator, nkeyAuthenticator, nkeys } from 'nats';
import { createAccount, createOperator, createUser, encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
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

  async function roundTrip(
    serverArgs: string[],
    auth: Record<string, string>,
    clientAuth: { user?: string; pass?: string; token?: string; authenticator?: ReturnType<typeof nkeyAuthenticator> },
  ): Promise<void> {
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

  it('NKey seed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-nats-nkey-'));
    try {
      const user = nkeys.createUser();
      const seed = new TextDecoder().decode(user.getSeed());
      writeFileSync(join(dir, 'server.conf'), `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }\n`);
      writeFileSync(join(dir, 'user.nk'), `${seed}\n`, { mode: 0o600 });
      await roundTrip(['-c', join(dir, 'server.conf')], { nkey_file: join(dir, 'user.nk') }, { authenticator: nkeyAuthenticator(user.getSeed()) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creds file (JWT + NKey seed) against a server in operator mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-nats-creds-'));
    try {
      // An operator signs an account, the account signs a user: what `nsc` would generate.
      const operator = createOperator();
      const account = createAccount();
      // JetStream (on in the test server) needs a system account in operator mode.
      const system = createAccount();
      const user = createUser();
      const operatorJwt = await encodeOperator('ferry-test-op', operator);
      // No limits (the library's defaults are 0 connections).
      const unlimited = { limits: { conn: -1, subs: -1, data: -1, payload: -1, leaf: -1, imports: -1, exports: -1, wildcards: true } };
      const accountJwt = await encodeAccount('ferry-test-acct', account, unlimited, { signer: operator });
      const systemJwt = await encodeAccount('SYS', system, unlimited, { signer: operator });
      const userJwt = await encodeUser('ferry-test-user', user, account);
      const creds = fmtCreds(userJwt, user);
      writeFileSync(join(dir, 'user.creds'), creds, { mode: 0o600 });
      writeFileSync(
        join(dir, 'server.conf'),
        [
          `operator: ${operatorJwt}`,
          `system_account: ${system.getPublicKey()}`,
          'resolver: MEMORY',
          'resolver_preload: {',
          `  ${account.getPublicKey()}: ${accountJwt}`,
          `  ${system.getPublicKey()}: ${systemJwt}`,
          '}',
          '',
        ].join('\n'),
      );
      await roundTrip(['-c', join(dir, 'server.conf')], { creds_file: join(dir, 'user.creds') }, { authenticator: credsAuthenticator(creds) });

      // A user signed by another account is refused: start() fails and says so.
      const stranger = createUser();
      const strangerCreds = fmtCreds(await encodeUser('stranger', stranger, createAccount()), stranger);
      writeFileSync(join(dir, 'stranger.creds'), strangerCreds, { mode: 0o600 });
      await receiver?.shutdown();
      receiver = natsReceiver.create(
        loadReceiverConfig({ url: server?.url, subject: 'a.>', auth: { creds_file: join(dir, 'stranger.creds') } }),
        testContext('nats'),
        { logs: new CollectingConsumer() },
      );
      await expect(receiver.start(testHost)).rejects.toThrow(/authorization/i);
      receiver = undefined;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
