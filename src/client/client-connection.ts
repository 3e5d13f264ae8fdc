/**
 * The client's side of one connection: writes commands, reads replies in order (pipelined
 * commands get their replies matched by position), and turns silence, closes, malformed replies
 * and aborts into typed errors.
 * @module
 */
import { EsmtpError } from '../protocol/errors.js';
import { encodeReply, type Reply, replyText } from '../protocol/reply.js';
import { ReplyParser } from '../protocol/reply-parser.js';
import type { WireTrace } from '../tracing/wire.js';
import type { Transport } from '../transport/transport.js';

/** Why TLS cannot be had on a transport without `startTls`. */
export const NO_TLS = 'this connection has no way to start TLS (its transport has no startTls)';

/**
 * Replies nobody asked for that are tolerated: a server may send a 421 before it closes, or refuse
 * a message before it has all been sent. A server that streams replies is broken, and queueing
 * them would grow without bound.
 */
const UNSOLICITED_REPLIES = 4;

export class ClientConnection {
  private parser = new ReplyParser();
  private readonly replies: Reply[] = [];
  /** Replies the commands written so far ask for and nobody has read yet; the greeting first. */
  private asked = 1;
  private waiter: (() => void) | undefined;
  private failure: EsmtpError | undefined;
  private closedByPeer = false;
  /** Input stops once the next reply has arrived (see `pauseAfterNextReply`). */
  private pauseAtReply = false;

  constructor(
    readonly transport: Transport,
    private readonly trace: WireTrace,
  ) {
    transport.start({
      data: (chunk) => this.receive(chunk),
      end: (error) => {
        this.closedByPeer = true;
        // A reply nobody read says why (a 421 before an idle close): keep it with the error.
        const last = this.replies.at(-1);
        const why = last === undefined ? '' : ` after ${replyText(last)}`;
        this.failure ??= new EsmtpError('ECONNECTION', `the server closed the connection${why}`, {
          reply: last,
          cause: error,
        });
        this.wake();
      },
    });
  }

  /** The connection is unusable: closed, failed or aborted. */
  get broken(): boolean {
    return this.failure !== undefined;
  }

  get secure(): boolean {
    return this.transport.secure;
  }

  /** A reply has arrived and is waiting to be read. */
  get hasReply(): boolean {
    return this.replies.length > 0;
  }

  /**
   * The error for a call that finds the connection already closed: ECONNECTION, with why it
   * closed in the message and the server's last reply, if it gave one, as `reply`.
   */
  closedError(): EsmtpError {
    const failure = this.failure ?? new EsmtpError('ECONNECTION', 'the connection is closed');
    const message =
      failure.code === 'ECONNECTION'
        ? failure.message
        : `the connection was closed after ${failure.code}: ${failure.message}`;
    return new EsmtpError('ECONNECTION', message, { reply: failure.reply, cause: failure });
  }

  /**
   * Writes `data`: commands that ask for `replies` replies, or a message's octets (none). When the
   * server is slow to take it, waits within `timeout` milliseconds (RFC 5321 4.5.3.2.5 times each
   * send, not the whole message) and until `signal` aborts, or fails and closes.
   */
  async write(
    data: string | Uint8Array,
    replies: number,
    timeout: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.asked += replies;
    if (replies > 0 && typeof data === 'string' && this.trace.on) this.trace.commands(data);
    const drained = this.transport.write(data);
    if (drained === undefined) return;
    await this.within(drained, timeout, signal, `the server took no data for ${timeout} ms`);
    if (this.failure !== undefined) throw this.failure; // closed while waiting
  }

  /** The next reply, within `timeout` milliseconds, or a typed error (the connection is then closed). */
  reply(timeout: number, signal?: AbortSignal): Promise<Reply> {
    // Pipelined replies are mostly here already: no timer for those.
    if (this.replies.length > 0) return Promise.resolve(this.take());
    return this.within(this.nextReply(), timeout, signal, `no reply from the server within ${timeout} ms`);
  }

