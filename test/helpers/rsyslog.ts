// Starts a real rsyslogd (Debian's rsyslog and rsyslog-gnutls) for a test: its own config file
// and temp dir, listening on free loopback ports for plain TCP, TLS (a self-signed certificate
// made here with openssl) and UDP, each input writing one line per message to its own file, with
// the fields the parser read: facility|severity|app-name|hostname|procid|msgid|time|structured-data|msg.
// Missing binary: the test skips, or fails when FERRY_REQUIRE_BACKENDS=1.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendAvailable, backendBinary, killAndWait } from './backends.js';
import { freePort } from './index.js';

export const RSYSLOGD_BIN = backendBinary('RSYSLOGD', ['/usr/sbin/rsyslogd', '/usr/bin/rsyslogd']);

export function rsyslogAvailable(): boolean {
  return backendAvailable(RSYSLOGD_BIN);
}

/** One message as rsyslog parsed and wrote it. */
export interface SyslogLine {
  readonly facility: string;
  readonly severity: string;
  readonly app: string;
  readonly hostname: string;
  readonly procid: string;
  readonly msgid: string;
  readonly time: string;
  readonly sd: string;
  readonly msg: string;
}

export interface Rsyslog {
  readonly tcpPort: number;
  readonly tlsPort: number;
  readonly udpPort: number;
  /** The PEM of the server's self-signed certificate (its own CA), for the client's tls.ca_file. */
  readonly caFile: string;
  /** What rsyslog wrote for input `input`, complete lines only. */
  lines(input: 'tcp' | 'tls' | 'udp'): SyslogLine[];
  stop(): Promise<void>;
}

const SEP = '\u001f';

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startRsyslog(): Promise<Rsyslog> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-rsyslog-'));
  mkdirSync(join(dir, 'work'));
  const [tcpPort, tlsPort, udpPort] = [await freePort(), await freePort(), await freePort()];
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const template = ['%syslogfacility%', '%syslogseverity%', '%app-name%', '%hostname%', '%procid%', '%msgid%', '%timereported:::date-rfc3339%', '%structured-data%', '%msg%'].join(SEP);
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${dir}/work" maxMessageSize="64k"
  defaultNetstreamDriverCAFile="${cert}" defaultNetstreamDriverCertFile="${cert}" defaultNetstreamDriverKeyFile="${key}")
module(load="imtcp")
module(load="imudp")
template(name="fields" type="string" string="${template}\\n")
ruleset(name="tcp") { action(type="omfile" file="${dir}/tcp.log" template="fields") }
ruleset(name="tls") { action(type="omfile" file="${dir}/tls.log" template="fields") }
ruleset(name="udp") { action(type="omfile" file="${dir}/udp.log" template="fields") }
input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="${tlsPort}" ruleset="tls" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="udp")
`,
  );
  let stderr = '';
  const child: ChildProcess = spawn(RSYSLOGD_BIN, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    if (child.exitCode !== null) break;
    up = (await portOpen(tcpPort)) && (await portOpen(tlsPort));
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  if (!up) {
    await killAndWait(child);
    throw new Error(`rsyslogd did not start: ${stderr}`);
  }
  return {
    tcpPort,
    tlsPort,
    udpPort,
    caFile: cert,
    lines(input) {
      const file = join(dir, `${input}.log`);
      if (!existsSync(file)) return [];
      const text = readFileSync(file, 'utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      return complete
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const [facility = '', severity = '', app = '', hostname = '', procid = '', msgid = '', time = '', sd = '', ...msg] = l.split(SEP);
          return { facility, severity, app, hostname, procid, msgid, time, sd, msg: msg.join(SEP) };
        });
    },
    async stop() {
      await killAndWait(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
