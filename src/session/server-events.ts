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
  readonly address: Address;
  readonly params: RcptParameters;
}

/** The transaction in progress: the sender and the recipients accepted so far. */
export interface Envelope {
  readonly from: Address | null;
  readonly params: MailParameters;
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
  /** Write these bytes (one or more encoded replies). */
  | { readonly type: 'reply'; readonly reply: Reply; readonly wire: string }
  /** Close the connection once the replies before this event are written. */
  | { readonly type: 'close' }
  /** Decision: a client said EHLO or HELO. */
  | { readonly type: 'helo'; readonly name: string; readonly extended: boolean }
  /** Decision: MAIL FROM. */
  | { readonly type: 'mail'; readonly from: Address | null; readonly params: MailParameters }
  /** Decision: RCPT TO. */
  | { readonly type: 'rcpt'; readonly to: Address; readonly params: RcptParameters }
  /** Decision: EXPN (reject with 502 when nothing answers it). */
  | { readonly type: 'expn'; readonly argument: string }
  /** A message begins: open a stream for it. */
  | { readonly type: 'message-start'; readonly envelope: Envelope }
  /** Message body bytes, unstuffed, in order (views: use them before the next event). */
  | { readonly type: 'message-data'; readonly bytes: Uint8Array }
  /** The message will not be delivered (too big, bare line ends, RSET, connection gone): fail its stream. */
  | { readonly type: 'message-abort'; readonly reason: Reply }
  /** Decision: the message is complete. Accept only once it is safely stored. */
  | { readonly type: 'message-end'; readonly size: number }
  /** Start TLS now (the 220 is in the replies before this event), then call `tlsStarted()`. */
  | { readonly type: 'starttls' }
  /**
   * Decision: the client started AUTH (with its initial response, if any) or answered a challenge.
   * Answer with `authChallenge()`, `authSucceeded()` or `authFailed()`.
   */
  | { readonly type: 'auth'; readonly mechanism: string; readonly response: Uint8Array | undefined }
  /** The client ended the AUTH exchange itself (cancelled, bad base64, line too long): drop its state. */
  | { readonly type: 'auth-end' }
  /**
   * A transaction has ended, for `reason`: drop whatever state was tied to it. Exactly once per
   * transaction, after a `message-abort` for a message in progress and, for `message`, after the
   * message's replies.
   */
  | { readonly type: 'reset'; readonly reason: ResetReason };
