import { describe, expect, it } from 'vitest';
import { SmtpClient, type SmtpClientOptions } from '../../src/client/smtp-client.js';
import { type EsmtpError, SmtpError } from '../../src/protocol/errors.js';
import type { Transport } from '../../src/transport/transport.js';
import { errorOf } from '../helpers/error-of.js';
import { ScriptedServer } from '../helpers/scripted-server.js';

/** Connects a client to a scripted server that greets with `extensions`. */
async function connected(extensions?: string[], options: SmtpClientOptions = {}) {
  const server = new ScriptedServer();
  const connecting = SmtpClient.over(server.client, { tls: 'none', name: 'client.example', ...options });
  const ehlo = await server.greet(extensions);
  const client = await connecting;
  return { server, client, ehlo };
}

const plain = ['PIPELINING', 'SIZE 1000', 'ENHANCEDSTATUSCODES'];

describe('negotiation', () => {
  it('says EHLO with the configured name and reads the capabilities', async () => {
    const { client, ehlo } = await connected(['PIPELINING', 'SIZE 5000', 'CHUNKING']);
    expect(ehlo).toBe('EHLO client.example');
    expect(client.capabilities).toMatchObject({ pipelining: true, size: 5000, chunking: true });
  });

  it('RFC 5321 3.2: falls back to HELO when EHLO gets a 5xx', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, { tls: 'none', name: 'client.example' });
    server.send('220 old.example SMTP\r\n');
    expect(await server.line()).toBe('EHLO client.example');
    server.send('502 what?\r\n');
    expect(await server.line()).toBe('HELO client.example');
    server.send('250 old.example\r\n');
    const client = await connecting;
    expect(client.capabilities.pipelining).toBe(false);
  });

  it("tls: 'required' fails with ETLS when STARTTLS is missing, before any MAIL", async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, { tls: 'required' });
    await server.greet(['PIPELINING']);
    expect((await errorOf(connecting)).code).toBe('ETLS');
    expect(server.transcript).not.toMatch(/MAIL|AUTH/);
  });

  it("tls: 'required' fails with ETLS when STARTTLS is refused; opportunistic goes on in the clear", async () => {
    // A memory transport cannot start TLS, and a client does not ask for it on one: this one says
    // it can (the handshake is never reached, STARTTLS being refused).
    const tlsCapable = (transport: Transport): Transport =>
      Object.assign(transport, { startTls: () => Promise.reject(new Error('no handshake expected')) });
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(tlsCapable(server.client), { tls: 'required' });
    await server.greet(['STARTTLS']);
    expect(await server.line()).toBe('STARTTLS');
    server.send('454 4.7.0 TLS not available\r\n');
    expect((await errorOf(connecting)).code).toBe('ETLS');
    const other = new ScriptedServer();
    const opportunistic = SmtpClient.over(tlsCapable(other.client), { tls: 'opportunistic' });
    await other.greet(['STARTTLS']);
    expect(await other.line()).toBe('STARTTLS');
    other.send('454 4.7.0 TLS not available\r\n');
    expect((await opportunistic).secure).toBe(false);
  });

  it('on a transport that cannot start TLS, an offered STARTTLS is not asked for: cleartext, or ETLS when required', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, {});
    await server.greet(['STARTTLS']);
    expect((await connecting).secure).toBe(false);
    expect(server.transcript).not.toContain('STARTTLS');
    const other = new ScriptedServer();
    const required = SmtpClient.over(other.client, { tls: 'required' });
    await other.greet(['STARTTLS']);
    expect(await errorOf(required)).toMatchObject({
      code: 'ETLS',
      message: expect.stringMatching(/no way to start TLS/),
    });
    expect(other.transcript).not.toContain('STARTTLS');
  });

  it('credentials are never sent without TLS (EAUTH); allowInsecureAuth sends them', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, {
      tls: 'none',
      auth: { username: 'u', password: 'p' },
    });
    await server.greet(['AUTH PLAIN']);
    expect((await errorOf(connecting)).code).toBe('EAUTH');
    expect(server.transcript).not.toContain('AUTH');
    const other = new ScriptedServer();
    const insecure = SmtpClient.over(other.client, {
      tls: 'none',
      allowInsecureAuth: true,
      auth: { username: 'u', password: 'p' },
    });
    await other.greet(['AUTH LOGIN PLAIN']);
    expect(await other.line()).toBe(`AUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}`);
    other.send('235 2.7.0 ok\r\n');
    expect((await insecure).authenticated).toBe(true);
  });

  it('AUTH picks the strongest mechanism both sides have; a refusal is EAUTH with the reply', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, {
      tls: 'none',
      allowInsecureAuth: true,
      auth: { username: 'u', password: 'p' },
    });
    await server.greet(['AUTH LOGIN CRAM-MD5']);
    expect(await server.line()).toBe('AUTH LOGIN');
    server.send('334 VXNlcm5hbWU6\r\n');
    expect(await server.line()).toBe(Buffer.from('u').toString('base64'));
    server.send('334 UGFzc3dvcmQ6\r\n');
    expect(await server.line()).toBe(Buffer.from('p').toString('base64'));
    server.send('535 5.7.8 no\r\n');
    const error = await errorOf(connecting);
    expect(error.code).toBe('EAUTH');
    expect((error as EsmtpError).reply?.code).toBe(535);
  });

  it('a server that challenges past the last step gets `*`, and the password only once: EAUTH', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, {
      tls: 'none',
      allowInsecureAuth: true,
      auth: { username: 'u', password: 'p', mechanism: 'LOGIN' },
    });
    await server.greet(['AUTH LOGIN']);
    expect(await server.line()).toBe('AUTH LOGIN');
    server.send('334 VXNlcm5hbWU6\r\n');
    expect(await server.line()).toBe(Buffer.from('u').toString('base64'));
    server.send('334 UGFzc3dvcmQ6\r\n');
    expect(await server.line()).toBe(Buffer.from('p').toString('base64'));
    server.send('334 UGFzc3dvcmQ6\r\n');
    expect(await server.line()).toBe('*');
    server.send('501 5.7.0 cancelled\r\n');
    expect((await errorOf(connecting)).code).toBe('EAUTH');
  });

  /** Connects with SCRAM-SHA-256 to a server whose first challenge asks for `iterations`. */
  async function scramWith(iterations: number, options: SmtpClientOptions = {}) {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, {
      tls: 'none',
      allowInsecureAuth: true,
      ...options,
      auth: { username: 'u', password: 'p', ...options.auth },
    });
    await server.greet(['AUTH SCRAM-SHA-256']);
    const first = Buffer.from((await server.line()).slice('AUTH SCRAM-SHA-256 '.length), 'base64');
    const nonce = /r=([^,]+)/.exec(first.toString())?.[1];
    server.send(`334 ${Buffer.from(`r=${nonce}xyz,s=c2FsdA==,i=${iterations}`).toString('base64')}\r\n`);
    return { server, connecting };
  }

  it('SCRAM: an iteration count over maxScramIterations (600,000 by default) is refused with `*`', async () => {
    for (const [iterations, auth] of [
      [2_000_000_000, {}],
      [600_001, {}],
      [20_000, { maxScramIterations: 10_000 }],
    ] as const) {
      const { server, connecting } = await scramWith(iterations, {
        auth: { username: 'u', password: 'p', ...auth },
      });
      expect(await server.line()).toBe('*');
      server.send('501 5.7.0 cancelled\r\n');
      const error = await errorOf(connecting);
      expect(error.code).toBe('EAUTH');
      expect(error.message).toContain(`${iterations} iterations`);
    }
  });

  it('SCRAM: the key derivation runs under the command deadline', async () => {
    const { server, connecting } = await scramWith(1_500_000, {
      auth: { username: 'u', password: 'p', maxScramIterations: 2_000_000 },
      timeouts: { command: 100 },
    });
    expect((await errorOf(connecting)).code).toBe('ETIMEOUT');
    // No proof was sent: the client-final message starts "c=biws".
    expect(server.transcript).not.toContain(Buffer.from('c=biws').toString('base64'));
  });

  it('XOAUTH2 with an access token', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, {
      tls: 'none',
      allowInsecureAuth: true,
      auth: { username: 'me@example.com', accessToken: 'tok' },
    });
    await server.greet(['AUTH PLAIN XOAUTH2']);
    expect(Buffer.from((await server.line()).slice('AUTH XOAUTH2 '.length), 'base64').toString()).toBe(
      'user=me@example.com\x01auth=Bearer tok\x01\x01',
    );
    server.send('235 2.7.0 ok\r\n');
    await connecting;
  });
});

