/**
 * Which SASL mechanisms a server offers, and the server side of each for one exchange.
 * @module
 */
import { cramMd5Server } from '../sasl/cram-md5.js';
import { loginServer } from '../sasl/login.js';
import { plainServer } from '../sasl/plain.js';
import { scramServer } from '../sasl/scram.js';
import type { ServerMechanism } from '../sasl/types.js';
import { xoauth2Server } from '../sasl/xoauth2.js';
import type { SaslMechanismName, ServerAuthOptions, SessionInfo } from './options.js';

/** The mechanisms to offer: those listed, or those the given hooks can serve. */
export function offeredMechanisms(auth: ServerAuthOptions): SaslMechanismName[] {
  if (auth.mechanisms !== undefined) {
    for (const m of auth.mechanisms) {
      const needs = m === 'SCRAM-SHA-256' ? auth.scramKeys : auth.authenticate;
      if (needs === undefined)
        throw new TypeError(`auth: ${m} needs ${m === 'SCRAM-SHA-256' ? 'scramKeys' : 'authenticate'}`);
    }
    return [...auth.mechanisms];
  }
  const offered: SaslMechanismName[] = [];
  if (auth.scramKeys !== undefined) offered.push('SCRAM-SHA-256');
  if (auth.authenticate !== undefined) offered.push('PLAIN', 'LOGIN');
  if (offered.length === 0) throw new TypeError('auth needs authenticate() or scramKeys()');
  return offered;
}

export function serverMechanism(
  name: string,
  auth: ServerAuthOptions,
  session: SessionInfo,
  hostname: string,
  mockSecret: Uint8Array,
): ServerMechanism {
  switch (name) {
    case 'SCRAM-SHA-256':
      return scramServer({ lookup: (user) => auth.scramKeys?.(user, session), mockSecret });
    case 'LOGIN':
      return loginServer();
    case 'CRAM-MD5':
      return cramMd5Server({ hostname });
    case 'XOAUTH2':
      return xoauth2Server();
    default:
      return plainServer();
  }
}
