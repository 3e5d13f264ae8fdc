import { describe, expect, it, vi } from 'vitest';
import { parseEhloReply } from '../../src/protocol/ehlo.js';
import { SmtpError } from '../../src/protocol/errors.js';
import type { Reply } from '../../src/protocol/reply.js';
import {
  type ClientMechanism,
  cramMd5Client,
  decodeBase64,
  encodeBase64,
  loginClient,
  scramClient,
  scramKeys,
  xoauth2Client,
} from '../../src/sasl/index.js';
import type { ServerAuthOptions, SmtpServerOptions } from '../../src/server/options.js';
import { code, RawClient } from '../helpers/raw-client.js';
import { collectingServer } from '../helpers/server.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

const USERS: Record<string, string> = { alice: 's3cret', bob: 'hunter2' };
const keys = await scramKeys('s3cret', { iterations: 4096 });

function authServer(auth: Partial<ServerAuthOptions> = {}, options: SmtpServerOptions = {}) {
  return collectingServer({
    auth: {
      mechanisms: ['SCRAM-SHA-256', 'PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'],
      failureDelay: 0,
      authenticate(credentials) {
        switch (credentials.mechanism) {
          case 'CRAM-MD5':
            return credentials.verify(USERS[credentials.username] ?? '\0');
          case 'XOAUTH2':
            return credentials.accessToken === 'good-token';
          case 'SCRAM-SHA-256':
            return true;
          default:
            return USERS[credentials.username] === credentials.password;
        }
      },
      scramKeys: (user) => (user === 'alice' ? keys : undefined),
      ...auth,
    },
    ...options,
  }).server;
}

/** A client on a connection that reports TLS (the memory transport's secure flag), after EHLO. */
async function secureClient(server = authServer()): Promise<RawClient> {
  const client = RawClient.connect(server, { secure: true });
  await client.reply();
  await client.command('EHLO client.example');
  return client;
}

/** Runs a SASL exchange with a client mechanism; returns the final reply. */
async function authenticate(client: RawClient, mechanism: ClientMechanism): Promise<Reply> {
  const initial = await mechanism.initialResponse();
  let r = await client.command(
    `AUTH ${mechanism.name}${initial === undefined ? '' : ` ${encodeBase64(initial) || '='}`}`,
  );
  while (r.code === 334) {
    const challenge = decodeBase64(r.lines[0] ?? '') as Uint8Array;
    r = await client.command(encodeBase64(await mechanism.respond(challenge)));
  }
  return r;
}

describe('offering AUTH (RFC 4954 3, 4)', () => {
  it('AUTH is offered and accepted only over TLS; over cleartext it gives 538 5.7.11', async () => {
    const server = authServer();
    const clear = await RawClient.ready(server);
    expect(parseEhloReply(await clear.command('EHLO c.example')).capabilities.auth).toEqual([]);
    expect(code(await clear.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`))).toBe('538 5.7.11');
    const secure = await secureClient(server);
    expect(parseEhloReply(await secure.command('EHLO c.example')).capabilities.auth).toEqual([
      'SCRAM-SHA-256',
      'PLAIN',
      'LOGIN',
      'CRAM-MD5',
      'XOAUTH2',
    ]);
  });

  it('allowInsecureAuth offers it over cleartext', async () => {
    const server = authServer({}, { allowInsecureAuth: true });
    const client = await RawClient.ready(server);
    expect(code(await client.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`))).toBe('235 2.7.0');
  });

  it('the default mechanisms follow the hooks given', async () => {
    const server = collectingServer({ auth: { authenticate: () => true } }).server;
    const client = await secureClient(server);
    expect(parseEhloReply(await client.command('EHLO c.example')).capabilities.auth).toEqual([
      'PLAIN',
      'LOGIN',
    ]);
    expect(() =>
      collectingServer({ auth: { mechanisms: ['SCRAM-SHA-256'], authenticate: () => true } }),
    ).toThrow(/scramKeys/);
  });
});

