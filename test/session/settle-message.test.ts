import { describe, expect, it } from 'vitest';
import { Replies } from '../../src/protocol/replies.js';
import { type Reply, reply } from '../../src/protocol/reply.js';
import type { ServerSession } from '../../src/session/server-session.js';
import { SessionDriver } from '../helpers/session-driver.js';

const LMTP_ENVELOPE = 'LHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n';
const SPAM = reply(554, '5.7.1', 'spam');

/** An LMTP session whose message-end is answered by `settle`; RCPTs to refused.example are refused. */
function lmtp(settle: (session: ServerSession) => void): SessionDriver {
  return new SessionDriver({ lmtp: true }, (decision, session) => {
    if (decision.type === 'message-end') settle(session);
    else if (decision.type === 'rcpt' && decision.to.domain === 'refused.example') {
      session.reject(reply(550, '5.1.1', 'no such user'));
    } else session.accept();
  });
}

describe('settleMessage', () => {
  it('LMTP: one reply per accepted recipient, in order, each on its own (RFC 2033 4.2)', () => {
    const outcomes: Reply[] = [Replies.messageAccepted, Replies.localError, SPAM];
    const d = lmtp((session) => session.settleMessage(outcomes));
    d.send(LMTP_ENVELOPE);
    d.send('RCPT TO:<c@refused.example>\r\nRCPT TO:<d@example.org>\r\nRCPT TO:<e@example.org>\r\n');
    expect(d.send('DATA\r\n')).toEqual(['354', 'message-start']);
    expect(d.send('x\r\n.\r\n')).toEqual([
      'message-data 3',
      'message-end 3',
      '250 2.0.0',
      '451 4.3.0',
      '554 5.7.1',
      'reset message',
    ]);
  });

  it('LMTP: accept() and reject() give every recipient the same reply', () => {
    const d = new SessionDriver({ lmtp: true }, (decision, session) => {
      if (decision.type === 'message-end') session.reject(SPAM);
      else session.accept();
    });
    d.send(`${LMTP_ENVELOPE}RCPT TO:<c@example.org>\r\n`);
    expect(d.replies(d.send('BDAT 1 LAST\r\nx'))).toEqual(['554 5.7.1', '554 5.7.1']);
  });

  it('the wrong number of replies throws and leaves the decision pending', () => {
    const d = lmtp(() => {});
    d.send(`${LMTP_ENVELOPE}RCPT TO:<c@example.org>\r\nBDAT 1 LAST\r\nx`);
    expect(() => d.session.settleMessage([Replies.messageAccepted])).toThrow(/2 replies/);
    expect(() => d.session.settleMessage([SPAM, SPAM, SPAM])).toThrow(/2 replies/);
    expect(d.session.waiting).toBe(true);
    d.session.settleMessage([Replies.messageAccepted, SPAM]);
    expect(d.run()).toEqual(['250 2.0.0', '554 5.7.1', 'reset message']);
  });

  it('SMTP: exactly one reply; with nothing pending, or another question, it throws', () => {
    const d = new SessionDriver({}, (decision, session) => {
      if (decision.type !== 'message-end' && decision.type !== 'rcpt') session.accept();
    });
    expect(() => d.session.settleMessage([Replies.messageAccepted])).toThrow(/no decision/);
    d.send('EHLO c.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n');
    expect(() => d.session.settleMessage([Replies.messageAccepted])).toThrow(/no message-end/);
    d.session.accept();
    d.run();
    d.send('BDAT 1 LAST\r\nx');
    expect(() => d.session.settleMessage([])).toThrow(/1 replies/);
    d.session.settleMessage([SPAM]);
    expect(d.run()).toEqual(['554 5.7.1', 'reset message']);
  });

  it('does nothing once the session was shut down meanwhile', () => {
    const d = lmtp(() => {});
    d.send(`${LMTP_ENVELOPE}BDAT 1 LAST\r\nx`);
    d.session.shutdown(Replies.timeout);
    d.session.settleMessage([Replies.messageAccepted]);
    expect(d.run().slice(-3)).toEqual(['reset aborted', '421 4.4.2', 'close']);
  });
});
