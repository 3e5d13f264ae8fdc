/**
 * EHLO, HELO and LHLO (RFC 5321 4.1.1.1, RFC 2033 4.1): a new greeting ends any transaction, and
 * once the driver accepts it, says what the session offers.
 * @module
 */
import { formatEhloReply } from '../../protocol/ehlo.js';
import { type Reply, reply } from '../../protocol/reply.js';
import { mailKeywords, offeredCapabilities, rcptKeywords } from '../server-options.js';
import type { SessionCore } from './core.js';
import { Refusals } from './refusals.js';

export function hello(s: SessionCore, verb: 'EHLO' | 'HELO' | 'LHLO', name: string): void {
  // RFC 2033 4.1: an LMTP server takes LHLO only; an SMTP server does not know it.
  if ((verb === 'LHLO') !== s.options.lmtp) return s.refuse(Refusals.unrecognized);
  s.endTransaction('helo');
  s.ask({ type: 'helo', name, extended: verb !== 'HELO' });
}

/** The greeting is accepted: what the client may use from now on, and the 250 that says it. */
export function acceptHello(
  s: SessionCore,
  name: string,
  extended: boolean,
  custom: Reply | undefined,
): void {
  if (extended) {
    const capabilities = offeredCapabilities(s.options, s.secure);
    const parseOptions = {
      mailParameters: mailKeywords(capabilities),
      rcptParameters: rcptKeywords(capabilities),
    };
    s.hello = { name, extended, capabilities, parseOptions };
  } else s.hello = { name, extended };
  if (custom !== undefined) return s.reply(custom);
  const greeting = `Hello ${name}`;
  const capabilities = s.capabilities;
  if (capabilities === undefined) return s.reply(reply(250, undefined, `${s.options.hostname} ${greeting}`));
  s.reply(formatEhloReply({ domain: s.options.hostname, greeting, capabilities }));
}
