import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Replies } from '../../src/protocol/replies.js';
import { reply } from '../../src/protocol/reply.js';
import { SessionDriver } from '../helpers/session-driver.js';

const ENVELOPE = 'EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n';

describe('the reset event: once per transaction, whatever ends it', () => {
  const cases: Record<string, { inputs: string[]; end?: 'shutdown' | 'lost'; reason: string }> = {
    RSET: { inputs: ['RSET\r\n'], reason: 'rset' },
    'RSET during a BDAT message': { inputs: ['BDAT 1\r\nx', 'RSET\r\n'], reason: 'rset' },
    EHLO: { inputs: ['EHLO c.example\r\n'], reason: 'helo' },
    STARTTLS: { inputs: ['STARTTLS\r\n'], reason: 'starttls' },
    'the message, accepted': { inputs: ['DATA\r\n', 'x\r\n.\r\n'], reason: 'message' },
    'the message, refused over its size': {
      inputs: [`BDAT 20 LAST\r\n${'x'.repeat(20)}`],
      reason: 'message',
    },
    QUIT: { inputs: ['QUIT\r\n'], reason: 'aborted' },
    'too many errors': { inputs: ['BOGUS\r\nBOGUS\r\n'], reason: 'aborted' },
    'data before the 354': { inputs: ['DATA\r\nx\r\n'], reason: 'aborted' },
    shutdown: { inputs: [], end: 'shutdown', reason: 'aborted' },
    'the connection lost mid-message': { inputs: ['DATA\r\n', 'x'], end: 'lost', reason: 'aborted' },
  };
  for (const [name, { inputs, end, reason }] of Object.entries(cases)) {
    it(name, () => {
      const d = new SessionDriver({ starttls: true, limits: { invalidCommands: 2, messageSize: 10 } });
      d.send(ENVELOPE);
      for (const input of inputs) d.send(input);
      if (end === 'shutdown') d.session.shutdown(Replies.shuttingDown);
      if (end === 'lost') d.session.connectionLost();
      d.run();
      d.session.shutdown(); // ends nothing more
      d.run();
      expect(d.resets()).toEqual([reason]);
    });
  }

  it('property: as many resets as MAILs accepted, whatever the commands and however they end', () => {
    const inputs = [
      'EHLO c.example\r\n',
      'MAIL FROM:<a@example.com>\r\n',
      'RCPT TO:<b@example.org>\r\n',
      'DATA\r\n',
      'x\r\n.\r\n',
      'BDAT 2\r\nxy',
      'BDAT 1 LAST\r\nz',
      'BDAT 30 LAST\r\n',
      'RSET\r\n',
      'STARTTLS\r\n',
      'BOGUS\r\n',
      'QUIT\r\n',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...inputs), { maxLength: 30 }),
        fc.constantFrom('shutdown', 'lost'),
        (sent, end) => {
          let accepted = 0;
          const d = new SessionDriver(
            { starttls: true, allowEarlyData: true, limits: { messageSize: 20 } },
            (decision, session) => {
              if (decision.type === 'mail') accepted++;
              session.accept();
            },
          );
          for (const input of sent) if (d.send(input).includes('starttls')) d.session.tlsStarted();
          if (end === 'shutdown') d.session.shutdown();
          else d.session.connectionLost();
          d.run();
          expect(d.resets()).toHaveLength(accepted);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('comes after a message-abort, and before the reply to RSET', () => {
    const d = new SessionDriver();
    d.send(`${ENVELOPE}BDAT 1\r\nx`);
    expect(d.send('RSET\r\n')).toEqual(['message-abort 250', 'reset rset', '250 2.0.0']);
  });

  it('comes after the message reply, and after every LMTP reply', () => {
    const d = new SessionDriver({ lmtp: true });
    d.send(
      'LHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n',
    );
    expect(d.send('BDAT 1 LAST\r\nx').slice(-3)).toEqual(['250 2.0.0', '250 2.0.0', 'reset message']);
  });

  it('never comes without a transaction: a refused MAIL, a RSET or QUIT with none', () => {
    const d = new SessionDriver({}, (decision, session) => {
      if (decision.type === 'mail') session.reject(reply(550, '5.7.1', 'no'));
      else session.accept();
    });
    d.send('EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRSET\r\nEHLO c.example\r\nQUIT\r\n');
    expect(d.log).toContain('550 5.7.1');
    expect(d.resets()).toEqual([]);
  });
});
