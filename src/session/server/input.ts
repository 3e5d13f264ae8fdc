/**
 * The input reader: hands the bytes pushed to whatever the input state says reads them next,
 * command lines, a message body, a refused BDAT chunk or an AUTH response, one step at a time.
 * @module
 */
import { type Command, parseCommandLine, type Verb, verbAtStart } from '../../protocol/commands.js';
import { SmtpError } from '../../protocol/errors.js';
import { Replies } from '../../protocol/replies.js';
import type { Reply } from '../../protocol/reply.js';
import { authResponse } from './cmd-auth.js';
import { finishMessagePart, finishSkippedChunk } from './cmd-data.js';
import type { SessionCore } from './core.js';
import { dispatch } from './dispatch.js';
import { Refusals } from './refusals.js';
import { COMMANDS, type Input, type MessageState } from './state.js';

/** A command line that did not parse: the reply it gets, and the verb it began with. */
export interface InvalidCommand {
  readonly verb: 'INVALID';
  /** The known verb the line starts with, case-insensitively, if any. */
  readonly attempted: Verb | undefined;
  readonly reply: Reply;
}

/** Does one step of reading; false when nothing can be done until more input or an answer comes. */
export function step(s: SessionCore): boolean {
  const input = s.input;
  switch (input.type) {
    case 'commands':
      // As Postfix checks its hard error limit: before the next command, however the last ended.
      if (s.failures >= s.options.errors) {
        s.reply(Replies.tooManyFailedCommands);
        s.close();
        return true;
      }
      return readLine(s, input);
    case 'auth-response':
      return readLine(s, input);
    case 'message':
      return readMessage(s, input);
    case 'skip':
      return skipChunk(s, input);
    default: // asking, tls-handshake, closed
      return false;
  }
}

function readLine(s: SessionCore, input: Input): boolean {
  const line = s.lines.next();
  if (line === undefined) {
    const chunk = s.queue.shift();
    if (chunk === undefined) return false;
    s.lines.push(chunk);
    return true;
  }
  if (line.type === 'line') s.traceCommand?.(line.bytes);
  if (input.type === 'auth-response') authResponse(s, input.mechanism, line);
  else if (line.type === 'too-long') s.refuse(Refusals.lineTooLong);
  else if (line.bareLf) s.refuse(Refusals.bareLineFeed);
  else dispatch(s, readCommand(s, line.bytes));
  return true;
}

function readCommand(s: SessionCore, bytes: Uint8Array): Command | InvalidCommand {
  try {
    return parseCommandLine(bytes, s.parseOptions);
  } catch (error) {
    if (!(error instanceof SmtpError)) throw error;
    return { verb: 'INVALID', attempted: verbAtStart(bytes), reply: error.reply };
  }
}

function readMessage(s: SessionCore, message: MessageState): boolean {
  const chunk = s.queue.shift();
  if (chunk === undefined) return false;
  const reader = message.reader;
  const rest = reader.push(chunk);
  if (reader.aborted !== undefined && !reader.abortReported) {
    reader.abortReported = true;
    s.emit({ type: 'message-abort', reason: reader.aborted });
  }
  if (rest === undefined) return true;
  if (rest.length > 0) s.queue.unshift(rest);
  s.input = COMMANDS;
  finishMessagePart(s, message);
  return true;
}

function skipChunk(s: SessionCore, skip: Extract<Input, { type: 'skip' }>): boolean {
  const chunk = s.queue.shift();
  if (chunk === undefined) return false;
  const taken = skip.chunk.take(chunk);
  if (!skip.chunk.done) return true;
  if (taken.length < chunk.length) s.queue.unshift(chunk.subarray(taken.length));
  s.input = COMMANDS;
  finishSkippedChunk(s, skip.last, skip.refusal);
  return true;
}
