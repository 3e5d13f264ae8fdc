import type { EsmtpError, SmtpError } from '../../src/protocol/errors.js';

/** The error `promise` fails with; a test that expected a failure fails if it settles. */
export async function errorOf(promise: Promise<unknown>): Promise<EsmtpError | SmtpError> {
  try {
    await promise;
  } catch (error) {
    return error as EsmtpError | SmtpError;
  }
  throw new Error('expected a failure');
}
