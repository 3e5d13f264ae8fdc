/**
 * AUTH (RFC 4954): the command, and the exchange of challenges and responses that follows it.
 * The session frames the lines; the driver runs the SASL mechanism and answers each step with
 * `authChallenge()`, `authSucceeded()` or `authFailed()`.
 * @module
 */
import type { LineEvent } from '../../protocol/line-reader.js';
import { Replies } from '../../protocol/replies.js';
import type { Reply } from '../../protocol/reply.js';
import { AUTH_LINE_LENGTH, AuthReplies, challengeReply, readAuthLine } from '../auth-lines.js';
import type { SessionCore } from './core.js';
import { clientError, Refusals } from './refusals.js';
import { COMMANDS, envelopeOf, type Question } from './state.js';

const AUTH_END = { type: 'auth-end' } as const;

export function auth(s: SessionCore, mechanism: string, initialResponse: string | undefined): void {
  const options = s.options.auth;
  if (options === undefined) return s.refuse(Refusals.notImplemented);
  if (s.tlsRequired) return s.refuse(Refusals.tlsRequired);
  if (!s.secure && !options.allowInsecure) return s.refuse(Refusals.encryptionRequired);
  // After EHLO, once, and not within a transaction (RFC 4954 4).
  if (s.hello === undefined || s.user !== undefined || envelopeOf(s.transaction) !== undefined) {
    return s.refuse(Refusals.badSequence);
  }
  if (!options.mechanisms.includes(mechanism)) return s.refuse(Refusals.unknownMechanism);
  let response: Uint8Array | undefined;
  if (initialResponse !== undefined) {
    const line = readAuthLine(initialResponse);
    if ('end' in line) return s.refuse(clientError(line.end));
    response = line.bytes;
  }
  s.ask({ type: 'auth', mechanism, response });
}

/** A line read after a 334: the client's next response, or the end of the exchange. */
export function authResponse(s: SessionCore, mechanism: string, event: LineEvent): void {
  const line =
    event.type === 'too-long'
      ? { end: Replies.lineTooLong }
      : readAuthLine(String.fromCharCode(...event.bytes.subarray(0, 16384)));
  if ('end' in line) {
    endExchange(s);
    s.emit(AUTH_END);
    s.refuse(clientError(line.end));
    return;
  }
  s.ask({ type: 'auth', mechanism, response: line.bytes });
}

/** The driver's next challenge: a 334, and the client's response is read as such. */
export function authChallenge(s: SessionCore, challenge: Uint8Array): void {
  const question = takeAuthStep(s);
  s.reply(challengeReply(challenge));
  // An AUTH response may be longer than a command line (RFC 4954 4).
  s.lines.maxLength = Math.max(AUTH_LINE_LENGTH, s.options.commandLineLength);
  s.input = { type: 'auth-response', mechanism: question.mechanism };
}

export function authSucceeded(s: SessionCore, user: string): void {
  takeAuthStep(s);
  endExchange(s);
  s.user = user;
  s.reply(AuthReplies.succeeded);
}

/** A failure is the driver's verdict, not a client error: it counts against `auth.maxFailures`. */
export function authFailed(s: SessionCore, refusal: Reply): void {
  takeAuthStep(s);
  endExchange(s);
  s.reply(refusal);
  if (++s.authFailures >= (s.options.auth?.maxFailures ?? 3)) {
    s.reply(Replies.tooManyErrors);
    s.close();
  }
}

function takeAuthStep(s: SessionCore): Extract<Question, { type: 'auth' }> {
  const input = s.input;
  if (input.type !== 'asking' || input.question.type !== 'auth') {
    throw new Error('ServerSession: no AUTH step is pending');
  }
  return input.question;
}

function endExchange(s: SessionCore): void {
  s.lines.maxLength = s.options.commandLineLength;
  s.input = COMMANDS;
}
