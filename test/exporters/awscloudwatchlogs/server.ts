// A local CloudWatch Logs endpoint speaking the JSON 1.1 protocol as the API reference
// describes it: it checks every request (method, path, headers, a real SigV4 signature,
// body schema, the PutLogEvents batch rules), keeps groups and streams, and answers with
// the documented success bodies and errors. Anything off is recorded in `violations`.
//   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
//   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
//   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html
//   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (Signature Version 4)
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

const DAY = 24 * 60 * 60 * 1000;
const TARGET_PREFIX = 'Logs_20140328.';
const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

export interface StoredEvent {
  timestamp: number;
  message: string;
}

export interface LogGroup {
  retentionInDays?: number;
  tags?: Record<string, string>;
  streams: Map<string, StoredEvent[]>;
}

/** One request as it arrived, after validation. */
export interface SeenRequest {
  target: string;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** What the server answered. */
  status: number;
  errorType?: string;
}

/** A scripted answer for the next call of `target`, instead of the real behaviour. */
export interface Fault {
  target: string;
  status: number;
  type: string;
  message: string;
  /** Let this many calls of `target` through first. */
  after?: number;
}

export interface PeerOptions {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** The service's clock, relative to ours (a server ahead of us sees our events as older). */
  readonly clockOffsetMs?: number;
  /**
   * Answer errors with messages the way real InvalidSignatureException answers do: echoing
   * the canonical request (signed header values included) and the string to sign.
   */
  readonly echoCanonicalRequest?: boolean;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

export class CloudWatchLogsPeer {
  readonly groups = new Map<string, LogGroup>();
  readonly requests: SeenRequest[] = [];
  readonly violations: string[] = [];
  readonly faults: Fault[] = [];
  private server: Server | undefined;
  private port = 0;

  private constructor(private readonly options: PeerOptions) {}

  static async start(options: PeerOptions): Promise<CloudWatchLogsPeer> {
    const peer = new CloudWatchLogsPeer(options);
    const server = createServer((req, res) => peer.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    peer.port = addr.port;
    peer.server = server;
    return peer;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Every PutLogEvents that was accepted, in order. */
  puts(): Array<{ logGroupName: string; logStreamName: string; logEvents: StoredEvent[] }> {
    return this.requests
      .filter((r) => r.target === 'PutLogEvents' && r.status === 200)
      .map((r) => r.body as { logGroupName: string; logStreamName: string; logEvents: StoredEvent[] });
  }

  /** What a stream holds. */
  events(group: string, stream: string): StoredEvent[] {
    return this.groups.get(group)?.streams.get(stream) ?? [];
  }

  calls(target: string): SeenRequest[] {
    return this.requests.filter((r) => r.target === target);
  }

  private now(): number {
    return Date.now() + (this.options.clockOffsetMs ?? 0);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      const reply = (status: number, body: Record<string, unknown>, errorType?: string): void => {
        this.requests.push({ target: op, body: parsed ?? {}, headers: req.headers, status, errorType });
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': `req-${this.requests.length}` });
        res.end(text);
      };
      const fail = (status: number, type: string, message: string): void => reply(status, { __type: type, message }, type);
      let parsed: Record<string, unknown> | undefined;
      const problem = this.checkEnvelope(req, raw);
      if (problem) {
        this.violations.push(`${op}: ${problem.message}`);
        return fail(problem.status, problem.type, problem.echo ?? problem.message);
      }
      try {
        parsed = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        this.violations.push(`${op}: body is not JSON`);
        return fail(400, 'SerializationException', 'body is not JSON');
      }
      const fault = this.faults.find((f) => f.target === op);
      if (fault && (fault.after ?? 0) > 0) fault.after = (fault.after ?? 0) - 1;
      else if (fault) {
        this.faults.splice(this.faults.indexOf(fault), 1);
        return fail(fault.status, fault.type, fault.message);
      }
      try {
        switch (op) {
          case 'PutLogEvents':
            return this.putLogEvents(parsed, reply, fail);
          case 'CreateLogGroup':
            return this.createLogGroup(parsed, reply, fail);
          case 'CreateLogStream':
            return this.createLogStream(parsed, reply, fail);
          case 'PutRetentionPolicy':
            return this.putRetentionPolicy(parsed, reply, fail);
          default:
            this.violations.push(`unexpected target ${target}`);
            return fail(400, 'UnknownOperationException', `unknown operation ${target}`);
        }
      } catch (err) {
        this.violations.push(`${op}: ${(err as Error).message}`);
        return fail(400, 'InvalidParameterException', (err as Error).message);
      }
    });
  }

