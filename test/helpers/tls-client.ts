import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type Reply, ReplyParser } from '../../src/protocol/index.js';
import { Signal } from './signal.js';

/**
 * A raw SMTP client over TCP that can start TLS, for the TLS tests: it writes exactly what it is
 * told and reads replies, and records whatever arrives when nothing was asked.
 */
export class SocketClient {
  private parser = new ReplyParser();
  private queue: Reply[] = [];
  private readonly changed = new Signal();
  private ended = false;
  /** Bytes received (as text) since the last TLS start. */
  received = '';

  private constructor(private socket: Socket) {
    this.attach(socket);
  }

  static connect(port: number): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(port, '127.0.0.1', () => resolve(new SocketClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Implicit TLS: the handshake right away. */
  static connectTls(port: number, options: ConnectionOptions): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ port, host: '127.0.0.1', ...options }, () =>
        resolve(new SocketClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  get tlsSocket(): TLSSocket {
    return this.socket as TLSSocket;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  async command(line: string): Promise<Reply> {
    this.send(`${line}\r\n`);
    return this.reply();
  }

  async reply(ms = 3000): Promise<Reply> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      if (this.ended) throw new Error(`closed; received ${JSON.stringify(this.received)}`);
      if (Date.now() > deadline) throw new Error(`no reply; received ${JSON.stringify(this.received)}`);
      await this.changed.wait(deadline - Date.now());
    }
    return this.queue.shift() as Reply;
  }

  /** Upgrades to TLS as a client (after the server's 220 to STARTTLS). Unread input is dropped. */
  startTls(options: ConnectionOptions): Promise<void> {
    this.parser = new ReplyParser();
    this.queue = [];
    this.received = '';
    const plain = this.socket;
    plain.removeAllListeners('data');
    return new Promise((resolve, reject) => {
      const secure = tlsConnect({ socket: plain, ...options }, () => resolve());
      secure.once('error', reject);
      this.socket = secure;
      this.attach(secure);
    });
  }

  async closed(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('not closed');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  end(): void {
    this.socket.destroy();
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      this.parser.push(chunk);
      for (let r = this.parser.next(); r !== undefined; r = this.parser.next()) this.queue.push(r);
      this.changed.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.changed.notify();
    });
    socket.on('error', () => {});
  }
}
