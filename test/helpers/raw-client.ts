import { type Reply, ReplyParser } from '../../src/protocol/index.js';
import { memoryPair } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/transport.js';
import { Signal } from './signal.js';

/** A server to connect to, whatever its state type. */
type Served = { handle(transport: Transport): void };

/**
 * A client that speaks raw bytes to a server over the memory transport and reads its replies:
 * the tests write exactly what a (possibly hostile) client would.
 */
export class RawClient {
  readonly parser = new ReplyParser();
  private readonly queue: Reply[] = [];
  private readonly changed = new Signal();
  private ended = false;
  private raw = '';

  private constructor(private readonly transport: Transport) {
    transport.start({
      data: (chunk) => {
        this.raw += new TextDecoder().decode(chunk);
        this.parser.push(chunk);
        for (let r = this.parser.next(); r !== undefined; r = this.parser.next()) this.queue.push(r);
        this.changed.notify();
      },
      end: () => {
        this.ended = true;
        this.changed.notify();
      },
    });
  }

  /** Connects to `server` in process; `secure` makes the transport report TLS. */
  static connect(server: Served, options: { secure?: boolean } = {}): RawClient {
    const [client, serverSide] = memoryPair(options);
    server.handle(serverSide);
    return new RawClient(client);
  }

  /** Connects and reads the greeting, then says EHLO and reads its reply. */
  static async ready(server: Served): Promise<RawClient> {
    const client = RawClient.connect(server);
    await client.reply();
    await client.command('EHLO client.example');
    return client;
  }

  /** Everything the server sent, as text. */
  get transcript(): string {
    return this.raw;
  }

  send(data: string | Uint8Array): void {
    void this.transport.write(data);
  }

  /** Sends one command line and reads one reply. */
  async command(line: string): Promise<Reply> {
    this.send(`${line}\r\n`);
    return this.reply();
  }

  /** The next reply; fails if the server closes first or nothing comes within `ms`. */
  async reply(ms = 2000): Promise<Reply> {
    const deadline = Date.now() + ms;
    while (this.queue.length === 0) {
      if (this.ended) throw new Error(`connection closed; server sent: ${JSON.stringify(this.raw)}`);
      if (Date.now() > deadline)
        throw new Error(`no reply within ${ms} ms; server sent: ${JSON.stringify(this.raw)}`);
      await this.changed.wait(deadline - Date.now());
    }
    return this.queue.shift() as Reply;
  }

  /**
   * A whole transaction: the MAIL line, each RCPT line, DATA and `body` (CRLF lines, without the
   * final dot). Returns the reply to the message.
   */
  async deliver(mail: string, rcpts: readonly string[], body: string): Promise<Reply> {
    await this.command(mail);
    for (const rcpt of rcpts) await this.command(rcpt);
    await this.command('DATA');
    return this.command(`${body}.`);
  }

  async replies(n: number): Promise<Reply[]> {
    const out: Reply[] = [];
    for (let i = 0; i < n; i++) out.push(await this.reply());
    return out;
  }

  /** Resolves once the server has closed the connection (and no reply is left unread). */
  async closed(ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('the server did not close the connection');
      await this.changed.wait(deadline - Date.now());
    }
  }

  /** True when the server has closed the connection. */
  get isClosed(): boolean {
    return this.ended;
  }

  /** Replies received and not yet read. */
  get unread(): readonly Reply[] {
    return this.queue;
  }

  close(): void {
    this.transport.close();
  }

  destroy(): void {
    this.transport.destroy();
  }
}

/** `250 2.1.0` style summary of a reply, for compact assertions. */
export function code(r: Reply): string {
  return r.enhanced === undefined ? String(r.code) : `${r.code} ${r.enhanced}`;
}
