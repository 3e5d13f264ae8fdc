/**
 * The error types of esmtp.
 *
 * - {@link SmtpError}: an SMTP reply as an error. A server hook throws one to refuse with that reply;
 *   a parser throws one carrying the reply a server should send; the client throws one when the
 *   server refused. `code` is the numeric reply code.
 * - {@link EsmtpError}: everything else that can go wrong on the client side, with a string `code`
 *   in the Node style (`ETIMEOUT`, `ETLS`, ...) to branch on.
 * - {@link ProxyHeaderError}: a PROXY protocol header that could not be read.
 * @module
 */
import { type Reply, reply, replyText } from './reply.js';

// The package ships an ES module and a CommonJS build; an application can load both (the
// dual-package hazard), and then each build has its own classes. `instanceof` checks these
// registry-wide brands instead of the class identity, so an error made by one build is recognised by
// the other.
const SMTP_ERROR = Symbol.for('esmtp.SmtpError');
const ESMTP_ERROR = Symbol.for('esmtp.EsmtpError');
const PROXY_HEADER_ERROR = Symbol.for('esmtp.ProxyHeaderError');

/**
 * `instanceof` for a branded class: any object carrying the brand, from either build; a subclass
 * keeps the ordinary prototype check.
 */
/**
 * How far a failed `send()` got, in the `sent` property of its error:
 *
 * - `'nothing'`: the server did not accept MAIL FROM (the call failed before sending it, the server
 *   refused it, or no reply came). Nothing of the message is at the server, and a message given as
 *   a stream was not read: sending it again, anywhere, is safe.
 * - `'envelope'`: MAIL FROM was accepted, but the end of the message was not sent. The server cannot
 *   have taken the message (it drops the unfinished transaction); a stream may have been read in part.
 * - `'message'`: the end of the message was sent. With a reply (an `SmtpError`) the server refused
 *   the message; without one (`ECONNECTION`, `ETIMEOUT`, `EPROTOCOL`, `EABORT`) whether it was
 *   delivered is unknown, and sending it again may deliver it twice.
 */
export type SendProgress = 'nothing' | 'envelope' | 'message';

