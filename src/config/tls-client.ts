// The `tls` block of clients (the Collector's configtls ClientConfig): its schema,
// and the Node TLS options it resolves to, files read once at start.
import { readFile } from 'node:fs/promises';
import { rootCertificates, type SecureVersion } from 'node:tls';
import type { SchemaObject } from 'ajv';
import type { ConfigProblem } from '../component.js';

export interface TlsClientConfig {
  insecure?: boolean;
  insecure_skip_verify?: boolean;
  server_name_override?: string;
  ca_file?: string;
  ca_pem?: string;
  cert_file?: string;
  cert_pem?: string;
  key_file?: string;
  key_pem?: string;
  include_system_ca_certs_pool?: boolean;
  min_version?: string;
  max_version?: string;
}

/** What a Node client needs (https.Agent / tls.createSecureContext options). */
export interface TlsClientOptions {
  /** Trusted roots; undefined = Node's bundled roots. */
  ca?: string[];
  cert?: string;
  key?: string;
  /** False with insecure_skip_verify: encrypt, but do not check the server's certificate. */
  rejectUnauthorized: boolean;
  /** SNI and certificate host name, from server_name_override. */
  servername?: string;
  minVersion: SecureVersion;
  maxVersion?: SecureVersion;
}

const TLS_VERSION: Readonly<Record<string, SecureVersion>> = { '1.0': 'TLSv1', '1.1': 'TLSv1.1', '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

export const tlsClientSchema: SchemaObject = {
  type: 'object',
  description: 'TLS settings of the connection to the server.',
  additionalProperties: false,
  default: {},
  properties: {
    insecure: {
      type: 'boolean',
      description: 'gRPC: connect in plaintext (no TLS) unless the endpoint is https://. HTTP: the URL scheme decides.',
      default: false,
    },
    insecure_skip_verify: { type: 'boolean', description: "Use TLS but do not verify the server's certificate.", default: false },
    server_name_override: { type: 'string', description: 'Server name for SNI and certificate verification, instead of the endpoint host.' },
    ca_file: { type: 'string', description: "Path of a PEM CA certificate to verify the server's certificate; empty uses the system roots." },
    ca_pem: { type: 'string', description: 'PEM CA certificate, inline (instead of ca_file).' },
    cert_file: { type: 'string', description: 'Path of the PEM client certificate, for mutual TLS.' },
    cert_pem: { type: 'string', description: 'PEM client certificate, inline (instead of cert_file).' },
    key_file: { type: 'string', description: 'Path of the PEM client private key, for mutual TLS.' },
    key_pem: { type: 'string', writeOnly: true, description: 'PEM client private key, inline (instead of key_file).' },
    include_system_ca_certs_pool: { type: 'boolean', description: 'Trust the system roots as well as ca_file / ca_pem.', default: false },
    min_version: { type: 'string', enum: Object.keys(TLS_VERSION), description: 'Minimum TLS version.', default: '1.2' },
    max_version: { type: 'string', enum: Object.keys(TLS_VERSION), description: 'Maximum TLS version; unset uses the highest Node supports.' },
  },
};

/** Checks beyond the schema; paths are prefixed with `tls.`. */
export function validateTlsClient(tls: TlsClientConfig | undefined): ConfigProblem[] {
  if (!tls) return [];
  const problems: ConfigProblem[] = [];
  const pairs: Array<[keyof TlsClientConfig, keyof TlsClientConfig]> = [
    ['ca_file', 'ca_pem'],
    ['cert_file', 'cert_pem'],
    ['key_file', 'key_pem'],
  ];
  for (const [file, pem] of pairs) {
    if (tls[file] && tls[pem]) problems.push({ path: `tls.${pem}`, message: `${file} and ${pem} are both set`, fix: `keep one of ${file} or ${pem}` });
  }
  const hasCert = Boolean(tls.cert_file || tls.cert_pem);
  const hasKey = Boolean(tls.key_file || tls.key_pem);
  if (hasCert !== hasKey) {
    problems.push({
      path: hasCert ? 'tls.key_file' : 'tls.cert_file',
      message: 'a client certificate needs both a certificate and its key',
      fix: 'set both cert_file and key_file (or cert_pem and key_pem), or neither',
    });
  }
  const min = tls.min_version ? Number(tls.min_version) : 1.2;
  if (tls.max_version && Number(tls.max_version) < min) {
    problems.push({ path: 'tls.max_version', message: `max_version ${tls.max_version} is below min_version ${min}`, fix: 'raise max_version or lower min_version' });
  }
  return problems;
}

/** True when the config asks for a plaintext gRPC connection (configtls: insecure and no CA). */
export function tlsDisabled(tls: TlsClientConfig | undefined): boolean {
  return Boolean(tls?.insecure) && !tls?.ca_file && !tls?.ca_pem;
}

async function pem(file: string | undefined, inline: string | undefined, what: string): Promise<string | undefined> {
  if (inline) return inline;
  if (!file) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read tls ${what} "${file}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Read the certificate files and build Node TLS options. */
export async function loadTlsClient(tls: TlsClientConfig | undefined): Promise<TlsClientOptions> {
  const t = tls ?? {};
  const [ca, cert, key] = await Promise.all([pem(t.ca_file, t.ca_pem, 'ca_file'), pem(t.cert_file, t.cert_pem, 'cert_file'), pem(t.key_file, t.key_pem, 'key_file')]);
  const options: TlsClientOptions = {
    rejectUnauthorized: !t.insecure_skip_verify,
    minVersion: TLS_VERSION[t.min_version ?? '1.2'] ?? 'TLSv1.2',
  };
  // Node replaces its roots when `ca` is given; include_system_ca_certs_pool adds them back.
  if (ca !== undefined) options.ca = t.include_system_ca_certs_pool ? [ca, ...rootCertificates] : [ca];
  if (cert !== undefined) options.cert = cert;
  if (key !== undefined) options.key = key;
  if (t.server_name_override) options.servername = t.server_name_override;
  if (t.max_version) options.maxVersion = TLS_VERSION[t.max_version];
  return options;
}