  /** Method, path, content type, target, and a Signature Version 4 signature checked with the secret key. */
  private checkEnvelope(req: IncomingMessage, raw: Buffer): { status: number; type: string; message: string; echo?: string } | undefined {
    if (req.method !== 'POST' || req.url !== '/') return { status: 404, type: 'UnknownOperationException', message: `${req.method} ${req.url}: only POST / is served` };
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return { status: 400, type: 'SerializationException', message: `content-type ${req.headers['content-type']}` };
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target.startsWith(TARGET_PREFIX)) return { status: 400, type: 'UnknownOperationException', message: `x-amz-target ${target}` };
    const auth = AUTH.exec(String(req.headers.authorization ?? ''));
    if (!auth) return { status: 403, type: 'MissingAuthenticationTokenException', message: 'no AWS4-HMAC-SHA256 Authorization header' };
    const [, keyId, date, region, service, signedHeaders, signature] = auth as unknown as string[];
    if (keyId !== this.options.accessKeyId) return { status: 400, type: 'UnrecognizedClientException', message: `unknown access key id ${keyId}` };
    if (region !== this.options.region || service !== 'logs') return { status: 403, type: 'InvalidSignatureException', message: `credential scope ${region}/${service}, expected ${this.options.region}/logs` };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!amzDate.startsWith(date as string)) return { status: 403, type: 'InvalidSignatureException', message: 'x-amz-date does not match the credential scope date' };
    const names = (signedHeaders as string).split(';');
    for (const required of ['host', 'x-amz-date', 'x-amz-target', 'content-type']) {
      if (!names.includes(required)) return { status: 403, type: 'InvalidSignatureException', message: `${required} is not signed` };
    }
    const payloadHash = sha256(raw);
    const declared = req.headers['x-amz-content-sha256'];
    if (declared !== undefined && declared !== payloadHash) return { status: 400, type: 'InvalidSignatureException', message: 'x-amz-content-sha256 does not match the body' };
    const canonicalHeaders = names.map((n) => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${date}/${region}/logs/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${this.options.secretAccessKey}`, date as string), region as string), 'logs'), 'aws4_request');
    const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
    if (expected !== signature) {
      const message = 'The request signature we calculated does not match the signature you provided.';
      return { status: 403, type: 'InvalidSignatureException', message, echo: `${message} The Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n` };
    }
    if (this.options.echoCanonicalRequest) {
      // Simulates a service that refused the signature and echoed what it signed, as AWS does.
      const message = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
      return { status: 403, type: 'InvalidSignatureException', message, echo: `${message} The Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\nAuthorization: ${req.headers.authorization}` };
    }
    return undefined;
  }

  private onlyKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
    for (const k of Object.keys(body)) if (!allowed.includes(k)) throw new Error(`unexpected member ${k}`);
  }

  private putLogEvents(body: Record<string, unknown>, reply: (s: number, b: Record<string, unknown>) => void, fail: (s: number, t: string, m: string) => void): void {
    this.onlyKeys(body, ['logGroupName', 'logStreamName', 'logEvents', 'sequenceToken', 'entity']);
    const { logGroupName, logStreamName, logEvents } = body;
    if (typeof logGroupName !== 'string' || typeof logStreamName !== 'string') throw new Error('logGroupName and logStreamName are required strings');
    if (!Array.isArray(logEvents) || logEvents.length < 1 || logEvents.length > 10_000) throw new Error(`logEvents must hold 1 to 10,000 events, got ${Array.isArray(logEvents) ? logEvents.length : typeof logEvents}`);
    let bytes = 0;
    let previous = -Infinity;
    for (const e of logEvents as Array<Record<string, unknown>>) {
      if (typeof e !== 'object' || e === null) throw new Error('an event is not an object');
      this.onlyKeys(e, ['timestamp', 'message']);
      if (typeof e.timestamp !== 'number' || !Number.isInteger(e.timestamp) || e.timestamp < 0) throw new Error(`timestamp ${String(e.timestamp)} is not milliseconds`);
      if (typeof e.message !== 'string' || e.message.length < 1) throw new Error('message must be a non-empty string');
      if (e.timestamp < previous) throw new Error('log events are not in chronological order');
      previous = e.timestamp;
      bytes += Buffer.byteLength(e.message, 'utf8') + 26;
    }
    if (bytes > 1_048_576) throw new Error(`batch is ${bytes} bytes by the +26 rule; the maximum is 1,048,576`);
    const group = this.groups.get(logGroupName);
    if (!group) return fail(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    const stream = group.streams.get(logStreamName);
    if (!stream) return fail(400, 'ResourceNotFoundException', 'The specified log stream does not exist.');
    const now = this.now();
    const events = logEvents as StoredEvent[];
    const retentionStart = group.retentionInDays ? now - group.retentionInDays * DAY : -Infinity;
    let tooOldEnd = 0;
    let expiredEnd = 0;
    let tooNewStart = events.length;
    events.forEach((e, i) => {
      if (e.timestamp < now - 14 * DAY) tooOldEnd = i + 1;
      if (e.timestamp < retentionStart) expiredEnd = i + 1;
    });
    for (let i = events.length - 1; i >= 0 && (events[i] as StoredEvent).timestamp > now + 2 * 60 * 60 * 1000; i--) tooNewStart = i;
    const valid = events.filter((_, i) => i >= Math.max(tooOldEnd, expiredEnd) && i < tooNewStart);
    const first = valid[0];
    const last = valid[valid.length - 1];
    if (first && last && last.timestamp - first.timestamp > DAY) throw new Error('the batch of valid events spans more than 24 hours');
    stream.push(...valid);
    const rejectedLogEventsInfo: Record<string, number> = {};
    if (tooOldEnd > 0) rejectedLogEventsInfo.tooOldLogEventEndIndex = tooOldEnd;
    if (expiredEnd > 0) rejectedLogEventsInfo.expiredLogEventEndIndex = expiredEnd;
    if (tooNewStart < events.length) rejectedLogEventsInfo.tooNewLogEventStartIndex = tooNewStart;
    const out: Record<string, unknown> = { nextSequenceToken: String(49_600_000_000_000 + this.requests.length) };
    if (Object.keys(rejectedLogEventsInfo).length > 0) out.rejectedLogEventsInfo = rejectedLogEventsInfo;
    reply(200, out);
  }

  private createLogGroup(body: Record<string, unknown>, reply: (s: number, b: Record<string, unknown>) => void, fail: (s: number, t: string, m: string) => void): void {
    this.onlyKeys(body, ['logGroupName', 'kmsKeyId', 'tags', 'logGroupClass', 'deletionProtectionEnabled']);
    const name = body.logGroupName;
    if (typeof name !== 'string' || !/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) throw new Error(`invalid logGroupName ${String(name)}`);
    if (body.tags !== undefined && (typeof body.tags !== 'object' || body.tags === null || Object.keys(body.tags).length < 1 || Object.keys(body.tags).length > 50)) throw new Error('tags must hold 1 to 50 entries');
    if (this.groups.has(name)) return fail(400, 'ResourceAlreadyExistsException', 'The specified log group already exists');
    this.groups.set(name, { streams: new Map(), tags: body.tags as Record<string, string> | undefined });
    reply(200, {});
  }

  private createLogStream(body: Record<string, unknown>, reply: (s: number, b: Record<string, unknown>) => void, fail: (s: number, t: string, m: string) => void): void {
    this.onlyKeys(body, ['logGroupName', 'logStreamName']);
    const { logGroupName, logStreamName } = body;
    if (typeof logGroupName !== 'string' || typeof logStreamName !== 'string' || !/^[^:*]{1,512}$/.test(logStreamName)) throw new Error('invalid CreateLogStream input');
    const group = this.groups.get(logGroupName);
    if (!group) return fail(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    if (group.streams.has(logStreamName)) return fail(400, 'ResourceAlreadyExistsException', 'The specified log stream already exists');
    group.streams.set(logStreamName, []);
    reply(200, {});
  }

  private putRetentionPolicy(body: Record<string, unknown>, reply: (s: number, b: Record<string, unknown>) => void, fail: (s: number, t: string, m: string) => void): void {
    this.onlyKeys(body, ['logGroupName', 'retentionInDays']);
    const { logGroupName, retentionInDays } = body;
    if (typeof logGroupName !== 'string' || typeof retentionInDays !== 'number' || !RETENTION_DAYS.has(retentionInDays)) throw new Error(`invalid retentionInDays ${String(retentionInDays)}`);
    const group = this.groups.get(logGroupName);
    if (!group) return fail(400, 'ResourceNotFoundException', 'The specified log group does not exist.');
    group.retentionInDays = retentionInDays;
    reply(200, {});
  }
}
