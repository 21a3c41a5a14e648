// The connection of the syslog exporter: one TCP (or TLS) connection kept open and opened again
// after an error, or a UDP socket. TCP syslog has no acknowledgement: a write that the kernel
// took counts as sent, and a broken connection fails the next write, which the helper retries.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { RetryableError } from '../../consumer.js';
import type { TlsClientOptions } from '../../config/tls-client.js';

/** The largest UDP payload over IPv4 (65535 − 8 − 20). */
export const MAX_UDP_MESSAGE = 65_507;

export interface SyslogTransport {
  /** TCP: write the framed messages as one chunk. UDP: one datagram per message. */
  send(messages: readonly Buffer[], signal: AbortSignal): Promise<void>;
  close(): void;
}

function abortError(signal: AbortSignal): RetryableError {
  return new RetryableError(`syslog write aborted: ${String(signal.reason ?? 'timeout')}`);
}

export class StreamTransport implements SyslogTransport {
  private socket: Socket | TLSSocket | undefined;
  private connecting: Promise<Socket | TLSSocket> | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** TLS options, or undefined for plaintext TCP. */
    private readonly tls: TlsClientOptions | undefined,
  ) {}

  private connect(signal: AbortSignal): Promise<Socket | TLSSocket> {
    if (this.socket && !this.socket.destroyed && this.socket.writable) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket | TLSSocket>((resolve, reject) => {
      const ready = this.tls ? 'secureConnect' : 'connect';
      const s = this.tls ? tlsConnect({ host: this.host, port: this.port, servername: this.tls.servername ?? (isIp(this.host) ? undefined : this.host), ...this.tls }) : tcpConnect({ host: this.host, port: this.port });
      const onAbort = (): void => {
        s.destroy();
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      s.setNoDelay(true);
      s.once(ready, () => {
        signal.removeEventListener('abort', onAbort);
        this.socket = s;
        resolve(s);
      });
      s.once('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      });
      // Errors after the connection was made close it; the next send opens a new one.
      s.on('error', () => s.destroy());
      s.on('close', () => {
        if (this.socket === s) this.socket = undefined;
      });
      // Servers do not answer on a syslog connection; anything read is discarded.
      s.resume();
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async send(messages: readonly Buffer[], signal: AbortSignal): Promise<void> {
    const socket = await this.connect(signal);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        socket.destroy();
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.write(Buffer.concat(messages), (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve();
      });
    });
  }

  close(): void {
    this.socket?.end();
    this.socket = undefined;
  }
}

export class DatagramTransport implements SyslogTransport {
  private readonly socket: UdpSocket;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('error', () => undefined);
    this.socket.unref();
  }

  async send(messages: readonly Buffer[], signal: AbortSignal): Promise<void> {
    for (const m of messages) {
      if (signal.aborted) throw abortError(signal);
      await new Promise<void>((resolve, reject) => this.socket.send(m, this.port, this.host, (err) => (err ? reject(err) : resolve())));
    }
  }

  close(): void {
    this.socket.close();
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
