/**
 * `relayPolicy()`: which recipients a server takes, as an `onRcptTo` hook, for the two common
 * setups. An MX takes mail for its own domains only, from anyone; a submission server takes mail
 * for any domain, but only from its users (and trusted networks). One server may be both.
 * @module
 */
import type { Address } from '../protocol/address.js';
import type { RcptParameters } from '../protocol/parameters.js';
import { Replies } from '../protocol/replies.js';
import { addressList } from './address-list.js';
import { domainList } from './domain-list.js';
import type { DefaultState, HookAnswer, SessionInfo } from './options.js';

/** Who may send to any domain (relay), not only to the local ones. */
export interface RelayClients {
  /** A client that has authenticated (AUTH) may relay. Default false. */
  authenticated?: boolean;
  /**
   * Clients from these networks may relay without AUTH: CIDR blocks (`10.0.0.0/8`,
   * `2001:db8::/32`) or single addresses. Default none.
   */
  networks?: readonly string[];
}

/** The options of {@link relayPolicy}. */
export interface RelayPolicyOptions<State = DefaultState> {
  /**
   * The domains this server receives mail for, from anyone: `example.com` for that domain (in any
   * case, with U-labels or their A-labels), `.example.com` for its subdomains (list both for
   * both), `[192.0.2.1]` or `[IPv6:2001:db8::1]` for an address literal. Default none.
   */
  localDomains?: readonly string[];
  /**
   * Looks a recipient in a local domain up: false refuses it with 550 5.1.1, now rather than with
   * a bounce later. May be async. Without it, every mailbox of a local domain is taken.
   * `postmaster` is never looked up: RFC 5321 4.5.1 has every domain take mail for it.
   */
  mailboxExists?(to: Address, session: SessionInfo<State>): boolean | Promise<boolean>;
  /** Who may send to other domains. Default: nobody. */
  relayFor?: RelayClients;
}

/** An `onRcptTo` hook made by {@link relayPolicy}: a refusal `Reply`, or undefined to accept. */
export type RelayPolicy<State = DefaultState> = (
  to: Address,
  params: RcptParameters,
  session: SessionInfo<State>,
) => HookAnswer | Promise<HookAnswer>;

/**
 * Makes an `onRcptTo` hook that keeps the server from being an open relay:
 *
 * - a recipient in `localDomains` (and `<Postmaster>`) is taken from anyone, once `mailboxExists`
 *   (if given) finds it: 550 5.1.1 otherwise; but one whose local part routes on
 *   (`"bob@elsewhere"@example.com`, `bob%elsewhere@example.com`, `elsewhere!bob@example.com`) only
 *   from a client that may relay, 550 5.7.1 otherwise;
 * - a recipient elsewhere is taken only from a client that `relayFor` lets relay, and refused
 *   with 550 5.7.1 otherwise.
 *
 * Refusals are 550: RFC 5321 3.6.2 says a server that declines to relay for policy reasons
 * SHOULD answer 550 (and 7.9 the same for any policy refusal at RCPT), where Postfix's default
 * is 554, which RFC 5321 4.2.3 gives to a failed transaction rather than to one recipient. The
 * enhanced codes are RFC 3463's: 5.7.1 delivery not authorized, 5.1.1 bad destination mailbox.
 * The policy answers RCPT only: to refuse MAIL before AUTH as well (530 5.7.0), add
 * `requireAuth: true`.
 *
 * Use it as the hook (`onRcptTo: relayPolicy({ localDomains: ['example.com'] })`), or call it
 * from one of your own: `const refusal = await policy(to, params, session)`.
 */
export function relayPolicy<State = DefaultState>(options: RelayPolicyOptions<State>): RelayPolicy<State> {
  const { localDomains, mailboxExists, relayFor } = options;
  if (localDomains === undefined && relayFor === undefined) {
    throw new TypeError(
      'relayPolicy: give localDomains, relayFor, or both; without them every recipient is refused',
    );
  }
  if (mailboxExists !== undefined && localDomains === undefined) {
    throw new TypeError('relayPolicy: mailboxExists looks up recipients in localDomains, which is not given');
  }
  const local = domainList(localDomains ?? [], 'relayPolicy: localDomains');
  const networks = addressList(relayFor?.networks ?? [], 'relayPolicy: relayFor.networks');
  const authenticated = relayFor?.authenticated ?? false;
  return (to, _params, session) => {
    const mayRelay =
      (authenticated && session.user !== undefined) || networks.includes(session.remoteAddress);
    if (to.domain === '' || local.includes(to.domain)) {
      // A local part that routes on (`"bob@elsewhere"@local`, `bob%elsewhere@local`,
      // `elsewhere!bob@local`) is relayed by many a downstream MTA that takes this mail: only from
      // those who may relay anyway, as Postfix's allow_untrusted_routing = no decides.
      if (!mayRelay && ROUTING.test(to.localPart)) return Replies.relayDenied;
      if (mailboxExists === undefined || to.localPart.toLowerCase() === 'postmaster') return undefined;
      const found = mailboxExists(to, session);
      return typeof found === 'boolean' ? mailbox(found) : found.then(mailbox);
    }
    return mayRelay ? undefined : Replies.relayDenied;
  };
}

/** The characters of sender-specified routing in a local part: `@`, `%` (the percent hack) and UUCP's `!`. */
const ROUTING = /[@%!]/;

function mailbox(found: boolean): HookAnswer {
  return found ? undefined : Replies.noSuchUser;
}
