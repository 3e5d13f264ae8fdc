/**
 * One message: MAIL, RCPT and DATA or BDAT, pipelined where the server allows, the body streamed
 * with backpressure, and the replies turned into a result.
 * @module
 */
import { DotStuffer } from '../protocol/dot-stuffer.js';
import { EsmtpError, type SendProgress, SmtpError } from '../protocol/errors.js';
import { LineEndNormalizer } from '../protocol/line-end-normalizer.js';
import type { Reply } from '../protocol/reply.js';
import { hasEightBit } from '../protocol/words.js';
import { type ClientEnvelope, type EnvelopePlan, planEnvelope } from '../session/client-envelope.js';
import {
  type ClientSession,
  lmtpOutcome,
  type RejectedRecipient,
  type SendResult,
} from '../session/client-session.js';
import type { ClientConnection } from './client-connection.js';
import { type Chunks, gathered, joined, type MessageInput, messageSource } from './message-source.js';
import { command, refused } from './negotiate.js';
import { paced } from './paced.js';

export interface TransactionOptions {
  commandTimeout: number;
  dataTimeout: number;
  signal: AbortSignal | undefined;
}

/** How far the message in progress got; `sendMessage()` moves it on as it goes. */
export interface Progress {
  sent: SendProgress;
}

/**
 * `error` with how far its message got in `sent`, when it is one of ours; any other (a message
 * stream's own error) is left as it is.
 */
export function withProgress(error: unknown, sent: SendProgress): unknown {
  if (error instanceof EsmtpError || error instanceof SmtpError)
    (error as { sent?: SendProgress }).sent = sent;
  return error;
}

export async function sendMessage(
  conn: ClientConnection,
  session: ClientSession,
  envelope: ClientEnvelope,
  message: MessageInput,
  o: TransactionOptions,
  progress: Progress,
): Promise<SendResult> {
  const source = messageSource(message);
  const plan = planEnvelope(envelope, session.capabilities, source.facts, session.lmtp);
  if (session.dirty) await reset(conn, session, o);

  const { accepted, rejected } = await envelopeReplies(conn, session, plan, o, progress);
  // A message given whole was measured and checked by planEnvelope(); a stream is as it goes.
  let size = source.facts.size ?? 0;
  const chunks =
    source.facts.size !== undefined
      ? source.chunks
      : (async function* () {
          for await (const chunk of paced(source.chunks, conn, o.dataTimeout, o.signal)) {
            size += chunk.length;
            if (plan.body === undefined && hasEightBit(chunk)) {
              throw new EsmtpError(
                'EMESSAGE',
                'the message has 8-bit data and the server does not offer 8BITMIME',
              );
            }
            yield chunk;
          }
        })();
  // Text sent with BDAT is made CRLF lines here; with DATA the dot-stuffer does it.
  const body = gathered(plan.chunking && plan.body !== 'BINARYMIME' ? asCrlfText(chunks) : chunks);
  const finals = plan.chunking
    ? [await sendChunks(conn, session, body, o, progress)]
    : await sendData(conn, body, session.lmtp ? accepted.length : 1, o, progress);
  session.dirty = false;
  if (session.lmtp) {
    const outcome = lmtpOutcome(accepted, finals);
    const all = [...rejected, ...outcome.rejected];
    if (outcome.accepted.length === 0) throw allRefused(all);
    return { accepted: outcome.accepted, rejected: all, reply: finals.at(-1) as Reply, messageSize: size };
  }
  const final = finals[0] as Reply;
  if (final.code === 421) throw withRejected(refused(conn, final), rejected);
  if (final.code >= 400) throw withRejected(new SmtpError(final), rejected);
  return { accepted, rejected, reply: final, messageSize: size };
}

export async function reset(
  conn: ClientConnection,
  session: ClientSession,
  o: TransactionOptions,
): Promise<void> {
  const reply = await command(conn, 'RSET', o.commandTimeout, o.signal);
  if (reply.code === 421) throw refused(conn, reply);
  if (reply.code !== 250) throw new SmtpError(reply);
  session.dirty = false;
}

