import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EsmtpError, SmtpError } from '../../src/protocol/errors.js';
import { Replies } from '../../src/protocol/replies.js';
import {
  encodeReply,
  isEnhancedCode,
  isPositive,
  type Reply,
  reply,
  replyText,
} from '../../src/protocol/reply.js';
import { ReplyParser } from '../../src/protocol/reply-parser.js';
import { bytes, cutsArb, splitAt } from '../helpers/bytes.js';

function parseAll(chunks: readonly Uint8Array[], parser = new ReplyParser()): Reply[] {
  const out: Reply[] = [];
  for (const chunk of chunks) {
    parser.push(chunk);
    for (let r = parser.next(); r !== undefined; r = parser.next()) out.push(r);
  }
  return out;
}

function protocolError(fn: () => unknown): EsmtpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EsmtpError);
    expect((e as EsmtpError).code).toBe('EPROTOCOL');
    return e as EsmtpError;
  }
  throw new Error('expected an EPROTOCOL error');
}

const textLine = fc.string({ maxLength: 40 }).filter((s) => !/[\r\n]/.test(s) && !/^[245]\.\d/.test(s));
const enhancedArb = fc
  .tuple(fc.constantFrom(2, 4, 5), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }))
  .map(([a, b, c]) => `${a}.${b}.${c}`);
const replyArb: fc.Arbitrary<Reply> = fc
  .tuple(
    fc.integer({ min: 200, max: 559 }),
    fc.option(enhancedArb, { nil: undefined }),
    fc.array(textLine, { minLength: 1, maxLength: 5 }),
  )
  .map(([code, enhanced, lines]) =>
    enhanced !== undefined && enhanced[0] === String(code)[0] ? { code, enhanced, lines } : { code, lines },
  );

describe('encodeReply (RFC 5321 4.2.1)', () => {
  it('encodes a one-line reply', () => {
    expect(encodeReply(reply(250, undefined, 'OK'))).toBe('250 OK\r\n');
  });

  it('4.2.1: a multi-line reply uses "-" on every line but the last', () => {
    expect(encodeReply(reply(250, undefined, ['mx.example.com', 'PIPELINING', 'SIZE 10']))).toBe(
      '250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 10\r\n',
    );
  });

  it('RFC 2034 4: the enhanced code starts every line, and can be left out', () => {
    const r = reply(550, '5.1.1', 'No such user\nhere');
    expect(encodeReply(r)).toBe('550-5.1.1 No such user\r\n550 5.1.1 here\r\n');
    expect(encodeReply(r, { enhanced: false })).toBe('550-No such user\r\n550 here\r\n');
  });

  it('encodes an empty text as the bare code', () => {
    expect(encodeReply(reply(250, undefined, []))).toBe('250\r\n');
    expect(encodeReply(reply(250, undefined, ['', 'x']))).toBe('250-\r\n250 x\r\n');
  });

  it('never lets a line break inside the text forge another reply line', () => {
    expect(encodeReply({ code: 250, lines: ['a\r\n250 forged'] })).toBe('250 a  250 forged\r\n');
  });

  it('isEnhancedCode and isPositive', () => {
    expect(isEnhancedCode('5.7.1')).toBe(true);
    expect(isEnhancedCode('3.0.0')).toBe(false);
    expect(isEnhancedCode('5.1000.1')).toBe(false);
    expect(isPositive(Replies.startData)).toBe(true);
    expect(isPositive(Replies.badSequence)).toBe(false);
    expect(replyText(Replies.badSequence)).toBe('503 5.5.1 Bad sequence of commands');
  });

  it('every standard reply has a code of its class and an enhanced code of the same class', () => {
    for (const r of Object.values(Replies)) {
      expect(r.code).toBeGreaterThanOrEqual(200);
      if (r.enhanced !== undefined) expect(r.enhanced[0]).toBe(String(r.code)[0]);
      else expect(r.code).toBe(354);
    }
  });
});