  /**
   * `work`, if it settles within `timeout` milliseconds and before `signal` aborts. Otherwise the
   * connection is closed and the wait fails with ETIMEOUT (`late` says what was late) or EABORT;
   * `work` is left to finish on its own.
   */
  async within<T>(
    work: Promise<T>,
    timeout: number,
    signal: AbortSignal | undefined,
    late: string,
  ): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      const stop = (error: EsmtpError) => {
        this.fail(error);
        reject(error);
      };
      timer = setTimeout(() => stop(new EsmtpError('ETIMEOUT', late)), timeout);
      if (signal === undefined) return;
      onAbort = () => stop(abortError(signal));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, stopped]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  private async nextReply(): Promise<Reply> {
    while (this.replies.length === 0) {
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    return this.take();
  }

  private take(): Reply {
    this.asked = Math.max(0, this.asked - 1);
    return this.replies.shift() as Reply;
  }

  /**
   * Drops every byte received and not yet read as a reply: after STARTTLS's 220, anything else the
   * server sent in cleartext could be injected (USENIX Security 2021, "NO STARTTLS").
   */
  discardBuffered(): void {
    this.parser.takeRest();
    this.replies.length = 0;
  }

  /**
   * Stops reading once the next reply has arrived: the reply to STARTTLS. A transport over a pulled
   * stream then has no read pending when TLS starts, which a runtime may require (workerd does),
   * and what the server sent after the reply would be discarded anyway. `resumeInput()` reads on
   * when TLS does not start.
   */
  pauseAfterNextReply(): void {
    this.pauseAtReply = true;
  }

  /** Reads again after `pauseAfterNextReply()`. */
  resumeInput(): void {
    this.transport.resume();
  }

  /** Whether the transport can start TLS at all (a web socket opened without STARTTLS cannot). */
  get canStartTls(): boolean {
    return this.transport.startTls !== undefined;
  }

  /** The TLS handshake, within `timeout` milliseconds and until `signal` aborts. */
  async startTls(options: object, timeout: number, signal?: AbortSignal): Promise<void> {
    const startTls = this.transport.startTls?.bind(this.transport);
    if (startTls === undefined) throw new EsmtpError('ETLS', NO_TLS);
    this.discardBuffered();
    this.transport.pause();
    // A server that says 220 and then never shakes hands must not hold the client.
    const late = `no TLS handshake with the server within ${timeout} ms`;
    try {
      await this.within(startTls(options, false), timeout, signal, late);
    } catch (error) {
      if (this.failure !== undefined) throw this.failure; // late or aborted
      this.fail(
        new EsmtpError('ETLS', `TLS handshake failed: ${(error as Error).message}`, { cause: error }),
      );
      throw this.failure;
    }
    this.parser = new ReplyParser();
    this.transport.resume();
  }

  /** Ends the connection with `error` as the reason every later call fails with. */
  fail(error: EsmtpError): void {
    if (this.failure === undefined) this.failure = error;
    this.transport.destroy();
    this.wake();
  }

  /** Closes gracefully (after QUIT). */
  close(): void {
    this.failure ??= new EsmtpError('ECONNECTION', 'the connection is closed');
    if (!this.closedByPeer) this.transport.close();
    this.wake();
  }

  private receive(chunk: Uint8Array): void {
    if (this.failure !== undefined) return;
    this.parser.push(chunk);
    const tracing = this.trace.on;
    try {
      for (let r = this.parser.next(); r !== undefined; r = this.parser.next()) {
        if (tracing) this.trace.replies(encodeReply(r, { enhanced: true }));
        this.replies.push(r);
        if (this.pauseAtReply) {
          this.pauseAtReply = false;
          this.transport.pause();
        }
        if (this.replies.length > this.asked + UNSOLICITED_REPLIES) {
          throw new EsmtpError(
            'EPROTOCOL',
            `the server sent more than ${UNSOLICITED_REPLIES} replies nobody asked for`,
          );
        }
      }
    } catch (error) {
      this.fail(error as EsmtpError); // EPROTOCOL: a malformed reply; nothing after it can be trusted
    }
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

export function abortError(signal: AbortSignal): EsmtpError {
  return new EsmtpError('EABORT', 'the operation was aborted', { cause: signal.reason });
}
