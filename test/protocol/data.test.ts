import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BdatChunk } from '../../src/protocol/bdat.js';
import { DotStuffer } from '../../src/protocol/dot-stuffer.js';
import { DotUnstuffer } from '../../src/protocol/dot-unstuffer.js';
import { EsmtpError } from '../../src/protocol/errors.js';
import { LineEndNormalizer } from '../../src/protocol/line-end-normalizer.js';
import { bytes, concat, cutsArb, latin1, smtpBytesArb, splitAt } from '../helpers/bytes.js';
import { FAKE_TERMINATORS, SMUGGLED_TRANSACTION } from '../helpers/smuggling.js';

interface Unstuffed {
  body: string;
  ended: boolean;
  rest: string;
  bareCr: boolean;
  bareLf: boolean;
  longLine: boolean;
  size: number;
}

function unstuff(chunks: readonly Uint8Array[], unstuffer = new DotUnstuffer()): Unstuffed {
  const body: Uint8Array[] = [];
  let rest: Uint8Array[] | undefined;
  for (const chunk of chunks) {
    if (rest !== undefined) {
      rest.push(chunk);
      continue;
    }
    const end = unstuffer.push(chunk, (b) => body.push(b.slice()));
    if (end >= 0) rest = [chunk.subarray(end)];
  }
  const { bareCr, bareLf, longLine, size } = unstuffer;
  return {
    body: latin1(concat(body)),
    ended: rest !== undefined,
    rest: latin1(concat(rest ?? [])),
    bareCr,
    bareLf,
    longLine,
    size,
  };
}

function stuff(chunks: readonly Uint8Array[], options = {}): string {
  const stuffer = new DotStuffer(options);
  return latin1(concat([...chunks.map((c) => stuffer.push(c).slice()), stuffer.end()]));
}

