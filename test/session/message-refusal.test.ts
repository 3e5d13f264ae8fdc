import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerSession } from '../../src/session/server-session.js';
import { bytes, concat, cutsArb, smtpBytesArb, splitAt } from '../helpers/bytes.js';

const PROLOGUE = 'EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n';

/** The replies of a session that takes one DATA message, with the input split as given. */
function replies(input: Uint8Array, cuts: readonly number[], messageSize: number): string[] {
  const session = new ServerSession({ hostname: 'mx.test', allowEarlyData: true, limits: { messageSize } });
  const out: string[] = [];
  for (const chunk of splitAt(input, cuts)) {
    session.push(chunk);
    for (let event = session.next(); event !== undefined; event = session.next()) {
      if (event.type === 'reply') out.push(`${event.reply.code} ${event.reply.enhanced}`);
      else if (['helo', 'mail', 'rcpt', 'message-end'].includes(event.type)) session.accept();
    }
  }
  return out;
}

function message(body: Uint8Array): Uint8Array {
  return concat([bytes(PROLOGUE), body, bytes('\r\n.\r\nNOOP\r\n')]);
}

describe('the refusal of a message that breaks several rules', () => {
  it('over the size limit and with a bare line end: 552, however TCP split it', () => {
    const input = message(bytes(`a\nb${'x'.repeat(100)}`));
    const whole = replies(input, [], 50);
    expect(whole.slice(-2)).toEqual(['552 5.3.4', '250 2.0.0']);
    const byteByByte = Array.from({ length: input.length }, (_, i) => i);
    expect(replies(input, byteByByte, 50)).toEqual(whole);
  });

  it('a bare line end alone: 550', () => {
    expect(replies(message(bytes('a\nb')), [], 50).slice(-2)).toEqual(['550 5.5.2', '250 2.0.0']);
  });

  it('property: any split gives the same replies; over the limit is always 552', () => {
    fc.assert(
      fc.property(smtpBytesArb, fc.integer({ min: 1, max: 300 }), cutsArb, (body, limit, cuts) => {
        const input = message(body);
        const whole = replies(input, [], limit);
        expect(replies(input, cuts, limit)).toEqual(whole);
      }),
      { numRuns: 3000 },
    );
  });
});
