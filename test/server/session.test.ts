import { describe, expect, it, vi } from 'vitest';
import { parseEhloReply } from '../../src/protocol/ehlo.js';
import { SmtpError } from '../../src/protocol/errors.js';
import { code, RawClient } from '../helpers/raw-client.js';
import { collectingServer } from '../helpers/server.js';

async function transaction(client: RawClient, rcpts = ['<b@example.org>']): Promise<void> {
  expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
  for (const r of rcpts) expect(code(await client.command(`RCPT TO:${r}`))).toBe('250 2.1.5');
}

describe('greeting and EHLO (RFC 5321 4.1.1.1, 4.2)', () => {
  it('3.1: greets with 220 and the host name', async () => {
    const { server } = collectingServer();
    const client = RawClient.connect(server);
    const greeting = await client.reply();
    expect(greeting.code).toBe(220);
    expect(greeting.lines[0]).toBe('mx.test ESMTP');
  });

  it('4.1.1.1: EHLO lists every extension, each can be switched off', async () => {
    const { server } = collectingServer();
    const client = RawClient.connect(server);
    await client.reply();
    const caps = parseEhloReply(await client.command('EHLO client.example')).capabilities;
    expect(caps).toMatchObject({
      pipelining: true,
      size: 25 * 1024 * 1024,
      eightBitMime: true,
      smtpUtf8: true,
      enhancedStatusCodes: true,
      chunking: true,
      binaryMime: true,
      dsn: true,
      requireTls: false, // RFC 8689: over TLS only
    });
    const off = collectingServer({
      extensions: { pipelining: false, chunking: false, dsn: false, size: false },
    }).server;
    const other = RawClient.connect(off);
    await other.reply();
    const fewer = parseEhloReply(await other.command('EHLO client.example')).capabilities;
    expect(fewer).toMatchObject({ pipelining: false, chunking: false, binaryMime: false, dsn: false });
    expect(fewer.size).toBeUndefined();
  });

  it('RFC 8689 2: REQUIRETLS is offered only over TLS', async () => {
    const { server } = collectingServer();
    const client = RawClient.connect(server, { secure: true });
    await client.reply();
    expect(parseEhloReply(await client.command('EHLO c.example')).capabilities.requireTls).toBe(true);
    expect(code(await client.command('MAIL FROM:<a@example.com> REQUIRETLS'))).toBe('250 2.1.0');
  });

  it('4.1.1.1: EHLO without a domain gives 501', async () => {
    const { server } = collectingServer();
    const client = RawClient.connect(server);
    await client.reply();
    expect((await client.command('EHLO')).code).toBe(501);
    expect((await client.command('HELO')).code).toBe(501);
  });

  it('RFC 2034: enhanced codes after EHLO, none after HELO', async () => {
    const { server } = collectingServer();
    const client = RawClient.connect(server);
    await client.reply();
    await client.command('HELO client.example');
    expect(code(await client.command('NOOP'))).toBe('250');
    await client.command('EHLO client.example');
    expect(code(await client.command('NOOP'))).toBe('250 2.0.0');
    expect(code(await client.command('BOGUS'))).toBe('500 5.5.1');
  });

  it('RFC 2034: switched off, no enhanced codes even after EHLO', async () => {
    const { server } = collectingServer({ extensions: { enhancedStatusCodes: false } });
    const client = await RawClient.ready(server);
    expect(code(await client.command('NOOP'))).toBe('250');
  });
});

