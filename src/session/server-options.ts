/**
 * The options of a server session, with the defaults that protect users, and the extensions it
 * offers in its EHLO reply.
 * @module
 */
import { type Capabilities, emptyCapabilities } from '../protocol/ehlo.js';
import type { MailKeyword, RcptKeyword } from '../protocol/parameters.js';

/** The ESMTP extensions a server can offer; each is on unless switched off. */
export interface ServerExtensions {
  /** RFC 2920. */
  pipelining?: boolean;
  /** RFC 1870: advertise the size limit and accept `SIZE=` on MAIL. The limit applies either way. */
  size?: boolean;
  /** RFC 6152. */
  eightBitMime?: boolean;
  /** RFC 6531. */
  smtpUtf8?: boolean;
  /** RFC 2034: enhanced status codes on every reply after EHLO. */
  enhancedStatusCodes?: boolean;
  /** RFC 3030 BDAT. */
  chunking?: boolean;
  /** RFC 3030 BODY=BINARYMIME (needs chunking). */
  binaryMime?: boolean;
  /** RFC 3461 delivery status notification parameters. */
  dsn?: boolean;
  /** RFC 8689, offered over TLS only. */
  requireTls?: boolean;
}

/** What one session takes before it refuses. Each has a safe default; a limit given must be positive. */
export interface ServerLimits {
  /** Largest message in octets, advertised with SIZE and enforced while streaming. Default 25 MiB. */
  messageSize?: number;
  /** Most recipients in one transaction; more get 452 4.5.3. Default 100 (RFC 5321 4.5.3.1.8). */
  recipients?: number;
  /** Longest command line in octets, CRLF included. Default 4096 (RFC 5321 asks for 512 at least). */
  commandLineLength?: number;
  /**
   * Errors before 421 and close, counted together: bad syntax, bad sequence, unknown commands,
   * unknown SASL mechanisms, cancelled or malformed AUTH exchanges, commands refused for want of
   * TLS or AUTH. Default 10.
   */
  invalidCommands?: number;
  /**
   * Replies of 4xx or 5xx of any kind before 421 4.7.0 and close, as Postfix's
   * `smtpd_hard_error_limit`: client errors, and refusals too (unknown recipients, refused senders
   * and messages), so that a dictionary attack with RCPT ends. A message accepted starts the count
   * again. Default 20.
   */
  errors?: number;
}

/** What the session needs to know of AUTH (RFC 4954); checking credentials is the driver's. */
export interface SessionAuthOptions {
  /** The SASL mechanisms offered, upper-case, in order of preference. */
  mechanisms: readonly string[];
  /** Offer and accept AUTH over cleartext too (default false: 538 5.7.11 before TLS). */
  allowInsecure?: boolean;
  /** MAIL before a successful AUTH gets 530 5.7.0. */
  required?: boolean;
  /** Failed attempts before 421 and close. Default 3. */
  maxFailures?: number;
}

/** How a `ServerSession` behaves: its name, TLS and AUTH, LMTP, extensions, limits and policies. */
export interface ServerSessionOptions {
  /** The name the server gives in its greeting and EHLO reply. */
  hostname: string;
  /** Text after the name in the 220 greeting. Default `ESMTP` (`LMTP` with `lmtp`). */
  greeting?: string;
  /** The connection is already TLS (implicit TLS, or after STARTTLS). */
  secure?: boolean;
  /** STARTTLS can be offered: the driver is able to start TLS on this connection. */
  starttls?: boolean;
  /** MAIL, RCPT, DATA, BDAT and AUTH before TLS get 530 5.7.0 (RFC 3207 4). */
  requireTls?: boolean;
  /** Offer AUTH with these mechanisms. */
  auth?: SessionAuthOptions;
  /** Speak LMTP (RFC 2033): LHLO instead of EHLO, and one reply per recipient after the message. */
  lmtp?: boolean;
  /** The ESMTP extensions to offer after EHLO; each is on unless set to false. */
  extensions?: ServerExtensions;
  /** Message size, recipients, command line length and errors; each has a safe default. */
  limits?: ServerLimits;
  /**
   * What to do with a message that holds a bare CR or bare LF: refuse it whole with 550 5.5.2
   * after its end (default), or turn them into CRLF.
   */
  bareLineEnds?: 'reject' | 'normalize';
  /** Let a bare LF end a command line (default false: such a line gets 500 5.5.2). */
  acceptBareLfInCommands?: boolean;
  /**
   * Message bytes sent before the 354 reply, by a client that did not wait for it, get 554 5.5.0
   * and the connection is closed (default, as Postfix's `smtpd_forbid_unauth_pipelining`). True
   * accepts them.
   */
  allowEarlyData?: boolean;
  /**
   * Called with every command line read (AUTH responses included), without its CRLF, before it is
   * handled: for wire tracing. Keep it cheap; it is on the hot path.
   */
  traceCommand?: (line: Uint8Array) => void;
}

