/**
 * When `SmtpPool` sends a message again, and when it must not: only what never reached the server
 * is retried; a message sent whole whose reply was lost is `EUNCERTAIN`.
 * @module
 */
import { EsmtpError, type SendProgress, SmtpError } from '../protocol/errors.js';
import { withProgress } from './transaction.js';

/**
 * Attempts of one message, at most: the first and two retries. A connection that fails to open
 * counts as an attempt of the message first in line.
 */
export const MAX_ATTEMPTS = 3;

/** Failures that say nothing about the message, only about the connection: worth another one. */
export function retryable(error: unknown): boolean {
  if (error instanceof SmtpError) return error.code === 421;
  return error instanceof EsmtpError && (error.code === 'ECONNECTION' || error.code === 'ETIMEOUT');
}

/** A failed attempt is retried when none of the message reached the server, and the caller still wants it. */
export function mayRetry(attempts: number, signal: AbortSignal | undefined, error: unknown): boolean {
  return (
    attempts < MAX_ATTEMPTS &&
    signal?.aborted !== true &&
    (error as { sent?: SendProgress }).sent === 'nothing' &&
    retryable(error)
  );
}

/** The message was sent whole and its reply was lost, late or unreadable: EUNCERTAIN. */
export function uncertainIfUnanswered(error: unknown): unknown {
  if (
    !(error instanceof EsmtpError) ||
    error.sent !== 'message' ||
    !(error.code === 'ECONNECTION' || error.code === 'ETIMEOUT' || error.code === 'EPROTOCOL')
  ) {
    return error;
  }
  const uncertain = new EsmtpError(
    'EUNCERTAIN',
    `the message was sent whole but no reply came (${error.code}: ${error.message}); it may have been delivered, and was not sent again`,
    { cause: error },
  );
  return withProgress(uncertain, 'message');
}
