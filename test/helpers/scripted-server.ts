import { LineReader } from '../../src/protocol/line-reader.js';
import { memoryPair } from '../../src/transport/memory.js';
import type { Transport } from '../../src/transport/transport.js';
import { Signal } from './signal.js';

/**
 * The server end of a memory connection, played by the test: it reads the client's lines (and raw
 * bytes in DATA or BDAT) and writes whatever replies the test scripts, correct or not.
 */
export class ScriptedServer {
  readonly client: Transport;
  private readonly server: Transport;
  private readonly lines = new LineReader({ maxLength: 1 << 20, lfEndsLine: false });
  private raw: Uint8Array = new Uint8Array(0);
  private readonly changed = new Signal();
  private ended = false;
  /** Every byte the client sent, as latin1 text. */
  transcript = '';

  constructor() {
    [this.client, this.server] = memoryPair();
    this.server.start({
      data: (chunk) => {
        this.transcript += Buffer.from(chunk).toString('latin1');
        const joined = new Uint8Array(this.raw.length + chunk.length);
        joined.set(this.raw);
        joined.set(chunk, this.raw.length);
        this.raw = joined;
        this.changed.notify();
      },
      end: () => {
        this.ended = true;
        this.changed.notify();
      },
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Writes raw reply text (give the CRLFs). */
  send(text: string): void {
    void this.server.write(text);
  }

  /** The next line from the client, without its CRLF. */
  async line(ms = 2000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      this.lines.push(this.take());
      const e = this.lines.next();
      if (e?.type === 'line') return Buffer.from(e.bytes).toString('latin1');
      this.raw = this.lines.takeRest();
      if (this.ended) throw new Error(`client closed; it sent ${JSON.stringify(this.transcript)}`);
      if (Date.now() > deadline)
        throw new Error(`no line; the client sent ${JSON.stringify(this.transcript)}`);
      await this.changed.wait(deadline - Date.now());
    }
  }

  /** Exactly `n` raw bytes from the client (a BDAT chunk), as latin1 text. */
  async bytes(n: number, ms = 2000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.raw.length < n) {
      if (this.ended || Date.now() > deadline)
        throw new Error(`wanted ${n} bytes; client sent ${JSON.stringify(this.transcript)}`);
      await this.changed.wait(deadline - Date.now());
    }
    const out = this.raw.subarray(0, n);
    this.raw = this.raw.slice(n);
    return Buffer.from(out).toString('latin1');
  }

  /** Lines up to and including the lone ".", joined with CRLF (the DATA body, still stuffed). */
  async dataBody(): Promise<string> {
    const lines: string[] = [];
    for (let line = await this.line(); line !== '.'; line = await this.line()) lines.push(line);
    return lines.map((l) => `${l}\r\n`).join('');
  }

  /** Plays the greeting and an EHLO reply with these extensions. */
  async greet(
    extensions: string[] = ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'SIZE 1000000', 'ENHANCEDSTATUSCODES'],
  ): Promise<string> {
    this.send('220 scripted.example ESMTP\r\n');
    const ehlo = await this.line();
    const lines = ['scripted.example', ...extensions];
    this.send(lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
    return ehlo;
  }

  close(): void {
    this.server.close();
  }

  private take(): Uint8Array {
    const raw = this.raw;
    this.raw = new Uint8Array(0);
    return raw;
  }
}
