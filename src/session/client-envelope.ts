/**
 * The client's envelope, checked and turned into MAIL and RCPT lines for a given server, before
 * any byte is sent: invalid addresses, missing SMTPUTF8, a size over the server's SIZE and 8-bit
 * data for a server without 8BITMIME fail here, with a typed error.
 * @module
 */
import { formatPath, parseMailbox } from '../protocol/address.js';
import type { Capabilities } from '../protocol/ehlo.js';
import { EsmtpError } from '../protocol/errors.js';
import {
  formatMailParameters,
  formatRcptParameters,
  type MailParameters,
  type NotifyCondition,
  type RcptParameters,
} from '../protocol/parameters.js';

/** What `send()` is given as the envelope. */
export interface ClientEnvelope {
  /** The sender, or '' / null for the null reverse-path `<>` (bounces). */
  readonly from: string | null;
  /**
   * The recipients, at least one (EENVELOPE otherwise): mailboxes, with or without angle brackets.
   * The result names each as it is written here.
   */
  readonly to: readonly string[];
  /** The message size in octets, when the caller knows it (for SIZE=). */
  readonly size?: number;
  /** DSN (RFC 3461), sent when the server offers DSN. */
  readonly dsn?: {
    /** RET=: a DSN carries the whole message (`FULL`) or only its headers (`HDRS`). */
    readonly ret?: 'FULL' | 'HDRS';
    /**
     * ENVID=: an identifier of the sender's, given back in every DSN for this message; printable
     * ASCII, at most 100 characters (RFC 3461 4.4). Sent as xtext.
     */
    readonly envid?: string;
    /** NOTIFY= on every RCPT: `['NEVER']`, or when to report among SUCCESS, FAILURE and DELAY. */
    readonly notify?: readonly ('NEVER' | NotifyCondition)[];
    /** ORCPT for every recipient: its own address as `rfc822` (`utf-8` when it needs SMTPUTF8). */
    readonly orcpt?: boolean;
  };
  /** REQUIRETLS (RFC 8689): fail unless the server offers it (which it does only over TLS). */
  readonly requireTls?: boolean;
}

/** What is known of the message before it is sent. */
export interface MessageFacts {
  /** Its size in octets, when known. */
  readonly size: number | undefined;
  /** It holds octets over 127: true, false, or undefined when not known yet (a stream). */
  readonly eightBit: boolean | undefined;
  /** It holds NUL or lines that are not CRLF-terminated text (binary content). */
  readonly binary: boolean;
}

/** What `planEnvelope()` decided: the command lines to send, without CRLF, and how the body goes. */
export interface EnvelopePlan {
  /**
   * The MAIL FROM line, with the parameters the server offers and the message needs (SIZE=, BODY=,
   * SMTPUTF8, RET=, ENVID=, REQUIRETLS).
   */
  readonly mail: string;
  /** One RCPT TO line for each recipient, in the order of `to`. */
  readonly rcpts: readonly {
    /** The recipient as written in `ClientEnvelope.to`: what the result reports it as. */
    readonly address: string;
    /** The RCPT TO line, with NOTIFY= and ORCPT= when the server offers DSN. */
    readonly line: string;
  }[];
  /** Send the body with BDAT (the server offers CHUNKING). */
  readonly chunking: boolean;
  /**
   * The BODY= declared: `BINARYMIME` for binary content, `8BITMIME` whenever the server offers it
   * and the message is not known to be 7-bit, or undefined for none: then 8-bit data met in a
   * streamed message fails with EMESSAGE.
   */
  readonly body: MailParameters['body'];
}

/** Checks the envelope against what the server offers and builds the command lines. */
export function planEnvelope(
  envelope: ClientEnvelope,
  caps: Capabilities,
  facts: MessageFacts,
  lmtp = false,
): EnvelopePlan {
  if (envelope.to.length === 0) throw new EsmtpError('EENVELOPE', 'no recipients');
  const from =
    envelope.from === null || envelope.from === '' || envelope.from === '<>' ? null : envelope.from;
  const mailbox = (text: string) => {
    const path = formatPath(text); // throws EENVELOPE for anything that could break the line
    return { path, address: parseMailbox(path.slice(1, -1)) };
  };
  const sender = from === null ? undefined : mailbox(from);
  const recipients = envelope.to.map((to) => ({ to, ...mailbox(to) }));
  const utf8 = sender?.address.utf8 === true || recipients.some((r) => r.address.utf8);
  if (utf8 && !caps.smtpUtf8)
    throw new EsmtpError('EUTF8', 'the addresses need SMTPUTF8 and the server does not offer it');

  const size = envelope.size ?? facts.size;
  if (size !== undefined && caps.size !== undefined && caps.size > 0 && size > caps.size) {
    throw new EsmtpError(
      'ESIZE',
      `the message (${size} octets) is larger than the server accepts (${caps.size})`,
    );
  }
  const chunking = caps.chunking && !lmtp;
  let body: MailParameters['body'];
  if (facts.binary) {
    if (!(chunking && caps.binaryMime)) {
      throw new EsmtpError('EMESSAGE', 'the message is binary and the server does not offer BINARYMIME');
    }
    body = 'BINARYMIME';
  } else if (facts.eightBit !== false) {
    // 8-bit data, or a stream not seen yet: declare 8BITMIME where offered (7-bit data is valid
    // 8BITMIME); without it, 8-bit data is refused before anything is sent.
    if (caps.eightBitMime) body = '8BITMIME';
    else if (facts.eightBit === true) {
      throw new EsmtpError('EMESSAGE', 'the message has 8-bit data and the server does not offer 8BITMIME');
    }
  }
  if (envelope.requireTls && !caps.requireTls) {
    throw new EsmtpError('ETLS', 'REQUIRETLS was asked for and the server does not offer it');
  }

  const params: MailParameters = {};
  if (size !== undefined && caps.size !== undefined) params.size = size;
  if (body !== undefined) params.body = body;
  if (utf8) params.smtputf8 = true;
  const dsn = caps.dsn ? envelope.dsn : undefined;
  if (dsn?.ret !== undefined) params.ret = dsn.ret;
  if (dsn?.envid !== undefined) params.envid = dsn.envid;
  if (envelope.requireTls) params.requiretls = true;
  const rcpts = recipients.map((r) => {
    const p: { -readonly [K in keyof RcptParameters]: RcptParameters[K] } = {};
    if (dsn?.notify !== undefined) p.notify = dsn.notify;
    if (dsn?.orcpt) p.orcpt = { type: r.address.utf8 ? 'utf-8' : 'rfc822', address: r.address.address };
    return { address: r.to, line: `RCPT TO:${r.path}${formatRcptParameters(p)}` };
  });
  return {
    mail: `MAIL FROM:${sender?.path ?? '<>'}${formatMailParameters(params)}`,
    rcpts,
    chunking,
    body,
  };
}
