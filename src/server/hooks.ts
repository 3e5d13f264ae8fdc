/**
 * Running an application hook: synchronously when it returns a plain value, so that the common
 * case costs no promise; awaited when it returns one.
 * @module
 */
import { SmtpError } from '../protocol/errors.js';
import { Replies } from '../protocol/replies.js';
import type { Reply } from '../protocol/reply.js';

/**
 * A hook's verdict: undefined when it accepted with the standard reply, else the reply to send. A
 * 2xx reply accepts with the hook's own text, a 4xx or 5xx reply refuses.
 */
export type Verdict = Reply | undefined;

/** An LMTP message's outcome: one reply per accepted recipient, in order (RFC 2033 4.2). */
export type Outcomes = readonly Reply[];

/**
 * Runs `run`: its verdict at once when it returned a plain value or threw, a promise of it when it
 * returned a promise. A thrown `SmtpError` refuses with its reply; anything else is a bug in the
 * hook, given to `report`, and refuses with 451. With `recipients` (LMTP's `onData`), an array
 * returned is one outcome per recipient.
 */
export function runHook(
  run: () => unknown,
  report: (error: unknown) => void,
  recipients?: number,
): Verdict | Outcomes | Promise<Verdict | Outcomes> {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    return refusal(error, report);
  }
  // The synchronous path makes no closure: it is every command of a busy server.
  if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') {
    return settle(result, report, recipients);
  }
  return Promise.resolve(result).then(
    (value) => settle(value, report, recipients),
    (error: unknown) => refusal(error, report),
  );
}

/** What a hook's value answers: per recipient when it is an array and there are recipients. */
function settle(value: unknown, report: (error: unknown) => void, recipients: number | undefined) {
  return recipients !== undefined && Array.isArray(value)
    ? outcomes(value, recipients, report)
    : answer(value, report);
}

/**
 * One outcome per recipient: nothing (the standard 250), a reply, or an `SmtpError` each. An
 * outcome of the wrong kind is a bug for that recipient (451); an array of the wrong length is a bug
 * for them all.
 */
function outcomes(
  values: readonly unknown[],
  recipients: number,
  report: (error: unknown) => void,
): Outcomes {
  if (values.length !== recipients) {
    report(new RangeError(`onData returned ${values.length} outcomes for ${recipients} recipients`));
    return Array(recipients).fill(Replies.localError);
  }
  return values.map((value) =>
    value instanceof Error ? refusal(value, report) : (answer(value, report) ?? Replies.messageAccepted),
  );
}

/** Whether a verdict accepts (with the standard reply or the hook's own). */
export function accepts(verdict: Verdict): boolean {
  return verdict === undefined || verdict.code < 400;
}

/**
 * What a hook returned: a reply it answers with, or anything else, which is not an answer (an
 * arrow function's value, say) and accepts with the standard reply. A 3xx reply (or a code out of
 * range) is a bug: 451.
 */
function answer(value: unknown, report: (error: unknown) => void): Verdict {
  if (!isReply(value)) return undefined;
  const code = value.code;
  if ((code >= 200 && code < 300) || (code >= 400 && code < 600)) return value;
  report(new RangeError(`a hook answered with ${code}; an answer needs a 2xx, 4xx or 5xx code`));
  return Replies.localError;
}

function isReply(value: unknown): value is Reply {
  const r = value as Reply | null | undefined;
  return typeof r === 'object' && r !== null && typeof r.code === 'number' && Array.isArray(r.lines);
}

function refusal(error: unknown, report: (error: unknown) => void): Reply {
  if (isRefusal(error)) return error.reply;
  report(hookBug(error));
  return Replies.localError;
}

/** A hook refused properly: an SmtpError with a 4xx or 5xx reply. */
export function isRefusal(error: unknown): error is SmtpError {
  return error instanceof SmtpError && error.code >= 400;
}

/**
 * What to report for a hook error that is not a proper refusal. A "refusal" with a positive code
 * would tell the client that what was refused succeeded, so it is a bug like any other.
 */
export function hookBug(error: unknown): unknown {
  if (!(error instanceof SmtpError)) return error;
  return new RangeError(`a hook refused with ${error.code}; a refusal needs a 4xx or 5xx code`, {
    cause: error,
  });
}
