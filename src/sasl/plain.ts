/**
 * PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd` in one message.
 * @module
 */
import { decodeUtf8Strict, encodeUtf8 } from '../protocol/utf8.js';
import { stepLimit } from './steps.js';
import type { ClientMechanism, ServerMechanism, ServerStep } from './types.js';

const EMPTY = new Uint8Array(0);

/**
 * The server side: one message, as the initial response or after an empty challenge. An empty
 * password is refused as a failure.
 */
export function plainServer(): ServerMechanism {
  return {
    name: 'PLAIN',
    async respond(response) {
      // No initial response: ask for it with an empty challenge (RFC 4954 4).
      if (response === undefined) return { type: 'challenge', challenge: EMPTY };
      return readPlain(response);
    },
  };
}

function readPlain(response: Uint8Array): ServerStep {
  const text = decodeUtf8Strict(response);
  if (text === undefined) return { type: 'malformed', reason: 'PLAIN response is not UTF-8' };
  const parts = text.split('\0');
  if (parts.length !== 3)
    return { type: 'malformed', reason: 'PLAIN needs exactly three NUL-separated parts' };
  const [authzid, username, password] = parts as [string, string, string];
  if (username === '') return { type: 'malformed', reason: 'PLAIN needs a user name' };
  // An empty password is never accepted (RFC 4616 4 lets the server refuse it; we always do).
  if (password === '') return { type: 'failed' };
  const credentials =
    authzid === '' || authzid === username
      ? { mechanism: 'PLAIN' as const, username, password }
      : { mechanism: 'PLAIN' as const, username, password, authzid };
  return { type: 'credentials', credentials };
}

/** One message: as the initial response, or in answer to the server's empty challenge. */
export function plainClient(username: string, password: string, authzid = ''): ClientMechanism {
  const step = stepLimit('PLAIN', 1);
  const message = () => {
    step();
    return encodeUtf8(`${authzid}\0${username}\0${password}`);
  };
  return {
    name: 'PLAIN',
    async initialResponse() {
      return message();
    },
    async respond() {
      return message();
    },
  };
}
