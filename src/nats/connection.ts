// NATS connection settings shared by the nats receiver and exporter: server URLs,
// authentication (user/password, token, NKey seed, creds file) and TLS, as JSON Schema and connect().
import { readFile } from 'node:fs/promises';
import type { SchemaObject } from 'ajv';
import type * as Nats from 'nats';
import type { Authenticator, ConnectionOptions, NatsConnection } from 'nats';
import type { ConfigProblem } from '../component.js';
import type { Logger } from '../telemetry/logger.js';

export interface NatsAuthConfig {
  user?: string;
  password?: string;
  token?: string;
  /** A `.creds` file (JWT + NKey seed), as `nats --creds`. */
  creds_file?: string;
  /** A file holding an NKey seed (`SU…`). */
  nkey_file?: string;
}

export interface NatsTlsConfig {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
}

export interface NatsConnectionConfig {
  url?: string;
  urls?: string[];
  auth: NatsAuthConfig;
  tls?: NatsTlsConfig;
  /** Client name shown by the server (`nats server report connections`). */
  name?: string;
}

type NatsLib = typeof Nats;
let lib: Promise<NatsLib> | undefined;

/**
 * The nats client library, loaded on first use: it costs ~13 MiB of RSS, which a collector
 * without nats components should not pay (issue 8's memory target).
 */
export function natsLib(): Promise<NatsLib> {
  lib ??= import('nats');
  return lib;
}

/** Header naming the OTLP signal of a message, set by the exporter, read by the receiver. */
export const SIGNAL_HEADER = 'Otlp-Signal';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Schema properties every nats component has; spread into its own schema. */
export const natsConnectionProperties: Record<string, SchemaObject> = {
  url: { type: 'string', description: 'NATS server URL (nats://host:4222, tls://host:4222).', default: DEFAULT_NATS_URL },
  urls: {
    type: 'array',
    items: { type: 'string' },
    description: 'Several server URLs of one cluster; the client picks one and fails over to the others. Overrides url.',
  },
  name: { type: 'string', description: 'Connection name reported to the server; defaults to ferry/<component id>.' },
  auth: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'Authentication: user and password, a token, an NKey seed file or a creds file (JWT + seed).',
    properties: {
      user: { type: 'string', description: 'User name (with password).' },
      password: { type: 'string', writeOnly: true, description: 'Password of user.' },
      token: { type: 'string', writeOnly: true, description: 'Authentication token.' },
      creds_file: { type: 'string', description: 'Path of a .creds file (decentralized JWT auth).' },
      nkey_file: { type: 'string', description: 'Path of a file holding an NKey seed (SU…).' },
    },
  },
  tls: {
    type: 'object',
    additionalProperties: false,
    description: 'TLS to the server: set it (even empty) to require TLS; CA and client certificate files are optional.',
    properties: {
      ca_file: { type: 'string', description: 'CA bundle that signed the server certificate (PEM).' },
      cert_file: { type: 'string', description: 'Client certificate for mutual TLS (PEM).' },
      key_file: { type: 'string', description: 'Key of cert_file (PEM).' },
    },
  },
};

export function validateNatsConnection(c: NatsConnectionConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const a = c.auth ?? {};
  if ((a.user === undefined) !== (a.password === undefined)) {
    problems.push({ path: 'auth', message: 'user and password go together', fix: 'set both auth.user and auth.password, or neither' });
  }
  const kinds = [a.user !== undefined, a.token !== undefined, a.creds_file !== undefined, a.nkey_file !== undefined].filter(Boolean).length;
  if (kinds > 1) {
    problems.push({ path: 'auth', message: 'more than one authentication method is set', fix: 'keep one of user/password, token, creds_file, nkey_file' });
  }
  if ((c.tls?.cert_file === undefined) !== (c.tls?.key_file === undefined)) {
    problems.push({ path: 'tls', message: 'cert_file and key_file go together', fix: 'set both tls.cert_file and tls.key_file, or neither' });
  }
  for (const u of serverUrls(c)) {
    if (!/^(nats|tls|ws|wss):\/\/|^[^:/]+(:\d+)?$/.test(u)) {
      problems.push({ path: 'url', message: `"${u}" is not a NATS URL`, fix: 'write nats://host:4222' });
    }
  }
  return problems;
}

export function serverUrls(c: NatsConnectionConfig): string[] {
  return c.urls && c.urls.length > 0 ? c.urls : [c.url ?? DEFAULT_NATS_URL];
}

/** The URL without credentials, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

async function authenticator(a: NatsAuthConfig, nats: NatsLib): Promise<Authenticator | undefined> {
  if (a.creds_file !== undefined) return nats.credsAuthenticator(await readFile(a.creds_file));
  if (a.nkey_file !== undefined) {
    const seed = (await readFile(a.nkey_file, 'utf8')).trim();
    return nats.nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  return undefined;
}

/**
 * Connect, reconnecting for ever in the background: a NATS outage must not stop the
 * collector, only pause the flow (the receiver gets nothing, the exporter retries).
 */
export async function connectNats(c: NatsConnectionConfig, componentId: string, logger: Logger): Promise<NatsConnection> {
  const nats = await natsLib();
  const a = c.auth ?? {};
  const options: ConnectionOptions = {
    servers: serverUrls(c),
    name: c.name ?? `ferry/${componentId}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    waitOnFirstConnect: false,
  };
  if (a.user !== undefined) {
    options.user = a.user;
    options.pass = a.password;
  }
  if (a.token !== undefined) options.token = a.token;
  const auth = await authenticator(a, nats);
  if (auth) options.authenticator = auth;
  if (c.tls) {
    options.tls = { caFile: c.tls.ca_file, certFile: c.tls.cert_file, keyFile: c.tls.key_file };
  }
  const nc = await nats.connect(options);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        logger.info(`NATS ${s.type}`, { data: String(s.data) });
      }
    }
  })();
  logger.info('Connected to NATS', { server: redactUrl(nc.getServer()) });
  return nc;
}
