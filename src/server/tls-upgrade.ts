/**
 * The server's side of a TLS handshake on a connection: implicit TLS right after accepting, or
 * STARTTLS after its 220.
 * @module
 */
import type { Logger } from '../tracing/logger.js';
import type { Transport } from '../transport/transport.js';
import type { ServerTls } from './tls.js';

/**
 * Runs the handshake as the server within `timeout` milliseconds; false (logged) when it failed or
 * took too long. The caller must then end the connection: nothing is ever read in cleartext after.
 */
export async function upgradeToTls(
  transport: Transport,
  tls: ServerTls,
  timeout: number,
  logger: Logger,
): Promise<boolean> {
  const startTls = transport.startTls?.bind(transport);
  if (startTls === undefined) return false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no handshake within ${timeout} ms`), timeout);
  });
  // Why it failed, or undefined once the handshake is done.
  const done = startTls(tls.socketOptions(), true).then(
    () => undefined,
    (error: Error) => error.message,
  );
  const failure = await Promise.race([done, late]);
  clearTimeout(timer);
  if (failure === undefined) return true;
  const { remoteAddress, remotePort } = transport.info;
  logger.info({ remoteAddress, remotePort, error: failure }, 'TLS handshake failed');
  return false;
}
