import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Capabilities,
  emptyCapabilities,
  formatEhloReply,
  parseEhloReply,
} from '../../src/protocol/ehlo.js';
import { encodeReply } from '../../src/protocol/reply.js';
import { ReplyParser } from '../../src/protocol/reply-parser.js';

describe('EHLO reply (RFC 5321 4.1.1.1)', () => {
  it('reads every known extension', () => {
    const ehlo = parseEhloReply({
      code: 250,
      lines: [
        'mx.example.com Hello [127.0.0.1]',
        'PIPELINING',
        'SIZE 35882577',
        '8BITMIME',
        'SMTPUTF8',
        'CHUNKING',
        'BINARYMIME',
        'DSN',
        'ENHANCEDSTATUSCODES',
        'STARTTLS',
        'REQUIRETLS',
        'AUTH PLAIN LOGIN SCRAM-SHA-256',
        'X-CUSTOM a b',
        'ETRN',
      ],
    });
    expect(ehlo.domain).toBe('mx.example.com');
    expect(ehlo.greeting).toBe('Hello [127.0.0.1]');
    expect(ehlo.capabilities).toEqual({
      size: 35882577,
      auth: ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'],
      pipelining: true,
      eightBitMime: true,
      smtpUtf8: true,
      chunking: true,
      binaryMime: true,
      dsn: true,
      enhancedStatusCodes: true,
      startTls: true,
      requireTls: true,
      other: new Map([
        ['X-CUSTOM', 'a b'],
        ['ETRN', ''],
      ]),
    });
  });

  it('keywords are case-insensitive; the old AUTH= form is read too', () => {
    const caps = parseEhloReply({
      code: 250,
      lines: ['mx', 'pipelining', 'auth=login plain', 'AUTH PLAIN'],
    }).capabilities;
    expect(caps.pipelining).toBe(true);
    expect(caps.auth).toEqual(['LOGIN', 'PLAIN']);
  });

  it('RFC 1870 4: SIZE without a number, or 0, means no fixed limit; a bad value is kept aside', () => {
    expect(parseEhloReply({ code: 250, lines: ['mx', 'SIZE'] }).capabilities.size).toBe(0);
    const odd = parseEhloReply({ code: 250, lines: ['mx', 'SIZE lots'] }).capabilities;
    expect(odd.size).toBeUndefined();
    expect(odd.other.get('SIZE')).toBe('lots');
  });

  it('a server that offers nothing, after HELO', () => {
    expect(parseEhloReply({ code: 250, lines: ['mx'] })).toEqual({
      domain: 'mx',
      greeting: '',
      capabilities: emptyCapabilities(),
    });
  });

  it('formats the reply a server sends', () => {
    const caps = { ...emptyCapabilities(), pipelining: true, size: 1000, startTls: true, auth: ['PLAIN'] };
    expect(encodeReply(formatEhloReply({ domain: 'mx', greeting: 'hi', capabilities: caps }))).toBe(
      '250-mx hi\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n',
    );
  });

  const known = new Set([
    'PIPELINING',
    '8BITMIME',
    'SMTPUTF8',
    'CHUNKING',
    'BINARYMIME',
    'DSN',
    'ENHANCEDSTATUSCODES',
    'STARTTLS',
    'REQUIRETLS',
    'AUTH',
    'SIZE',
  ]);
  const word = fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,12}$/);
  const capsArb: fc.Arbitrary<Capabilities> = fc.record({
    size: fc.option(fc.nat(), { nil: undefined }),
    auth: fc.uniqueArray(word, { maxLength: 4 }),
    pipelining: fc.boolean(),
    eightBitMime: fc.boolean(),
    smtpUtf8: fc.boolean(),
    chunking: fc.boolean(),
    binaryMime: fc.boolean(),
    dsn: fc.boolean(),
    enhancedStatusCodes: fc.boolean(),
    startTls: fc.boolean(),
    requireTls: fc.boolean(),
    other: fc
      .uniqueArray(
        fc.tuple(
          word.filter((w) => !known.has(w)),
          fc.stringMatching(/^(?:[!-~]+(?: [!-~]+)*)?$/),
        ),
        {
          selector: ([k]) => k,
          maxLength: 3,
        },
      )
      .map((entries) => new Map(entries)),
  });

  it('property: parse(format(capabilities)) is the capabilities, through the wire', () => {
    fc.assert(
      fc.property(capsArb, (capabilities) => {
        const parser = new ReplyParser();
        parser.push(
          new TextEncoder().encode(
            encodeReply(formatEhloReply({ domain: 'mx.example', greeting: 'ESMTP', capabilities })),
          ),
        );
        const parsed = parseEhloReply(parser.next() as never);
        expect(parsed.capabilities).toEqual({ ...capabilities, size: capabilities.size });
        expect(parsed.domain).toBe('mx.example');
      }),
    );
  });
});
