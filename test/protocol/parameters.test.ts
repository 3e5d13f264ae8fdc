import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmtpError } from '../../src/protocol/errors.js';
import {
  formatMailParameters,
  formatRcptParameters,
  type MailParameters,
  parseMailParameters,
  parseRcptParameters,
  type RcptParameters,
  splitParameters,
} from '../../src/protocol/parameters.js';
import { decodeXtext, encodeXtext } from '../../src/protocol/xtext.js';
import { replyOf } from '../helpers/reply-of.js';

describe('xtext (RFC 3461 4)', () => {
  it('encodes + = and octets outside ! to ~ as +XX', () => {
    expect(encodeXtext('a+b=c d')).toBe('a+2Bb+3Dc+20d');
    expect(encodeXtext('ü')).toBe('+C3+BC');
    expect(decodeXtext('a+2Bb+3Dc+20d')).toBe('a+b=c d');
    expect(decodeXtext('plain')).toBe('plain');
  });

  it('refuses malformed xtext', () => {
    for (const bad of ['a=b', 'a+2', 'a+2b', 'a+ZZ', 'a b', 'a\u00e9', '+C3'])
      expect(decodeXtext(bad), bad).toBeUndefined();
  });

  it('property: decode(encode(text)) is the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(decodeXtext(encodeXtext(text))).toBe(text);
      }),
    );
  });
});

describe('MAIL parameters', () => {
  it('RFC 1870 6: SIZE is digits only', () => {
    expect(parseMailParameters('SIZE=1000')).toEqual({ size: 1000 });
    expect(parseMailParameters('size=99999999999999999999')).toEqual({ size: Number.POSITIVE_INFINITY });
    for (const bad of ['SIZE', 'SIZE=', 'SIZE=-1', 'SIZE=1e3', 'SIZE=0x10', 'SIZE=123456789012345678901']) {
      expect(
        replyOf(() => parseMailParameters(bad)),
        bad,
      ).toBe('501 5.5.4');
    }
  });

  it('RFC 6152 and RFC 3030: BODY is 7BIT, 8BITMIME or BINARYMIME, in any case', () => {
    expect(parseMailParameters('BODY=8bitmime')).toEqual({ body: '8BITMIME' });
    expect(parseMailParameters('BODY=BINARYMIME')).toEqual({ body: 'BINARYMIME' });
    expect(replyOf(() => parseMailParameters('BODY=9BIT'))).toBe('501 5.5.4');
  });

  it('RFC 6531 3.4 and RFC 8689 4.1: SMTPUTF8 and REQUIRETLS take no value', () => {
    expect(parseMailParameters('SMTPUTF8 REQUIRETLS')).toEqual({ smtputf8: true, requiretls: true });
    expect(replyOf(() => parseMailParameters('SMTPUTF8=yes'))).toBe('501 5.5.4');
    expect(replyOf(() => parseMailParameters('REQUIRETLS=1'))).toBe('501 5.5.4');
  });

  it('RFC 3461 4.3 and 4.4: RET and ENVID', () => {
    expect(parseMailParameters('RET=hdrs ENVID=QQ314159')).toEqual({ ret: 'HDRS', envid: 'QQ314159' });
    expect(parseMailParameters('ENVID=a+2Bb')).toEqual({ envid: 'a+b' });
    expect(replyOf(() => parseMailParameters('RET=ALL'))).toBe('501 5.5.4');
    expect(replyOf(() => parseMailParameters(`ENVID=${'x'.repeat(101)}`))).toBe('501 5.5.4');
  });

  it('RFC 3461 4: an xtext value that decodes to CR, LF or NUL gives 501', () => {
    for (const bad of ['ENVID=a+0Db', 'ENVID=a+0A', 'AUTH=a+00@b', 'ENVID=+ZZ']) {
      expect(
        replyOf(() => parseMailParameters(bad)),
        bad,
      ).toBe('501 5.5.4');
    }
  });

  it('RFC 4954 5: AUTH= is an xtext mailbox or <>', () => {
    expect(parseMailParameters('AUTH=<>')).toEqual({ auth: '<>' });
    expect(parseMailParameters('AUTH=e+3Dmc2@example.com')).toEqual({ auth: 'e=mc2@example.com' });
  });

  it('RFC 5321 4.1.2: unknown keywords give 555, malformed or repeated ones 501', () => {
    expect(replyOf(() => parseMailParameters('X-UNKNOWN=1'))).toBe('555 5.5.4');
    expect(replyOf(() => parseMailParameters('SIZE=1', new Set()))).toBe('555 5.5.4');
    expect(replyOf(() => parseMailParameters('SIZE=1 SIZE=2'))).toBe('501 5.5.4');
    expect(replyOf(() => parseMailParameters('-SIZE=1'))).toBe('501 5.5.4');
    expect(replyOf(() => parseMailParameters('SIZE=1=2'))).toBe('501 5.5.4');
    expect(replyOf(() => parseMailParameters('BODY=8BIT\u0001'))).toBe('501 5.5.4');
  });

  it('splitParameters keeps raw values and tolerates repeated spaces', () => {
    expect(splitParameters('A=1  b', new Set(['A', 'B']))).toEqual([
      { keyword: 'A', value: '1' },
      { keyword: 'B', value: undefined },
    ]);
  });
});

