/**
 * Lists of mail domains as options give them: `example.com` for that domain, `.example.com` for
 * its subdomains (not the domain itself), `[192.0.2.1]` or `[IPv6:2001:db8::1]` for an address
 * literal. Matching is by the canonical form of both sides, so that case, U-labels against their
 * A-labels (`bücher.example` is `xn--bcher-kva.example`), a trailing dot, and the ways to write one
 * address in a literal make no difference; and by whole labels, so that `.example.com` never
 * matches `evil-example.com`.
 * @module
 */
import { domainToASCII } from 'node:url';
import { isAddressLiteral, isDomain } from '../protocol/address.js';

/** A set of domains that a recipient's domain can be looked up in. */
export interface DomainList {
  /** The domain (as an `Address` has it: a name with A- or U-labels, or an address literal) is listed. */
  includes(domain: string): boolean;
}

/**
 * Reads `domains` once; an entry that is neither a domain (with an optional leading dot) nor an
 * address literal is a TypeError naming `option`, so that a typo fails at start-up.
 */
export function domainList(domains: readonly string[], option: string): DomainList {
  const exact = new Set<string>();
  const parents = new Set<string>();
  for (const entry of domains) {
    const subdomains = entry.startsWith('.');
    const name = canonicalDomain(subdomains ? entry.slice(1) : entry);
    if (name === undefined || (subdomains && name.startsWith('['))) {
      throw new TypeError(`${option}: ${JSON.stringify(entry)} is not a domain or an address literal`);
    }
    (subdomains ? parents : exact).add(name);
  }
  return {
    includes(domain: string): boolean {
      const name = canonicalDomain(domain);
      if (name === undefined) return false;
      if (exact.has(name)) return true;
      // Each parent in turn, label by label: a.b.example.com → b.example.com → example.com → com.
      for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
        if (parents.has(name.slice(dot + 1))) return true;
      }
      return false;
    },
  };
}

/**
 * The form two spellings of one domain share: lower-case A-labels without a trailing dot, or an
 * address literal with its address in canonical form. Undefined when `text` is neither.
 */
function canonicalDomain(text: string): string | undefined {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.startsWith('[')) return isAddressLiteral(name) ? canonicalLiteral(name) : undefined;
  if (!isDomain(name)) return undefined;
  // domainToASCII applies IDNA (case folding, U-labels to A-labels); it gives '' for names it
  // refuses that SMTP's grammar allows (a malformed `xn--` label), which then match only as written.
  return domainToASCII(name) || name.toLowerCase();
}

function canonicalLiteral(literal: string): string {
  const inner = literal.slice(1, -1);
  if (!/^ipv6:/i.test(inner)) return `[${inner.split('.').map(Number).join('.')}]`;
  // The URL parser writes an IPv6 address in its one canonical form (RFC 5952).
  return `[ipv6:${new URL(`http://[${inner.slice(5)}]/`).hostname.slice(1, -1)}]`;
}
