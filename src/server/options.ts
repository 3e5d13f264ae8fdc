/**
 * The options of `SmtpServer`: the session's protocol options, the hooks, and the limits and
 * timeouts that belong to the connection.
 * @module
 */
import type { Readable } from 'node:stream';
import type { Address } from '../protocol/address.js';
import type { SmtpError } from '../protocol/errors.js';
import type { MailParameters, RcptParameters } from '../protocol/parameters.js';
import type { Reply } from '../protocol/reply.js';
import type { ScramKeys } from '../sasl/scram.js';
import type { Credentials } from '../sasl/types.js';
import type { Envelope, ResetReason } from '../session/server-events.js';
import type { ServerLimits, ServerSessionOptions } from '../session/server-options.js';
import type { Logger } from '../tracing/logger.js';
import type { TlsDetails } from '../transport/transport.js';
import type { ConnectionRateLimit } from './connection-rate.js';
import type { ProxyInfo } from './proxy-info.js';
import type { ServerTlsOptions } from './tls.js';

/**
 * What the hooks know of a connection, and the application's own state for it.
 *
 * `state` belongs to the connection: made by the `state` option when the client connects, kept
 * until it goes, across transactions. What belongs to one transaction (the envelope, anything a
 * hook keeps about the message in progress) ends with it: after the message, at RSET, EHLO and
 * STARTTLS; `onReset` says when, so clear such things from `state` there.
 */
export interface SessionInfo<State = DefaultState> {
  /** A unique id for logs. */
  readonly id: string;
  /** The application's state for this connection (see the `state` option). */
  state: State;
  /** The client's IP address. */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** The IP address the client connected to. */
  readonly localAddress: string;
  /** The port the client connected to. */
  readonly localPort: number;
  /** The connection is protected by TLS. */
  readonly secure: boolean;
  /** The name the client gave with EHLO or HELO. */
  readonly helo: string | undefined;
  /** The authenticated user (AUTH), if any. */
  readonly user: string | undefined;
  /** What `authenticate` returned with the user (`{ user, data }`), while authenticated. */
  readonly authData: unknown;
  /** TLS details (protocol, cipher, client certificate), once the connection is secure. */
  readonly tls: TlsDetails | undefined;
  /** The transaction in progress. */
  readonly envelope: Envelope | undefined;
  /**
   * The proxy that relayed the connection with a PROXY header (see the `proxyProtocol` option):
   * its own address and what its header said. Undefined for a connection that came without one.
   */
  readonly proxy: ProxyInfo | undefined;
}

/** The state of a connection when the server is not told its type. */
export type DefaultState = Record<string, unknown>;

/**
 * What a hook returns: nothing to accept with the standard reply, or a `Reply` (from `reply()`) to
 * answer with. A 2xx reply accepts with its own text (`250 2.0.0 Queued as 4F2A1`); a 4xx or 5xx
 * reply refuses, as throwing an `SmtpError` with it would.
 */
export type HookAnswer = Reply | undefined;

/**
 * LMTP (RFC 2033 4.2): what `onData` may return instead, one outcome per accepted recipient in the
 * envelope's order: nothing for the standard 250, a `Reply`, or an `SmtpError`. One full mailbox
 * then fails only its own recipient.
 */
export type RecipientOutcomes = readonly (Reply | SmtpError | undefined)[];

/** What `onData` may return: as any hook, or with LMTP one outcome per recipient. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing has a void type
export type DataHookResult = DataAnswer | void | Promise<DataAnswer | void>;

/** An answer `onData` may give: one reply for the message, or with LMTP one outcome per recipient. */
export type DataAnswer = HookAnswer | RecipientOutcomes;

/** What a hook may return: an answer or nothing, now or as a promise. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing has a void type
export type HookResult = HookAnswer | void | Promise<HookAnswer | void>;

/**
 * The hooks. Each may return nothing to accept, return a `Reply` to answer with its own (see
 * `HookAnswer`), or throw an `SmtpError` to refuse with its reply. Anything else thrown (or a reply
 * of the wrong kind) gives 451 4.3.0 and an `error` event; it never ends the process.
 */
