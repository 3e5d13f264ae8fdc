/**
 * CRAM-MD5 (RFC 2195): the server sends a unique challenge; the client answers with its user name
 * and HMAC-MD5(password, challenge) in hex. The server needs the plaintext password (or the
 * application does, through `verify`).
 * @module
 */
import { decodeUtf8Strict, encodeUtf8 } from '../protocol/utf8.js';
import { hmacMd5, toHex } from './md5.js';
import { stepLimit } from './steps.js';
import type { ClientMechanism, ServerMechanism } from './types.js';

/** What a CRAM-MD5 challenge is made of. */
export interface CramMd5ServerOptions {
  /** The server's name, the domain part of the challenge (`<random@hostname>`). */
  hostname: string;
  /** Random bytes for the challenge; Web Crypto's by default. */
  random?: () => Uint8Array;
}

/**
 * The server side: sends a challenge, then hands over the user name and a `verify(password)` for
 * the application to check the digest with.
 */
export function cramMd5Server(options: CramMd5ServerOptions): ServerMechanism {
  const random = options.random ?? (() => crypto.getRandomValues(new Uint8Array(12)));
  let challenge: Uint8Array | undefined;
  return {
    name: 'CRAM-MD5',
    async respond(response) {
      if (challenge === undefined) {
        if (response !== undefined)
          return { type: 'malformed', reason: 'CRAM-MD5 takes no initial response' };
        challenge = encodeUtf8(`<${toHex(random())}@${options.hostname}>`);
        return { type: 'challenge', challenge };
      }
      const match = /^(\S+) ([0-9a-f]{32})$/.exec(
        response === undefined ? '' : (decodeUtf8Strict(response) ?? ''),
      );
      if (match === null) return { type: 'malformed', reason: 'CRAM-MD5 response is malformed' };
      const digest = match[2] as string;
      const sent = challenge;
      return {
        type: 'credentials',
        credentials: {
          mechanism: 'CRAM-MD5',
          username: match[1] as string,
          verify: (password: string) => constantTimeEqual(toHex(hmacMd5(encodeUtf8(password), sent)), digest),
        },
      };
    },
  };
}

/** One message: the digest of the server's challenge. */
export function cramMd5Client(username: string, password: string): ClientMechanism {
  const step = stepLimit('CRAM-MD5', 1);
  return {
    name: 'CRAM-MD5',
    async initialResponse() {
      return undefined;
    },
    async respond(challenge) {
      step();
      return encodeUtf8(`${username} ${toHex(hmacMd5(encodeUtf8(password), challenge))}`);
    },
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
