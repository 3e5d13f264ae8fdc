/**
 * XOAUTH2 (Google's and Microsoft's OAuth 2.0 bearer token mechanism):
 * `user=NAME ^A auth=Bearer TOKEN ^A ^A`.
 * @module
 */
import { decodeUtf8Strict, encodeUtf8 } from '../protocol/utf8.js';
import { stepLimit } from './steps.js';
import type { ClientMechanism, ServerMechanism } from './types.js';

const EMPTY = new Uint8Array(0);
const FORMAT = /^user=([^\x01]+)\x01auth=Bearer ([^\x01]+)\x01\x01$/;

/**
 * The server side: one message holding the user and the bearer token, handed over as credentials.
 * To refuse a token, send {@link XOAUTH2_FAILURE} as a challenge first, as Google and Microsoft do.
 */
export function xoauth2Server(): ServerMechanism {
  return {
    name: 'XOAUTH2',
    async respond(response) {
      if (response === undefined) return { type: 'challenge', challenge: EMPTY };
      const match = FORMAT.exec(decodeUtf8Strict(response) ?? '');
      if (match === null) return { type: 'malformed', reason: 'XOAUTH2 response is malformed' };
      return {
        type: 'credentials',
        credentials: { mechanism: 'XOAUTH2', username: match[1] as string, accessToken: match[2] as string },
      };
    },
  };
}

/** The challenge a server sends when a token is refused: a JSON error the client acknowledges. */
export const XOAUTH2_FAILURE = encodeUtf8(
  '{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}',
);

/** Two messages at most: the token, then the acknowledgement of an error. */
export function xoauth2Client(username: string, accessToken: string): ClientMechanism {
  const step = stepLimit('XOAUTH2', 2);
  return {
    name: 'XOAUTH2',
    async initialResponse() {
      step();
      return encodeUtf8(`user=${username}\x01auth=Bearer ${accessToken}\x01\x01`);
    },
    async respond() {
      step();
      return EMPTY; // the error JSON: acknowledge it, the server then answers 535
    },
  };
}
