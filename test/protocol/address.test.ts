import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Address,
  formatPath,
  isAddressLiteral,
  isAtext,
  isDomain,
  isIPv6,
  parseMailbox,
  parsePath,
  quoteLocalPart,
  unsafeCharacter,
} from '../../src/protocol/address.js';
import { EsmtpError, SmtpError } from '../../src/protocol/errors.js';
import { replyOf } from '../helpers/reply-of.js';

describe('paths (RFC 5321 4.1.2)', () => {
  it('reads a plain mailbox', () => {
    expect(parsePath('<jsmith@example.com>', 'forward')).toEqual({
      localPart: 'jsmith',
      domain: 'example.com',
      address: 'jsmith@example.com',
      utf8: false,
    });
  });

  it('4.1.2: the null reverse-path <> is null; as a forward path it is an error', () => {
    expect(parsePath('<>', 'reverse')).toBeNull();
    expect(replyOf(() => parsePath('<>', 'forward'))).toBe('501 5.1.3');
  });

  it('4.1.1.3: <Postmaster> without a domain is a forward path, in any case', () => {
    expect(parsePath('<postMaster>', 'forward')).toMatchObject({
      localPart: 'postMaster',
      domain: '',
      address: 'postMaster',
    });
    expect(replyOf(() => parsePath('<Postmaster>', 'reverse'))).toBe('501 5.1.7');
  });

  it('4.1.2: quoted local parts with escapes; the canonical address quotes only when needed', () => {
    expect(parsePath('<"john doe"@example.com>', 'forward')).toMatchObject({
      localPart: 'john doe',
      address: '"john doe"@example.com',
    });
    expect(parsePath('<"a\\"b\\\\c"@x.org>', 'forward')).toMatchObject({
      localPart: 'a"b\\c',
      address: '"a\\"b\\\\c"@x.org',
    });
    expect(parsePath('<"abc"@x.org>', 'forward')).toMatchObject({ localPart: 'abc', address: 'abc@x.org' });
    expect(parsePath('<"a@b"@x.org>', 'forward')).toMatchObject({ localPart: 'a@b', domain: 'x.org' });
    expect(parsePath('<""@x.org>', 'forward')).toMatchObject({ localPart: '', address: '""@x.org' });
  });

  it('4.1.2: source routes are accepted and the route is dropped (C.  Source Routes)', () => {
    expect(parsePath('<@hosta.int,@jkl.org:userc@d.bar.org>', 'forward')).toMatchObject({
      address: 'userc@d.bar.org',
    });
    expect(replyOf(() => parsePath('<@hosta.int,jkl.org:userc@d.bar.org>', 'forward'))).toBe('501 5.1.3');
    expect(replyOf(() => parsePath('<@hosta.int>', 'forward'))).toBe('501 5.1.3');
  });

  it('4.1.3: address literals, IPv4 and IPv6, validated', () => {
    expect(parsePath('<a@[192.0.2.1]>', 'forward')).toMatchObject({ domain: '[192.0.2.1]' });
    expect(parsePath('<a@[IPv6:2001:db8::1]>', 'forward')).toMatchObject({ domain: '[IPv6:2001:db8::1]' });
    expect(parsePath('<a@[ipv6:::ffff:192.0.2.1]>', 'forward')).toMatchObject({
      domain: '[ipv6:::ffff:192.0.2.1]',
    });
    for (const bad of [
      '[192.0.2.256]',
      '[192.0.2]',
      '[IPv6:2001:db8::1::2]',
      '[IPv6:1:2:3:4:5:6:7]',
      '[x:abc]',
      '[]',
      '[1.2.3.4',
    ]) {
      expect(replyOf(() => parsePath(`<a@${bad}>`, 'forward'))).toBe('501 5.1.3');
    }
  });

  it('IPv6 forms of RFC 5321 4.1.3', () => {
    expect(isIPv6('1:2:3:4:5:6:7:8')).toBe(true);
    expect(isIPv6('::')).toBe(true);
    expect(isIPv6('1:2:3:4:5:6::')).toBe(true);
    expect(isIPv6('1:2:3:4:5:6:7::')).toBe(true); // RFC 4291 2.2 lets "::" stand for one group
    expect(isIPv6('1:2:3:4:5:6:7:8::')).toBe(false);
    expect(isIPv6('1:2:3:4:5:6:7')).toBe(false);
    expect(isIPv6('1:2:3:4:5:6:1.2.3.4')).toBe(true);
    expect(isIPv6('1:2:3:4::1.2.3.4')).toBe(true);
    expect(isIPv6('1:2:3:4:5::1.2.3.4')).toBe(true);
    expect(isIPv6('1:2:3:4:5:6::1.2.3.4')).toBe(false);
    expect(isIPv6('12345::')).toBe(false);
    expect(isIPv6('g::')).toBe(false);
    expect(isAddressLiteral('[IPv6:::1]')).toBe(true);
  });

  it('4.5.3.1: the 64-octet local part, 255-octet domain and 256-octet path limits', () => {
    expect(parsePath(`<${'a'.repeat(64)}@x.org>`, 'forward')).not.toBeNull();
    expect(replyOf(() => parsePath(`<${'a'.repeat(65)}@x.org>`, 'forward'))).toBe('501 5.1.3');
    expect(replyOf(() => parsePath(`<${'ä'.repeat(33)}@x.org>`, 'forward'))).toBe('501 5.1.3'); // 66 octets
    const label = 'a'.repeat(63);
    const domain255 = [label, label, label, label].join('.');
    expect(isDomain(domain255)).toBe(true);
    expect(isDomain(`${domain255}.a`)).toBe(false);
    expect(isDomain('a'.repeat(64))).toBe(false);
    expect(replyOf(() => parsePath(`<a@${domain255}>`, 'forward'))).toBe('501 5.1.3'); // path over 256
  });

  it('RFC 6531 3.3: UTF-8 only when SMTPUTF8 is in effect', () => {
    expect(parsePath('<dörte@bücher.example>', 'reverse')).toMatchObject({ utf8: true });
    expect(replyOf(() => parsePath('<dörte@example.org>', 'reverse', { allowUtf8: false }))).toBe(
      '553 5.6.7',
    );
    expect(parsePath('<ascii@example.org>', 'reverse', { allowUtf8: false })).toMatchObject({ utf8: false });
  });

  it('refuses what is not a path: a display name, a missing bracket, junk', () => {
    const corpus = [
      'John <john@x.org>',
      'john@x.org',
      '<john@x.org',
      'john@x.org>',
      '<john>',
      '<@x.org>',
      '<john@>',
      '<john@x..org>',
      '<john@-x.org>',
      '<john@x-.org>',
      '<.john@x.org>',
      '<john.@x.org>',
      '<jo..hn@x.org>',
      '<jo hn@x.org>',
      '<"unterminated@x.org>',
      '<"a"b@x.org>',
      '<"a\u0001"@x.org>',
      '<"a\\\u00e4"@x.org>',
      '<john@x.org >',
      '<john@x.org;>',
      '<jo(hn)@x.org>',
      '',
      '<',
    ];
    for (const text of corpus)
      expect(
        replyOf(() => parsePath(text, 'reverse')),
        text,
      ).toBe('501 5.1.7');
  });

  it('atext and domains', () => {
    for (const c of "!#$%&'*+-/=?^_`{|}~aZ9") expect(isAtext(c)).toBe(true);
    for (const c of '()<>[]:;@\\,." ') expect(isAtext(c)).toBe(false);
    expect(isDomain('under_score.example')).toBe(true);
    expect(isDomain('bücher.example')).toBe(true);
    expect(isDomain('')).toBe(false);
  });
});

