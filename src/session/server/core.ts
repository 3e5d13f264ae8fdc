/**
 * The state of one server session and the transitions every command shares: replies, refusals
 * and the error limits, questions to the driver, the end of a transaction, closing.
 * @module
 */
import type { ParseCommandOptions } from '../../protocol/commands.js';
import type { Capabilities } from '../../protocol/ehlo.js';
import { LineReader } from '../../protocol/line-reader.js';
import { Replies } from '../../protocol/replies.js';
import { encodeReply, type Reply } from '../../protocol/reply.js';
import type { ResetReason, ServerEvent } from '../server-events.js';
import type { ResolvedServerOptions } from '../server-options.js';
import type { Refusal } from './refusals.js';
import { CLOSED, COMMANDS, type Hello, IDLE, type Input, type Question, type Transaction } from './state.js';
import { wireOf } from './wire.js';

const NO_PARAMETERS: ParseCommandOptions = { mailParameters: new Set(), rcptParameters: new Set() };
const CLOSE: ServerEvent = { type: 'close' };
const RESETS: Record<ResetReason, ServerEvent> = {
  rset: { type: 'reset', reason: 'rset' },
  helo: { type: 'reset', reason: 'helo' },
  starttls: { type: 'reset', reason: 'starttls' },
  message: { type: 'reset', reason: 'message' },
  aborted: { type: 'reset', reason: 'aborted' },
};

export class SessionCore {
  /** Command lines (and AUTH responses) are read with this; bodies are read from `queue`. */
  readonly lines: LineReader;
  /** Input pushed and not yet given to a reader, in order. */
  readonly queue: Uint8Array[] = [];
  /** Events emitted, `events[taken]` to `events[count - 1]` not yet taken by the driver. */
  private readonly events: (ServerEvent | undefined)[] = [];
  private taken = 0;
  private count = 0;
  input: Input = COMMANDS;
  transaction: Transaction = IDLE;
  hello: Hello | undefined;
  user: string | undefined;
  secure: boolean;
  /** Client errors so far, against `limits.invalidCommands`. */
  errors = 0;
  /** Replies of 4xx and 5xx since the session began or a message was accepted, against `limits.errors`. */
  failures = 0;
  authFailures = 0;
  /** Emits body bytes: made once, not per chunk of input. */
  readonly emitData = (bytes: Uint8Array): void => {
    this.emit({ type: 'message-data', bytes });
  };

  constructor(
    readonly options: ResolvedServerOptions,
    secure: boolean,
    /** Called with every command line read (AUTH responses included), without its CRLF. */
    readonly traceCommand: ((line: Uint8Array) => void) | undefined,
  ) {
    this.secure = secure;
    this.lines = new LineReader({
      maxLength: options.commandLineLength,
      lfEndsLine: options.acceptBareLfInCommands,
    });
  }

  /** What the EHLO reply offered; undefined before EHLO and after HELO. */
  get capabilities(): Capabilities | undefined {
    const hello = this.hello;
    return hello?.extended ? hello.capabilities : undefined;
  }

  get parseOptions(): ParseCommandOptions {
    const hello = this.hello;
    return hello?.extended ? hello.parseOptions : NO_PARAMETERS;
  }

  get enhancedCodes(): boolean {
    return this.capabilities?.enhancedStatusCodes === true;
  }

  /** MAIL, RCPT, DATA, BDAT and AUTH before TLS get 530 5.7.0 (RFC 3207 4). */
  get tlsRequired(): boolean {
    return this.options.requireTls && !this.secure;
  }

  get buffered(): number {
    let n = this.lines.buffered;
    for (const chunk of this.queue) n += chunk.length;
    return n;
  }

  emit(event: ServerEvent): void {
    this.events[this.count++] = event;
  }

  /**
   * The next event emitted and not yet taken, or undefined. A queue with indices rather than
   * `shift()`: it is read on the hot path, an event at a time.
   */
  takeEvent(): ServerEvent | undefined {
    const i = this.taken;
    if (i === this.count) {
      this.taken = this.count = 0;
      return undefined;
    }
    const event = this.events[i];
    this.events[i] = undefined; // the driver may keep it; the queue does not
    this.taken = i + 1;
    return event;
  }

  /** Sends `r`; `cached` false for a reply made for this session alone (encoded, not remembered). */
  reply(r: Reply, cached = true): void {
    if (r.code >= 400) this.failures++;
    this.emit(this.replyEvent(r, cached));
  }

  replyEvent(r: Reply, cached = true): ServerEvent {
    const enhanced = this.enhancedCodes;
    return { type: 'reply', reply: r, wire: cached ? wireOf(r, enhanced) : encodeReply(r, { enhanced }) };
  }

  /** Refuses with the refusal's reply; a client error counts, and too many close the session. */
  refuse(refusal: Refusal): void {
    this.reply(refusal.reply);
    if (!refusal.counts || ++this.errors < this.options.invalidCommands || this.input.type === 'closed')
      return;
    this.reply(Replies.tooManyErrors);
    this.close();
  }

  /** Emits a question and reads nothing until the driver answers it. */
  ask(question: Question): void {
    this.input = { type: 'asking', question };
    this.emit(question);
  }

  /**
   * Ends the transaction in progress, if any: a message being received is aborted first, then
   * `reset` tells the driver. Every transaction ends here, so the event comes exactly once.
   */
  endTransaction(reason: ResetReason): void {
    const t = this.transaction;
    this.transaction = IDLE;
    if (t.type === 'idle' || t.type === 'chunks-refused') return;
    if (t.type === 'message' && !t.reader.abortReported) {
      const abort = reason === 'aborted' ? Replies.localError : Replies.reset;
      this.emit({ type: 'message-abort', reason: abort });
    }
    this.emit(RESETS[reason]);
  }

  /** Switches to reading a message body or BDAT chunk, starting with what the line reader holds. */
  readBody(input: Input): void {
    // Even when empty: a chunk of 0 octets ends when the reader is next given input.
    this.queue.unshift(this.lines.takeRest());
    this.input = input;
  }

  /** Closes the session once the replies before it are written; a transaction is aborted. */
  close(): void {
    this.endTransaction('aborted');
    this.drop();
    this.emit(CLOSE);
  }

  /** Reads nothing more, and lets go of what was buffered. */
  drop(): void {
    this.input = CLOSED;
    this.queue.length = 0;
    this.lines.clear();
  }
}