describe('envelope checks before any I/O', () => {
  it('refuses an EHLO name that is not a domain before connecting', async () => {
    await expect(SmtpClient.connect('smtp://127.0.0.1:1', { name: 'x\r\nMAIL FROM:<a@b>' })).rejects.toThrow(
      TypeError,
    );
  });

  it('refuses CR, LF, NUL, angle brackets and narrowing characters; nothing is sent', async () => {
    const { server, client } = await connected(plain);
    const before = server.transcript;
    for (const bad of [
      'a\r\n@example.com',
      'a@example.com\r\nRCPT TO:<x@y>',
      'a\0@example.com',
      'a>@example.com',
      'č@example.com',
      'not an address',
    ]) {
      expect((await errorOf(client.send({ from: 'ok@example.com', to: [bad] }, 'x'))).code, bad).toBe(
        'EENVELOPE',
      );
      expect((await errorOf(client.send({ from: bad, to: ['ok@example.com'] }, 'x'))).code, bad).toBe(
        'EENVELOPE',
      );
    }
    expect((await errorOf(client.send({ from: 'a@example.com', to: [] }, 'x'))).code).toBe('EENVELOPE');
    expect(server.transcript).toBe(before);
  });

  it('RFC 6531: SMTPUTF8 is added when an address needs it; without it at the server, EUTF8', async () => {
    const { server, client } = await connected(['PIPELINING', 'SMTPUTF8', '8BITMIME']);
    const sending = client.send({ from: 'jörg@example.com', to: ['b@example.org'] }, 'x');
    // The scripted server reads latin1; the client wrote UTF-8.
    expect(Buffer.from(await server.line(), 'latin1').toString()).toBe(
      'MAIL FROM:<jörg@example.com> SMTPUTF8',
    );
    server.close();
    await errorOf(sending);
    const other = await connected(['PIPELINING']);
    expect(
      (await errorOf(other.client.send({ from: 'jörg@example.com', to: ['b@example.org'] }, 'x'))).code,
    ).toBe('EUTF8');
  });

  it('RFC 1870: SIZE= when the size is known; ESIZE up front when it is over the limit', async () => {
    const { server, client } = await connected(['SIZE 10']);
    expect(
      (await errorOf(client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'x'.repeat(11)))).code,
    ).toBe('ESIZE');
    expect(server.transcript).not.toContain('MAIL');
  });

  it('RFC 6152: 8-bit data needs 8BITMIME: BODY=8BITMIME, or EMESSAGE without sending it', async () => {
    const { client } = await connected(['PIPELINING']);
    expect(
      (await errorOf(client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'caf\u00e9'))).code,
    ).toBe('EMESSAGE');
  });

  it('an 8-bit stream for a server without 8BITMIME fails before its 8-bit chunk leaves', async () => {
    const { server, client } = await connected(['PIPELINING']);
    async function* body() {
      yield Buffer.from('Subject: x\r\n\r\nascii\r\n');
      yield Buffer.from('caf\u00e9\r\n');
    }
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, body());
    await server.line();
    await server.line();
    await server.line();
    server.send('250 ok\r\n250 ok\r\n354 go\r\n');
    expect((await errorOf(sending)).code).toBe('EMESSAGE');
    expect(server.transcript).not.toContain('caf');
  });

  it('RFC 3461 and RFC 8689: DSN and REQUIRETLS parameters when offered', async () => {
    const { server, client } = await connected(['PIPELINING', 'DSN', 'REQUIRETLS']);
    const sending = client.send(
      {
        from: 'a@example.com',
        to: ['b@example.org'],
        dsn: { ret: 'HDRS', envid: 'id 1', notify: ['FAILURE'], orcpt: true },
        requireTls: true,
      },
      'x',
    );
    expect(await server.line()).toBe('MAIL FROM:<a@example.com> RET=HDRS ENVID=id+201 REQUIRETLS');
    expect(await server.line()).toBe('RCPT TO:<b@example.org> NOTIFY=FAILURE ORCPT=rfc822;b@example.org');
    server.close();
    await errorOf(sending);
    const other = await connected(['PIPELINING']);
    expect(
      (
        await errorOf(
          other.client.send({ from: 'a@example.com', to: ['b@example.org'], requireTls: true }, 'x'),
        )
      ).code,
    ).toBe('ETLS');
  });
});