describe('formatPath', () => {
  it('formats addresses, strings with or without brackets, and null', () => {
    expect(formatPath(null)).toBe('<>');
    expect(formatPath('')).toBe('<>');
    expect(formatPath('a@b.org')).toBe('<a@b.org>');
    expect(formatPath('<a@b.org>')).toBe('<a@b.org>');
    expect(formatPath(parseMailbox('"x y"@b.org'))).toBe('<"x y"@b.org>');
  });

  it('refuses CR, LF, NUL, angle brackets and characters that narrow to CR or LF (latin1)', () => {
    for (const bad of [
      'a\r@b.org',
      'a\n@b.org',
      'a\0@b.org',
      'a>@b.org',
      '<a@b.org>>',
      'č@b.org',
      'Ċ@b.org',
      'a@b.org\r\nRCPT TO:<x@y>',
    ]) {
      expect(() => formatPath(bad), bad).toThrow(EsmtpError);
    }
    expect(unsafeCharacter('\u010d')).toMatch(/U\+010D/);
    expect(unsafeCharacter('ok')).toBeUndefined();
  });

  it('refuses invalid mailboxes with EENVELOPE', () => {
    try {
      formatPath('not an address');
      expect.unreachable();
    } catch (e) {
      expect((e as EsmtpError).code).toBe('EENVELOPE');
    }
  });
});

const atom = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]{1,8}$/);
const quoted = fc.stringMatching(/^[ -;=?-~]{0,10}$/); // the formatter refuses < and >
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const domainArb = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
  fc.ipV4().map((ip) => `[${ip}]`),
  fc.ipV6().map((ip) => `[IPv6:${ip}]`),
);
const addressArb: fc.Arbitrary<Address> = fc
  .tuple(
    fc.oneof(
      fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join('.')),
      quoted,
    ),
    domainArb,
  )
  .map(([localPart, domain]) => parseMailbox(`${quoteLocalPart(localPart)}@${domain}`));

describe('address properties', () => {
  it('property: parse(format(address)) is the address', () => {
    fc.assert(
      fc.property(addressArb, (address) => {
        expect(parsePath(formatPath(address), 'forward')).toEqual(address);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: no input throws anything but SmtpError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: 'binary' }), fc.boolean(), (text, reverse) => {
        try {
          parsePath(text, reverse ? 'reverse' : 'forward');
          parsePath(`<${text}>`, reverse ? 'reverse' : 'forward');
        } catch (e) {
          expect(e).toBeInstanceOf(SmtpError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
