/**
 * DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030): the message, from its first byte to the decision
 * on it. A refused BDAT still has its octets read past; a refused chunk before the last makes the
 * client's pipelined BDATs behind it get the same reply, uncounted by either error limit (RFC 3030
 * 4.2).
 * @module
 */
import { BdatChunk } from '../../protocol/bdat.js';
import { Replies } from '../../protocol/replies.js';
import { reply } from '../../protocol/reply.js';
import { MessageReader } from '../message-reader.js';
import type { SessionCore } from './core.js';
import { policyRefusal, type Refusal, Refusals } from './refusals.js';
import { type EnvelopeState, IDLE, type MessageState } from './state.js';

export function data(s: SessionCore): void {
  if (s.tlsRequired) return s.refuse(Refusals.tlsRequired);
  const t = s.transaction;
  // Not before MAIL, nor after BDAT has begun the message.
  if (t.type !== 'envelope') return s.refuse(Refusals.badSequence);
  const refusal = recipientsRefusal(t);
  if (refusal !== undefined) return s.refuse(refusal);
  if (t.params.body === 'BINARYMIME') return s.refuse(Refusals.binaryMimeNeedsBdat);
  // RFC 2920 3.1: DATA ends a pipelined group, so nothing may follow it before the 354.
  if (!s.options.allowEarlyData && s.buffered > 0) {
    s.reply(Replies.pipeliningViolation);
    s.close();
    return;
  }
  s.reply(Replies.startData);
  s.readBody(startMessage(s, t, MessageReader.data(s.options, s.emitData)));
}

export function bdat(s: SessionCore, size: number, last: boolean): void {
  if (s.tlsRequired) return skipChunk(s, size, last, Refusals.tlsRequired);
  const t = s.transaction;
  switch (t.type) {
    case 'idle':
      return skipChunk(s, size, last, Refusals.badSequence);
    case 'chunks-refused':
      return skipChunk(s, size, last, t.refusal);
    case 'envelope': {
      const refusal = recipientsRefusal(t);
      if (refusal !== undefined) return skipChunk(s, size, last, refusal);
      return readChunk(s, startMessage(s, t, MessageReader.chunked(s.options, s.emitData)), size, last);
    }
    case 'message':
      return readChunk(s, t, size, last);
  }
}

function readChunk(s: SessionCore, message: MessageState, size: number, last: boolean): void {
  message.reader.nextChunk(size, last);
  s.readBody(message);
}

/** RFC 3030 2: a refused chunk's octets follow whatever the reply; read them past, never as commands. */
function skipChunk(s: SessionCore, size: number, last: boolean, refusal: Refusal): void {
  s.readBody({ type: 'skip', chunk: new BdatChunk(size), last, refusal });
}

/** A message needs a recipient: 554 after refused RCPTs, 503 when none was tried. */
function recipientsRefusal(t: EnvelopeState): Refusal | undefined {
  if (t.recipients.length > 0) return undefined;
  return t.rcptAttempts > 0 ? Refusals.noValidRecipients : Refusals.badSequence;
}

function startMessage(s: SessionCore, envelope: EnvelopeState, reader: MessageReader): MessageState {
  const message: MessageState = { type: 'message', envelope, reader };
  s.transaction = message;
  s.emit({ type: 'message-start', envelope });
  return message;
}

/** A DATA body or BDAT chunk has been read to its end. */
export function finishMessagePart(s: SessionCore, message: MessageState): void {
  const reader = message.reader;
  if (reader.aborted !== undefined) {
    const refusal = policyRefusal(reader.aborted);
    s.refuse(refusal);
    s.endTransaction('message');
    if (!reader.last) s.transaction = { type: 'chunks-refused', refusal };
    return;
  }
  if (!reader.last) return s.reply(reply(250, '2.0.0', `${reader.chunkSize} octets received`));
  // The message is whole: the envelope waits for the decision on it.
  s.transaction = message.envelope;
  s.ask({ type: 'message-end', size: reader.size });
}

/** A refused BDAT chunk has been read past. */
export function finishSkippedChunk(s: SessionCore, last: boolean, refusal: Refusal): void {
  if (s.transaction.type !== 'chunks-refused') return s.refuse(refusal);
  if (last) s.transaction = IDLE;
  // The refusal of the chunk this one was pipelined behind, again: one message refused, counted
  // once, against no limit a second time.
  s.emit(s.replyEvent(refusal.reply));
}

/** How many replies the message's outcome takes: with LMTP one per recipient, in order (RFC 2033 4.2). */
export function outcomeCount(s: SessionCore): number {
  return s.options.lmtp ? (s.transaction.type === 'envelope' ? s.transaction.recipients.length : 1) : 1;
}
