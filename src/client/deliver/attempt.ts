/**
 * One try at one address of one MX host: connect, negotiate TLS as the plan says, send the
 * message for a domain's recipients, and read what became of each. A host that cannot be used
 * (refused, silent, a 4xx or 5xx greeting, a 421, TLS that cannot be had, a connection lost
 * before the end of the message) gives way to the next.
 * @module
 */
import { isIP } from 'node:net';
import { EsmtpError, SmtpError } from '../../protocol/errors.js';
import { type Reply, reply, replyText } from '../../protocol/reply.js';
import type { ClientEnvelope } from '../../session/client-envelope.js';
import type { Logger } from '../../tracing/logger.js';
import { disposeMessage, type MessageInput } from '../message-source.js';
import { type ClientTimeouts, SmtpClient } from '../smtp-client.js';
import type { RecipientOutcome } from './types.js';

/**
 * How TLS is used on one connection: `verify` is STARTTLS with a certificate valid for the MX
 * host's name, or nothing; `opportunistic` is STARTTLS when offered, unverified; `none` is
 * cleartext.
 */
export type TlsPlan = 'verify' | 'opportunistic' | 'none';

/** What every attempt of one delivery shares. */
export interface AttemptContext {
  readonly port: number;
  readonly name: string | undefined;
  readonly ca: string | Buffer | (string | Buffer)[] | undefined;
  readonly timeouts: ClientTimeouts | undefined;
  readonly signal: AbortSignal | undefined;
  readonly logger: Logger | undefined;
  /** The envelope without its recipients. */
  readonly envelope: Omit<ClientEnvelope, 'to'>;
  /** A fresh copy of the message. */
  readonly message: () => MessageInput;
}

/** Where one attempt goes: the MX host's name and one of its addresses. */
export interface Target {
  readonly host: string;
  readonly address: string;
}

/** What an attempt came to. */
export type AttemptResult =
  /** The host could not be used; `tls` when TLS was why. */
  | { readonly type: 'unusable'; readonly reason: string; readonly tls: boolean }
  /** The host answered for the message: an outcome for each recipient. */
  | { readonly type: 'answered'; readonly outcomes: RecipientOutcome[] };

/** Connects to `target` and sends the message for `recipients`. Throws only EABORT. */
export async function attempt(
  target: Target,
  recipients: readonly string[],
  plan: TlsPlan,
  ctx: AttemptContext,
): Promise<AttemptResult> {
  const where = `${target.host}[${target.address}]`;
  let client: SmtpClient;
  try {
    client = await SmtpClient.connect(smtpUrl(target.address, ctx.port), {
      tls: plan === 'verify' ? 'required' : plan,
      tlsOptions: {
        // An address literal (`[192.0.2.1]`) is known to TLS by its bare address: no SNI, and
        // the certificate checked for that IP.
        servername: target.host.startsWith('[') || isIP(target.host) !== 0 ? undefined : target.host,
        rejectUnauthorized: plan === 'verify',
        ...(ctx.ca === undefined ? {} : { ca: ctx.ca }),
      },
      ...(ctx.name === undefined ? {} : { name: ctx.name }),
      timeouts: ctx.timeouts,
      signal: ctx.signal,
      logger: ctx.logger,
    });
  } catch (error) {
    if (error instanceof EsmtpError && error.code === 'EABORT') throw error;
    const tls = error instanceof EsmtpError && error.code === 'ETLS';
    return { type: 'unusable', reason: `${where}: ${describe(error)}`, tls };
  }
  const answered = (outcomes: RecipientOutcome[]) => ({ type: 'answered' as const, outcomes });
  const message = ctx.message();
  try {
    const result = await client.send({ ...ctx.envelope, to: recipients }, message, {
      signal: ctx.signal,
    });
    const delivered = result.accepted.map(
      (recipient): RecipientOutcome => ({
        status: 'delivered',
        recipient,
        host: target.host,
        address: target.address,
        reply: result.reply,
        secure: client.secure,
      }),
    );
    const refused = result.rejected.map((r) => byReply(r.address, r.reply, target));
    return answered(inOrder(recipients, [...delivered, ...refused]));
  } catch (error) {
    // A 421 is the server closing the session (RFC 5321 3.8): the message was not taken, and the
    // next host may take it.
    if (error instanceof SmtpError && error.code === 421)
      return { type: 'unusable', reason: `${where}: ${describe(error)}`, tls: false };
    // The connection lost, silent or confused before the end of the message went: the server
    // cannot have taken it, so the next host may (RFC 5321 5.1). After the end, it may have: the
    // recipients are deferred rather than risk a second copy.
    if (error instanceof EsmtpError && GIVE_WAY.has(error.code) && NOT_SENT.has(error.sent))
      return { type: 'unusable', reason: `${where}: ${describe(error)}`, tls: false };
    return answered(fromError(error, recipients, target));
  } finally {
    disposeMessage(message); // a send refused before the body left its copy unread (an open file)
    await client.quit();
  }
}

