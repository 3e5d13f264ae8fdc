/**
 * What a server session and its driver say to each other: the events it emits and the envelope it
 * keeps. (The session itself is in server-session.ts.)
 * @module
 */
import type { Address } from '../protocol/address.js';
import type { MailParameters, RcptParameters } from '../protocol/parameters.js';
import type { Reply } from '../protocol/reply.js';

/** One accepted recipient. */
export interface Recipient {
  /** The forward-path, parsed. `<Postmaster>` has an empty domain. */
  readonly address: Address;
  /** Its RCPT parameters (NOTIFY=, ORCPT=). */
  readonly params: RcptParameters;
}

/** The transaction in progress: the sender and the recipients accepted so far. */
export interface Envelope {
  /** The sender, or null for the null path `<>` (a bounce). */
  readonly from: Address | null;
  /** The MAIL parameters (SIZE=, BODY=, SMTPUTF8, RET=, ENVID=, ...). */
  readonly params: MailParameters;
  /** The recipients accepted so far, in order. */
  readonly recipients: readonly Recipient[];
}

/**
 * Why a transaction (an envelope that an accepted MAIL started) ended: `rset`; `helo` (EHLO, HELO
 * or LHLO); `starttls`; `message`, after the message's final reply, whether it was accepted or
 * refused; `aborted`, when QUIT, a shutdown, too many errors or a lost connection ended it.
 */
export type ResetReason = 'rset' | 'helo' | 'starttls' | 'message' | 'aborted';

/** What the session asks of its driver. Events marked "decision" wait for `accept()` or `reject()`. */
export type ServerEvent =
  /** Send a reply: write `wire` as it is. */
  | {
      /** Tells the events apart. */
      readonly type: 'reply';
      /** The reply as a value, to look at (its code, say); `wire` is what to send. */
      readonly reply: Reply;
      /**
       * The reply encoded, CRLF after each line, with its enhanced status code once EHLO has
       * negotiated ENHANCEDSTATUSCODES.
       */
      readonly wire: string;
    }
  /** Close the connection once the replies before this event are written. */
  | {
      /** Tells the events apart. */
      readonly type: 'close';
    }
  /** Decision: a client said EHLO, HELO or LHLO. */
  | {
      /** Tells the events apart. */
      readonly type: 'helo';
      /** The name the client gave itself: a domain or an address literal such as `[192.0.2.1]`. */
      readonly name: string;
      /** EHLO or LHLO (true), or HELO (false): only the former get the extensions. */
      readonly extended: boolean;
    }
  /** Decision: MAIL FROM. */
  | {
      /** Tells the events apart. */
      readonly type: 'mail';
      /** The sender, or null for the null path `<>` (a bounce). */
      readonly from: Address | null;
      /**
       * The MAIL parameters, checked against what the EHLO reply offered (none after HELO), SIZE=
       * within the limit, and AUTH= read as `<>` until the client has authenticated (RFC 4954 5).
       */
      readonly params: MailParameters;
    }
  /** Decision: RCPT TO. */
  | {
      /** Tells the events apart. */
      readonly type: 'rcpt';
      /** The recipient. `<Postmaster>` has an empty domain. */
      readonly to: Address;
      /** The RCPT parameters (NOTIFY= and ORCPT=, when DSN is offered). */
      readonly params: RcptParameters;
    }
  /** Decision: EXPN (reject with 502 when nothing answers it). */
  | {
      /** Tells the events apart. */
      readonly type: 'expn';
      /** The text after EXPN: the mailing list asked about, unchecked. */
      readonly argument: string;
    }
  /** A message begins: open a stream for it. */
  | {
      /** Tells the events apart. */
      readonly type: 'message-start';
      /** The transaction the message belongs to: its sender and accepted recipients. */
      readonly envelope: Envelope;
    }
  /** Message body bytes, unstuffed, in order (views: use them before the next event). */
  | {
      /** Tells the events apart. */
      readonly type: 'message-data';
      /** The next body bytes, a view: use or copy them before taking the next event. */
      readonly bytes: Uint8Array;
    }
  /** The message will not be delivered (too big, bare line ends, RSET, connection gone): fail its stream. */
  | {
      /** Tells the events apart. */
      readonly type: 'message-abort';
      /**
       * Why, as the reply the client gets or would have got: 552 5.3.4 too big, 550 5.5.2 bare line
       * ends, 250 when RSET or a new hello ended it, 451 4.3.0 when the session was cut short.
       */
      readonly reason: Reply;
    }
  /** Decision: the message is complete. Accept only once it is safely stored. */
  | {
      /** Tells the events apart. */
      readonly type: 'message-end';
      /** The body's size in octets as received: after dot-unstuffing, before line ends are normalised. */
      readonly size: number;
    }
  /** Start TLS now (the 220 is in the replies before this event), then call `tlsStarted()`. */
  | {
      /** Tells the events apart. */
      readonly type: 'starttls';
    }
  /**
   * Decision: the client started AUTH (with its initial response, if any) or answered a challenge.
   * Answer with `authChallenge()`, `authSucceeded()` or `authFailed()`.
   */
  | {
      /** Tells the events apart. */
      readonly type: 'auth';
      /** The SASL mechanism, upper-cased, one of those offered. */
      readonly mechanism: string;
      /**
       * The client's response, decoded from base64 (empty for `=`), or undefined when AUTH came
       * without an initial response.
       */
      readonly response: Uint8Array | undefined;
    }
  /** The client ended the AUTH exchange itself (cancelled, bad base64, line too long): drop its state. */
  | {
      /** Tells the events apart. */
      readonly type: 'auth-end';
    }
  /**
   * A transaction has ended, for `reason`: drop whatever state was tied to it. Exactly once per
   * transaction, after a `message-abort` for a message in progress and, for `message`, after the
   * message's replies.
   */
  | {
      /** Tells the events apart. */
      readonly type: 'reset';
      /** What ended the transaction. */
      readonly reason: ResetReason;
    };
