import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LineEvent, LineReader } from '../../src/protocol/line-reader.js';
import { bytes, cutsArb, latin1, smtpBytesArb, splitAt } from '../helpers/bytes.js';

type Seen = string | { tooLong: true } | { line: string; bareLf: boolean; bareCr: boolean };

function describeEvent(e: LineEvent, detail: boolean): Seen {
  if (e.type === 'too-long') return { tooLong: true };
  return detail ? { line: latin1(e.bytes), bareLf: e.bareLf, bareCr: e.bareCr } : latin1(e.bytes);
}

function readAll(reader: LineReader, chunks: readonly Uint8Array[], detail = false): Seen[] {
  const seen: Seen[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let e = reader.next(); e !== undefined; e = reader.next()) seen.push(describeEvent(e, detail));
  }
  return seen;
}

describe('LineReader (RFC 5321 2.3.8: lines end in CRLF)', () => {
  it('splits at CRLF and strips it', () => {
    expect(readAll(new LineReader(), [bytes('EHLO a\r\nNOOP\r\n\r\nQUIT')])).toEqual(['EHLO a', 'NOOP', '']);
  });

  it('joins a line split across chunks, even between CR and LF', () => {
    expect(
      readAll(new LineReader(), [bytes('MAIL FR'), bytes('OM:<> \r'), bytes('\nRS'), bytes('ET\r\n')]),
    ).toEqual(['MAIL FROM:<> ', 'RSET']);
  });

  it('2.3.8: a bare LF is not a line end; it is reported with the line', () => {
    const seen = readAll(new LineReader(), [bytes('NOOP\nQUIT\r\nA\rB\r\n')], true);
    expect(seen).toEqual([
      { line: 'NOOP\nQUIT', bareLf: true, bareCr: false },
      { line: 'A\rB', bareLf: false, bareCr: true },
    ]);
  });

  it('reports a bare LF carried in from an earlier chunk', () => {
    const seen = readAll(new LineReader(), [bytes('NO\nOP'), bytes(' x\r\n')], true);
    expect(seen).toEqual([{ line: 'NO\nOP x', bareLf: true, bareCr: false }]);
  });

  it('lets a bare LF end lines when asked (lfEndsLine)', () => {
    expect(readAll(new LineReader({ lfEndsLine: true }), [bytes('250-a\n250 b\r\n')])).toEqual([
      '250-a',
      '250 b',
    ]);
  });

  it('4.5.3.1.4: a line over the limit (CRLF included) is too long, then reading resumes', () => {
    const reader = new LineReader({ maxLength: 8 });
    expect(readAll(reader, [bytes('123456\r\n1234567\r\nOK\r\n')])).toEqual([
      '123456',
      { tooLong: true },
      'OK',
    ]);
  });

  it('drops the excess of a too-long line without keeping it, across chunks', () => {
    const reader = new LineReader({ maxLength: 16 });
    const seen = readAll(reader, [bytes('x'.repeat(10)), bytes('y'.repeat(100)), bytes('z'.repeat(5000))]);
    expect(seen).toEqual([{ tooLong: true }]);
    expect(reader.buffered).toBe(0);
    expect(readAll(reader, [bytes('zz\r'), bytes('\nNOOP\r\n')])).toEqual(['NOOP']);
  });

  it('resynchronises only at CRLF: a bare LF inside the skipped line does not end it', () => {
    const reader = new LineReader({ maxLength: 8 });
    expect(readAll(reader, [bytes('x'.repeat(20)), bytes('\nRSET\r\nNOOP\r\n')])).toEqual([
      { tooLong: true },
      'NOOP',
    ]);
  });

  it('accepts a line of exactly the limit', () => {
    const reader = new LineReader({ maxLength: 6 });
    expect(readAll(reader, [bytes('abcd'), bytes('\r\n')])).toEqual(['abcd']);
    expect(readAll(reader, [bytes('abcde'), bytes('\r\n')])).toEqual([{ tooLong: true }]);
  });

  it('the limit can be raised between lines (RFC 4954 4: 12288 octets for AUTH)', () => {
    const reader = new LineReader({ maxLength: 10 });
    reader.push(bytes('AUTH PLAIN\r\n'));
    expect(reader.next()).toEqual({ type: 'too-long' });
    reader.maxLength = 12288;
    reader.push(bytes(`${'A'.repeat(12286)}\r\n`));
    const e = reader.next();
    expect(e?.type === 'line' && e.bytes.length).toBe(12286);
  });

  it('never looks past the line it returns: takeRest gives the unread bytes', () => {
    const reader = new LineReader();
    reader.push(bytes('DATA\r\nSubject: x\r\n.\r'));
    expect(describeEvent(reader.next() as LineEvent, false)).toBe('DATA');
    expect(latin1(reader.takeRest())).toBe('Subject: x\r\n.\r');
    expect(reader.next()).toBeUndefined();
  });

  it('takeRest includes a partial line carried from earlier chunks', () => {
    const reader = new LineReader();
    reader.push(bytes('ab'));
    expect(reader.next()).toBeUndefined();
    reader.push(bytes('cd'));
    expect(reader.next()).toBeUndefined();
    expect(latin1(reader.takeRest())).toBe('abcd');
    expect(reader.buffered).toBe(0);
  });

  it('clear drops everything (STARTTLS: nothing read before the handshake is used)', () => {
    const reader = new LineReader();
    reader.push(bytes('STARTTLS\r\nRSET\r\nNO'));
    reader.next();
    reader.clear();
    expect(reader.next()).toBeUndefined();
    reader.push(bytes('OP\r\n'));
    expect(describeEvent(reader.next() as LineEvent, false)).toBe('OP');
  });

  it('accepts a push before the previous chunk was fully read', () => {
    const reader = new LineReader();
    reader.push(bytes('A\r\nB'));
    expect(describeEvent(reader.next() as LineEvent, false)).toBe('A');
    reader.push(bytes('C\r\n'));
    expect(describeEvent(reader.next() as LineEvent, false)).toBe('BC');
  });

  it('stays linear when a long line arrives one byte at a time', () => {
    const reader = new LineReader({ maxLength: 1 << 20 });
    const line = bytes(`${'a'.repeat(200_000)}\r\n`);
    let lines = 0;
    for (let i = 0; i < line.length; i++) {
      reader.push(line.subarray(i, i + 1));
      if (reader.next() !== undefined) lines++;
    }
    expect(lines).toBe(1);
  });

  it('property: any split gives the same lines as the whole input', () => {
    fc.assert(
      fc.property(
        smtpBytesArb,
        cutsArb,
        fc.integer({ min: 3, max: 40 }),
        fc.boolean(),
        (data, cuts, max, lf) => {
          const whole = readAll(new LineReader({ maxLength: max, lfEndsLine: lf }), [data], true);
          const split = readAll(
            new LineReader({ maxLength: max, lfEndsLine: lf }),
            splitAt(data, cuts),
            true,
          );
          expect(split).toEqual(whole);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: the lines and the unread rest put back together are the input', () => {
    fc.assert(
      fc.property(smtpBytesArb, cutsArb, (data, cuts) => {
        const reader = new LineReader({ maxLength: 1 << 16 });
        let rebuilt = '';
        for (const chunk of splitAt(data, cuts)) {
          reader.push(chunk);
          for (let e = reader.next(); e !== undefined; e = reader.next()) {
            if (e.type === 'line') rebuilt += `${latin1(e.bytes)}\r\n`;
          }
        }
        rebuilt += latin1(reader.takeRest());
        expect(rebuilt).toBe(latin1(data));
      }),
      { numRuns: 1000 },
    );
  });
});
