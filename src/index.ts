/**
 * esmtp: an ESMTP library for TypeScript.
 *
 * - `SmtpServer`: an embeddable SMTP server with hooks.
 * - `SmtpClient`: sends mail, negotiating STARTTLS, AUTH, PIPELINING and CHUNKING by itself.
 * - `ServerSession`: the server's protocol state machine, pure, for custom drivers.
 * - SASL mechanisms (PLAIN, LOGIN, CRAM-MD5, XOAUTH2, SCRAM-SHA-256), pure, both sides.
 * - The transports: `NodeTransport`, `memoryPair()`.
 * - The protocol layer: command, reply, address and parameter grammars, the line reader, DATA
 *   dot-stuffing and unstuffing, and BDAT chunk counting. Pure (no I/O and no Node APIs).
 * @module
 */
export * from './client/index.js';
export * from './protocol/index.js';
export { utf8Length } from './protocol/utf8.js';
export * from './sasl/index.js';
export * from './server/index.js';
export * from './session/index.js';
export type { Logger } from './tracing/logger.js';
export type { ConnectionEvent, WireLine } from './tracing/wire.js';
export * from './transport/index.js';
