import { SmtpError } from '../../src/protocol/errors.js';

/** Runs `fn`, which must throw an SmtpError, and returns its reply as `code enhanced`. */
export function replyOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SmtpError)) throw e;
    return `${e.code} ${e.enhanced}`;
  }
  throw new Error('expected an SmtpError');
}
