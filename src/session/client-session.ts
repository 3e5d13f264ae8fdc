/**
 * The client side of one SMTP connection as state and decisions, without I/O: what the server
 * offers, whether the connection is secure and authenticated, whether a transaction is left open,
 * which SASL mechanism to use, and how replies map to recipients. `src/client/` drives it.
 * @module
 */
import { type Capabilities, emptyCapabilities, parseEhloReply } from '../protocol/ehlo.js';
import { EsmtpError, type RejectedRecipient } from '../protocol/errors.js';
import type { Reply } from '../protocol/reply.js';

export type { RejectedRecipient };

/** How the client authenticates. */
export type ClientAuth =
  | {
      /** The user name to authenticate as. */
      readonly username: string;
      /** The password, never sent before TLS unless `allowInsecureAuth` says so. */
      readonly password: string;
      /**
       * The SASL mechanism to use; EAUTH when the server does not offer it. Default: the strongest
       * both sides have, SCRAM-SHA-256, then PLAIN, then LOGIN.
       */
      readonly mechanism?: 'SCRAM-SHA-256' | 'PLAIN' | 'LOGIN' | 'CRAM-MD5';
      /**
       * The most PBKDF2 iterations a SCRAM-SHA-256 server may ask for (EAUTH beyond). Default
       * 600,000, OWASP's figure for PBKDF2-HMAC-SHA256 (see `SCRAM_MAX_ITERATIONS`).
       */
      readonly maxScramIterations?: number;
    }
  | {
      /** The user name the token was issued for, usually the mailbox. */
      readonly username: string;
      /**
       * An OAuth 2.0 access token, sent with XOAUTH2; or a function that returns one, called on
       * every AUTH, so that a connection opened later gets a fresh token after the last expired.
       * What the function takes counts against the command timeout and the connection's signal.
       */
      readonly accessToken: string | (() => string | Promise<string>);
      /** XOAUTH2, the only mechanism for a token; EAUTH when the server does not offer it. */
      readonly mechanism?: 'XOAUTH2';
    };

/** What `send()` resolves to. */
export interface SendResult {
  /**
   * The recipients the server took the message for, as written in the envelope's `to`; never empty
   * (when every recipient is refused, `send()` throws EENVELOPE).
   */
  readonly accepted: readonly string[];
  /** The recipients refused, each with its reply. */
  readonly rejected: readonly RejectedRecipient[];
  /** The server's final reply to the message. */
  readonly reply: Reply;
  /** Octets of the message as given (before dot-stuffing). */
  readonly messageSize: number;
}

/**
 * What the client knows of one connection, with no I/O of its own: `SmtpClient` keeps one per
 * connection and updates it as the negotiation and each transaction go on.
 */
export class ClientSession {
  /** What the last EHLO or LHLO reply offers; nothing after HELO, or before any hello. */
  capabilities: Capabilities = emptyCapabilities();
  /** The server answered EHLO (or LHLO), not only HELO. */
  extended = false;
  /** The connection is protected by TLS (implicit TLS, or STARTTLS done). */
  secure: boolean;
  /** AUTH succeeded on this connection. */
  authenticated = false;
  /** A MAIL was accepted and the transaction not finished: RSET before the next one. */
  dirty = false;

  constructor(
    secure: boolean,
    /** The server speaks LMTP (RFC 2033): LHLO, no BDAT, and one reply per recipient after the message. */
    readonly lmtp: boolean,
  ) {
    this.secure = secure;
  }

  /** Takes an EHLO or LHLO reply. */
  learn(reply: Reply): void {
    this.capabilities = parseEhloReply(reply).capabilities;
    this.extended = true;
  }

  /** After HELO: nothing is offered. */
  forget(): void {
    this.capabilities = emptyCapabilities();
    this.extended = false;
  }
}

/**
 * The mechanism to authenticate with: the one asked for, or the strongest both sides allow
 * (SCRAM-SHA-256, then PLAIN, then LOGIN; XOAUTH2 for a token). Throws EAUTH when none fits.
 */
export function chooseMechanism(offered: readonly string[], auth: ClientAuth): string {
  const wanted = auth.mechanism;
  if (wanted !== undefined) {
    if (!offered.includes(wanted)) throw new EsmtpError('EAUTH', `the server does not offer AUTH ${wanted}`);
    return wanted;
  }
  const preference = 'accessToken' in auth ? ['XOAUTH2'] : ['SCRAM-SHA-256', 'PLAIN', 'LOGIN'];
  const found = preference.find((m) => offered.includes(m));
  if (found === undefined) {
    throw new EsmtpError(
      'EAUTH',
      `no usable AUTH mechanism: the server offers ${offered.join(' ') || 'none'}`,
    );
  }
  return found;
}

/** LMTP (RFC 2033 4.2): one reply per accepted recipient, in order, after the message. */
export function lmtpOutcome(
  accepted: readonly string[],
  replies: readonly Reply[],
): { accepted: string[]; rejected: RejectedRecipient[] } {
  const ok: string[] = [];
  const rejected: RejectedRecipient[] = [];
  accepted.forEach((address, i) => {
    const reply = replies[i] as Reply;
    if (reply.code < 400) ok.push(address);
    else rejected.push({ address, reply });
  });
  return { accepted: ok, rejected };
}
