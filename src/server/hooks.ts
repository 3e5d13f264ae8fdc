/**
 * Running an application hook: synchronously when it returns a plain value, so that the common
 * case costs no promise; awaited when it returns one.
 * @module
 */
import { SmtpError } from '../protocol/errors.js';
import { Replies } from '../protocol/replies.js';
import type { Reply } from '../protocol/reply.js';

/** A hook's verdict: undefined when it accepted, else the reply to send. */
export type Verdict = Reply | undefined;

/**
 * Runs `run`: its verdict at once when it returned a plain value or threw, a promise of it when it
 * returned a promise. A thrown `SmtpError` refuses with its reply; anything else is a bug in the
 * hook, given to `report`, and refuses with 451.
 */
export function runHook(run: () => unknown, report: (error: unknown) => void): Verdict | Promise<Verdict> {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    return refusal(error, report);
  }
  if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') return undefined;
  return Promise.resolve(result).then(
    () => undefined,
    (error: unknown) => refusal(error, report),
  );
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
