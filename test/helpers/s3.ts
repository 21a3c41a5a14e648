// A local S3-compatible server for tests: s3rver (npm) stores the objects (in a temp dir removed
// on close), behind a proxy that checks every request's AWS Signature Version 4 as S3 does
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html): it signs
// the request again with the one account's secret (S3RVER / S3RVER), through @smithy/signature-v4,
// over the headers the client listed as signed, and answers 403 SignatureDoesNotMatch when the
// signatures differ (s3rver itself accepts any SigV4 signature).
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import S3rver from 's3rver';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Buffer {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

/** SHA-256 (and its HMAC) from node:crypto, as the signer's hash constructor. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** The signature S3 would compute for this request, or why it cannot be checked. */
async function expectedSignature(req: http.IncomingMessage, body: Buffer): Promise<{ provided: string; expected: string } | string> {
  const m = AUTH.exec(req.headers.authorization ?? '');
  if (!m) return 'no SigV4 Authorization header';
  const [, accessKeyId, , region, signedHeaders, provided] = m as unknown as [string, string, string, string, string, string];
  if (accessKeyId !== S3RVER_CREDENTIALS.accessKeyId) return `unknown access key ${accessKeyId}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const date = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(date.getTime())) return 'no x-amz-date';
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    const v = req.headers[name];
    headers[name] = Array.isArray(v) ? v.join(',') : String(v ?? '');
  }
  const url = new URL(req.url ?? '/', 'http://x');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const [hostname = '', port] = String(req.headers.host ?? '').split(':');
  const signer = new SignatureV4({ service: 's3', region, credentials: S3RVER_CREDENTIALS, sha256: Sha256, uriEscapePath: false, applyChecksum: true });
  const signed = await signer.sign(
    { method: req.method ?? 'GET', protocol: 'http:', hostname, port: port ? Number(port) : undefined, path: url.pathname, query, headers, body },
    { signingDate: date, signableHeaders: new Set(Object.keys(headers)) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
  return { provided, expected };
}

export interface LocalS3 {
  readonly endpoint: string;
  /** Requests whose signature matched, by method and path. */
  readonly verified: string[];
  /** Every object of `bucket`: key and bytes, in key order. */
  objects(bucket: string): Promise<Array<{ key: string; body: Buffer; contentEncoding?: string; contentType?: string }>>;
  close(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'ferry-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const verified: string[] = [];
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      void expectedSignature(req, body).then((check) => {
        if (typeof check === 'string' || check.provided !== check.expected) {
          res.writeHead(403, { 'content-type': 'application/xml' });
          res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>`);
          return;
        }
        verified.push(`${req.method} ${req.url}`);
        const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  return {
    endpoint,
    verified,
    async objects(bucket) {
      const list = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const out = [];
      for (const o of (list.Contents ?? []).sort((a, b) => String(a.Key).localeCompare(String(b.Key)))) {
        const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
        const body = Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
        out.push({ key: String(o.Key), body, contentEncoding: got.ContentEncoding, contentType: got.ContentType });
      }
      return out;
    },
    async close() {
      client.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
