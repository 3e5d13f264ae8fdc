import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Replies } from '../../src/protocol/replies.js';
import { ServerSession } from '../../src/session/server-session.js';
import { cutsArb, splitAt } from '../helpers/bytes.js';

/** The commands the model knows, each with its wire form. */
const commands = {
  ehlo: 'EHLO client.example\r\n',
  helo: 'HELO client.example\r\n',
  mail: 'MAIL FROM:<a@example.com>\r\n',
  mailSize: 'MAIL FROM:<a@example.com> SIZE=10\r\n',
  mailBad: 'MAIL FROM:a@example.com\r\n',
  rcpt: 'RCPT TO:<b@ok.example>\r\n',
  rcptRefused: 'RCPT TO:<b@refused.example>\r\n',
  data: 'DATA\r\nbody\r\n.\r\n',
  bdat: 'BDAT 3 LAST\r\nabc',
  rset: 'RSET\r\n',
  noop: 'NOOP\r\n',
  bogus: 'BOGUS\r\n',
  quit: 'QUIT\r\n',
} as const;
type Name = keyof typeof commands;

const ERROR_LIMIT = 5;
/** `limits.errors`: every 4xx and 5xx reply counts, policy refusals too, until a message is accepted. */
const FAILURE_LIMIT = 8;
const RECIPIENT_LIMIT = 3;

/** A small reference model of RFC 5321 sequencing: the reply codes a session must give. */
function model(names: readonly Name[]): number[] {
  const out: number[] = [220];
  let helo = false;
  let esmtp = false;
  let mail = false;
  let rcpts = 0;
  let attempts = 0;
  let errors = 0;
  let failures = 0;
  let closed = false;
  const refuse = (code: number) => {
    out.push(code);
    failures++;
  };
  const error = (code: number) => {
    refuse(code);
    if (++errors >= ERROR_LIMIT) {
      out.push(421);
      closed = true;
    }
  };
  /** Before each command line: over the failure limit, 421 and close. */
  const failedTooOften = () => {
    if (!closed && failures >= FAILURE_LIMIT) {
      out.push(421);
      closed = true;
    }
    return closed;
  };
  /** A message that was refused is read as command lines: `body` is unknown, `.` is no command. */
  const bodyAsCommands = () => {
    if (!failedTooOften()) error(500);
    if (!failedTooOften()) error(500);
  };
  for (const name of names) {
    if (failedTooOften()) break;
    switch (name) {
      case 'ehlo':
      case 'helo':
        helo = true;
        esmtp = name === 'ehlo';
        mail = false;
        out.push(250);
        break;
      case 'mail':
      case 'mailSize':
        if (name === 'mailSize' && !esmtp) error(555);
        else if (!helo || mail) error(503);
        else {
          mail = true;
          rcpts = attempts = 0;
          out.push(250);
        }
        break;
      case 'mailBad':
        error(501);
        break;
      case 'rcpt':
      case 'rcptRefused':
        if (!mail) error(503);
        else {
          attempts++;
          if (rcpts >= RECIPIENT_LIMIT) refuse(452);
          else if (name === 'rcptRefused') refuse(550);
          else {
            rcpts++;
            out.push(250);
          }
        }
        break;
      case 'data':
      case 'bdat': {
        const refusal = !mail ? 503 : rcpts === 0 ? (attempts > 0 ? 554 : 503) : 0;
        if (refusal === 503) error(503);
        else if (refusal === 554) refuse(554);
        if (refusal === 0) {
          if (name === 'data') out.push(354);
          out.push(250);
          failures = 0; // a message accepted starts the count again
          mail = false;
        } else if (name === 'data' && !closed) bodyAsCommands();
        break;
      }
      case 'rset':
        mail = false;
        out.push(250);
        break;
      case 'noop':
        out.push(250);
        break;
      case 'bogus':
        error(500);
        break;
      case 'quit':
        out.push(221);
        closed = true;
        break;
    }
  }
  failedTooOften(); // the session says 421 at once, without waiting for another command
  return out;
}

/** Runs the real session over the input, split at `cuts`, accepting what the hooks would accept. */
function run(names: readonly Name[], cuts: readonly number[]): number[] {
  const session = new ServerSession({
    hostname: 'mx.test',
    allowEarlyData: true, // the model sends each body right after its DATA
    limits: { invalidCommands: ERROR_LIMIT, errors: FAILURE_LIMIT, recipients: RECIPIENT_LIMIT },
  });
  const codes: number[] = [];
  const greeting = session.greeting();
  if (greeting.type === 'reply') codes.push(greeting.reply.code);
  const input = new TextEncoder().encode(names.map((n) => commands[n]).join(''));
  for (const chunk of splitAt(input, cuts)) {
    session.push(chunk);
    for (let event = session.next(); event !== undefined; event = session.next()) {
      if (event.type === 'reply') codes.push(event.reply.code);
      else if (event.type === 'rcpt' && event.to.domain === 'refused.example') {
        session.reject({ code: 550, enhanced: '5.1.1', lines: ['no'] });
      } else if (event.type === 'expn') session.reject(Replies.notImplemented);
      else if (['helo', 'mail', 'rcpt', 'message-end'].includes(event.type)) session.accept();
    }
  }
  return codes;
}

describe('ServerSession against a reference model (RFC 5321 4.1.4, 3.3)', () => {
  const namesArb = fc.array(fc.constantFrom(...(Object.keys(commands) as Name[])), { maxLength: 25 });

  it('property: any command sequence in any chunking gives the replies the model predicts', () => {
    fc.assert(
      fc.property(namesArb, cutsArb, (names, cuts) => {
        expect(run(names, cuts)).toEqual(model(names));
      }),
      { numRuns: 3000 },
    );
  });

  it('property: refusals of every kind end the session at limits.errors, unless a message got through', () => {
    // Mostly recipients, many refused: a dictionary attack, with some mail delivered between.
    const probing = fc.oneof(
      { arbitrary: fc.constantFrom<Name>('rcptRefused', 'rcpt', 'mail'), weight: 6 },
      { arbitrary: fc.constantFrom(...(Object.keys(commands) as Name[])), weight: 1 },
    );
    const names = fc.array(probing, { minLength: 12, maxLength: 40 }).map((n): Name[] => ['ehlo', ...n]);
    let reached = 0;
    fc.assert(
      fc.property(names, cutsArb, (names, cuts) => {
        const codes = run(names, cuts);
        expect(codes).toEqual(model(names));
        if (codes.filter((c) => c >= 400 && c !== 421).length >= FAILURE_LIMIT) reached++;
      }),
      { numRuns: 1000 },
    );
    expect(reached).toBeGreaterThan(100); // runs with as many refusals as the limit: many, not one by chance
  });

  it('property: the chunking never changes the replies', () => {
    fc.assert(
      fc.property(namesArb, cutsArb, cutsArb, (names, a, b) => {
        expect(run(names, a)).toEqual(run(names, b));
      }),
      { numRuns: 1000 },
    );
  });
});
