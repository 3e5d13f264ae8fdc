/**
 * RCPT (RFC 5321 4.1.1.3): adds a recipient to the transaction once the driver accepts it.
 * @module
 */
import type { Address } from '../../protocol/address.js';
import type { RcptParameters } from '../../protocol/parameters.js';
import type { SessionCore } from './core.js';
import { Refusals } from './refusals.js';

export function rcpt(s: SessionCore, to: Address, params: RcptParameters): void {
  if (s.tlsRequired) return s.refuse(Refusals.tlsRequired);
  const t = s.transaction;
  // Not before MAIL, nor once the message has begun.
  if (t.type !== 'envelope') return s.refuse(Refusals.badSequence);
  t.rcptAttempts++;
  if (t.recipients.length >= s.options.recipients) return s.refuse(Refusals.tooManyRecipients);
  if (to.utf8 && !t.params.smtputf8) return s.refuse(Refusals.utf8NotAllowed);
  s.ask({ type: 'rcpt', to, params });
}

/** The recipient is accepted. */
export function acceptRcpt(s: SessionCore, to: Address, params: RcptParameters): void {
  const t = s.transaction;
  if (t.type === 'envelope') t.recipients.push({ address: to, params });
}