describe('sequencing (RFC 5321 4.1.4, 3.3)', () => {
  it('4.1.4: MAIL before EHLO/HELO gives 503', async () => {
    const { server } = collectingServer();
    const client = RawClient.connect(server);
    await client.reply();
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('503');
  });

  it('4.1.4: a second MAIL inside a transaction gives 503', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    await transaction(client);
    expect(code(await client.command('MAIL FROM:<c@example.com>'))).toBe('503 5.5.1');
  });

  it('4.1.4: RCPT without MAIL gives 503', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    expect(code(await client.command('RCPT TO:<b@example.org>'))).toBe('503 5.5.1');
  });

  it('4.1.4: EHLO and HELO reset the transaction', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    await transaction(client);
    await client.command('EHLO client.example');
    expect(code(await client.command('RCPT TO:<b@example.org>'))).toBe('503 5.5.1');
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
  });

  it('4.1.1.5: RSET drops the transaction', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    await transaction(client);
    expect(code(await client.command('RSET'))).toBe('250 2.0.0');
    expect(code(await client.command('DATA'))).toBe('503 5.5.1');
  });

  it('4.1.1.4: after a finished message RCPT gives 503', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await transaction(client);
    expect((await client.command('DATA')).code).toBe(354);
    expect(code(await client.command('Subject: x\r\n\r\nhi\r\n.'))).toBe('250 2.0.0');
    expect(delivered).toHaveLength(1);
    expect(code(await client.command('RCPT TO:<c@example.org>'))).toBe('503 5.5.1');
  });

  it('3.3: DATA without recipients gives 503; with every RCPT refused, 554', async () => {
    const { server } = collectingServer({
      onRcptTo() {
        throw new SmtpError(550, '5.1.1', 'no such user');
      },
    });
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    expect(code(await client.command('DATA'))).toBe('503 5.5.1');
    expect(code(await client.command('RCPT TO:<nobody@example.org>'))).toBe('550 5.1.1');
    expect(code(await client.command('DATA'))).toBe('554 5.5.1');
  });

  it('4.1.1: RSET, QUIT and DATA with an argument give 501', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    await transaction(client);
    for (const line of ['RSET now', 'QUIT now', 'DATA now'])
      expect(code(await client.command(line))).toBe('501 5.5.4');
  });

  it('4.1.1.10: QUIT gives 221 and closes', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    expect(code(await client.command('QUIT'))).toBe('221 2.0.0');
    await client.closed();
  });

  it('4.1.1.6, 4.1.1.7, 4.1.1.8, 4.1.1.9: VRFY 252, EXPN 502, HELP 214, NOOP 250', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    expect(code(await client.command('VRFY alice'))).toBe('252 2.5.0');
    expect(code(await client.command('EXPN staff'))).toBe('502 5.5.1');
    expect(code(await client.command('HELP'))).toBe('214 2.0.0');
    expect(code(await client.command('NOOP whatever'))).toBe('250 2.0.0');
  });

  it('4.1.1.7: EXPN is answered when a hook answers it', async () => {
    const { server } = collectingServer({
      onExpn: () => ['Alice <alice@example.org>', 'Bob <bob@example.org>'],
    });
    const client = await RawClient.ready(server);
    expect(await client.command('EXPN staff')).toEqual({
      code: 250,
      enhanced: '2.1.5',
      lines: ['Alice <alice@example.org>', 'Bob <bob@example.org>'],
    });
  });

  it('4.2.4: an unknown command gives 500 5.5.1', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    expect(code(await client.command('XYZZY'))).toBe('500 5.5.1');
    expect(code(await client.command('LHLO client.example'))).toBe('500 5.5.1');
  });

  it('4.1.1.11: ESMTP parameters after HELO give 555', async () => {
    const { server } = collectingServer();
    const client = RawClient.connect(server);
    await client.reply();
    await client.command('HELO client.example');
    expect(code(await client.command('MAIL FROM:<a@example.com> SIZE=100'))).toBe('555');
    expect(code(await client.command('MAIL FROM:<a@example.com>'))).toBe('250');
    expect(code(await client.command('RCPT TO:<b@example.org> NOTIFY=NEVER'))).toBe('555');
  });

  it('4.5.3.1.8: at least 100 recipients, then 452 4.5.3 at the limit', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    await client.command('MAIL FROM:<a@example.com>');
    for (let i = 0; i < 100; i++)
      expect((await client.command(`RCPT TO:<u${i}@example.org>`)).code).toBe(250);
    expect(code(await client.command('RCPT TO:<u100@example.org>'))).toBe('452 4.5.3');
    const small = collectingServer({ limits: { recipients: 2 } }).server;
    const other = await RawClient.ready(small);
    await transaction(other, ['<x@example.org>', '<y@example.org>']);
    expect(code(await other.command('RCPT TO:<z@example.org>'))).toBe('452 4.5.3');
  });

  it('too many errors: 421 and close after the configured count', async () => {
    const { server } = collectingServer({ limits: { invalidCommands: 3 } });
    const client = await RawClient.ready(server);
    client.send('BAD1\r\nBAD2\r\nBAD3\r\nNOOP\r\n');
    expect((await client.replies(4)).map(code)).toEqual(['500 5.5.1', '500 5.5.1', '500 5.5.1', '421 4.7.0']);
    await client.closed();
  });
});