/** Line ends as the stuffer makes them: CRLF, bare CR and bare LF each become CRLF. */
function normalise(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

describe('DotUnstuffer (RFC 5321 4.1.1.4 and 4.5.2)', () => {
  it('4.1.1.4: the message ends at CRLF.CRLF; what follows is handed back', () => {
    expect(unstuff([bytes('Subject: hi\r\n\r\nHello\r\n.\r\nQUIT\r\n')])).toMatchObject({
      body: 'Subject: hi\r\n\r\nHello\r\n',
      ended: true,
      rest: 'QUIT\r\n',
    });
  });

  it('4.1.1.4: the CRLF of the DATA line counts, so ".CRLF" at once is an empty message', () => {
    expect(unstuff([bytes('.\r\nRSET\r\n')])).toMatchObject({
      body: '',
      ended: true,
      rest: 'RSET\r\n',
      size: 0,
    });
  });

  it('4.5.2: the first dot of a dot-started line is removed', () => {
    expect(unstuff([bytes('..\r\n..hidden\r\n.x\r\na.b\r\n.\r\n')]).body).toBe(
      '.\r\n.hidden\r\nx\r\na.b\r\n',
    );
  });

  it('passes NUL through and never normalises line ends', () => {
    const r = unstuff([bytes('a\0b\rc\nd\r\n.\r\n')]);
    expect(r).toMatchObject({ body: 'a\0b\rc\nd\r\n', bareCr: true, bareLf: true, ended: true });
  });

  it('finds the end when it is split at every position', () => {
    const input = bytes('x\r\n..y\r\n.\r\nNOOP');
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        const r = unstuff([input.subarray(0, i), input.subarray(i, j), input.subarray(j)]);
        expect(r).toMatchObject({ body: 'x\r\n.y\r\n', ended: true, rest: 'NOOP' });
      }
    }
  });

  it('reports a line longer than 1000 octets (4.5.3.1.6), counting the CRLF', () => {
    expect(unstuff([bytes(`${'a'.repeat(998)}\r\n.\r\n`)]).longLine).toBe(false);
    expect(unstuff([bytes(`${'a'.repeat(999)}\r\n.\r\n`)]).longLine).toBe(true);
    expect(unstuff([bytes('a'.repeat(600)), bytes('a'.repeat(600)), bytes('\r\n.\r\n')]).longLine).toBe(true);
  });

  it('counts the body octets it emits', () => {
    expect(unstuff([bytes('..ab\r\n.\r\n')]).size).toBe(5);
  });

  it('can be reset and used for the next message', () => {
    const unstuffer = new DotUnstuffer();
    expect(unstuff([bytes('a\nb\r\n.\r\n')], unstuffer).bareLf).toBe(true);
    unstuffer.reset();
    expect(unstuff([bytes('c\r\n.\r\n')], unstuffer)).toMatchObject({
      body: 'c\r\n',
      bareLf: false,
      size: 3,
    });
  });

  describe('smuggling: no fake end of data ends the message', () => {
    // Each fake terminator is followed by a whole second transaction.
    for (const fake of FAKE_TERMINATORS) {
      it(`${JSON.stringify(fake)} is part of the body; only the real CRLF.CRLF ends it`, () => {
        const input = bytes(`Subject: x\r\n\r\nbody${fake}${SMUGGLED_TRANSACTION}QUIT\r\n`);
        const whole = unstuff([input]);
        expect(whole.ended).toBe(true);
        expect(whole.rest).toBe('QUIT\r\n');
        expect(whole.body).toContain('MAIL FROM:<admin@example.com>');
        expect(whole.body.endsWith('forged\r\n')).toBe(true);
        // Every fake but the NUL one has a bare CR or LF, which the session refuses (550 5.5.2).
        expect(whole.bareCr || whole.bareLf).toBe(!fake.includes('\0'));
        for (let i = 0; i <= input.length; i += 7) {
          expect(unstuff([input.subarray(0, i), input.subarray(i)])).toEqual(whole);
        }
      });
    }
  });

  it('property: any split gives the same body, end, rest and flags as the whole input', () => {
    fc.assert(
      fc.property(smtpBytesArb, cutsArb, (data, cuts) => {
        expect(unstuff(splitAt(data, cuts))).toEqual(unstuff([data]));
      }),
      { numRuns: 3000 },
    );
  });

  it('property: no input throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), cutsArb, (data, cuts) => {
        unstuff(splitAt(data, cuts));
      }),
    );
  });
});

