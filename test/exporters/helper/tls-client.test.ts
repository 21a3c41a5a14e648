// Tests of src/config/tls-client.ts, kept beside the exporters that are its only users.
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigSchema } from '../../../src/config/validate.js';
import { loadTlsClient, tlsClientSchema, tlsDisabled, validateTlsClient } from '../../../src/config/tls-client.js';
import { selfSignedCert, type TestCert } from './tls.js';

let cert: TestCert;
beforeAll(() => {
  cert = selfSignedCert();
});
afterAll(() => cert.remove());

describe('tls client config', () => {
  it('defaults to verified TLS 1.2+ with the bundled roots', async () => {
    const validate = compileConfigSchema({ type: 'object', additionalProperties: false, properties: { tls: tlsClientSchema } });
    const config: { tls?: Record<string, unknown> } = {};
    expect(validate(config)).toBe(true);
    const data = config.tls ?? {};
    expect(data).toEqual({ insecure: false, insecure_skip_verify: false, include_system_ca_certs_pool: false, min_version: '1.2' });
    expect(await loadTlsClient(data)).toEqual({ rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    expect(validate({ tls: { min_version: '1.4' } })).toBe(false);
    expect(validate({ tls: { ca: '/x' } })).toBe(false);
  });

  it('reads the CA, certificate and key files', async () => {
    const options = await loadTlsClient({ ca_file: cert.certFile, cert_file: cert.certFile, key_file: cert.keyFile, server_name_override: 'localhost', max_version: '1.3' });
    expect(options).toEqual({ ca: [cert.cert], cert: cert.cert, key: cert.key, rejectUnauthorized: true, servername: 'localhost', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  });

  it('adds the system roots to ca_pem on request', async () => {
    const options = await loadTlsClient({ ca_pem: cert.cert, include_system_ca_certs_pool: true });
    expect(options.ca?.[0]).toBe(cert.cert);
    expect(options.ca).toHaveLength(1 + rootCertificates.length);
  });

  it('names the file it cannot read', async () => {
    await expect(loadTlsClient({ ca_file: '/nonexistent/ca.pem' })).rejects.toThrow(/cannot read tls ca_file "\/nonexistent\/ca.pem"/);
  });

  it('is plaintext only with insecure and no CA', () => {
    expect(tlsDisabled(undefined)).toBe(false);
    expect(tlsDisabled({ insecure: true })).toBe(true);
    expect(tlsDisabled({ insecure: true, ca_file: '/ca.pem' })).toBe(false);
  });

  it('finds half-configured client certificates and conflicting sources', () => {
    expect(validateTlsClient({ cert_file: '/c.pem' })).toEqual([expect.objectContaining({ path: 'tls.key_file' })]);
    expect(validateTlsClient({ key_pem: 'k' })).toEqual([expect.objectContaining({ path: 'tls.cert_file' })]);
    expect(validateTlsClient({ ca_file: '/a', ca_pem: 'b' })).toEqual([expect.objectContaining({ path: 'tls.ca_pem' })]);
    expect(validateTlsClient({ min_version: '1.3', max_version: '1.2' })).toEqual([expect.objectContaining({ path: 'tls.max_version' })]);
    expect(validateTlsClient({ cert_file: '/c', key_file: '/k' })).toEqual([]);
  });
});