describe('extensions', () => {
  it('RFC 1870 6.1: SIZE= over the limit gives 552 at MAIL', async () => {
    const { server } = collectingServer({ limits: { messageSize: 1000 } });
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<a@example.com> SIZE=1001'))).toBe('552 5.3.4');
    expect(code(await client.command('MAIL FROM:<a@example.com> SIZE=1000'))).toBe('250 2.1.0');
  });

  it('RFC 1870 6.3: a body over the limit is read to its end, not kept, and refused with 552', async () => {
    const seen: string[] = [];
    const { server, delivered } = collectingServer({
      limits: { messageSize: 100 },
      async onData(message) {
        try {
          for await (const _ of message) seen.push('chunk');
        } catch (error) {
          seen.push(`error ${(error as SmtpError).code}`);
          throw error;
        }
      },
    });
    const client = await RawClient.ready(server);
    await transaction(client);
    await client.command('DATA');
    client.send(`${'x'.repeat(70)}\r\n`);
    client.send(`${'y'.repeat(70)}\r\n.\r\nNOOP\r\n`);
    expect((await client.replies(2)).map(code)).toEqual(['552 5.3.4', '250 2.0.0']);
    expect(delivered).toHaveLength(0);
    await vi.waitFor(() => expect(seen.at(-1)).toBe('error 552'));
  });

  it('RFC 6531 3.4: a UTF-8 address needs SMTPUTF8 on MAIL, else 553 5.6.7', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<jörg@example.com>'))).toBe('553 5.6.7');
    await client.command('MAIL FROM:<a@example.com>');
    expect(code(await client.command('RCPT TO:<jörg@example.org>'))).toBe('553 5.6.7');
    await client.command('RSET');
    await client.command('MAIL FROM:<jörg@example.com> SMTPUTF8');
    expect(code(await client.command('RCPT TO:<dörte@bücher.example>'))).toBe('250 2.1.5');
    await client.command('DATA');
    await client.command('Subject: ü\r\n\r\nx\r\n.');
    expect(delivered[0]?.envelope.params.smtputf8).toBe(true);
    expect(delivered[0]?.envelope.recipients[0]?.address.address).toBe('dörte@bücher.example');
  });

  it('RFC 3461: DSN parameters reach the hooks as typed values', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await client.deliver(
      'MAIL FROM:<a@example.com> RET=HDRS ENVID=QQ314159',
      ['RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.org'],
      'x\r\n',
    );
    expect(delivered[0]?.envelope.params).toEqual({ ret: 'HDRS', envid: 'QQ314159' });
    expect(delivered[0]?.envelope.recipients[0]?.params).toEqual({
      notify: ['SUCCESS', 'FAILURE'],
      orcpt: { type: 'rfc822', address: 'b@example.org' },
    });
  });

  it('RFC 3461: DSN switched off makes its parameters unknown (555)', async () => {
    const { server } = collectingServer({ extensions: { dsn: false } });
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<a@example.com> RET=HDRS'))).toBe('555 5.5.4');
  });

  it('RFC 4954 5: AUTH= on MAIL from an unauthenticated client is read as AUTH=<>', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await client.deliver(
      'MAIL FROM:<a@example.com> AUTH=a@example.com',
      ['RCPT TO:<b@example.org>'],
      'x\r\n',
    );
    expect(delivered[0]?.envelope.params.auth).toBe('<>');
  });

  it('RFC 8689: REQUIRETLS on a cleartext connection gives 555', async () => {
    const { server } = collectingServer();
    const client = await RawClient.ready(server);
    expect(code(await client.command('MAIL FROM:<a@example.com> REQUIRETLS'))).toBe('555 5.5.4');
  });

  it('RFC 6152: BODY=8BITMIME is accepted and handed on; switched off it is unknown', async () => {
    const { server, delivered } = collectingServer();
    const client = await RawClient.ready(server);
    await client.deliver(
      'MAIL FROM:<a@example.com> BODY=8BITMIME',
      ['RCPT TO:<b@example.org>'],
      'caf\xe9\r\n',
    );
    expect(delivered[0]?.envelope.params.body).toBe('8BITMIME');
    const off = await RawClient.ready(collectingServer({ extensions: { eightBitMime: false } }).server);
    expect(code(await off.command('MAIL FROM:<a@example.com> BODY=8BITMIME'))).toBe('555 5.5.4');
  });
});

describe('LMTP (RFC 2033)', () => {
  it('4.1: LHLO instead of EHLO; 4.2: one reply per accepted recipient after the message', async () => {
    const { server, delivered } = collectingServer({ lmtp: true });
    const client = RawClient.connect(server);
    expect((await client.reply()).lines[0]).toBe('mx.test LMTP');
    expect(code(await client.command('EHLO client.example'))).toBe('500');
    expect(code(await client.command('LHLO client.example'))).toBe('250');
    await client.command('MAIL FROM:<a@example.com>');
    await client.command('RCPT TO:<b@example.org>');
    await client.command('RCPT TO:<c@example.org>');
    await client.command('DATA');
    client.send('hello\r\n.\r\n');
    expect((await client.replies(2)).map(code)).toEqual(['250 2.0.0', '250 2.0.0']);
    expect(delivered).toHaveLength(1);
  });
});