describe('RCPT parameters (RFC 3461 4.1, 4.2)', () => {
  it('NOTIFY is NEVER alone, or SUCCESS, FAILURE and DELAY', () => {
    expect(parseRcptParameters('NOTIFY=never')).toEqual({ notify: ['NEVER'] });
    expect(parseRcptParameters('NOTIFY=SUCCESS,DELAY')).toEqual({ notify: ['SUCCESS', 'DELAY'] });
    for (const bad of [
      'NOTIFY=NEVER,SUCCESS',
      'NOTIFY=',
      'NOTIFY',
      'NOTIFY=SUCCESS,SUCCESS',
      'NOTIFY=ALWAYS',
    ]) {
      expect(
        replyOf(() => parseRcptParameters(bad)),
        bad,
      ).toBe('501 5.5.4');
    }
  });

  it('ORCPT is addr-type;xtext', () => {
    expect(parseRcptParameters('ORCPT=rfc822;Bob+40example.com')).toEqual({
      orcpt: { type: 'rfc822', address: 'Bob@example.com' },
    });
    for (const bad of ['ORCPT=rfc822', 'ORCPT=;a@b', 'ORCPT=rfc822;', 'ORCPT=rfc822;a+0Db', 'ORCPT']) {
      expect(
        replyOf(() => parseRcptParameters(bad)),
        bad,
      ).toBe('501 5.5.4');
    }
  });

  it('formats and refuses what the server would refuse', () => {
    expect(formatRcptParameters({ notify: ['FAILURE'], orcpt: { type: 'rfc822', address: 'a b@c' } })).toBe(
      ' NOTIFY=FAILURE ORCPT=rfc822;a+20b@c',
    );
    expect(() => formatMailParameters({ envid: 'a\rb' })).toThrow(TypeError);
    expect(() => formatMailParameters({ size: -1 })).toThrow(TypeError);
    expect(formatMailParameters({})).toBe('');
  });
});

const printable = fc.stringMatching(/^[ -~]{1,30}$/);
const mailParamsArb: fc.Arbitrary<MailParameters> = fc.record(
  {
    size: fc.nat(),
    body: fc.constantFrom('7BIT', '8BITMIME', 'BINARYMIME'),
    smtputf8: fc.constant(true),
    ret: fc.constantFrom('FULL', 'HDRS'),
    envid: printable,
    auth: fc.oneof(fc.constant('<>'), fc.emailAddress()),
    requiretls: fc.constant(true),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<MailParameters>;
const rcptParamsArb: fc.Arbitrary<RcptParameters> = fc.record(
  {
    notify: fc.oneof(
      fc.constant(['NEVER'] as const),
      fc.uniqueArray(
        fc.constantFrom('SUCCESS', 'FAILURE', 'DELAY') as fc.Arbitrary<'SUCCESS' | 'FAILURE' | 'DELAY'>,
        { minLength: 1 },
      ),
    ),
    orcpt: fc.record({
      type: fc.constantFrom('rfc822', 'x-local'),
      address: fc.string({ minLength: 1, unit: 'grapheme' }).filter((s) => !/[\r\n\0]/.test(s)),
    }),
  },
  { requiredKeys: [] },
);

describe('parameter properties', () => {
  it('property: parse(format(params)) is the params', () => {
    fc.assert(
      fc.property(mailParamsArb, rcptParamsArb, (mail, rcpt) => {
        expect(parseMailParameters(formatMailParameters(mail))).toEqual(mail);
        expect(parseRcptParameters(formatRcptParameters(rcpt))).toEqual(rcpt);
      }),
      { numRuns: 500 },
    );
  });

  it('property: no input throws anything but SmtpError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        for (const parse of [parseMailParameters, parseRcptParameters]) {
          try {
            parse(text);
          } catch (e) {
            expect(e).toBeInstanceOf(SmtpError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
