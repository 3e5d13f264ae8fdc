/**
 * What EHLO offers, worked out once per session options and TLS state rather than at every EHLO:
 * the capabilities, the MAIL and RCPT parameters they allow, and the reply's lines after the
 * first. A server resolves its options once, so all its connections share these.
 * @module
 */
import type { ParseCommandOptions } from '../../protocol/commands.js';
import { type Capabilities, formatEhloReply } from '../../protocol/ehlo.js';
import {
  mailKeywords,
  offeredCapabilities,
  type ResolvedServerOptions,
  rcptKeywords,
} from '../server-options.js';

export interface HelloOffer {
  readonly capabilities: Capabilities;
  readonly parseOptions: ParseCommandOptions;
  /** The EHLO reply's lines after the first (which greets the client by name). */
  readonly lines: readonly string[];
}

/** Per options: the offer in clear text, and over TLS. */
const OFFERS = new WeakMap<ResolvedServerOptions, { clear?: HelloOffer; secure?: HelloOffer }>();

export function helloOffer(options: ResolvedServerOptions, secure: boolean): HelloOffer {
  let offers = OFFERS.get(options);
  if (offers === undefined) {
    offers = {};
    OFFERS.set(options, offers);
  }
  const known = secure ? offers.secure : offers.clear;
  if (known !== undefined) return known;
  const capabilities = offeredCapabilities(options, secure);
  const offer: HelloOffer = {
    capabilities,
    parseOptions: { mailParameters: mailKeywords(capabilities), rcptParameters: rcptKeywords(capabilities) },
    lines: formatEhloReply({ domain: '', greeting: '', capabilities }).lines.slice(1),
  };
  if (secure) offers.secure = offer;
  else offers.clear = offer;
  return offer;
}
