/**
 * The server side of one SMTP connection as a pure state machine: bytes in, replies and events out.
 * It decides sequencing, syntax, limits and what each extension allows; whatever needs the
 * application (the hooks) comes out as an event that waits for an answer.
 *
 * This class is the façade. The states are in `server/state.ts` (with how they fit together), the
 * input reader in `server/input.ts`, each command in a `server/cmd-*.ts` of its own.
 * @module
 */
import { type Reply, reply } from '../protocol/reply.js';
import { AuthReplies } from './auth-lines.js';
import * as auth from './server/cmd-auth.js';
import { tlsStarted } from './server/cmd-starttls.js';
import { SessionCore } from './server/core.js';
import * as decisions from './server/decisions.js';
import { step } from './server/input.js';
import { envelopeOf } from './server/state.js';
import type { Envelope, ServerEvent } from './server-events.js';
import {
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerSessionOptions,
} from './server-options.js';

/** Options resolved already, handed from `sessionWithResolvedOptions()` to the constructor it calls. */
let resolving: ResolvedServerOptions | undefined;

/**
 * The server side of one SMTP or LMTP connection, pure: `push()` the bytes received, then take
 * `next()` events until it gives undefined. Write each `reply` event's `wire`, close on `close`,
 * and answer each decision event with `accept()` or `reject()` (or the AUTH and `settleMessage()`
 * calls) before more is read. It does no I/O and keeps no time: timeouts are the driver's, which
 * ends the session with `shutdown()`.
 */
export class ServerSession {
  /**
   * The options it runs with, every default filled in. Those of an `SmtpServer`'s sessions are
   * one object, resolved once, and their `traceCommand` is the connection's own, not this one.
   */
  readonly options: ResolvedServerOptions;
  private readonly s: SessionCore;

  constructor(options: ServerSessionOptions) {
    this.options = resolving ?? resolveServerOptions(options);
    this.s = new SessionCore(this.options, options.secure ?? false, options.traceCommand);
  }

  /** The 220 greeting to send once the connection is accepted. */
  greeting(): ServerEvent {
    const text = `${this.options.hostname} ${this.options.greeting}`;
    return this.s.replyEvent(reply(220, undefined, text), false); // made for this session: not cached
  }

  /** The user name a successful AUTH established. */
  get user(): string | undefined {
    return this.s.user;
  }

  /** The name given with EHLO or HELO, and whether it was EHLO. */
  get helo():
    | {
        /** The name the client gave itself: a domain or an address literal. */
        readonly name: string;
        /** It said EHLO or LHLO rather than HELO. */
        readonly extended: boolean;
      }
    | undefined {
    return this.s.hello;
  }

  /** The transaction in progress, if any. */
  get envelope(): Envelope | undefined {
    return envelopeOf(this.s.transaction);
  }

  /** Replies carry enhanced status codes (after EHLO, with ENHANCEDSTATUSCODES on). */
  get enhancedCodes(): boolean {
    return this.s.enhancedCodes;
  }

  /** The connection is protected by TLS: secure from the start, or after `tlsStarted()`. */
  get secure(): boolean {
    return this.s.secure;
  }

  /** True while a message is being received (between DATA or the first BDAT and its end). */
  get inMessage(): boolean {
    return this.s.transaction.type === 'message';
  }

  /** True when the session waits for an answer to a decision event. */
  get waiting(): boolean {
    return this.s.input.type === 'asking';
  }

  /** True once the session has ended (after a `close` event, or `connectionLost()`); input is ignored from then on. */
  get closed(): boolean {
    return this.s.input.type === 'closed';
  }

  /** Bytes received and not yet processed. */
  get buffered(): number {
    return this.s.buffered;
  }

  /** Adds received bytes. The session keeps views of them; do not reuse the chunk. */
  push(chunk: Uint8Array): void {
    const input = this.s.input.type;
    // Nothing sent before the TLS handshake may be used after it (RFC 3207 6, CVE-2011-0411).
    if (input !== 'closed' && input !== 'tls-handshake' && chunk.length > 0) this.s.queue.push(chunk);
  }

  /** The next event, or undefined when more input (or a decision) is needed. */
  next(): ServerEvent | undefined {
    const s = this.s;
    for (;;) {
      const event = s.takeEvent();
      if (event !== undefined || !step(s)) return event;
    }
  }

  /**
   * Accepts what the last decision event asked about, with the standard reply or `custom`. Does
   * nothing when the session was shut down while the decision was pending. A `message-end` with
   * LMTP gives every recipient the same reply.
   */
  accept(custom?: Reply): void {
    decisions.accept(this.s, custom);
  }

  /** Refuses what the last decision event asked about with `refusal`. */
  reject(refusal: Reply): void {
    decisions.reject(this.s, refusal);
  }

  /**
   * Answers the pending `message-end`: with LMTP one reply per accepted recipient, in the order
   * they were accepted, each 2xx, 4xx or 5xx on its own (RFC 2033 4.2); with SMTP exactly one.
   * Throws an Error when the count is wrong or no message-end is pending. Does nothing when the
   * session was shut down while the decision was pending.
   */
  settleMessage(outcomes: readonly Reply[]): void {
    decisions.settleMessage(this.s, outcomes);
  }

  /**
   * Ends the session from outside (timeout, shutdown): a message in progress is aborted, `final` is
   * sent when given, then the connection closes.
   */
  shutdown(final?: Reply): void {
    const s = this.s;
    if (s.input.type === 'closed') return;
    s.endTransaction('aborted');
    if (final !== undefined) s.reply(final);
    s.close();
  }

  /** The connection is gone: abort a message in progress. No reply can be sent any more. */
  connectionLost(): void {
    const s = this.s;
    if (s.input.type === 'closed') return;
    s.endTransaction('aborted');
    s.drop();
  }

  // ---- STARTTLS and AUTH -----------------------------------------------------------------------

  /** The handshake succeeded: everything known before it is forgotten (RFC 3207 4.2). */
  tlsStarted(): void {
    tlsStarted(this.s);
  }

  /** Sends a challenge (334) in the AUTH exchange; the client's answer comes as another `auth` event. */
  authChallenge(challenge: Uint8Array): void {
    auth.authChallenge(this.s, challenge);
  }

  /** The client authenticated as `user` (235). */
  authSucceeded(user: string): void {
    auth.authSucceeded(this.s, user);
  }

  /** Authentication failed: 535 5.7.8 (or `refusal`), and 421 once there were too many failures. */
  authFailed(refusal: Reply = AuthReplies.failed): void {
    auth.authFailed(this.s, refusal);
  }
}

/**
 * A session from options resolved already: a server resolves them once for all its connections
 * (and what EHLO offers is then worked out once too). Each connection gives its own `secure` and
 * `traceCommand`; the session's `options` are the shared object. Not exported by the package.
 */
export function sessionWithResolvedOptions(
  options: ResolvedServerOptions,
  secure: boolean,
  traceCommand?: (line: Uint8Array) => void,
): ServerSession {
  resolving = options;
  try {
    return new ServerSession({ hostname: options.hostname, secure, traceCommand });
  } finally {
    resolving = undefined;
  }
}