describe('ReplyParser (RFC 5321 4.2, RFC 3463)', () => {
  it('reads single and multi-line replies with enhanced codes', () => {
    const replies = parseAll([
      bytes('220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n550 5.1.1 No such user\r\n'),
    ]);
    expect(replies).toEqual([
      { code: 220, lines: ['mx ESMTP'] },
      { code: 250, lines: ['mx', 'PIPELINING', 'SIZE'] },
      { code: 550, enhanced: '5.1.1', lines: ['No such user'] },
    ]);
  });

  it('reads an enhanced code off every line that has it', () => {
    expect(parseAll([bytes('451-4.3.0 first\r\n451 4.3.0 second\r\n')])).toEqual([
      { code: 451, enhanced: '4.3.0', lines: ['first', 'second'] },
    ]);
  });

  it('RFC 3463 2: a code of another class is text, not an enhanced code', () => {
    expect(parseAll([bytes('250 5.0.0 odd\r\n')])).toEqual([{ code: 250, lines: ['5.0.0 odd'] }]);
  });

  it('reads a bare code and accepts a bare LF line end', () => {
    expect(parseAll([bytes('250\n354 go\r\n')])).toEqual([
      { code: 250, lines: [''] },
      { code: 354, lines: ['go'] },
    ]);
  });

  it('refuses a code that changes inside one reply', () => {
    const parser = new ReplyParser();
    parser.push(bytes('250-a\r\n251 b\r\n'));
    expect(protocolError(() => parser.next()).message).toMatch(/changed/);
  });

  it('refuses malformed lines', () => {
    for (const line of ['hello', '25 x', '600 x', '2500 x', '250x', '']) {
      const parser = new ReplyParser();
      parser.push(bytes(`${line}\r\n`));
      protocolError(() => parser.next());
    }
  });

  it('bounds line length and line count', () => {
    const long = new ReplyParser({ maxLineLength: 20 });
    long.push(bytes(`250 ${'x'.repeat(30)}\r\n`));
    protocolError(() => long.next());
    const many = new ReplyParser({ maxLines: 3 });
    many.push(bytes('250-a\r\n250-b\r\n250-c\r\n250 d\r\n'));
    expect(protocolError(() => many.next()).message).toMatch(/too many lines/);
  });

  it('takeRest hands back unread bytes (the client drops them at STARTTLS)', () => {
    const parser = new ReplyParser();
    parser.push(bytes('220 go ahead\r\n250 injected\r\n'));
    expect(parser.next()).toEqual({ code: 220, lines: ['go ahead'] });
    expect(new TextDecoder().decode(parser.takeRest())).toBe('250 injected\r\n');
    expect(parser.next()).toBeUndefined();
  });

  it('property: parse(encode(reply)) is the reply, in any chunking', () => {
    fc.assert(
      fc.property(fc.array(replyArb, { maxLength: 4 }), cutsArb, (replies, cuts) => {
        const wire = new TextEncoder().encode(replies.map((r) => encodeReply(r)).join(''));
        expect(parseAll(splitAt(wire, cuts))).toEqual(replies);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: no input throws anything but EPROTOCOL', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
        try {
          parseAll([data]);
        } catch (e) {
          expect(e).toBeInstanceOf(EsmtpError);
          expect((e as EsmtpError).code).toBe('EPROTOCOL');
        }
      }),
    );
  });
});

describe('errors', () => {
  it('SmtpError carries its reply; code and enhanced are read from it', () => {
    const e = new SmtpError(550, '5.7.1', 'relaying denied');
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(550);
    expect(e.enhanced).toBe('5.7.1');
    expect(e.reply).toEqual({ code: 550, enhanced: '5.7.1', lines: ['relaying denied'] });
    expect(e.message).toBe('550 5.7.1 relaying denied');
    expect(e.name).toBe('SmtpError');
  });

  it('SmtpError takes a code and text, or a reply', () => {
    expect(new SmtpError(450, 'try later').reply).toEqual({ code: 450, lines: ['try later'] });
    expect(new SmtpError(Replies.badSequence).code).toBe(503);
  });

  it('SmtpError refuses a code that is not a reply code', () => {
    expect(() => new SmtpError(99, 'x')).toThrow(RangeError);
    expect(() => new SmtpError(600, undefined, 'x')).toThrow(RangeError);
  });

  it('EsmtpError has a string code, an optional reply and a cause', () => {
    const cause = new Error('reset');
    const e = new EsmtpError('ECONNECTION', 'connection lost', { cause, reply: Replies.timeout });
    expect(e.code).toBe('ECONNECTION');
    expect(e.cause).toBe(cause);
    expect(e.reply?.code).toBe(421);
    expect(new EsmtpError('ETIMEOUT', 'slow').reply).toBeUndefined();
  });
});
