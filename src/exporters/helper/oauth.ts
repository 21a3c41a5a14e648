// OAuth 2.0 access tokens for exporters whose APIs want a bearer token (Google Cloud, Azure Monitor
// Logs ingestion): Google's service-account flow (a JWT signed with the key file's RS256 key,
// exchanged at its token_uri), Google's metadata server, and Microsoft Entra ID's client
// credentials grant. A token is cached until a minute before it expires; errors are classified
// (a refused credential is permanent, an unreachable token endpoint retryable) and never carry
// the secret or the token.
import { createSign } from 'node:crypto';
import { PermanentError, RetryableError } from '../../consumer.js';
import { httpStatusError, networkError } from './errors.js';
import type { ExporterHttpClient } from './http-client.js';

export interface TokenSource {
  /** A valid access token; fetched again when the cached one is about to expire. */
  token(signal: AbortSignal): Promise<string>;
  /** Forget the cached token (after the API answered 401). */
  invalidate(): void;
}

type Fetch = (signal: AbortSignal) => Promise<{ token: string; expiresInS: number }>;

function cached(fetchToken: Fetch): TokenSource {
  let current: { token: string; until: number } | undefined;
  let pending: Promise<string> | undefined;
  return {
    token(signal) {
      if (current && Date.now() < current.until) return Promise.resolve(current.token);
      pending ??= fetchToken(signal)
        .then(({ token, expiresInS }) => {
          current = { token, until: Date.now() + Math.max(0, expiresInS - 60) * 1000 };
          return token;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
    invalidate() {
      current = undefined;
    },
  };
}

/** POST a form to a token endpoint and read {access_token, expires_in}. */
async function tokenRequest(client: ExporterHttpClient, url: URL, form: Record<string, string>, headers: Record<string, string>, what: string, signal: AbortSignal, method = 'POST'): Promise<{ token: string; expiresInS: number }> {
  const body = method === 'POST' ? Buffer.from(new URLSearchParams(form).toString()) : Buffer.alloc(0);
  let res;
  try {
    res = await client.post(url, body, method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded', ...headers } : headers, signal, method);
  } catch (err) {
    const e = networkError(err);
    throw new RetryableError(`${what}: ${e.message}`, { cause: err });
  }
  let parsed: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    parsed = JSON.parse(res.body.toString('utf8')) as typeof parsed;
  } catch {
    // A proxy's page: the status says enough.
  }
  if (res.status < 200 || res.status > 299 || typeof parsed.access_token !== 'string') {
    const detail = [parsed.error, parsed.error_description].filter((x) => typeof x === 'string').join(': ').slice(0, 300);
    const error = httpStatusError(res.status, res.headers, detail, what);
    // A refused grant (400 invalid_grant, 401 invalid_client) will not get better by waiting.
    throw error.retryable ? error : new PermanentError(`${error.message} (check the exporter's credentials)`);
  }
  return { token: parsed.access_token, expiresInS: typeof parsed.expires_in === 'number' ? parsed.expires_in : Number(parsed.expires_in ?? 3600) };
}

export interface GoogleServiceAccount {
  readonly client_email: string;
  readonly private_key: string;
  readonly token_uri?: string;
  readonly project_id?: string;
}

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/** Google's OAuth 2.0 for service accounts: a JWT assertion exchanged for an access token. */
export function googleServiceAccountTokens(client: ExporterHttpClient, key: GoogleServiceAccount, scope: string): TokenSource {
  const tokenUri = new URL(key.token_uri ?? 'https://oauth2.googleapis.com/token');
  return cached((signal) => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
    const claims = b64url(JSON.stringify({ iss: key.client_email, scope, aud: tokenUri.href, iat: now, exp: now + 3600 }));
    let signature: string;
    try {
      signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key.private_key, 'base64url');
    } catch {
      return Promise.reject(new PermanentError('the service account\'s private_key cannot sign (is it the PEM key of the JSON key file?)'));
    }
    return tokenRequest(client, tokenUri, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${header}.${claims}.${signature}` }, {}, `token request to ${tokenUri.origin}`, signal);
  });
}

/** The metadata server of Google Cloud's compute (GCE, GKE, Cloud Run): the attached service account's token. */
export function googleMetadataTokens(client: ExporterHttpClient, host = process.env.GCE_METADATA_HOST ?? 'metadata.google.internal'): TokenSource {
  const url = new URL(`http://${host}/computeMetadata/v1/instance/service-accounts/default/token`);
  return cached((signal) => tokenRequest(client, url, {}, { 'metadata-flavor': 'Google' }, `token request to the metadata server ${host}`, signal, 'GET'));
}

export interface EntraClientCredentials {
  readonly tenant_id: string;
  readonly client_id: string;
  readonly client_secret: string;
  /** Default https://login.microsoftonline.com. */
  readonly authority_host?: string;
}

/** Microsoft Entra ID's client credentials grant (v2.0 endpoint) for `scope`. */
export function entraClientCredentialsTokens(client: ExporterHttpClient, c: EntraClientCredentials, scope: string): TokenSource {
  const authority = (c.authority_host ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const url = new URL(`${authority}/${encodeURIComponent(c.tenant_id)}/oauth2/v2.0/token`);
  return cached((signal) =>
    tokenRequest(client, url, { grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret, scope }, {}, `token request to ${url.origin}`, signal),
  );
}
