import { describe, expect, it } from 'vitest';
import { addressList } from '../../src/server/address-list.js';

describe('addressList', () => {
  const list = addressList(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'], 'networks');

  it('finds addresses inside its blocks, IPv4-mapped IPv6 included', () => {
    for (const address of ['10.1.2.3', '192.0.2.7', '::ffff:10.9.9.9', '2001:db8::1']) {
      expect(list.includes(address), address).toBe(true);
    }
  });

  it('does not find addresses outside them, nor what is not an address', () => {
    for (const address of ['11.0.0.1', '192.0.2.8', '2001:db9::1', '', 'localhost', '10.0.0.0/8']) {
      expect(list.includes(address), address).toBe(false);
    }
  });

  it('refuses a block it cannot read, naming the option', () => {
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/', '10.0.0.0/x', '::/129', '']) {
      expect(() => addressList([bad], 'proxyProtocol.trusted'), bad).toThrow(
        /^proxyProtocol\.trusted: .* is not an address or a CIDR block$/,
      );
    }
  });
});
