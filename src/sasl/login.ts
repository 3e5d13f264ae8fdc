/**
 * LOGIN (draft-murchison-sasl-login): the user name and the password in two challenges,
 * `Username:` and `Password:`. Obsolete, but still what many clients send.
 * @module
 */
import { decodeUtf8Strict, encodeUtf8 } from '../protocol/utf8.js';
import { stepLimit } from './steps.js';
import type { ClientMechanism, ServerMechanism } from './types.js';

const USERNAME = encodeUtf8('Username:');
const PASSWORD = encodeUtf8('Password:');

/** The server side: asks `Username:` then `Password:` (or takes the name as initial response). */
export function loginServer(): ServerMechanism {
  let username: string | undefined;
  return {
    name: 'LOGIN',
    async respond(response) {
      if (username === undefined) {
        if (response === undefined) return { type: 'challenge', challenge: USERNAME };
        const name = decodeUtf8Strict(response);
        if (name === undefined || name === '')
          return { type: 'malformed', reason: 'LOGIN needs a user name' };
        username = name;
        return { type: 'challenge', challenge: PASSWORD };
      }
      const password = response === undefined ? undefined : decodeUtf8Strict(response);
      if (password === undefined) return { type: 'malformed', reason: 'LOGIN password is not UTF-8' };
      if (password === '') return { type: 'failed' };
      return { type: 'credentials', credentials: { mechanism: 'LOGIN', username, password } };
    },
  };
}

/** Two messages: the user name, then the password. */
export function loginClient(username: string, password: string): ClientMechanism {
  const step = stepLimit('LOGIN', 2);
  return {
    name: 'LOGIN',
    async initialResponse() {
      return undefined;
    },
    async respond(challenge) {
      step();
      const prompt = (decodeUtf8Strict(challenge) ?? '').toLowerCase();
      return encodeUtf8(prompt.startsWith('pass') ? password : username);
    },
  };
}
