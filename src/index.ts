/**
 * esmtp: an ESMTP library for TypeScript.
 *
 * This release holds the protocol layer: command, reply, address and parameter grammars, the
 * line reader, DATA dot-stuffing and unstuffing, and BDAT chunk counting. It is pure (no I/O and
 * no Node APIs), so it runs on Node, Deno, Bun and Workers alike.
 * @module
 */
export * from './protocol/index.js';
export { utf8Length } from './protocol/utf8.js';
