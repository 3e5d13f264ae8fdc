/**
 * The driver's answers to the session's questions: `accept()` and `reject()` for every question
 * but AUTH's, and `settleMessage()` for the outcome of a message, per recipient with LMTP.
 * @module
 */
import { Replies } from '../../protocol/replies.js';
import type { Reply } from '../../protocol/reply.js';
import { outcomeCount } from './cmd-data.js';
import { acceptHello } from './cmd-hello.js';
import { acceptMail } from './cmd-mail.js';
import { acceptRcpt } from './cmd-rcpt.js';
import type { SessionCore } from './core.js';
import { COMMANDS, type Question } from './state.js';

export function accept(s: SessionCore, custom: Reply | undefined): void {
  const question = takeQuestion(s);
  switch (question?.type) {
    case undefined:
      return;
    case 'helo':
      return acceptHello(s, question.name, question.extended, custom);
    case 'mail':
      acceptMail(s, question.from, question.params);
      return s.reply(custom ?? Replies.senderOk);
    case 'rcpt':
      acceptRcpt(s, question.to, question.params);
      return s.reply(custom ?? Replies.recipientOk);
    case 'expn':
      return s.reply(custom ?? Replies.notImplemented);
    case 'message-end':
      return settleAlike(s, custom ?? Replies.messageAccepted);
  }
}

export function reject(s: SessionCore, refusal: Reply): void {
  const question = takeQuestion(s);
  if (question === undefined) return;
  if (question.type === 'message-end') return settleAlike(s, refusal);
  s.reply(refusal);
}

export function settleMessage(s: SessionCore, outcomes: readonly Reply[]): void {
  const question = pendingQuestion(s);
  if (question === undefined) return;
  if (question.type !== 'message-end') throw new Error('ServerSession: no message-end decision is pending');
  const expected = outcomeCount(s);
  if (outcomes.length !== expected) {
    throw new Error(
      `ServerSession: the message takes ${expected} replies (one per recipient with LMTP), got ${outcomes.length}`,
    );
  }
  s.input = COMMANDS;
  for (const outcome of outcomes) s.reply(outcome);
  if (outcomes.some((outcome) => outcome.code < 300)) s.failures = 0; // delivered to someone
  s.endTransaction('message');
}

/** The same outcome for every reply the message takes: with LMTP, every recipient's. */
function settleAlike(s: SessionCore, outcome: Reply): void {
  for (let n = outcomeCount(s); n > 0; n--) s.reply(outcome);
  if (outcome.code < 300) s.failures = 0; // a client that delivers mail is not probing
  s.endTransaction('message');
}

/** The question the session waits on, taken; undefined once the session was shut down meanwhile. */
function takeQuestion(s: SessionCore): Exclude<Question, { type: 'auth' }> | undefined {
  const question = pendingQuestion(s);
  if (question?.type === 'auth') {
    throw new Error('ServerSession: answer AUTH with authChallenge(), authSucceeded() or authFailed()');
  }
  if (question !== undefined) s.input = COMMANDS;
  return question;
}

function pendingQuestion(s: SessionCore): Question | undefined {
  const input = s.input;
  if (input.type === 'asking') return input.question;
  if (input.type === 'closed') return undefined;
  throw new Error('ServerSession: no decision is pending');
}
