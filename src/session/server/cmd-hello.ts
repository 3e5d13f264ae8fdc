/**
 * EHLO, HELO and LHLO (RFC 5321 4.1.1.1, RFC 2033 4.1): a new greeting ends any transaction, and
 * once the driver accepts it, says what the session offers.
 * @module
 */
import { type Reply, reply } from '../../protocol/reply.js';
import type { SessionCore } from './core.js';
import { helloOffer } from './hello-offer.js';
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
  const greeting = `${s.options.hostname} Hello ${name}`;
  if (!extended) {
    s.hello = { name, extended };
    return custom === undefined ? s.reply(reply(250, undefined, greeting), false) : s.reply(custom);
  }
  const offer = helloOffer(s.options, s.secure);
  s.hello = { name, extended, capabilities: offer.capabilities, parseOptions: offer.parseOptions };
  // A custom reply to EHLO gives the first line; the capabilities still follow, or the client
  // could not use any extension.
  s.reply({ code: 250, lines: [custom?.lines[0] ?? greeting, ...offer.lines] }, false);
}
