/**
 * The states of a server session, as tagged unions: a combination the protocol does not allow
 * cannot be written down.
 *
 * Theory of operation
 * ===================
 *
 * A session is three small machines and a few facts.
 *
 * 1. The input machine says what the next bytes are, or that none are read:
 *
 *    ```text
 *    commands ──EHLO, MAIL, RCPT, EXPN, AUTH──▶ asking ──the driver's answer──▶ commands
 *    asking (auth) ──authChallenge()──▶ auth-response ──the client's line──▶ asking (auth)
 *    auth-response ──a cancelled or malformed line──▶ commands
 *    commands ──DATA, BDAT──▶ message ──the part's end──▶ commands, or asking (message-end)
 *    commands ──a refused BDAT──▶ skip ──the chunk's octets──▶ commands
 *    commands ──STARTTLS──▶ tls-handshake ──tlsStarted()──▶ commands
 *    any ──QUIT, too many errors, shutdown(), connectionLost()──▶ closed
 *    ```
 *
 *    While `asking`, the session waits for its driver: it reads nothing until the question is
 *    answered. In `tls-handshake` and `closed` every byte pushed is dropped.
 *
 * 2. The transaction machine follows RFC 5321's mail transaction:
 *
 *    ```text
 *    idle ──MAIL accepted──▶ envelope ──DATA, first BDAT──▶ message ──last part read──▶ envelope
 *    envelope, message ──RSET, EHLO, STARTTLS, QUIT, close, the message's reply──▶ idle
 *    message ──a chunk before the last refused──▶ chunks-refused ──any command but BDAT──▶ idle
 *    ```
 *
 *    Every way out of `envelope` or `message` goes through one function, `endTransaction()`,
 *    which emits the `reset` event: exactly once per transaction. `chunks-refused` is no
 *    transaction: it remembers why the
 *    message failed, so that the BDATs the client had already pipelined behind the failed chunk
 *    get the same reply and are not counted as errors (RFC 3030 4.2). After its last part the
 *    message is whole and the transaction is back to its envelope, while the driver decides.
 *
 *    While a message is read, the input and the transaction are the same {@link MessageState}
 *    object: the reader of the body is the message's own, and the two cannot disagree.
 *
 * 3. The AUTH exchange lives in the input machine (`asking` an `auth` question, `auth-response`),
 *    since it is a matter of how the next line is read.
 *
 * The facts are independent of one another: the name given with EHLO or HELO (and with EHLO the
 * extensions offered), the authenticated user, whether the connection is secure, and two
 * counters. STARTTLS forgets the first two (RFC 3207 4.2).
 *
 * The commands are functions of their own (`cmd-*.ts`), each checking the state it needs; the
 * transitions they share are methods of `SessionCore` (core.ts).
 * @module
 */
import type { Address } from '../../protocol/address.js';
import type { BdatChunk } from '../../protocol/bdat.js';
import type { ParseCommandOptions } from '../../protocol/commands.js';
import type { Capabilities } from '../../protocol/ehlo.js';
import type { MailParameters } from '../../protocol/parameters.js';
import type { MessageReader } from '../message-reader.js';
import type { Envelope, Recipient, ServerEvent } from '../server-events.js';
import type { Refusal } from './refusals.js';

/** An event that waits for the driver's answer. */
export type Question = Extract<
  ServerEvent,
  { readonly type: 'helo' | 'mail' | 'rcpt' | 'expn' | 'message-end' | 'auth' }
>;

/** What the next input bytes are, or why none are read. */
export type Input =
  | { readonly type: 'commands' }
  /** After a 334: the next line is the client's AUTH response. */
  | { readonly type: 'auth-response'; readonly mechanism: string }
  /** The body of the transaction's message (the same object as the transaction). */
  | MessageState
  /** A refused BDAT chunk: its octets are read past, never as commands (RFC 3030 2). */
  | {
      readonly type: 'skip';
      readonly chunk: BdatChunk;
      readonly last: boolean;
      readonly refusal: Refusal;
    }
  /** Waiting for the driver to answer `question`. */
  | { readonly type: 'asking'; readonly question: Question }
  /** After STARTTLS's 220: nothing sent before the handshake may be used after it. */
  | { readonly type: 'tls-handshake' }
  | { readonly type: 'closed' };

/** The sender and recipients of a transaction, as MAIL started it. */
export interface EnvelopeState extends Envelope {
  readonly type: 'envelope';
  readonly from: Address | null;
  readonly params: MailParameters;
  readonly recipients: Recipient[];
  /** RCPT commands in this transaction, refused ones included: DATA without any is out of sequence. */
  rcptAttempts: number;
}

/** A message being received, from DATA or the first BDAT to the end of its last part. */
export interface MessageState {
  readonly type: 'message';
  readonly envelope: EnvelopeState;
  readonly reader: MessageReader;
}

/** The mail transaction (RFC 5321 3.3). */
export type Transaction =
  | { readonly type: 'idle' }
  /** No transaction; BDATs pipelined behind a refused chunk get `refusal`. */
  | { readonly type: 'chunks-refused'; readonly refusal: Refusal }
  | EnvelopeState
  | MessageState;

/** What EHLO, HELO or LHLO established. */
export type Hello =
  | { readonly name: string; readonly extended: false }
  | {
      readonly name: string;
      readonly extended: true;
      /** What the EHLO reply offered. */
      readonly capabilities: Capabilities;
      /** The ESMTP parameters accepted, worked out once per EHLO rather than on every command. */
      readonly parseOptions: ParseCommandOptions;
    };

export const COMMANDS: Input = { type: 'commands' };
export const TLS_HANDSHAKE: Input = { type: 'tls-handshake' };
export const CLOSED: Input = { type: 'closed' };
export const IDLE: Transaction = { type: 'idle' };

/** The transaction's envelope, if one is open. */
export function envelopeOf(t: Transaction): EnvelopeState | undefined {
  return t.type === 'envelope' ? t : t.type === 'message' ? t.envelope : undefined;
}
