/**
 * The recipients of a delivery grouped by where they go: a domain (compared without case) or an
 * address literal.
 * @module
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parseMailbox } from '../../protocol/address.js';
import type { SmtpError } from '../../protocol/errors.js';
import { type Reply, reply } from '../../protocol/reply.js';

/** Where a group of recipients goes. */
export type Destination =
  /** A domain: its MX hosts. `name` is lower case; `ascii` is its A-label form for DNS. */
  | { readonly type: 'domain'; readonly name: string; readonly ascii: string }
  /** An address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`): that address, no DNS. */
  | { readonly type: 'literal'; readonly name: string; readonly ip: string };

/** Recipients that go to one destination, in the order of the envelope. */
export interface RecipientGroup {
  readonly destination: Destination;
  readonly recipients: string[];
}

/** What the envelope's `to` comes to: the groups, and the recipients that go nowhere. */
export interface GroupedRecipients {
  readonly groups: RecipientGroup[];
  readonly invalid: { readonly recipient: string; readonly reply: Reply; readonly reason: string }[];
}

/** Groups `to` by destination. A recipient that is not a mailbox, or whose domain cannot be looked up, is invalid. */
export function groupRecipients(to: readonly string[]): GroupedRecipients {
  const groups = new Map<string, RecipientGroup>();
  const invalid: GroupedRecipients['invalid'][number][] = [];
  for (const recipient of to) {
    const destination = destinationOf(recipient);
    if ('reply' in destination) {
      invalid.push({ recipient, ...destination });
      continue;
    }
    const group = groups.get(destination.name);
    if (group === undefined) groups.set(destination.name, { destination, recipients: [recipient] });
    else group.recipients.push(recipient);
  }
  return { groups: [...groups.values()], invalid };
}

function destinationOf(recipient: string): Destination | { reply: Reply; reason: string } {
  const bare = recipient.startsWith('<') && recipient.endsWith('>') ? recipient.slice(1, -1) : recipient;
  let domain: string;
  try {
    domain = parseMailbox(bare).domain;
  } catch (error) {
    return { reply: (error as SmtpError).reply, reason: `not a mailbox: ${JSON.stringify(recipient)}` };
  }
  if (domain.startsWith('[')) {
    const inner = domain.slice(1, -1);
    const ip = /^ipv6:/i.test(inner) ? inner.slice(5) : inner;
    if (isIP(ip) === 0) {
      return {
        reply: reply(550, '5.1.2', 'unsupported address literal'),
        reason: `an address literal that is not an IP address: ${domain}`,
      };
    }
    return { type: 'literal', name: domain.toLowerCase(), ip };
  }
  const name = domain.toLowerCase().replace(/\.$/, '');
  const ascii = domainToASCII(name);
  if (ascii === '') {
    return {
      reply: reply(501, '5.1.3', 'bad destination domain'),
      reason: `the domain cannot be looked up: ${domain}`,
    };
  }
  return { type: 'domain', name, ascii };
}
