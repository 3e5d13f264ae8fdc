/**
 * The options of `SmtpServer`: the session's protocol options, the hooks, and the limits and
 * timeouts that belong to the connection.
 * @module
 */
import type { Readable } from 'node:stream';
import type { Address } from '../protocol/address.js';
import type { MailParameters, RcptParameters } from '../protocol/parameters.js';
import type { Reply } from '../protocol/reply.js';
import type { ServerLimits, ServerSessionOptions } from '../session/server-options.js';
import type { Envelope, Recipient } from '../session/server-session.js';

/** What the hooks know of a connection. */
export interface SessionInfo {
  /** A unique id for logs. */
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** The connection is protected by TLS. */
  readonly secure: boolean;
  /** The name the client gave with EHLO or HELO. */
  readonly helo: string | undefined;
  /** The authenticated user (AUTH), if any. */
  readonly user: string | undefined;
  /** The transaction in progress. */
  readonly envelope: Envelope | undefined;
}

/**
 * The hooks. Each may return normally to accept, or throw an `SmtpError` to refuse with its reply.
 * Anything else thrown gives 451 4.3.0 and an `error` event; it never ends the process.
 */
export interface ServerHooks {
  /** A client connected; throw to refuse it (the reply is sent instead of the greeting). */
  onConnect?(session: SessionInfo): void | Promise<void>;
  onHelo?(name: string, session: SessionInfo): void | Promise<void>;
  onMailFrom?(from: Address | null, params: MailParameters, session: SessionInfo): void | Promise<void>;
  onRcptTo?(to: Address, params: RcptParameters, session: SessionInfo): void | Promise<void>;
  /**
   * The message body, unstuffed, as a stream with backpressure: the connection pauses while the
   * hook does not read. The 250 is sent only after the returned promise resolves, so resolve only
   * once the message is stored. If the client goes away or the message is refused (too big, bare
   * line ends), the stream errors and nothing is acknowledged.
   */
  onData?(message: Readable, envelope: DataEnvelope, session: SessionInfo): void | Promise<void>;
  /** Answers EXPN with the lines of a 250 reply; without this hook EXPN gets 502. */
  onExpn?(argument: string, session: SessionInfo): readonly string[] | Promise<readonly string[]>;
  /** The connection closed. */
  onClose?(session: SessionInfo): void;
}

/** The envelope handed to `onData`: sender, parameters and the accepted recipients. */
export interface DataEnvelope {
  readonly from: Address | null;
  readonly params: MailParameters;
  readonly recipients: readonly Recipient[];
}

export interface ServerConnectionLimits extends ServerLimits {
  /** Connections at once; more get 421 4.7.0 and are closed. Default 1000. */
  connections?: number;
  /** Connections at once from one address. Default 50. */
  connectionsPerAddress?: number;
}

export interface ServerTimeouts {
  /**
   * How long a command may take to arrive, from the moment the server waits for it: a deadline
   * for the whole line, not a timer each byte resets. Default 5 minutes (RFC 5321 4.5.3.2.7).
   */
  command?: number;
  /**
   * How long a message may take to arrive, from its 354 or first BDAT: this base, plus one second
   * for every `minDataRate` octets received. Default 10 minutes (RFC 5321 4.5.3.2.6).
   */
  data?: number;
  /** Octets per second that extend the data deadline. Default 1024. */
  minDataRate?: number;
}

export interface SmtpServerOptions
  extends Omit<ServerSessionOptions, 'hostname' | 'limits' | 'secure'>,
    ServerHooks {
  /** The server's name in its greeting and EHLO reply. Default `localhost`. */
  hostname?: string;
  limits?: ServerConnectionLimits;
  timeouts?: ServerTimeouts;
}

/** A reply to send when a hook failed with something other than an SmtpError. */
export type HookFailure = { readonly reply: Reply; readonly error: unknown };
