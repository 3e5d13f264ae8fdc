import { describe, expect, it } from 'vitest';
import { Replies } from '../../src/protocol/replies.js';
import { encodeBase64 } from '../../src/sasl/base64.js';
import type { ServerSession } from '../../src/session/server-session.js';
import { type Decision, SessionDriver } from '../helpers/session-driver.js';

const ENVELOPE = ['EHLO c.example', 'MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.org>'];
const plain = (user: string, password: string) =>
  encodeBase64(new TextEncoder().encode(`\0${user}\0${password}`));

describe('ServerSession, driven synchronously', () => {
  it('greets, and answers EHLO with what it offers once the greeting is accepted', () => {
    const d = new SessionDriver();
    expect(d.log).toEqual(['220']);
    expect(d.commands('EHLO c.example')).toEqual(['helo c.example', '250']);
    expect(d.session.helo).toMatchObject({ name: 'c.example', extended: true });
    expect(d.session.enhancedCodes).toBe(true);
  });

  it('a decision left unanswered holds every reply behind it, pipelined or not', () => {
    const d = new SessionDriver({}, () => {});
    expect(d.lines('EHLO c.example', 'NOOP')).toEqual(['helo c.example']);
    expect(d.session.waiting).toBe(true);
    d.session.accept();
    expect(d.run()).toEqual(['250', '250 2.0.0']);
  });

  describe('DATA', () => {
    it('no reply before the end of the body; the 250 only once message-end is accepted', () => {
      const d = new SessionDriver({}, (decision, session) => {
        if (decision.type !== 'message-end') session.accept();
      });
      d.commands(...ENVELOPE, 'DATA');
      expect(d.send('Subject: t\r\n\r\n..dot\r\nend\r\n')).toEqual(['message-data 14', 'message-data 11']);
      expect(d.session.inMessage).toBe(true);
      expect(d.send('.\r\n')).toEqual(['message-end 25']);
      expect(d.bodies).toEqual(['Subject: t\r\n\r\n.dot\r\nend\r\n']);
      expect(d.session.envelope?.recipients).toHaveLength(1);
      d.session.accept();
      expect(d.run()).toEqual(['250 2.0.0', 'reset message']);
      expect(d.session.envelope).toBeUndefined();
    });

    it('data sent before the 354 is refused and the connection closed (RFC 2920 3.1)', () => {
      const d = new SessionDriver();
      d.commands(...ENVELOPE);
      expect(d.send('DATA\r\nbody\r\n.\r\n')).toEqual(['554 5.5.0', 'reset aborted', 'close']);
    });

    it('a message over the limit: the stream is aborted at once, 552 after its end', () => {
      const d = new SessionDriver({ limits: { messageSize: 10 } });
      d.commands(...ENVELOPE, 'DATA');
      expect(d.send(`${'x'.repeat(20)}\r\n`)).toEqual(['message-abort 552']);
      expect(d.send('.\r\n')).toEqual(['552 5.3.4', 'reset message']);
      expect(d.commands('NOOP')).toEqual(['250 2.0.0']);
    });
  });

  describe('BDAT (RFC 3030)', () => {
    it('chunks are counted octets, each answered, the last one decided', () => {
      const d = new SessionDriver();
      d.commands(...ENVELOPE);
      expect(d.send('BDAT 5\r\n.\r\nab')).toEqual(['message-start', 'message-data 5', '250 2.0.0']);
      expect(d.send('BDAT 0 LAST\r\n')).toEqual(['message-end 5', '250 2.0.0', 'reset message']);
      expect(d.bodies).toEqual(['.\r\nab']);
    });

    it('BDATs pipelined behind a refused chunk get its reply and count as no error', () => {
      const d = new SessionDriver({ limits: { messageSize: 4, invalidCommands: 2 } });
      d.commands(...ENVELOPE);
      const chunk = 'BDAT 5\r\nabcde';
      const out = d.send(`${chunk}${chunk}${chunk}BDAT 1 LAST\r\nx`);
      expect(d.replies(out)).toEqual(['552 5.3.4', '552 5.3.4', '552 5.3.4', '552 5.3.4']);
      expect(d.resets()).toEqual(['message']);
      // The run is over: the next BDAT is out of sequence, an error like any other.
      expect(d.replies(d.send('BDAT 1 LAST\r\nx'))).toEqual(['503 5.5.1']);
      expect(d.session.closed).toBe(false);
    });

    it('a BDAT whose size cannot be read closes the connection, in any case of its verb', () => {
      for (const line of ['BDAT x', 'bdat -1 LAST', 'BdAt\t5']) {
        const d = new SessionDriver();
        d.commands(...ENVELOPE);
        const out = d.commands(line);
        expect(out.slice(-2)).toEqual(['reset aborted', 'close']);
        expect(out[0]).toMatch(/^50[01] 5\.5\.[24]$/);
      }
    });

    it('other lines that fail to parse are counted errors and the session goes on', () => {
      const d = new SessionDriver({ limits: { invalidCommands: 3 } });
      expect(d.commands('EHLO c.example', 'MAIL FROM:a@example.com', 'MAIL TO:<a@example.com>')).toEqual([
        'helo c.example',
        '250',
        '501 5.1.7',
        '501 5.5.4',
      ]);
      expect(d.commands('NOOP \0')).toEqual(['500 5.5.2', '421 4.7.0', 'close']);
    });
  });

  describe('errors are counted by kind', () => {
    it('refusals of policy never close the session', () => {
      const d = new SessionDriver({ limits: { invalidCommands: 2, recipients: 1, messageSize: 10 } });
      d.commands(...ENVELOPE);
      for (let i = 0; i < 5; i++) expect(d.commands('RCPT TO:<c@example.org>')).toEqual(['452 4.5.3']);
      d.commands('RSET');
      for (let i = 0; i < 5; i++)
        expect(d.commands('MAIL FROM:<a@example.com> SIZE=11')).toEqual(['552 5.3.4']);
      expect(d.session.closed).toBe(false);
    });

    it('closing for too many errors aborts the message in progress', () => {
      const d = new SessionDriver({ limits: { invalidCommands: 1 } });
      d.commands(...ENVELOPE);
      d.send('BDAT 1\r\nx');
      expect(d.commands('DATA')).toEqual([
        '503 5.5.1',
        '421 4.7.0',
        'message-abort 451',
        'reset aborted',
        'close',
      ]);
    });

    it('client errors close the session at the limit, whatever their kind', () => {
      const d = new SessionDriver({ limits: { invalidCommands: 4 }, requireTls: true });
      expect(
        d.commands('BOGUS', 'RCPT TO:<b@example.org>', `NOOP ${'x'.repeat(5000)}`, 'MAIL FROM:<a@b>'),
      ).toEqual(['500 5.5.1', '530 5.7.0', '500 5.5.6', '530 5.7.0', '421 4.7.0', 'close']);
    });
  });

  describe('limits.errors: every 4xx and 5xx counts (Postfix smtpd_hard_error_limit)', () => {
    /** Accepts everything but recipients whose local part starts with `no`: 550 5.1.1. */
    const unknownUsers = (decision: Decision, session: ServerSession) => {
      if (decision.type === 'rcpt' && decision.to.localPart.startsWith('no'))
        session.reject(Replies.noSuchUser);
      else if (decision.type !== 'auth') session.accept();
    };
    const probe = (n: number) => Array.from({ length: n }, (_, i) => `RCPT TO:<no${i}@example.org>`);

    it('a dictionary attack ends: 20 unknown recipients (the default), then 421 4.7.0 at once', () => {
      const d = new SessionDriver({}, unknownUsers);
      d.commands('EHLO c.example', 'MAIL FROM:<a@example.com>');
      expect(d.replies(d.commands(...probe(19)))).toEqual(Array(19).fill('550 5.1.1'));
      expect(d.session.closed).toBe(false);
      expect(d.commands(...probe(1))).toEqual([
        'rcpt <no0@example.org>',
        '550 5.1.1',
        '421 4.7.0',
        'reset aborted',
        'close',
      ]);
    });

    it('counts client errors and refusals of policy together, up to the limit given', () => {
      const d = new SessionDriver({ limits: { errors: 4, recipients: 1 } }, unknownUsers);
      expect(d.commands('EHLO c.example', 'RCPT TO:<b@example.org>', 'MAIL FROM:<a@example.com>')).toContain(
        '503 5.5.1',
      );
      expect(
        d.replies(
          d.commands('RCPT TO:<b@example.org>', 'RCPT TO:<c@example.org>', 'RCPT TO:<no@example.org>'),
        ),
      ).toEqual(['250 2.1.5', '452 4.5.3', '452 4.5.3']);
      expect(d.replies(d.commands('MAIL FROM:<a@example.com>'))).toEqual(['503 5.5.1', '421 4.7.0']);
    });

    it('pipelined, the 421 comes after the reply that reached the limit, and what follows is not read', () => {
      const d = new SessionDriver({ limits: { errors: 3 } }, unknownUsers);
      d.commands('EHLO c.example', 'MAIL FROM:<a@example.com>');
      expect(d.replies(d.lines(...probe(3), 'RCPT TO:<b@example.org>', 'DATA'))).toEqual([
        '550 5.1.1',
        '550 5.1.1',
        '550 5.1.1',
        '421 4.7.0',
      ]);
    });

    it('a message accepted starts the count again; one refused does not', () => {
      const d = new SessionDriver({ limits: { errors: 3, messageSize: 10 } }, unknownUsers);
      d.commands(
        'EHLO c.example',
        'MAIL FROM:<a@example.com>',
        'RCPT TO:<b@example.org>',
        ...probe(2),
        'DATA',
      );
      expect(d.replies(d.send('hello\r\n.\r\n'))).toEqual(['250 2.0.0']);
      d.commands('MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.org>', ...probe(2), 'DATA');
      expect(d.session.closed).toBe(false);
      expect(d.replies(d.send(`${'x'.repeat(20)}\r\n.\r\n`))).toEqual(['552 5.3.4', '421 4.7.0']);
      expect(d.session.closed).toBe(true);
    });
  });

  describe('STARTTLS (RFC 3207)', () => {
    it('drops what came before the handshake, then forgets the greeting and the transaction', () => {
      const d = new SessionDriver({ starttls: true });
      d.commands(...ENVELOPE);
      expect(d.lines('STARTTLS', 'RCPT TO:<smuggled@example.org>')).toEqual([
        'reset starttls',
        '220 2.0.0',
        'starttls',
      ]);
      expect(d.send('NOOP\r\n')).toEqual([]);
      d.session.tlsStarted();
      expect(d.session.secure).toBe(true);
      expect(d.session.helo).toBeUndefined();
      expect(d.commands('MAIL FROM:<a@example.com>')).toEqual(['503 5.5.1']);
      expect(() => d.session.tlsStarted()).toThrow(/no STARTTLS/);
    });
  });

  describe('AUTH (RFC 4954)', () => {
    const options = { secure: true, auth: { mechanisms: ['PLAIN'] }, limits: { invalidCommands: 3 } };

    it('challenge, response, success', () => {
      const d = new SessionDriver(options, (decision, session) => {
        if (decision.type !== 'auth') return session.accept();
        if (decision.response === undefined) session.authChallenge(new Uint8Array(0));
        else session.authSucceeded('alice');
      });
      expect(d.commands('EHLO c.example', 'AUTH PLAIN', plain('alice', 's3cret'))).toEqual([
        'helo c.example',
        '250',
        'auth PLAIN',
        '334',
        'auth PLAIN \0alice\0s3cret',
        '235 2.7.0',
      ]);
      expect(d.session.user).toBe('alice');
    });

    it('a cancelled exchange ends with auth-end and counts as an error', () => {
      const d = new SessionDriver(options, (decision, session) => {
        if (decision.type === 'auth') session.authChallenge(new Uint8Array(0));
        else session.accept();
      });
      d.commands('EHLO c.example');
      expect(d.commands('AUTH PLAIN', '*')).toEqual(['auth PLAIN', '334', 'auth-end', '501 5.7.0']);
      expect(d.commands('AUTH PLAIN', '*').slice(-1)).toEqual(['501 5.7.0']);
      expect(d.commands('AUTH PLAIN', '*').slice(-3)).toEqual(['501 5.7.0', '421 4.7.0', 'close']);
    });

    it('AUTH is answered by its own methods, not accept() or reject()', () => {
      const d = new SessionDriver(options, (decision, session) => {
        if (decision.type !== 'auth') session.accept();
      });
      d.commands('EHLO c.example', 'AUTH PLAIN');
      expect(() => d.session.accept()).toThrow(/authChallenge/);
      expect(() => d.session.reject(Replies.localError)).toThrow(/authChallenge/);
      d.session.authFailed();
      expect(d.run()).toEqual(['535 5.7.8']);
      expect(() => d.session.authSucceeded('x')).toThrow(/no AUTH step/);
    });
  });
});