describe('pipelining and bodies', () => {
  it('RFC 2920: MAIL, every RCPT and DATA go out in one write; replies are matched in order', async () => {
    const { server, client } = await connected(plain);
    const sending = client.send(
      { from: 'a@example.com', to: ['b@example.org', 'c@example.org', 'd@example.org'] },
      '.dot\r\nline',
    );
    expect([
      await server.line(),
      await server.line(),
      await server.line(),
      await server.line(),
      await server.line(),
    ]).toEqual([
      'MAIL FROM:<a@example.com> SIZE=10',
      'RCPT TO:<b@example.org>',
      'RCPT TO:<c@example.org>',
      'RCPT TO:<d@example.org>',
      'DATA',
    ]);
    server.send('250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n250 2.1.5 ok\r\n354 go\r\n');
    expect(await server.dataBody()).toBe('..dot\r\nline\r\n');
    server.send('250 2.0.0 queued as X\r\n');
    const result = await sending;
    expect(result.accepted).toEqual(['b@example.org', 'd@example.org']);
    expect(result.rejected).toEqual([
      { address: 'c@example.org', reply: { code: 550, enhanced: '5.1.1', lines: ['no such user'] } },
    ]);
    expect(result.reply).toEqual({ code: 250, enhanced: '2.0.0', lines: ['queued as X'] });
    expect(result.messageSize).toBe(10);
  });

  it('a message refused after some RCPTs were: the error carries those recipients with their replies', async () => {
    const { server, client } = await connected(plain);
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org', 'c@example.org'] }, 'x');
    for (let i = 0; i < 4; i++) await server.line();
    server.send('250 ok\r\n250 ok\r\n450 4.2.1 try later\r\n354 go\r\n');
    await server.dataBody();
    server.send('554 5.6.0 no thanks\r\n');
    const error = (await sending.catch((e: unknown) => e)) as SmtpError;
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.code).toBe(554);
    expect(error.rejected).toEqual([
      { address: 'c@example.org', reply: { code: 450, enhanced: '4.2.1', lines: ['try later'] } },
    ]);
  });

  it('with every RCPT refused, no body is sent; the next send says RSET first', async () => {
    const { server, client } = await connected(plain);
    const sending = client.send({ from: 'a@example.com', to: ['x@example.org'] }, 'secret body');
    for (let i = 0; i < 3; i++) await server.line();
    server.send('250 ok\r\n550 5.1.1 no\r\n554 5.5.1 no valid recipients\r\n');
    const error = await errorOf(sending);
    expect(error.code).toBe('EENVELOPE');
    expect(error.rejected).toEqual([
      { address: 'x@example.org', reply: { code: 550, enhanced: '5.1.1', lines: ['no'] } },
    ]);
    expect(server.transcript).not.toContain('secret');
    const again = client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'x');
    expect(await server.line()).toBe('RSET');
    server.send('250 ok\r\n');
    expect(await server.line()).toMatch(/^MAIL FROM/);
    server.close();
    await errorOf(again);
  });

  it('without PIPELINING, strict lock-step', async () => {
    const { server, client } = await connected(['SIZE 1000']);
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'x');
    expect(await server.line()).toMatch(/^MAIL/);
    await new Promise((r) => setTimeout(r, 30));
    expect(server.transcript).not.toContain('RCPT');
    server.send('250 ok\r\n');
    expect(await server.line()).toMatch(/^RCPT/);
    server.send('250 ok\r\n');
    expect(await server.line()).toBe('DATA');
    server.send('354 go\r\n');
    expect(await server.dataBody()).toBe('x\r\n');
    server.send('250 ok\r\n');
    expect((await sending).accepted).toEqual(['b@example.org']);
  });

  it('RFC 3030: with CHUNKING the body goes out in BDAT chunks, untouched, the last marked LAST', async () => {
    const { server, client } = await connected(['PIPELINING', 'CHUNKING', '8BITMIME']);
    async function* body() {
      yield Buffer.from('.first\r\n');
      yield Buffer.from('second\nthird');
    }
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, body());
    expect(await server.line()).toBe('MAIL FROM:<a@example.com> BODY=8BITMIME');
    expect(await server.line()).toBe('RCPT TO:<b@example.org>');
    server.send('250 ok\r\n250 ok\r\n');
    // Text goes as CRLF lines: the bare LF becomes CRLF and the last line gets its CRLF. Small
    // buffers are gathered into one chunk.
    expect(await server.line()).toBe('BDAT 23 LAST');
    expect(await server.bytes(23)).toBe('.first\r\nsecond\r\nthird\r\n');
    server.send('250 2.0.0 done\r\n');
    expect((await sending).reply.lines).toEqual(['done']);
  });

  it('RFC 3030: a stream of small buffers goes out in BDAT chunks of 64 KiB or more', async () => {
    const { server, client } = await connected(['PIPELINING', 'CHUNKING', '8BITMIME']);
    const line = `${'x'.repeat(98)}\r\n`;
    async function* body() {
      for (let i = 0; i < 2000; i++) yield Buffer.from(line);
    }
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, body());
    await server.line();
    await server.line();
    server.send('250 ok\r\n250 ok\r\n');
    const sizes: number[] = [];
    for (let last = false; !last; ) {
      const bdat = /^BDAT (\d+)( LAST)?$/.exec(await server.line());
      sizes.push(Number(bdat?.[1]));
      last = bdat?.[2] !== undefined;
      await server.bytes(Number(bdat?.[1]));
      server.send('250 ok\r\n');
    }
    expect(sizes.reduce((a, b) => a + b)).toBe(200_000);
    expect(sizes.length).toBe(4);
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(64 * 1024);
    await sending;
  });

  it('RFC 3030 4.2: after a refused chunk no more are sent; RSET, and the refusal is the error', async () => {
    const { server, client } = await connected(['PIPELINING', 'CHUNKING', '8BITMIME']);
    async function* body() {
      for (let i = 0; i < 4096; i++) yield Buffer.from(`${'y'.repeat(254)}\r\n`); // 1 MiB
    }
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, body());
    await server.line();
    await server.line();
    server.send('250 ok\r\n250 ok\r\n');
    let chunks = 0;
    for (let line = await server.line(); line !== 'RSET'; line = await server.line()) {
      const size = Number(/^BDAT (\d+)/.exec(line)?.[1]);
      await server.bytes(size);
      chunks += 1;
      server.send(chunks === 1 ? '552 5.3.4 message too big\r\n' : '503 5.5.1 no transaction\r\n');
    }
    server.send('250 ok\r\n');
    const error = await errorOf(sending);
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.code).toBe(552);
    expect(chunks).toBeLessThanOrEqual(8);
    const noop = client.noop();
    expect(await server.line()).toBe('NOOP');
    server.send('250 ok\r\n');
    await noop;
  });

  it('RFC 3030: binary content goes with BINARYMIME and BDAT, byte for byte', async () => {
    const { server, client } = await connected(['PIPELINING', 'CHUNKING', 'BINARYMIME', '8BITMIME']);
    const binary = Uint8Array.from([0, 13, 255, 10, 46, 13, 10, 46]);
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, binary);
    expect(await server.line()).toBe('MAIL FROM:<a@example.com> BODY=BINARYMIME');
    await server.line();
    server.send('250 ok\r\n250 ok\r\n');
    expect(await server.line()).toBe('BDAT 8 LAST');
    expect(await server.bytes(8)).toBe(Buffer.from(binary).toString('latin1'));
    server.send('250 ok\r\n');
    await sending;
    const without = await connected(['PIPELINING', 'CHUNKING']);
    expect(
      (await errorOf(without.client.send({ from: 'a@example.com', to: ['b@example.org'] }, binary))).code,
    ).toBe('EMESSAGE');
  });

  it('RFC 2033: LMTP says LHLO and maps one reply per accepted recipient', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, { tls: 'none', name: 'client.example', lmtp: true });
    expect(await server.greet(['PIPELINING'])).toBe('LHLO client.example');
    const client = await connecting;
    const sending = client.send(
      { from: 'a@example.com', to: ['b@example.org', 'c@example.org', 'd@example.org'] },
      'x',
    );
    for (let i = 0; i < 5; i++) await server.line();
    server.send('250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n');
    await server.dataBody();
    server.send('250 2.0.0 b delivered\r\n452 4.2.2 d over quota\r\n');
    const result = await sending;
    expect(result.accepted).toEqual(['b@example.org']);
    expect(result.rejected.map((r) => [r.address, r.reply.code])).toEqual([
      ['c@example.org', 550],
      ['d@example.org', 452],
    ]);
  });

  it('several sends on one connection, RSET only where needed; calls wait their turn', async () => {
    const { server, client } = await connected(plain);
    const first = client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'one');
    const second = client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'two');
    const noop = client.noop();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) await server.line();
      server.send('250 ok\r\n250 ok\r\n354 go\r\n');
      await server.dataBody();
      server.send('250 ok\r\n');
    }
    expect(await server.line()).toBe('NOOP');
    server.send('250 ok\r\n');
    await Promise.all([first, second, noop]);
    expect(server.transcript).not.toContain('RSET');
  });
});