/**
 * Sends MAIL and the RCPTs (and DATA when there are no chunks to send), in one write with
 * PIPELINING or in lock-step without, and reads their replies. Ends ready for the body.
 */
async function envelopeReplies(
  conn: ClientConnection,
  session: ClientSession,
  plan: EnvelopePlan,
  o: TransactionOptions,
  progress: Progress,
): Promise<{ accepted: string[]; rejected: RejectedRecipient[] }> {
  const pipelining = session.capabilities.pipelining;
  const withData = !plan.chunking;
  const lines = [plan.mail, ...plan.rcpts.map((r) => r.line), ...(withData ? ['DATA'] : [])];
  if (pipelining) await conn.write(`${lines.join('\r\n')}\r\n`, lines.length, o.commandTimeout, o.signal);
  const next = async (line: string) => {
    if (!pipelining) await conn.write(`${line}\r\n`, 1, o.commandTimeout, o.signal);
    const reply = await conn.reply(o.commandTimeout, o.signal);
    if (reply.code === 421) throw refused(conn, reply);
    return reply;
  };
  const mail = await next(plan.mail);
  if (mail.code >= 400) {
    // The pipelined RCPTs and DATA are answered too (with 503s); read them past.
    if (pipelining) for (let i = 1; i < lines.length; i++) await next(lines[i] as string);
    throw new SmtpError(mail);
  }
  session.dirty = true;
  progress.sent = 'envelope';
  const accepted: string[] = [];
  const rejected: RejectedRecipient[] = [];
  for (const rcpt of plan.rcpts) {
    const reply = await next(rcpt.line);
    if (reply.code < 400) accepted.push(rcpt.address);
    else rejected.push({ address: rcpt.address, reply });
  }
  if (!withData) {
    if (accepted.length === 0) throw allRefused(rejected);
    return { accepted, rejected };
  }
  if (accepted.length === 0 && !pipelining) throw allRefused(rejected); // DATA not sent
  const data = await next('DATA').catch((error: unknown) => {
    throw error instanceof SmtpError ? withRejected(error, rejected) : error;
  });
  if (data.code !== 354) {
    if (accepted.length === 0) throw allRefused(rejected);
    throw withRejected(new SmtpError(data), rejected);
  }
  if (accepted.length === 0) {
    // A server that says 354 with no recipient: end the empty message; nothing of ours is sent.
    await conn.write('.\r\n', 1, o.dataTimeout, o.signal);
    await conn.reply(o.dataTimeout, o.signal);
    throw allRefused(rejected);
  }
  return { accepted, rejected };
}

/** DATA: the body dot-stuffed, bare line ends made CRLF, then the final replies (one per recipient for LMTP). */
async function sendData(
  conn: ClientConnection,
  chunks: Chunks,
  finals: number,
  o: TransactionOptions,
  progress: Progress,
): Promise<Reply[]> {
  const stuffer = new DotStuffer();
  let held: Uint8Array | undefined; // the last part goes out with the end, in one write
  try {
    for await (const chunk of chunks) {
      const part = stuffer.push(chunk);
      if (part.length === 0) continue;
      if (held !== undefined) await conn.write(held, 0, o.dataTimeout, o.signal);
      held = part;
    }
  } catch (error) {
    // A DATA body cannot be taken back: only closing the connection keeps a partial message from
    // being delivered.
    conn.fail(
      new EsmtpError('ECONNECTION', 'the message could not be read; the connection was closed', {
        cause: error,
      }),
    );
    throw error;
  }
  const end = held === undefined ? stuffer.end() : joined([held, stuffer.end()]);
  progress.sent = 'message';
  await conn.write(end, finals, o.dataTimeout, o.signal);
  const replies: Reply[] = [];
  for (let i = 0; i < finals; i++) replies.push(await conn.reply(o.dataTimeout, o.signal));
  return replies;
}