describe('DotStuffer (RFC 5321 4.5.2)', () => {
  it('doubles a dot that starts a line, including the first line', () => {
    expect(stuff([bytes('.a\r\nb.\r\n.\r\n')])).toBe('..a\r\nb.\r\n..\r\n.\r\n');
  });

  it('ends the body with CRLF before the final dot when it lacks one', () => {
    expect(stuff([bytes('abc')])).toBe('abc\r\n.\r\n');
    expect(stuff([bytes('abc\r\n')])).toBe('abc\r\n.\r\n');
    expect(stuff([])).toBe('.\r\n');
  });

  it('turns bare CR and bare LF into CRLF, across chunks too', () => {
    expect(stuff([bytes('a\nb\rc\r'), bytes('\nd\r'), bytes('.e\r')])).toBe(
      'a\r\nb\r\nc\r\nd\r\n..e\r\n.\r\n',
    );
  });

  it('returns a chunk that needs no change as it is', () => {
    const stuffer = new DotStuffer();
    const chunk = bytes('Subject: a\r\n\r\nbody line\r\n');
    expect(stuffer.push(chunk)).toBe(chunk);
  });

  it('in strict mode refuses bare line ends with EMESSAGE', () => {
    for (const input of ['a\nb', 'a\rb', 'a\r']) {
      const stuffer = new DotStuffer({ strict: true });
      const attempt = () => {
        stuffer.push(bytes(input));
        stuffer.end();
      };
      expect(attempt).toThrow(EsmtpError);
      try {
        attempt();
      } catch (e) {
        expect((e as EsmtpError).code).toBe('EMESSAGE');
      }
    }
    expect(stuff([bytes('.a\r\nb\r\n')], { strict: true })).toBe('..a\r\nb\r\n.\r\n');
  });

  it('property: unstuff(stuff(x)) is x with line ends normalised, in any chunking on both sides', () => {
    fc.assert(
      fc.property(smtpBytesArb, cutsArb, cutsArb, (data, cutsIn, cutsOut) => {
        const stuffed = bytes(stuff(splitAt(data, cutsIn)));
        const r = unstuff(splitAt(stuffed, cutsOut));
        let expected = normalise(latin1(data));
        if (expected !== '' && !expected.endsWith('\r\n')) expected += '\r\n';
        expect(r).toMatchObject({ body: expected, ended: true, rest: '', bareCr: false, bareLf: false });
      }),
      { numRuns: 3000 },
    );
  });

  it('property: stuffed output has no CRLF.CRLF before its end and no bare CR or LF', () => {
    fc.assert(
      fc.property(smtpBytesArb, cutsArb, (data, cuts) => {
        const out = stuff(splitAt(data, cuts));
        const body = `\r\n${out}`.slice(0, -3); // the DATA line's CRLF, then everything before the final ".\r\n"
        expect(body.endsWith('\r\n')).toBe(true);
        expect(body.slice(0, -2).includes('\r\n.\r\n')).toBe(false);
        expect(/\r(?!\n)|(?<!\r)\n/.test(out)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('BdatChunk (RFC 3030 2)', () => {
  it('takes exactly the chunk size and hands back what follows, untouched', () => {
    const chunk = new BdatChunk(7);
    expect(latin1(chunk.take(bytes('.\r\nQU')))).toBe('.\r\nQU');
    expect(chunk.remaining).toBe(2);
    const next = bytes('IT\r\nRSET\r\n');
    const taken = chunk.take(next);
    expect(latin1(taken)).toBe('IT');
    expect(chunk.done).toBe(true);
    expect(latin1(next.subarray(taken.length))).toBe('\r\nRSET\r\n');
  });

  it('BDAT 0 is done at once', () => {
    expect(new BdatChunk(0).done).toBe(true);
  });

  it('refuses an impossible size', () => {
    expect(() => new BdatChunk(-1)).toThrow(RangeError);
    expect(() => new BdatChunk(1.5)).toThrow(RangeError);
  });

  it('property: any split of the input takes the same chunk bytes', () => {
    fc.assert(
      fc.property(smtpBytesArb, fc.nat({ max: 400 }), cutsArb, (data, size, cuts) => {
        const chunk = new BdatChunk(size);
        const taken: Uint8Array[] = [];
        for (const part of splitAt(data, cuts)) taken.push(chunk.take(part).slice());
        expect(latin1(concat(taken))).toBe(latin1(data.subarray(0, size)));
        expect(chunk.remaining).toBe(Math.max(0, size - data.length));
      }),
    );
  });
});

describe('LineEndNormalizer', () => {
  function normalizeChunks(chunks: readonly Uint8Array[]): string {
    const normalizer = new LineEndNormalizer();
    return latin1(concat([...chunks.map((c) => normalizer.push(c).slice()), normalizer.end()]));
  }

  it('turns bare CR and bare LF into CRLF and leaves CRLF alone', () => {
    expect(normalizeChunks([bytes('a\nb\rc\r\nd\r')])).toBe('a\r\nb\r\nc\r\nd\r\n');
  });

  it('returns a chunk that needs no change as it is', () => {
    const chunk = bytes('a\r\nb');
    expect(new LineEndNormalizer().push(chunk)).toBe(chunk);
  });

  it('property: any split gives the same output as a whole-input rewrite', () => {
    fc.assert(
      fc.property(smtpBytesArb, cutsArb, (data, cuts) => {
        expect(normalizeChunks(splitAt(data, cuts))).toBe(normalise(latin1(data)));
      }),
      { numRuns: 2000 },
    );
  });
});
