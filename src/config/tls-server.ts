// Server-side TLS settings as the OpenTelemetry Collector writes them (configtls
// ServerConfig: cert_file, key_file, client_ca_file), and loading them for node:https and grpc-js.
import type { SchemaObject } from 'ajv';
import { readFile } from 'node:fs/promises';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { ConfigProblem } from '../component.js';

export interface TlsServerConfig {
  readonly cert_file?: string;
  readonly key_file?: string;
  readonly cert_pem?: string;
  readonly key_pem?: string;
  readonly client_ca_file?: string;
}

export const tlsServerSchema: SchemaObject = {
  type: 'object',
  description: 'Serve over TLS. Absent: plain TCP. Needs a certificate and its key (file or PEM).',
  additionalProperties: false,
  properties: {
    cert_file: { type: 'string', description: 'Path to the PEM certificate (chain) the server presents.' },
    key_file: { type: 'string', description: 'Path to the PEM private key of cert_file.' },
    cert_pem: { type: 'string', description: 'The PEM certificate inline, instead of cert_file.' },
    key_pem: { type: 'string', writeOnly: true, description: 'The PEM private key inline, instead of key_file.' },
    client_ca_file: {
      type: 'string',
      description: 'Path to a PEM CA bundle: when set, clients must present a certificate signed by it (mutual TLS).',
    },
  },
};

/** The certificate material a TLS server needs, read from disk. */
export interface TlsServerMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Present when clients must authenticate with a certificate. */
  readonly clientCa?: Buffer;
}

/** node:https options for the material: the certificate, and client certificates required when a client CA is set (mTLS). */
export function httpsServerOptions(tls: TlsServerMaterial): HttpsServerOptions {
  const mtls = tls.clientCa !== undefined;
  return { cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: mtls, rejectUnauthorized: mtls };
}

/** Problems the schema cannot see: a certificate without its key, or two sources for one. */
export function validateTlsServer(tls: TlsServerConfig, path: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const hasCert = tls.cert_file !== undefined || tls.cert_pem !== undefined;
  const hasKey = tls.key_file !== undefined || tls.key_pem !== undefined;
  if (tls.cert_file !== undefined && tls.cert_pem !== undefined) {
    problems.push({ path: `${path}.cert_pem`, message: 'cert_file and cert_pem are both set', fix: 'keep only one of them' });
  }
  if (tls.key_file !== undefined && tls.key_pem !== undefined) {
    problems.push({ path: `${path}.key_pem`, message: 'key_file and key_pem are both set', fix: 'keep only one of them' });
  }
  if (!hasCert || !hasKey) {
    problems.push({
      path,
      message: 'a TLS server needs both a certificate and its private key',
      fix: 'set cert_file and key_file (or cert_pem and key_pem), or remove the tls section to serve plain TCP',
    });
  }
  return problems;
}

async function readPem(path: string, key: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new Error(`cannot read tls.${key} "${path}": ${code}`);
  }
}

/** Read the files named in the config; rejects with the key and path of the first unreadable one. */
export async function loadTlsServer(tls: TlsServerConfig): Promise<TlsServerMaterial> {
  const cert = tls.cert_pem !== undefined ? Buffer.from(tls.cert_pem) : tls.cert_file !== undefined ? await readPem(tls.cert_file, 'cert_file') : undefined;
  const key = tls.key_pem !== undefined ? Buffer.from(tls.key_pem) : tls.key_file !== undefined ? await readPem(tls.key_file, 'key_file') : undefined;
  if (cert === undefined || key === undefined) throw new Error('tls: a certificate and its private key are required');
  const clientCa = tls.client_ca_file !== undefined ? await readPem(tls.client_ca_file, 'client_ca_file') : undefined;
  return clientCa === undefined ? { cert, key } : { cert, key, clientCa };
}
