import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMailbox, quoteLocalPart } from '../../src/protocol/address.js';
import { type Command, formatCommand, parseCommand, parseCommandLine } from '../../src/protocol/commands.js';
import { SmtpError } from '../../src/protocol/errors.js';
import { bytes } from '../helpers/bytes.js';
import { replyOf } from '../helpers/reply-of.js';

describe('commands (RFC 5321 4.1.1)', () => {
  it('Appendix D.1: the commands of a typical transaction', () => {
    expect(parseCommand('EHLO bar.com')).toEqual({ verb: 'EHLO', domain: 'bar.com' });
    expect(parseCommand('MAIL FROM:<Smith@bar.com>')).toMatchObject({
      verb: 'MAIL',
      from: { address: 'Smith@bar.com' },
      params: {},
    });
    expect(parseCommand('RCPT TO:<Jones@foo.com>')).toMatchObject({
      verb: 'RCPT',
      to: { localPart: 'Jones', domain: 'foo.com' },
    });
    expect(parseCommand('DATA')).toEqual({ verb: 'DATA' });
    expect(parseCommand('QUIT')).toEqual({ verb: 'QUIT' });
  });

  it('2.4: verbs and FROM:/TO: are case-insensitive', () => {
    expect(parseCommand('mail from:<a@b.org> size=5')).toMatchObject({ verb: 'MAIL', params: { size: 5 } });
    expect(parseCommand('Rcpt To:<a@b.org>')).toMatchObject({ verb: 'RCPT' });
    expect(parseCommand('ehlo [127.0.0.1]')).toEqual({ verb: 'EHLO', domain: '[127.0.0.1]' });
  });

  it('4.1.1.2: MAIL with the null path and parameters', () => {
    expect(parseCommand('MAIL FROM:<> BODY=8BITMIME SIZE=1024 RET=HDRS ENVID=x')).toEqual({
      verb: 'MAIL',
      from: null,
      params: { body: '8BITMIME', size: 1024, ret: 'HDRS', envid: 'x' },
    });
  });

  it('tolerates a space after the colon, as many clients send it', () => {
    expect(parseCommand('MAIL FROM: <a@b.org>')).toMatchObject({ from: { address: 'a@b.org' } });
  });

  it('4.1.1.3: RCPT with DSN parameters and <Postmaster>', () => {
    expect(parseCommand('RCPT TO:<a@b.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.org')).toMatchObject({
      params: { notify: ['SUCCESS', 'FAILURE'], orcpt: { type: 'rfc822', address: 'a@b.org' } },
    });
    expect(parseCommand('RCPT TO:<Postmaster>')).toMatchObject({ to: { address: 'Postmaster', domain: '' } });
  });

  it('a quoted local part may hold spaces and ">"', () => {
    expect(parseCommand('RCPT TO:<"a > b"@x.org> NOTIFY=NEVER')).toMatchObject({
      to: { localPart: 'a > b' },
      params: { notify: ['NEVER'] },
    });
  });

  it('RFC 6531 3.4: a non-ASCII sender needs SMTPUTF8 on the same line (553 5.6.7)', () => {
    expect(parseCommand('MAIL FROM:<dörte@x.org> SMTPUTF8')).toMatchObject({
      from: { utf8: true },
      params: { smtputf8: true },
    });
    expect(replyOf(() => parseCommand('MAIL FROM:<dörte@x.org>'))).toBe('553 5.6.7');
  });

  it('MAIL and RCPT errors: missing brackets, display names, junk after the path', () => {
    expect(replyOf(() => parseCommand('MAIL FROM:a@b.org'))).toBe('501 5.1.7');
    expect(replyOf(() => parseCommand('MAIL FROM:John <a@b.org>'))).toBe('501 5.1.7');
    expect(replyOf(() => parseCommand('MAIL FROM:<a@b.org>junk'))).toBe('501 5.1.7');
    expect(replyOf(() => parseCommand('MAIL FROM:<a@b.org'))).toBe('501 5.1.7');
    expect(replyOf(() => parseCommand('RCPT TO:<a@b.org'))).toBe('501 5.1.3');
    expect(replyOf(() => parseCommand('RCPT TO:<>'))).toBe('501 5.1.3');
    // A known verb with a bad argument: 501, not 500 (RFC 5321 4.2.4).
    expect(replyOf(() => parseCommand('MAIL TO:<a@b.org>'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('MAIL'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('MAIL <a@example.com>'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('RCPT <a@example.com>'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('RCPT TO:<a@b.org> FOO=1'))).toBe('555 5.5.4');
  });

  it('ESMTP parameters can be refused as a whole, as after HELO (555)', () => {
    expect(replyOf(() => parseCommand('MAIL FROM:<a@b.org> SIZE=1', { mailParameters: new Set() }))).toBe(
      '555 5.5.4',
    );
    expect(replyOf(() => parseCommand('RCPT TO:<a@b.org> NOTIFY=NEVER', { rcptParameters: new Set() }))).toBe(
      '555 5.5.4',
    );
    expect(parseCommand('MAIL FROM:<a@b.org>', { mailParameters: new Set() })).toMatchObject({
      verb: 'MAIL',
    });
  });

  it('4.1.1: RSET, QUIT, DATA and STARTTLS take no argument (501)', () => {
    for (const verb of ['RSET', 'QUIT', 'DATA', 'STARTTLS']) {
      expect(
        replyOf(() => parseCommand(`${verb} now`)),
        verb,
      ).toBe('501 5.5.4');
      expect(parseCommand(`${verb} `)).toEqual({ verb });
    }
  });

  it('4.1.1.9: NOOP ignores its argument; HELP may have one', () => {
    expect(parseCommand('NOOP')).toEqual({ verb: 'NOOP' });
    expect(parseCommand('NOOP anything at all')).toEqual({ verb: 'NOOP', argument: 'anything at all' });
    expect(parseCommand('HELP MAIL')).toEqual({ verb: 'HELP', argument: 'MAIL' });
  });

  it('4.1.1.6 and 4.1.1.7: VRFY and EXPN need an argument', () => {
    expect(parseCommand('VRFY Smith')).toEqual({ verb: 'VRFY', argument: 'Smith' });
    expect(parseCommand('EXPN Example-People')).toEqual({ verb: 'EXPN', argument: 'Example-People' });
    expect(replyOf(() => parseCommand('VRFY'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('EXPN  '))).toBe('501 5.5.4');
  });

  it('4.1.1.1: EHLO, HELO and LHLO need a domain or address literal (501)', () => {
    expect(parseCommand('HELO mail.example.org')).toEqual({ verb: 'HELO', domain: 'mail.example.org' });
    expect(parseCommand('LHLO [IPv6:::1]')).toEqual({ verb: 'LHLO', domain: '[IPv6:::1]' });
    expect(replyOf(() => parseCommand('EHLO'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('EHLO '))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('EHLO two words'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('EHLO [999.1.1.1]'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('HELO -bad-'))).toBe('501 5.5.4');
  });

  it('RFC 3030 2: BDAT size [LAST]', () => {
    expect(parseCommand('BDAT 1000')).toEqual({ verb: 'BDAT', size: 1000, last: false });
    expect(parseCommand('bdat 0 last')).toEqual({ verb: 'BDAT', size: 0, last: true });
    for (const bad of ['BDAT', 'BDAT x', 'BDAT -1', 'BDAT 1 FIRST', 'BDAT 1234567890123456']) {
      expect(
        replyOf(() => parseCommand(bad)),
        bad,
      ).toBe('501 5.5.4');
    }
  });

  it('RFC 4954 4: AUTH mechanism [initial-response]', () => {
    expect(parseCommand('AUTH plain AGFsaWNlAHMzY3JldA==')).toEqual({
      verb: 'AUTH',
      mechanism: 'PLAIN',
      initialResponse: 'AGFsaWNlAHMzY3JldA==',
    });
    expect(parseCommand('AUTH LOGIN')).toEqual({ verb: 'AUTH', mechanism: 'LOGIN' });
    expect(parseCommand('AUTH PLAIN =')).toEqual({ verb: 'AUTH', mechanism: 'PLAIN', initialResponse: '=' });
    expect(replyOf(() => parseCommand('AUTH'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('AUTH PLAIN a b'))).toBe('501 5.5.4');
    expect(replyOf(() => parseCommand('AUTH BAD/MECH'))).toBe('501 5.5.4');
  });

  it('unknown verbs parse as UNKNOWN; lines that are not commands give 500 5.5.2', () => {
    expect(parseCommand('ETRN example.org')).toEqual({
      verb: 'UNKNOWN',
      name: 'ETRN',
      argument: 'example.org',
    });
    expect(parseCommand('xyzzy')).toEqual({ verb: 'UNKNOWN', name: 'XYZZY', argument: '' });
    for (const bad of ['', ' MAIL FROM:<>', '123', '\u0016\u0003\u0001'])
      expect(
        replyOf(() => parseCommand(bad)),
        bad,
      ).toBe('500 5.5.2');
  });

  it('parseCommandLine decodes UTF-8 and refuses NUL and invalid UTF-8', () => {
    expect(parseCommandLine(new TextEncoder().encode('MAIL FROM:<ü@x.org> SMTPUTF8'))).toMatchObject({
      from: { localPart: 'ü' },
    });
    expect(replyOf(() => parseCommandLine(bytes('NOOP \xff')))).toBe('500 5.5.2');
    expect(replyOf(() => parseCommandLine(bytes('NOOP\0')))).toBe('500 5.5.2');
  });

  it('formatCommand refuses what would not parse back or could break the line', () => {
    expect(() => formatCommand({ verb: 'EHLO', domain: 'a b' })).toThrow(TypeError);
    expect(() => formatCommand({ verb: 'VRFY', argument: 'x\r\nRSET' })).toThrow(TypeError);
    expect(() => formatCommand({ verb: 'BDAT', size: -1, last: false })).toThrow(TypeError);
    expect(() => formatCommand({ verb: 'AUTH', mechanism: 'X Y' })).toThrow(TypeError);
    expect(() => formatCommand({ verb: 'AUTH', mechanism: 'PLAIN', initialResponse: 'a b' })).toThrow(
      TypeError,
    );
    expect(formatCommand({ verb: 'MAIL', from: null, params: { size: 10 } })).toBe('MAIL FROM:<> SIZE=10');
  });
});

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('.'));
const local = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]{1,10}$/),
  fc.stringMatching(/^[ -;=?-~]{0,8}$/),
);
const address = fc.tuple(local, domain).map(([l, d]) => parseMailbox(`${quoteLocalPart(l)}@${d}`));
const text = fc.stringMatching(/^[!-~][ -~]{0,20}$/);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ verb: fc.constantFrom('EHLO', 'HELO', 'LHLO'), domain }),
  fc.record({
    verb: fc.constant('MAIL'),
    from: fc.option(address, { nil: null }),
    params: fc.record(
      {
        size: fc.nat(),
        body: fc.constantFrom('7BIT', '8BITMIME'),
        envid: fc.stringMatching(/^[ -~]{1,20}$/),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    verb: fc.constant('RCPT'),
    to: address,
    params: fc.record({ notify: fc.constant(['NEVER'] as const) }, { requiredKeys: [] }),
  }),
  fc.record({ verb: fc.constantFrom('DATA', 'RSET', 'QUIT', 'STARTTLS') }),
  fc.record({ verb: fc.constantFrom('NOOP', 'HELP'), argument: text }, { requiredKeys: ['verb'] }),
  fc.record({ verb: fc.constantFrom('VRFY', 'EXPN'), argument: text }),
  fc.record({ verb: fc.constant('BDAT'), size: fc.nat(), last: fc.boolean() }),
  fc.record(
    {
      verb: fc.constant('AUTH'),
      mechanism: fc.stringMatching(/^[A-Z0-9_-]{1,20}$/),
      initialResponse: fc.base64String({ minLength: 4 }),
    },
    { requiredKeys: ['verb', 'mechanism'] },
  ),
  fc.record({
    verb: fc.constant('UNKNOWN'),
    name: fc.constantFrom('ETRN', 'XCLIENT', 'X-FOO'),
    argument: fc.oneof(fc.constant(''), text),
  }),
) as fc.Arbitrary<Command>;

describe('command properties', () => {
  it('property: parse(format(command)) is the command', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        expect(parseCommand(formatCommand(command))).toEqual(command);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: no line throws anything but SmtpError', () => {
    const verbs = fc.constantFrom('MAIL FROM:', 'RCPT TO:', 'EHLO ', 'BDAT ', 'AUTH ', 'VRFY ', 'DATA', '');
    fc.assert(
      fc.property(verbs, fc.string({ maxLength: 60, unit: 'binary' }), (verb, rest) => {
        try {
          parseCommand(verb + rest);
        } catch (e) {
          expect(e).toBeInstanceOf(SmtpError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