/** The recipients' outcomes when `send()` failed. */
function fromError(error: unknown, recipients: readonly string[], target: Target): RecipientOutcome[] {
  if (error instanceof SmtpError || (error instanceof EsmtpError && error.code === 'EENVELOPE')) {
    const own = new Map(error.rejected.map((r) => [r.address, r.reply]));
    return recipients.map((recipient) => {
      const reply = own.get(recipient) ?? error.reply;
      return reply === undefined
        ? local(recipient, 'failed', 550, '5.1.0', describe(error))
        : byReply(recipient, reply, target);
    });
  }
  const where = `${target.host}[${target.address}]`;
  const permanent = error instanceof EsmtpError ? PERMANENT[error.code] : undefined;
  if (permanent !== undefined) {
    const [code, enhanced] = permanent;
    return recipients.map((r) => local(r, 'failed', code, enhanced, `${where}: ${describe(error)}`));
  }
  // The connection broke or timed out while sending, or the message could not be read: whether
  // the server kept the message is not known, so the recipients are deferred, not sent elsewhere.
  return recipients.map((r) => local(r, 'deferred', 451, '4.4.2', `${where}: ${describe(error)}`));
}

/** The connection failures after which another host is tried, if the message had not gone. */
const GIVE_WAY = new Set<EsmtpError['code']>(['ECONNECTION', 'ETIMEOUT', 'EPROTOCOL']);
const NOT_SENT = new Set<EsmtpError['sent']>(['nothing', 'envelope']);

/** The errors that another try cannot mend, with the reply they are reported as. */
const PERMANENT: Partial<Record<EsmtpError['code'], [number, string]>> = {
  ESIZE: [552, '5.3.4'],
  EUTF8: [553, '5.6.7'],
  EMESSAGE: [554, '5.6.3'],
};

/** A server's reply to a recipient: 5xx failed, 4xx deferred. */
function byReply(recipient: string, r: Reply, target: Target): RecipientOutcome {
  return {
    status: r.code >= 500 ? 'failed' : 'deferred',
    recipient,
    reply: r,
    reason: `${target.host}[${target.address}] said: ${replyText(r)}`,
    host: target.host,
    address: target.address,
  };
}

/** An outcome decided here, with a reply made to say so. */
export function local(
  recipient: string,
  status: 'deferred' | 'failed',
  code: number,
  enhanced: string,
  reason: string,
): RecipientOutcome {
  return { status, recipient, reply: reply(code, enhanced, reason), reason };
}

/** `outcomes` in the order of `recipients` (a recipient written twice has two outcomes). */
function inOrder(recipients: readonly string[], outcomes: RecipientOutcome[]): RecipientOutcome[] {
  const left = [...outcomes];
  return recipients.map((recipient) => {
    const i = left.findIndex((o) => o.recipient === recipient);
    return left.splice(i, 1)[0] as RecipientOutcome;
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function smtpUrl(address: string, port: number): string {
  return `smtp://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}
