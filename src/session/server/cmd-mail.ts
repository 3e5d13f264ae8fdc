/**
 * MAIL (RFC 5321 4.1.1.2): starts a transaction once the driver accepts the sender.
 * @module
 */
import type { Address } from '../../protocol/address.js';
import type { MailParameters } from '../../protocol/parameters.js';
import type { SessionCore } from './core.js';
import { Refusals } from './refusals.js';
import { envelopeOf } from './state.js';

export function mail(s: SessionCore, from: Address | null, params: MailParameters): void {
  if (s.tlsRequired) return s.refuse(Refusals.tlsRequired);
  if (s.hello === undefined || envelopeOf(s.transaction) !== undefined) return s.refuse(Refusals.badSequence);
  if (s.options.auth?.required && s.user === undefined) return s.refuse(Refusals.authRequired);
  // A declared size over the limit is refused at once (RFC 1870).
  if (params.size !== undefined && params.size > s.options.messageSize)
    return s.refuse(Refusals.messageTooBig);
  const capabilities = s.capabilities;
  if (params.body === 'BINARYMIME' && !capabilities?.binaryMime) return s.refuse(Refusals.unknownParameter);
  if (params.body === '8BITMIME' && !capabilities?.eightBitMime) return s.refuse(Refusals.unknownParameter);
  // RFC 4954 5: from a client that has not authenticated, AUTH= is read as AUTH=<>.
  const trusted = params.auth === undefined || s.user !== undefined;
  s.ask({ type: 'mail', from, params: trusted ? params : { ...params, auth: '<>' } });
}

/** The sender is accepted: the transaction begins. */
export function acceptMail(s: SessionCore, from: Address | null, params: MailParameters): void {
  s.transaction = { type: 'envelope', from, params, recipients: [], rcptAttempts: 0 };
}