describe('AUTH rules (RFC 4954 4)', () => {
  it('PLAIN with an initial response', async () => {
    const client = await secureClient();
    expect(code(await client.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`))).toBe('235 2.7.0');
  });

  it('PLAIN through the 334 challenge', async () => {
    const client = await secureClient();
    expect(await client.command('AUTH PLAIN')).toEqual({ code: 334, lines: [''] });
    expect(code(await client.command(b64('\0alice\0s3cret')))).toBe('235 2.7.0');
  });

  it('"*" cancels with 501 5.7.0, and AUTH can start again', async () => {
    const client = await secureClient();
    await client.command('AUTH LOGIN');
    expect(code(await client.command('*'))).toBe('501 5.7.0');
    expect(code(await client.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`))).toBe('235 2.7.0');
  });

  it('invalid base64 gives 501 5.5.2, in the initial response and in a response', async () => {
    const client = await secureClient();
    expect(code(await client.command('AUTH PLAIN not*base64'))).toBe('501 5.5.2');
    await client.command('AUTH LOGIN');
    expect(code(await client.command('YWxpY2U'))).toBe('501 5.5.2'); // missing padding
    expect(code(await client.command('NOOP'))).toBe('250 2.0.0');
  });

  it('"=" is an empty response', async () => {
    const client = await secureClient();
    expect((await client.command('AUTH PLAIN =')).code).toBe(501); // empty: not three parts
    await client.command('AUTH XOAUTH2');
    expect(code(await client.command('='))).toBe('501 5.5.2');
  });

  it('RFC 4616: PLAIN needs exactly three parts; an empty password is refused', async () => {
    const client = await secureClient();
    expect(code(await client.command(`AUTH PLAIN ${b64('alice\0s3cret')}`))).toBe('501 5.5.2');
    expect(code(await client.command(`AUTH PLAIN ${b64('\0alice\0')}`))).toBe('535 5.7.8');
  });

  it('RFC 4616: an authzid other than the user is refused unless a hook allows it', async () => {
    const client = await secureClient();
    expect(code(await client.command(`AUTH PLAIN ${b64('bob\0alice\0s3cret')}`))).toBe('535 5.7.8');
    const users: unknown[] = [];
    const lenient = authServer(
      { authorize: (authzid, user) => user === 'alice' && authzid === 'shared' },
      {
        onMailFrom(_from, _params, session) {
          users.push(session.user);
        },
      },
    );
    const other = await secureClient(lenient);
    expect(code(await other.command(`AUTH PLAIN ${b64('shared\0alice\0s3cret')}`))).toBe('235 2.7.0');
    await other.command('MAIL FROM:<shared@example.com>');
    expect(users).toEqual(['shared']);
  });

  it('AUTH before EHLO, a second AUTH, and AUTH inside a transaction give 503', async () => {
    const server = authServer();
    const early = RawClient.connect(server, { secure: true });
    await early.reply();
    expect(code(await early.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`))).toBe('503');
    const twice = await secureClient(server);
    await twice.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`);
    expect(code(await twice.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`))).toBe('503 5.5.1');
    const busy = await secureClient(server);
    await busy.command('MAIL FROM:<a@example.com>');
    expect(code(await busy.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`))).toBe('503 5.5.1');
  });

  it('an unknown mechanism gives 504 5.5.4', async () => {
    const client = await secureClient();
    expect(code(await client.command('AUTH GSSAPI'))).toBe('504 5.5.4');
  });

  it('response lines up to 12288 octets are handled; longer ones give 500 5.5.6 and the connection stays usable', async () => {
    const client = await secureClient();
    const long = b64(`\0alice\0${'p'.repeat(9000)}`); // about 12000 octets of base64
    expect(long.length).toBeGreaterThan(11000);
    // The AUTH command line itself keeps the command line limit (RFC 4954 4): the long response
    // goes after the empty challenge.
    await client.command('AUTH PLAIN');
    expect(code(await client.command(long))).toBe('535 5.7.8');
    await client.command('AUTH PLAIN');
    expect(code(await client.command(b64('x'.repeat(10000))))).toBe('500 5.5.6');
    expect(code(await client.command('NOOP'))).toBe('250 2.0.0');
  });

  describe('every AUTH error counts against the error limit, then 421 and close', () => {
    const rounds: Record<string, readonly string[]> = {
      'AUTH PLAIN then *': ['AUTH PLAIN', '*'],
      'AUTH LOGIN cancelled': ['AUTH LOGIN', '*'],
      'bad base64 in the initial response': ['AUTH PLAIN not*base64'],
      'bad base64 in a response': ['AUTH LOGIN', 'YWxpY2U'],
      'an unknown mechanism': ['AUTH GSSAPI'],
      'an over-long response': ['AUTH PLAIN', 'x'.repeat(13000)],
    };
    for (const [name, lines] of Object.entries(rounds)) {
      it(name, async () => {
        const client = await secureClient(authServer({}, { limits: { invalidCommands: 5 } }));
        // 200 rounds are written at once; the server must stop answering them long before.
        client.send(`${Array(200).fill(lines.join('\r\n')).join('\r\n')}\r\n`);
        await client.closed();
        const codes = client.transcript.split('\r\n').filter((l) => /^[45]\d\d /.test(l));
        expect(codes).toHaveLength(6);
        expect(codes.at(-1)).toMatch(/^421 4\.7\.0/);
      });
    }

    it('AUTH over cleartext (538) counts too', async () => {
      const client = RawClient.connect(authServer({}, { limits: { invalidCommands: 3 } }));
      await client.reply();
      await client.command('EHLO client.example');
      client.send('AUTH PLAIN\r\n'.repeat(50));
      await client.closed();
      expect(client.transcript).toMatch(/(538 5\.7\.11 [^\r]*\r\n){3}421 4\.7\.0/);
    });
  });

  it('bad credentials give 535 5.7.8; after 3 failures, 421 and close', async () => {
    const client = await secureClient();
    for (let i = 0; i < 2; i++)
      expect(code(await client.command(`AUTH PLAIN ${b64('\0alice\0wrong')}`))).toBe('535 5.7.8');
    client.send(`AUTH PLAIN ${b64('\0alice\0wrong')}\r\n`);
    expect((await client.replies(2)).map(code)).toEqual(['535 5.7.8', '421 4.7.0']);
    await client.closed();
  });

  it('the same reply, after the same delay, for an unknown user and a wrong password', async () => {
    const server = authServer({ failureDelay: 120 });
    const outcomes: [string, number][] = [];
    for (const credentials of ['\0nobody\0s3cret', '\0alice\0wrong']) {
      const client = await secureClient(server);
      const started = Date.now();
      const r = await client.command(`AUTH PLAIN ${b64(credentials)}`);
      outcomes.push([`${r.code} ${r.enhanced} ${r.lines.join()}`, Date.now() - started]);
    }
    expect(outcomes[0]?.[0]).toBe(outcomes[1]?.[0]);
    for (const [, elapsed] of outcomes) expect(elapsed).toBeGreaterThanOrEqual(115);
  });

  it('EHLO after AUTH keeps the authentication (MailKit does this)', async () => {
    const server = authServer({}, { requireAuth: true });
    const client = await secureClient(server);
    await client.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`);
    await client.command('EHLO client.example');
    expect(code(await client.command('MAIL FROM:<alice@example.com>'))).toBe('250 2.1.0');
  });

  it('requireAuth: MAIL before AUTH gives 530 5.7.0', async () => {
    const client = await secureClient(authServer({}, { requireAuth: true }));
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('530 5.7.0');
  });

  it('senderMustMatch: the sender must be the authenticated user', async () => {
    const server = authServer({ senderMustMatch: (from, user) => from?.localPart === user });
    const client = await secureClient(server);
    await client.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`);
    expect(code(await client.command('MAIL FROM:<bob@example.com>'))).toBe('553 5.7.1');
    expect(code(await client.command('MAIL FROM:<alice@example.com>'))).toBe('250 2.1.0');
  });

  it('RFC 4954 5: AUTH= on MAIL is kept once the client has authenticated', async () => {
    const seen: unknown[] = [];
    const server = authServer({}, { onMailFrom: (_from, params) => void seen.push(params.auth) });
    const client = await secureClient(server);
    await client.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`);
    await client.command('MAIL FROM:<alice@example.com> AUTH=alice@example.com');
    expect(seen).toEqual(['alice@example.com']);
  });

  it('an authenticate hook that fails gives 454 4.7.0 and an error event without the credentials', async () => {
    const errors: Error[] = [];
    const server = authServer({
      authenticate() {
        throw new Error('directory unavailable');
      },
    });
    server.on('error', (e) => errors.push(e));
    const client = await secureClient(server);
    const r = await client.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`);
    expect(code(r)).toBe('454 4.7.0');
    expect(JSON.stringify(r)).not.toContain('s3cret');
    expect(errors.map((e) => e.message)).toEqual(['directory unavailable']);
  });

  it('an authenticate hook may refuse with an SmtpError of its own', async () => {
    const client = await secureClient(
      authServer({
        authenticate() {
          throw new SmtpError(535, '5.7.8', 'account locked');
        },
      }),
    );
    expect(await client.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).toEqual({
      code: 535,
      enhanced: '5.7.8',
      lines: ['account locked'],
    });
  });
});