describe('failures', () => {
  it('RFC 5321 3.8: a 421 closes the connection and reports the server text', async () => {
    const { server, client } = await connected(plain);
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'x');
    await server.line();
    server.send('421 4.3.2 shutting down\r\n');
    const error = await errorOf(sending);
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.message).toContain('shutting down');
    expect((await errorOf(client.noop())).code).toBe('ECONNECTION');
  });

  it('a reply with mixed codes is EPROTOCOL and closes', async () => {
    const { server, client } = await connected(plain);
    const noop = client.noop();
    await server.line();
    server.send('250-one\r\n251 two\r\n');
    expect((await errorOf(noop)).code).toBe('EPROTOCOL');
    await new Promise((r) => setTimeout(r, 10));
    expect(server.closed).toBe(true);
  });

  it('replies nobody asked for: a few are tolerated, a stream of them is EPROTOCOL and closes', async () => {
    const { server, client } = await connected(plain);
    server.send('250 unasked\r\n250 unasked\r\n');
    await new Promise((r) => setTimeout(r, 10));
    expect(server.closed).toBe(false);
    server.send('250 unasked\r\n'.repeat(10_000));
    await new Promise((r) => setTimeout(r, 10));
    expect(server.closed).toBe(true);
    const error = await errorOf(client.noop());
    expect(error.code).toBe('ECONNECTION');
    expect(error.message).toMatch(/EPROTOCOL: .*replies nobody asked for/);
  });

  it('pipelined commands have all their replies at once; that is no flood', async () => {
    const { server, client } = await connected(plain);
    const to = Array.from({ length: 40 }, (_, i) => `r${i}@example.org`);
    const sending = client.send({ from: 'a@example.com', to }, 'x');
    for (let i = 0; i < to.length + 2; i++) await server.line();
    server.send(`250 ok\r\n${'250 ok\r\n'.repeat(to.length)}354 go\r\n`);
    await server.dataBody();
    server.send('250 done\r\n');
    expect((await sending).accepted).toHaveLength(40);
  });

  it('a silent server is ETIMEOUT within the configured time', async () => {
    const { server, client } = await connected(plain, { timeouts: { command: 50 } });
    const noop = client.noop();
    await server.line();
    expect((await errorOf(noop)).code).toBe('ETIMEOUT');
  });

  it('a server that dribbles its replies a byte at a time is understood', async () => {
    const server = new ScriptedServer();
    const connecting = SmtpClient.over(server.client, { tls: 'none' });
    for (const byte of '220 slow.example\r\n') server.send(byte);
    await server.line();
    for (const byte of '250-slow.example\r\n250 PIPELINING\r\n') {
      server.send(byte);
      await new Promise((r) => setImmediate(r));
    }
    expect((await connecting).capabilities.pipelining).toBe(true);
  });

  it('a close in the middle of a message is ECONNECTION', async () => {
    const { server, client } = await connected(plain);
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'x'.repeat(100));
    for (let i = 0; i < 3; i++) await server.line();
    server.send('250 ok\r\n250 ok\r\n354 go\r\n');
    await server.line();
    server.close();
    expect((await errorOf(sending)).code).toBe('ECONNECTION');
  });

  it('an erroring message stream: the error reaches the caller and no partial message is delivered', async () => {
    const { server, client } = await connected(plain);
    async function* failing() {
      yield Buffer.from('Subject: half\r\n\r\nfirst part\r\n');
      throw new Error('disk read failed');
    }
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, failing());
    for (let i = 0; i < 3; i++) await server.line();
    server.send('250 ok\r\n250 ok\r\n354 go\r\n');
    expect((await errorOf(sending)).message).toBe('disk read failed');
    await new Promise((r) => setTimeout(r, 10));
    expect(server.closed).toBe(true); // a DATA body cannot be taken back: the connection is closed
    expect(server.transcript).not.toContain('\r\n.\r\n');
  });

  it('with CHUNKING an erroring stream is dropped cleanly with RSET', async () => {
    const { server, client } = await connected(['PIPELINING', 'CHUNKING', '8BITMIME']);
    const part = `${'p'.repeat(1022)}\r\n`;
    async function* failing() {
      for (let i = 0; i < 128; i++) yield Buffer.from(part); // two chunks: the first goes out
      yield Buffer.from('part two\r\n');
      throw new Error('source failed');
    }
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, failing());
    await server.line();
    await server.line();
    server.send('250 ok\r\n250 ok\r\n');
    expect(await server.line()).toBe('BDAT 65536');
    await server.bytes(65536);
    server.send('250 ok\r\n');
    expect(await server.line()).toBe('RSET');
    server.send('250 ok\r\n');
    expect((await errorOf(sending)).message).toBe('source failed');
    expect(server.transcript).not.toContain('LAST');
  });

  it('an aborted signal is EABORT', async () => {
    const { server, client } = await connected(plain);
    const controller = new AbortController();
    const sending = client.send({ from: 'a@example.com', to: ['b@example.org'] }, 'x', {
      signal: controller.signal,
    });
    await server.line();
    controller.abort();
    expect((await errorOf(sending)).code).toBe('EABORT');
    const already = AbortSignal.abort();
    expect((await errorOf(client.noop({ signal: already }))).code).toBe('EABORT');
  });

  it('quit() sends QUIT and waits for the 221; await using does it too', async () => {
    const { server, client } = await connected(plain);
    const quitting = client.quit();
    expect(await server.line()).toBe('QUIT');
    server.send('221 bye\r\n');
    await quitting;
    const other = await connected(plain);
    {
      await using scoped = other.client;
      expect(scoped.secure).toBe(false);
      other.server.send('');
      setTimeout(async () => {
        await other.server.line();
        other.server.send('221 bye\r\n');
      }, 0);
    }
    expect(other.server.transcript).toContain('QUIT');
  });
});