export interface ServerHooks<State = DefaultState> {
  /**
   * A client connected. A 220 reply returned replaces the greeting; a refusal is sent instead of it
   * and the connection closes.
   */
  onConnect?(session: SessionInfo<State>): HookResult;
  /** After the TLS handshake (implicit TLS or STARTTLS), with `session.tls`; refuse to close the connection. */
  onSecure?(session: SessionInfo<State>): void | Promise<void>;
  /** EHLO, HELO or LHLO with the name the client gave (a domain or an address literal). */
  onHelo?(name: string, session: SessionInfo<State>): HookResult;
  /**
   * MAIL FROM, with the sender (null for the null path `<>` of bounces) and its parameters.
   * Refuse here to refuse the whole transaction.
   */
  onMailFrom?(from: Address | null, params: MailParameters, session: SessionInfo<State>): HookResult;
  /**
   * RCPT TO, once per recipient: decide here who is local and who may relay (without this hook
   * every recipient is accepted). A refusal drops this recipient only.
   */
  onRcptTo?(to: Address, params: RcptParameters, session: SessionInfo<State>): HookResult;
  /**
   * The message body, unstuffed, as a stream with backpressure: the connection pauses while the
   * hook does not read. The 250 is sent only after the returned promise resolves, so resolve only
   * once the message is stored. If the client goes away or the message is refused (too big, bare
   * line ends), the stream errors and nothing is acknowledged. A hook may stop reading early (return,
   * throw, destroy the stream, a failed pipeline): the rest is read and dropped.
   */
  onData?(message: Readable, envelope: Envelope, session: SessionInfo<State>): DataHookResult;
  /** Answers EXPN with the lines of a 250 reply; without this hook EXPN gets 502. */
  onExpn?(argument: string, session: SessionInfo<State>): readonly string[] | Promise<readonly string[]>;
  /**
   * A transaction ended: after its message (`'message'`, accepted or refused), at RSET (`'rset'`),
   * a new EHLO or HELO (`'helo'`), STARTTLS (`'starttls'`), or because the connection ended
   * (`'aborted'`). Once per transaction, for dropping what the hooks kept about it in
   * `session.state`.
   */
  onReset?(reason: ResetReason, session: SessionInfo<State>): void;
  /** The connection closed. */
  onClose?(session: SessionInfo<State>): void;
}

/** The session's limits, and how many connections the server takes at once. */
export interface ServerConnectionLimits extends ServerLimits {
  /** Connections at once; more get 421 4.7.0 and are closed. Default 1000. */
  connections?: number;
  /** Connections at once from one address. Default 50. */
  connectionsPerAddress?: number;
  /**
   * New connections one client may open in `interval` milliseconds, as Postfix's
   * `smtpd_client_connection_rate_limit`: more get 421 4.7.0 and are closed until the window that
   * its first connection opened ends. Every connection counts, refused or not. A client is an IPv4
   * address, or the /64 network of an IPv6 address (one subscriber's). Default: no limit, as in
   * Postfix; a public server might take `{ connections: 60, interval: 60_000 }`.
   */
  connectionRate?: ConnectionRateLimit;
}

/** How long the server waits for the client and for its own hooks, in milliseconds. */
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
  /**
   * How long a hook may take to settle (`onData` from the end of the message). One that takes
   * longer is reported as an `error` event; the client gets 421 4.3.0 and the connection closes,
   * and the hook's late answer is ignored. Default 5 minutes, within the 5 and 10 minutes that
   * RFC 5321 4.5.3.2 tells clients to wait.
   */
  hook?: number;
}

/** The SASL mechanisms the server can offer. */
export type SaslMechanismName = 'SCRAM-SHA-256' | 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2';

/**
 * What `authenticate` resolves to: the user name to keep on the session, `true` for the name the
 * client gave, `false` to refuse, or `{ user, data }` to keep an object of the application's (an
 * account record, say) with the user as `session.authData`.
 */
export type AuthVerdict =
  | string
  | boolean
  | {
      /** The user name to keep as `session.user`. */
      readonly user: string;
      /** Anything of the application's, kept as `session.authData` while authenticated. */
      readonly data?: unknown;
    };