describe('mechanisms end to end', () => {
  it('SCRAM-SHA-256 against stored keys', async () => {
    const client = await secureClient();
    expect(code(await authenticate(client, scramClient('alice', 's3cret')))).toBe('235 2.7.0');
    const wrong = await secureClient();
    expect(code(await authenticate(wrong, scramClient('alice', 'nope')))).toBe('535 5.7.8');
    const ghost = await secureClient();
    expect(code(await authenticate(ghost, scramClient('ghost', 's3cret')))).toBe('535 5.7.8');
  });

  it('LOGIN and CRAM-MD5', async () => {
    expect(code(await authenticate(await secureClient(), loginClient('bob', 'hunter2')))).toBe('235 2.7.0');
    expect(code(await authenticate(await secureClient(), cramMd5Client('bob', 'hunter2')))).toBe('235 2.7.0');
    expect(code(await authenticate(await secureClient(), cramMd5Client('bob', 'wrong')))).toBe('535 5.7.8');
  });

  it('XOAUTH2: a good token passes; a bad one gets the error challenge, then 535', async () => {
    expect(
      code(await authenticate(await secureClient(), xoauth2Client('alice@example.com', 'good-token'))),
    ).toBe('235 2.7.0');
    const client = await secureClient();
    const first = await client.command(
      `AUTH XOAUTH2 ${b64('user=alice@example.com\x01auth=Bearer bad\x01\x01')}`,
    );
    expect(first.code).toBe(334);
    expect(Buffer.from(first.lines[0] ?? '', 'base64').toString()).toContain('"status":"401"');
    expect(code(await client.command(''))).toBe('535 5.7.8');
  });

  it('the user is kept on the session for the hooks', async () => {
    const users = vi.fn();
    const server = authServer({}, { onRcptTo: (_to, _p, session) => users(session.user) });
    const client = await secureClient(server);
    await authenticate(client, loginClient('bob', 'hunter2'));
    await client.command('MAIL FROM:<bob@example.com>');
    await client.command('RCPT TO:<x@example.org>');
    expect(users).toHaveBeenCalledWith('bob');
  });
});
