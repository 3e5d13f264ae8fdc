/**
 * Delivery to one destination: its MX hosts in order (or its address literal), each host's
 * addresses in turn, under the TLS plan that the options and the domain's MTA-STS policy make,
 * until one host answers for the message.
 * @module
 */
import { mxMatchesPolicy } from '../../protocol/mta-sts.js';
import { type AttemptContext, type AttemptResult, attempt, local, type TlsPlan } from './attempt.js';
import { type Dns, hostAddresses, type MxHost, mxHosts } from './dns.js';
import type { ActivePolicy, MtaSts } from './mta-sts.js';
import type { RecipientGroup } from './recipients.js';
import type { DomainReport, RecipientOutcome } from './types.js';

/**
 * Addresses tried for one domain at most, over all its hosts: a domain with dozens of MX
 * addresses that all time out would otherwise hold its recipients for an hour.
 */
export const MAX_ADDRESSES_TRIED = 10;

/** What a destination's delivery needs beyond one attempt's context. */
export interface DomainContext extends AttemptContext {
  readonly dns: Dns;
  readonly tls: 'opportunistic' | 'required' | 'none';
  readonly mtaSts: MtaSts | undefined;
}

/** What became of one destination's recipients. */
export interface DomainDelivery {
  readonly outcomes: RecipientOutcome[];
  readonly report: DomainReport;
}

/** Delivers to one group's destination. Throws only EABORT. */
export async function deliverToDestination(
  group: RecipientGroup,
  ctx: DomainContext,
): Promise<DomainDelivery> {
  const { destination, recipients } = group;
  const everyone = (status: 'deferred' | 'failed', code: number, enhanced: string, reason: string) => ({
    outcomes: recipients.map((r) => local(r, status, code, enhanced, reason)),
    report: { domain: destination.name },
  });
  if (destination.type === 'literal') {
    const hosts = [{ name: destination.name, addresses: [destination.ip] }];
    return tryHosts(hosts, group, ctx, undefined);
  }
  const domain = destination.ascii;
  const mx = await mxHosts(ctx.dns, domain);
  switch (mx.type) {
    case 'null-mx':
      // RFC 7505 4.2: the domain takes no mail; report 556 5.1.10 without trying anything.
      return everyone('failed', 556, '5.1.10', `${domain} does not accept mail (null MX)`);
    case 'no-domain':
      return everyone('failed', 550, '5.1.2', `no such domain: ${domain}`);
    case 'temporary':
      return everyone('deferred', 451, '4.4.3', mx.reason);
  }
  let hosts: HostToTry[] = mx.hosts.map((host) => ({ name: host.name, addresses: undefined }));
  if (mx.implicit) {
    // RFC 5321 5.1: a domain with neither MX nor address records has no mail host; that is an error.
    const found = await hostAddresses(ctx.dns, domain);
    if (found.addresses.length === 0 && !found.temporary)
      return everyone('failed', 550, '5.1.2', `${domain} has no MX and no address record`);
    hosts = [{ name: domain, addresses: found.addresses.length > 0 ? found.addresses : undefined }];
  }
  const policy = ctx.mtaSts === undefined ? undefined : await ctx.mtaSts.policyOf(ctx.dns, domain);
  return tryHosts(hosts, group, ctx, policy?.policy.mode === 'none' ? undefined : policy);
}

/** A host to try; its addresses are looked up when its turn comes. */
interface HostToTry {
  readonly name: MxHost['name'];
  readonly addresses: readonly string[] | undefined;
}

async function tryHosts(
  hosts: readonly HostToTry[],
  group: RecipientGroup,
  ctx: DomainContext,
  policy: ActivePolicy | undefined,
): Promise<DomainDelivery> {
  const enforce = policy?.policy.mode === 'enforce';
  const failures: string[] = []; // what did not satisfy the MTA-STS policy
  const reasons: string[] = []; // why each host was not used
  let tlsOnly = true; // every host was passed over for TLS or MTA-STS
  let tried = 0;
  const report = () => ({
    domain: group.destination.name,
    ...(policy === undefined ? {} : { mtaSts: { id: policy.id, mode: policy.policy.mode, failures } }),
  });
  for (const host of hosts) {
    if (tried >= MAX_ADDRESSES_TRIED) break;
    if (policy !== undefined && !mxMatchesPolicy(host.name, policy.policy.mx)) {
      failures.push(`${host.name}: not among the policy's mx patterns`);
      if (enforce) {
        reasons.push(`${host.name}: not allowed by the MTA-STS policy`);
        continue;
      }
    }
    let addresses = host.addresses;
    if (addresses === undefined) {
      const found = await hostAddresses(ctx.dns, host.name);
      if (found.addresses.length === 0) reasons.push(found.reason);
      addresses = found.addresses;
    }
    if (addresses.length === 0) tlsOnly = false;
    for (const address of addresses.slice(0, MAX_ADDRESSES_TRIED - tried)) {
      tried++;
      const result = await withPlans({ host: host.name, address }, group.recipients, ctx, policy, failures);
      if (result.type === 'answered') return { outcomes: result.outcomes, report: report() };
      reasons.push(result.reason);
      tlsOnly &&= result.tls;
    }
  }
  const why = reasons.length === 0 ? 'no MX host to try' : reasons.join('; ');
  // 4.7.5 when TLS or MTA-STS is all that stood in the way; 4.4.1 (no answer from host) otherwise.
  const enhanced = tlsOnly && reasons.length > 0 ? '4.7.5' : '4.4.1';
  return {
    outcomes: group.recipients.map((r) => local(r, 'deferred', 451, enhanced, why)),
    report: report(),
  };
}

/**
 * One address under the TLS plans in turn. `required`, and an MTA-STS policy in `enforce` mode,
 * verify or give up; in `testing` mode a failed verification is reported and the address is tried
 * as the options say; opportunistic TLS that fails is tried again in cleartext (as Postfix does:
 * a server with broken TLS still gets its mail, which it would have had from a sender without TLS).
 */
async function withPlans(
  target: { host: string; address: string },
  recipients: readonly string[],
  ctx: DomainContext,
  policy: ActivePolicy | undefined,
  failures: string[],
): Promise<AttemptResult> {
  const base: TlsPlan = ctx.tls === 'required' ? 'verify' : ctx.tls;
  const plans: TlsPlan[] =
    policy?.policy.mode === 'enforce'
      ? ['verify']
      : policy?.policy.mode === 'testing' && base !== 'verify'
        ? ['verify', base]
        : [base];
  if (plans.at(-1) === 'opportunistic') plans.push('none');
  let result: AttemptResult = { type: 'unusable', reason: '', tls: false };
  for (const plan of plans) {
    result = await attempt(target, recipients, plan, ctx);
    if (result.type === 'answered' || !result.tls) return result;
    if (plan === 'verify' && policy !== undefined) failures.push(result.reason);
  }
  return result;
}