/** Authentication (RFC 4954). */
export interface ServerAuthOptions<State = DefaultState> {
  /**
   * The mechanisms to offer, in order. Default: SCRAM-SHA-256 when `scramKeys` is given, and PLAIN
   * and LOGIN when `authenticate` is given. CRAM-MD5 and XOAUTH2 only when listed here.
   */
  mechanisms?: readonly SaslMechanismName[];
  /**
   * Checks credentials (see `AuthVerdict` for what it resolves to). For SCRAM-SHA-256 the password
   * was already proven against the stored keys; without this hook such a client is accepted.
   */
  authenticate?(credentials: Credentials, session: SessionInfo<State>): AuthVerdict | Promise<AuthVerdict>;
  /** SCRAM-SHA-256: the keys stored for a user (see `scramKeys()`), or undefined when there is no such user. */
  scramKeys?(
    username: string,
    session: SessionInfo<State>,
  ): ScramKeys | undefined | Promise<ScramKeys | undefined>;
  /** May `user` act as `authzid` (PLAIN, SCRAM)? Without this hook, never: 535. */
  authorize?(authzid: string, user: string, session: SessionInfo<State>): boolean | Promise<boolean>;
  /** Failed attempts before 421 and close. Default 3. */
  maxFailures?: number;
  /**
   * Milliseconds to wait before every failure reply, the same for an unknown user and a wrong
   * password. Default 1000.
   */
  failureDelay?: number;
  /** MAIL FROM must be the authenticated user's own address (553 5.7.1 otherwise), or ask a function. */
  senderMustMatch?: boolean | ((from: Address | null, user: string) => boolean);
}

/**
 * Connections relayed by load balancers that speak the PROXY protocol (HAProxy's, versions 1 and
 * 2; nginx, Envoy, AWS NLB and others send it too).
 */
export interface ProxyProtocolOptions {
  /**
   * The proxies, as CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`) or single addresses. A
   * connection from one of them must begin with a PROXY header, and is then served as the
   * client's: `session.remoteAddress`, the logs and the per-address limit see the client's
   * address, `session.proxy` the proxy's. Anyone else is an ordinary client, whose `PROXY` line
   * is an unknown command.
   */
  trusted: readonly string[];
  /**
   * Milliseconds a trusted peer has to send its whole header, however it trickles it in; one
   * that has not, or sends an invalid header, is closed without a greeting. Default 5000.
   */
  timeout?: number;
}

export interface SmtpServerOptions<State = DefaultState>
  extends Omit<
      ServerSessionOptions,
      'hostname' | 'limits' | 'secure' | 'starttls' | 'requireTls' | 'auth' | 'traceCommand'
    >,
    ServerHooks<State> {
  /** The server's name in its greeting and EHLO reply. Default `localhost`. */
  hostname?: string;
  /**
   * Makes the state of each connection (`session.state`), when the client connects. Default: an
   * empty object. Give it whenever the server is typed with a state of its own
   * (`new SmtpServer<MyState>({ state: () => ({ ... }) })`).
   */
  state?(session: SessionInfo<State>): State;
  /** Message size, recipients, line length, errors and connections; each has a safe default. */
  limits?: ServerConnectionLimits;
  /** Deadlines for commands, messages and hooks. */
  timeouts?: ServerTimeouts;
  /** Certificates: STARTTLS is offered when these are given (and needed for `secure`). */
  tls?: ServerTlsOptions;
  /** Implicit TLS (RFC 8314, the port 465 style): every connection starts with the handshake. */
  secure?: boolean;
  /** MAIL, RCPT, DATA, BDAT and AUTH before STARTTLS get 530 5.7.0. */
  requireTls?: boolean;
  /**
   * Read a PROXY header (versions 1 and 2) from the load balancers listed, before the greeting
   * and before the TLS handshake of `secure`, and serve each of their connections as the
   * client's. Off by default: without it a PROXY header is an unknown command.
   */
  proxyProtocol?: ProxyProtocolOptions;
  /** Offer AUTH. */
  auth?: ServerAuthOptions<State>;
  /** Offer and accept AUTH without TLS (default false: 538 5.7.11). For tests and trusted networks only. */
  allowInsecureAuth?: boolean;
  /** MAIL before a successful AUTH gets 530 5.7.0. */
  requireAuth?: boolean;
  /**
   * Where to log (pino's shape: `debug`, `info`, `warn`, `error`, each `(fields, message)`): at
   * `info` connections and every refusal with its reason, at `error` failing hooks when there is no
   * `error` listener, at `debug` every command and reply line with AUTH payloads redacted. Default:
   * silent.
   */
  logger?: Logger;
}