/** Options with every default filled in. */
export interface ResolvedServerOptions {
  /** The name in the 220 greeting and in the replies to the hello and to QUIT. */
  readonly hostname: string;
  /** Text after the name in the 220 greeting: `ESMTP`, or `LMTP`, unless given. */
  readonly greeting: string;
  /** Every extension, on or off. BINARYMIME is on only with CHUNKING. */
  readonly extensions: Required<ServerExtensions>;
  /**
   * Largest message in octets (default 25 MiB). Infinity means no limit, advertised as `SIZE 0`
   * (RFC 1870).
   */
  readonly messageSize: number;
  /** Most recipients in one transaction (default 100). */
  readonly recipients: number;
  /**
   * Longest command line in octets, CRLF included (default 4096). Lines of an AUTH exchange may
   * take 12288 (RFC 4954 4).
   */
  readonly commandLineLength: number;
  /** Client errors before 421 and close (default 10). */
  readonly invalidCommands: number;
  /** Replies of 4xx or 5xx without a message accepted, before 421 and close (default 20). */
  readonly errors: number;
  /** A message with a bare CR or LF is refused (`reject`, default) or has them made CRLF (`normalize`). */
  readonly bareLineEnds: 'reject' | 'normalize';
  /** A bare LF ends a command line (default false: 500 5.5.2). */
  readonly acceptBareLfInCommands: boolean;
  /** Message bytes before the 354 are accepted (default false: 554 5.5.0 and close). */
  readonly allowEarlyData: boolean;
  /** STARTTLS is offered before TLS (default false). */
  readonly starttls: boolean;
  /** MAIL, RCPT, DATA, BDAT and AUTH before TLS get 530 5.7.0 (default false). */
  readonly requireTls: boolean;
  /**
   * AUTH with every default filled in and the mechanisms upper-cased, or undefined when AUTH is not
   * offered.
   */
  readonly auth: Required<SessionAuthOptions> | undefined;
  /** The session speaks LMTP (RFC 2033) instead of SMTP (default false). */
  readonly lmtp: boolean;
  /** Called with every command line read (AUTH responses included), without its CRLF; or undefined. */
  readonly traceCommand: ((line: Uint8Array) => void) | undefined;
}

export const DEFAULT_MESSAGE_SIZE = 25 * 1024 * 1024;

export function resolveServerOptions(options: ServerSessionOptions): ResolvedServerOptions {
  const e = options.extensions ?? {};
  const chunking = e.chunking ?? true;
  const limits = options.limits ?? {};
  return {
    hostname: options.hostname,
    greeting: options.greeting ?? (options.lmtp ? 'LMTP' : 'ESMTP'),
    extensions: {
      pipelining: e.pipelining ?? true,
      size: e.size ?? true,
      eightBitMime: e.eightBitMime ?? true,
      smtpUtf8: e.smtpUtf8 ?? true,
      enhancedStatusCodes: e.enhancedStatusCodes ?? true,
      chunking,
      binaryMime: chunking && (e.binaryMime ?? true),
      dsn: e.dsn ?? true,
      requireTls: e.requireTls ?? true,
    },
    messageSize: positive(limits.messageSize, DEFAULT_MESSAGE_SIZE, 'limits.messageSize'),
    recipients: positive(limits.recipients, 100, 'limits.recipients'),
    commandLineLength: positive(limits.commandLineLength, 4096, 'limits.commandLineLength'),
    invalidCommands: positive(limits.invalidCommands, 10, 'limits.invalidCommands'),
    errors: positive(limits.errors, 20, 'limits.errors'),
    bareLineEnds: options.bareLineEnds ?? 'reject',
    acceptBareLfInCommands: options.acceptBareLfInCommands ?? false,
    allowEarlyData: options.allowEarlyData ?? false,
    traceCommand: options.traceCommand,
    starttls: options.starttls ?? false,
    lmtp: options.lmtp ?? false,
    requireTls: options.requireTls ?? false,
    auth:
      options.auth === undefined
        ? undefined
        : {
            mechanisms: options.auth.mechanisms.map((m) => m.toUpperCase()),
            allowInsecure: options.auth.allowInsecure ?? false,
            required: options.auth.required ?? false,
            maxFailures: positive(options.auth.maxFailures, 3, 'auth.maxFailures'),
          },
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/** What the EHLO reply offers, given the options and whether the connection is secure. */
export function offeredCapabilities(options: ResolvedServerOptions, secure: boolean): Capabilities {
  const e = options.extensions;
  const auth = options.auth;
  return {
    ...emptyCapabilities(),
    startTls: options.starttls && !secure,
    auth: auth !== undefined && (secure || auth.allowInsecure) ? auth.mechanisms : [],
    pipelining: e.pipelining,
    size: e.size ? (Number.isFinite(options.messageSize) ? options.messageSize : 0) : undefined,
    eightBitMime: e.eightBitMime,
    smtpUtf8: e.smtpUtf8,
    enhancedStatusCodes: e.enhancedStatusCodes,
    chunking: e.chunking,
    binaryMime: e.binaryMime,
    dsn: e.dsn,
    requireTls: e.requireTls && secure,
  };
}

/** The MAIL parameters accepted after EHLO, given what is offered. `AUTH=` is always read (RFC 4954 5). */
export function mailKeywords(caps: Capabilities): ReadonlySet<MailKeyword> {
  const keywords = new Set<MailKeyword>(['AUTH']);
  if (caps.size !== undefined) keywords.add('SIZE');
  if (caps.eightBitMime || caps.binaryMime) keywords.add('BODY');
  if (caps.smtpUtf8) keywords.add('SMTPUTF8');
  if (caps.dsn) {
    keywords.add('RET');
    keywords.add('ENVID');
  }
  if (caps.requireTls) keywords.add('REQUIRETLS');
  return keywords;
}

export function rcptKeywords(caps: Capabilities): ReadonlySet<RcptKeyword> {
  return new Set<RcptKeyword>(caps.dsn ? ['NOTIFY', 'ORCPT'] : []);
}
