import { describe, expect, it } from 'vitest';
import { domainList } from '../../src/server/domain-list.js';

describe('domainList', () => {
  const list = domainList(
    ['Example.COM', '.sub.example.net', 'bücher.example', '[192.0.2.1]', '[IPv6:2001:DB8:0:0::1]'],
    'localDomains',
  );

  it('finds a listed domain whatever its case, its labels (U or A) or a trailing dot', () => {
    for (const domain of [
      'example.com',
      'EXAMPLE.com',
      'example.com.',
      'BÜCHER.example',
      'xn--bcher-kva.example',
    ]) {
      expect(list.includes(domain), domain).toBe(true);
    }
  });

  it('an address literal matches however its address is written', () => {
    for (const domain of ['[192.0.2.1]', '[192.0.2.01]', '[IPv6:2001:db8::1]', '[ipv6:2001:0db8:0::0:1]']) {
      expect(list.includes(domain), domain).toBe(true);
    }
  });

  it('whole labels only: never evil-example.com for example.com, nor a subdomain unless listed with a dot', () => {
    for (const domain of [
      'evil-example.com',
      'example.com.evil.net',
      'www.example.com',
      'sub.example.net', // `.sub.example.net` is its subdomains, not itself
      'xsub.example.net',
      '[192.0.2.2]',
      '[IPv6:2001:db8::2]',
      '',
      'not a domain',
    ]) {
      expect(list.includes(domain), domain).toBe(false);
    }
    for (const domain of ['a.sub.example.net', 'A.B.SUB.example.NET']) {
      expect(list.includes(domain), domain).toBe(true);
    }
  });

  it('refuses an entry it cannot read, naming the option', () => {
    for (const bad of ['', '.', 'exa mple.com', '[192.0.2.300]', '.[192.0.2.1]', 'a..b', '@example.com']) {
      expect(() => domainList([bad], 'localDomains'), bad).toThrow(
        /^localDomains: .* is not a domain or an address literal$/,
      );
    }
  });
});