function branded(
  cls: abstract new (...args: never[]) => unknown,
  brand: symbol,
  self: unknown,
  value: unknown,
): boolean {
  if (self !== cls) return Function.prototype[Symbol.hasInstance].call(self, value);
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * An SMTP reply carried as an error. A server hook throws one to refuse with its reply, so there it
 * must carry a 4xx or 5xx code: one with a 2xx or 3xx code is not sent (it is a bug in the hook: the
 * client gets 451 4.3.0 and the server an `error` event).
 */
export class SmtpError extends Error {
  /** Always `'SmtpError'`, so that logs and stack traces say what the error is. */
  override readonly name = 'SmtpError';
  /** The brand that `instanceof SmtpError` checks, the same in the ESM and CommonJS builds. */
  declare readonly [SMTP_ERROR]: true;
  /** The reply this error stands for, as it goes on the wire. */
  readonly reply: Reply;
  /**
   * How far the client's `send()` that failed with this refusal got (see {@link SendProgress});
   * undefined on an error from anything else.
   */
  declare readonly sent?: SendProgress;

  /**
   * `new SmtpError(550, '5.7.1', 'relaying denied')`, `new SmtpError(550, 'no such user')`, or
   * `new SmtpError(reply)`.
   */
  constructor(code: number, enhanced: string | undefined, text: string | readonly string[]);
  constructor(code: number, text: string);
  constructor(reply: Reply);
  constructor(codeOrReply: number | Reply, ...rest: [(string | undefined)?, (string | readonly string[])?]) {
    let r: Reply;
    if (typeof codeOrReply !== 'number') r = codeOrReply;
    else if (rest.length === 1) r = reply(codeOrReply, undefined, rest[0] ?? '');
    else r = reply(codeOrReply, rest[0], rest[1] ?? '');
    if (!Number.isInteger(r.code) || r.code < 200 || r.code > 599) {
      throw new RangeError(`SMTP reply code must be an integer from 200 to 599, got ${String(r.code)}`);
    }
    super(replyText(r));
    this.reply = r;
  }

  /** `error instanceof SmtpError` holds for an `SmtpError` from either build of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` was asked about
    return branded(SmtpError, SMTP_ERROR, this, value);
  }

  /** The numeric reply code, such as 550. */
  get code(): number {
    return this.reply.code;
  }

  /** The enhanced status code, such as `5.7.1`, if the reply has one. */
  get enhanced(): string | undefined {
    return this.reply.enhanced;
  }

  /**
   * On the client, when the server refused the message after its RCPTs: the recipients it had
   * already refused, each with its own reply (the others are refused by this error's reply).
   * Empty otherwise.
   */
  rejected: readonly RejectedRecipient[] = [];
}

/** A recipient the server refused, with its reply (in `send()`'s result, and on its errors). */
export interface RejectedRecipient {
  /** The recipient as written in the envelope's `to`. */
  readonly address: string;
  /** The server's 4xx or 5xx reply to its RCPT, or with LMTP to the message. */
  readonly reply: Reply;
}

/** The codes of {@link EsmtpError}. */
export type EsmtpErrorCode =
  /** A connect, greeting, command or data deadline passed. */
  | 'ETIMEOUT'
  /** The peer broke the protocol: a malformed or unexpected reply. */
  | 'EPROTOCOL'
  /** TLS was required and could not be had, or the handshake or certificate check failed. */
  | 'ETLS'
  /** Authentication failed or could not be attempted safely. */
  | 'EAUTH'
  /** The envelope is invalid (bad address, no recipients) or was refused whole. */
  | 'EENVELOPE'
  /** The message is larger than the server accepts. */
  | 'ESIZE'
  /** The envelope needs SMTPUTF8 and the server does not offer it. */
  | 'EUTF8'
  /** The message itself cannot be sent as it is (bare line ends in strict mode, 8-bit data without 8BITMIME). */
  | 'EMESSAGE'
  /** The connection failed or closed unexpectedly. */
  | 'ECONNECTION'
  /** The operation was aborted through its AbortSignal. */
  | 'EABORT'
  /**
   * The whole message was sent and its reply never came (the connection was lost, the reply was
   * late or malformed): it may or may not have been delivered. `SmtpPool` does not send it again.
   */
  | 'EUNCERTAIN'
  /** `SmtpPool.send()`: as many sends as `maxQueued` are already waiting; this one was not taken. */
  | 'EQUEUEFULL'
  /** `SmtpPool.send()`: the pool is closing or closed and takes no more messages. */
  | 'ECLOSED'
  /** This runtime cannot do what was asked (`SmtpServer.listen()` on Cloudflare Workers). */
  | 'EUNSUPPORTED';

/** A typed, non-reply error. Branch on `code`. */
export class EsmtpError extends Error {
  /** Always `'EsmtpError'`, so that logs and stack traces say what the error is. */
  override readonly name = 'EsmtpError';
  /** The brand that `instanceof EsmtpError` checks, the same in the ESM and CommonJS builds. */
  declare readonly [ESMTP_ERROR]: true;
  /** What went wrong, to branch on: `ETIMEOUT`, `ETLS`, `EAUTH`, ... (see {@link EsmtpErrorCode}). */
  readonly code: EsmtpErrorCode;
  /** The server reply behind this error, when there was one. */
  readonly reply: Reply | undefined;
  /**
   * How far the client's `send()` that failed with this error got (see {@link SendProgress});
   * undefined on an error from anything else.
   */
  declare readonly sent?: SendProgress;
  /**
   * The recipients the server refused, each with its reply: with `EENVELOPE` from `send()`, every
   * recipient. Empty otherwise.
   */
  readonly rejected: readonly RejectedRecipient[];

  constructor(
    code: EsmtpErrorCode,
    message: string,
    options: {
      reply?: Reply;
      cause?: unknown;
      rejected?: readonly RejectedRecipient[];
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reply = options.reply;
    this.rejected = options.rejected ?? [];
  }

  /** `error instanceof EsmtpError` holds for an `EsmtpError` from either build of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` was asked about
    return branded(EsmtpError, ESMTP_ERROR, this, value);
  }
}

/** The codes of {@link ProxyHeaderError}. */
export type ProxyHeaderErrorCode =
  /** The bytes do not begin with a PROXY header (neither `PROXY ` nor the version 2 signature). */
  | 'ENOTPROXY'
  /** The header breaks the grammar: a bad field, address, port, version, command, family or TLV. */
  | 'EMALFORMED'
  /** A version 1 line without its CRLF within 107 octets, or a version 2 header over the limit. */
  | 'ETOOLONG'
  /** A version 2 header whose CRC32C TLV does not match its bytes. */
  | 'ECHECKSUM';

/** A PROXY protocol header (version 1 or 2) that could not be read. Branch on `code`. */
export class ProxyHeaderError extends Error {
  /** Always `'ProxyHeaderError'`, so that logs and stack traces say what the error is. */
  override readonly name = 'ProxyHeaderError';
  /** The brand that `instanceof ProxyHeaderError` checks, the same in the ESM and CommonJS builds. */
  declare readonly [PROXY_HEADER_ERROR]: true;
  /** What was wrong: see {@link ProxyHeaderErrorCode}. */
  readonly code: ProxyHeaderErrorCode;

  constructor(code: ProxyHeaderErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  /** `error instanceof ProxyHeaderError` holds for one from either build of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` was asked about
    return branded(ProxyHeaderError, PROXY_HEADER_ERROR, this, value);
  }
}

// On the prototypes, so that every instance carries the brand at no cost per error.
Object.defineProperty(SmtpError.prototype, SMTP_ERROR, { value: true });
Object.defineProperty(EsmtpError.prototype, ESMTP_ERROR, { value: true });
Object.defineProperty(ProxyHeaderError.prototype, PROXY_HEADER_ERROR, { value: true });
