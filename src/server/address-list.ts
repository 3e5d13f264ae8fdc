/**
 * Lists of client addresses written as CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`, or one address),
 * as options give them: the proxies trusted to send a PROXY header, the networks allowed to relay.
 * @module
 */
import { BlockList, isIP } from 'node:net';

/** A set of networks that an address can be looked up in. */
export interface AddressList {
  /** The address (IPv4, IPv6, or IPv4-mapped IPv6 as Node reports it) is in one of the networks. */
  includes(address: string): boolean;
}

/**
 * Parses `networks` once; a block that is not an address with an optional prefix length is a
 * TypeError naming `option`, so that a typo fails at start-up rather than letting the world in.
 */
export function addressList(networks: readonly string[], option: string): AddressList {
  const list = new BlockList();
  for (const network of networks) {
    const slash = network.indexOf('/');
    const address = slash === -1 ? network : network.slice(0, slash);
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixText = slash === -1 ? String(bits) : network.slice(slash + 1);
    const prefix = Number(prefixText);
    if (family === 0 || !/^\d{1,3}$/.test(prefixText) || prefix > bits) {
      throw new TypeError(`${option}: ${JSON.stringify(network)} is not an address or a CIDR block`);
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    includes(address: string): boolean {
      const family = isIP(address);
      // BlockList matches an IPv4-mapped IPv6 address (::ffff:10.0.0.1) against IPv4 blocks.
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