/**
 * BDAT chunks sent and not yet answered, at most: eight of 64 KiB keep half a megabyte on its way,
 * and a refused chunk (552 over the size limit) stops the message within eight chunks.
 */
const CHUNKS_IN_FLIGHT = 8;

/**
 * BDAT: each chunk counted, never stuffed; the last one marked LAST (RFC 3030). Returns the
 * final reply, or the first refusal of a chunk: after one, no more chunks are sent.
 */
async function sendChunks(
  conn: ClientConnection,
  session: ClientSession,
  chunks: Chunks,
  o: TransactionOptions,
  progress: Progress,
): Promise<Reply> {
  const window = session.capabilities.pipelining ? CHUNKS_IN_FLIGHT : 1;
  let unanswered = 0;
  let failure: Reply | undefined;
  let last: Reply | undefined;
  /** Reads the replies already in, and waits for more while over `limit` chunks are unanswered. */
  const collect = async (limit: number) => {
    while (unanswered > limit || (unanswered > 0 && conn.hasReply)) {
      unanswered--;
      last = await conn.reply(o.dataTimeout, o.signal);
      if (last.code === 421) throw refused(conn, last);
      if (last.code >= 400) failure ??= last;
    }
  };
  const send = async (bytes: Uint8Array, isLast: boolean) => {
    if (isLast) progress.sent = 'message';
    await conn.write(`BDAT ${bytes.length}${isLast ? ' LAST' : ''}\r\n`, 1, o.dataTimeout, o.signal);
    if (bytes.length > 0) await conn.write(bytes, 0, o.dataTimeout, o.signal);
    unanswered++;
    await collect(window - 1);
  };
  let held: Uint8Array | undefined; // one chunk behind, to know which one is the last
  try {
    for await (const bytes of chunks) {
      if (held !== undefined) await send(held, false);
      held = bytes;
      if (failure !== undefined) break;
    }
  } catch (error) {
    if (conn.broken) throw error;
    // The message stream failed; nothing of the chunk in hand was announced, so the transaction
    // can be dropped cleanly.
    await collect(0);
    await reset(conn, session, o);
    throw error;
  }
  if (failure !== undefined) {
    // A chunk was refused before the last was sent: drop the rest of the transaction.
    await collect(0);
    await reset(conn, session, o);
    return failure;
  }
  await send(held ?? new Uint8Array(0), true);
  await collect(0);
  return failure ?? (last as Reply);
}

function allRefused(rejected: readonly RejectedRecipient[]): EsmtpError {
  const detail = rejected.map((r) => `${r.address}: ${r.reply.code} ${r.reply.lines.join(' ')}`).join('; ');
  return new EsmtpError('EENVELOPE', `every recipient was refused (${detail})`, {
    reply: rejected[0]?.reply,
    rejected,
  });
}

/** The message's refusal, carrying the recipients refused before it with their own replies. */
function withRejected(error: SmtpError, rejected: readonly RejectedRecipient[]): SmtpError {
  error.rejected = rejected;
  return error;
}

/**
 * Text sent with BDAT must be CRLF lines too (RFC 3030 3): bare CR and LF become CRLF and the last
 * line gets its CRLF, as DATA's stuffer does. Only BINARYMIME content goes as it is.
 */
async function* asCrlfText(chunks: Chunks): AsyncIterable<Uint8Array> {
  const normalizer = new LineEndNormalizer();
  let last = LF;
  for await (const chunk of chunks) {
    const out = normalizer.push(chunk);
    if (out.length > 0) last = out[out.length - 1] as number;
    yield out;
  }
  const tail = normalizer.end();
  if (tail.length > 0) yield tail;
  else if (last !== LF) yield CRLF;
}

const LF = 10;
const CRLF = new Uint8Array([13, 10]);
