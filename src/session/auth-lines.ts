/**
 * The line framing of SMTP AUTH (RFC 4954 4): base64 responses, `=` for an empty one, `*` to
 * cancel. The mechanisms themselves live in `src/sasl/`.
 * @module
 */
import { Replies } from '../protocol/replies.js';
import { type Reply, reply } from '../protocol/reply.js';
import { decodeBase64, encodeBase64 } from '../sasl/base64.js';

/** Longest AUTH line, CRLF included (RFC 4954 4). */
export const AUTH_LINE_LENGTH = 12288;

export const AuthReplies = {
  cancelled: reply(501, '5.7.0', 'Authentication canceled'),
  badBase64: reply(501, '5.5.2', 'Invalid base64 data'),
  malformed: reply(501, '5.5.2', 'Malformed authentication data'),
  unknownMechanism: reply(504, '5.5.4', 'Unrecognized authentication type'),
  encryptionRequired: reply(538, '5.7.11', 'Encryption required for requested authentication mechanism'),
  failed: reply(535, '5.7.8', 'Authentication credentials invalid'),
  succeeded: Replies.authenticated,
  authRequired: reply(530, '5.7.0', 'Authentication required'),
  tlsRequired: reply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  senderNotOwned: reply(553, '5.7.1', 'Sender address is not owned by the authenticated user'),
} as const;

/** A response line read: the decoded bytes, or the reply that ends the exchange. */
export type AuthLine = { readonly bytes: Uint8Array } | { readonly end: Reply };

/** Reads one AUTH response (or initial response) line. */
export function readAuthLine(text: string): AuthLine {
  if (text === '*') return { end: AuthReplies.cancelled };
  if (text === '=') return { bytes: new Uint8Array(0) };
  const bytes = decodeBase64(text);
  return bytes === undefined ? { end: AuthReplies.badBase64 } : { bytes };
}

/** The 334 reply that carries a challenge (no enhanced code: the text is data). */
export function challengeReply(challenge: Uint8Array): Reply {
  return { code: 334, lines: [encodeBase64(challenge)] };
}
