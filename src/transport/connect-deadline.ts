/**
 * A connection attempt within a deadline and until an abort, for the web connectors; the socket of
 * an attempt given up on is closed when it arrives.
 * @module
 */
import { EsmtpError } from '../protocol/errors.js';

/** How long and until what a connector waits to connect. */
export interface ConnectWait {
  /** Milliseconds to wait for the connection (and an implicit TLS handshake). Default 30 s. */
  timeout?: number;
  /** Gives up connecting with `EABORT`. */
  signal?: AbortSignal;
}

/** `attempt` within `wait`, else ETIMEOUT or EABORT (and the socket is closed by `discard`). */
export function withinDeadline<T>(
  attempt: Promise<T>,
  discard: (socket: T) => void,
  wait: ConnectWait,
): Promise<T> {
  const timeout = wait.timeout ?? 30_000;
  const signal = wait.signal;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (error: EsmtpError | undefined, socket?: T) => {
      if (settled) {
        if (socket !== undefined) discard(socket);
        return;
      }
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(socket as T);
      else reject(error);
    };
    const timer = setTimeout(
      () => settle(new EsmtpError('ETIMEOUT', `could not connect within ${timeout} ms`)),
      timeout,
    );
    const onAbort = () =>
      settle(new EsmtpError('EABORT', 'the operation was aborted', { cause: signal?.reason }));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    attempt.then(
      (socket) => settle(undefined, socket),
      (error: Error) =>
        settle(new EsmtpError('ECONNECTION', `could not connect: ${error.message}`, { cause: error })),
    );
  });
}
