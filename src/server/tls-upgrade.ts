/**
 * The server's side of a TLS handshake on a connection: implicit TLS right after accepting, or
 * STARTTLS after its 220.
 * @module
 */
import type { Transport } from '../transport/transport.js';
import type { ServerTls } from './tls.js';

/**
 * Runs the handshake as the server within `timeout` milliseconds; false when it failed or took too
 * long. The caller must then end the connection: nothing is ever read in cleartext after it.
 */
export async function upgradeToTls(transport: Transport, tls: ServerTls, timeout: number): Promise<boolean> {
  const startTls = transport.startTls?.bind(transport);
  if (startTls === undefined) return false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeout);
  });
  try {
    return await Promise.race([startTls(tls.socketOptions(), true).then(() => true), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
